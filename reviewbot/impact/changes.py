"""What a change of the tree's alignment facts does to the findings already there.

A series that lowers ``ARCH_KMALLOC_MINALIGN`` (or adds bouncing, or moves a
macro such as ``CRYPTO_MINALIGN`` to the DMA level) changes no driver line:
it changes the tree's profile. So the drivers it affects are the findings
whose verdict on the tree *after* the series is worse than on the tree
*before* it, each finding judged twice (analysis/rules/exposure.py): one
mechanism for every rule, none special-cased. A finding that bit already
(a member beside a lock on mips) is the scan's, not this series'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from reviewbot.analysis.rules.exposure import Bite, TreeFacts, exposure_of, judged
from reviewbot.model import Consequence, Finding


@dataclass(frozen=True)
class Change:
    """One finding the change makes worse: as judged after it, and on which architectures."""

    finding: Finding
    consequence: Consequence
    arches: tuple[str, ...]


def verdict_changes(findings: Iterable[Finding], before: TreeFacts,
                    after: TreeFacts) -> list[Change]:
    """Findings (as the rules made them, unjudged) that the change from ``before`` to
    ``after`` makes bite where they did not, or makes bounced where they were not."""
    out = []
    after = _blamed(after, changed_arches(before, after))
    for f in findings:
        if f.hazard is None or f.verdict is not None:
            continue
        was, now = exposure_of(f, before), exposure_of(f, after)
        if now.bite is Bite.BITES:
            new = tuple(a for a in now.arches if was.bite is not Bite.BITES
                        or a not in was.arches
                        or _holder_drops(f, a, before, after))
            if new:
                out.append(Change(judged(f, after), Consequence.CORRUPTS, new))
                continue
        bounced = tuple(a for a in now.bounced if a not in was.bounced)
        if bounced and now.bite is not Bite.BITES:
            out.append(Change(judged(f, after), Consequence.BOUNCED, bounced))
    return out


def _holder_drops(f: Finding, arch: str, before: TreeFacts, after: TreeFacts) -> bool:
    """The object holding ``f``'s memory (a crypto context, aligned to CRYPTO_MINALIGN)
    loses its alignment on ``arch``: a hazard there already, made worse by the change."""
    macro = f.hazard.container if f.hazard is not None else None
    if macro is None or macro in after.dma_level:
        return False
    was, now = before.arch(arch), after.arch(arch)
    return now is not None and now.kmalloc_macro_short is True and (
        was is None or was.kmalloc_macro_short is not True or macro in before.dma_level)


def _blamed(after: TreeFacts, moved: frozenset[str]) -> TreeFacts:
    """``after`` with the change answered for on the architectures it moves: a kmalloc
    shortfall the tree had all along on one architecture (parisc in 6.1) is that
    architecture's matter, but one this series makes is the drivers' to fix."""
    arches = tuple(replace(a, kmalloc_platform=False) if a.name in moved else a
                   for a in after.arches)
    return replace(after, arches=arches)


def changed_arches(before: TreeFacts, after: TreeFacts) -> frozenset[str]:
    """The architectures whose facts the change touches."""
    names = {a.name for a in before.arches} | {a.name for a in after.arches}
    return frozenset(n for n in names if before.arch(n) != after.arch(n))
