"""Impact: which drivers a series affects by changing what alignment the tree gives.

When a series redefines ``ARCH_KMALLOC_MINALIGN`` (or another macro in
config/dma.toml, or adds bouncing), the drivers to fix are the findings the
change makes bite (or bounce) on the tree after it, judged against the tree
before it (impact/changes.py), and the code that computes with the macro or
with one defined through it. Definitions are read as they are *after* the
series, so a series that also moves ``IIO_DMA_MINALIGN`` to
``ARCH_DMA_MINALIGN`` takes the IIO drivers out of the list. Each site is
grouped into its driver with Kconfig and MAINTAINERS, and the drivers are
ranked by what the change does to them (``ranked``).
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reviewbot.analysis.rules.exposure import TreeFacts

# The rule registry (and through it the parser) is imported where it is used: a warm
# scan groups cached findings with impact.drivers and must not pay for loading it.
from reviewbot.impact.changes import changed_arches, verdict_changes
from reviewbot.impact.drivers import DriverIndex
from reviewbot.knowledge import Knowledge
from reviewbot.model import (
    AffectedDriver,
    Confidence,
    Consequence,
    DriverSite,
    Finding,
)

__all__ = ["ImpactInput", "affected_drivers", "changed_macros", "ranked", "split_guesses"]

logger = logging.getLogger(__name__)

_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)(?:\([^)]*\))?\s+(.*)$")
_MIN_CONFIDENCE = Confidence.MEDIUM


@dataclass(frozen=True)
class ImpactInput:
    """The tree after the series: files on disk, overlaid by the series' post-images."""

    root: Path
    touched: frozenset[str]
    read_post: Callable[[str], str | None]
    skip_dirs: tuple[str, ...]  # the knowledge's tree.skip_dirs: never searched


def changed_macros(findings: Iterable[Finding], knowledge: Knowledge) -> set[str]:
    """Macros whose new definition puts drivers at risk.

    Every redefinition of a watched macro counts (a rule reporting a
    definition change). A known macro switched to another level (a usage
    change on its ``#define``) counts only when it now follows kmalloc's
    alignment: one moved to ``ARCH_DMA_MINALIGN`` makes its users safe, not
    affected.
    """
    from reviewbot.analysis.rules import AlignmentChange, find

    out: set[str] = set()
    for f in findings:
        r = find(f.rule)
        if f.introduced is False or r is None or not f.macro:
            continue
        if r.alignment_change is AlignmentChange.DEFINITION:
            out.add(f.macro)
        elif r.alignment_change is AlignmentChange.USAGE and knowledge.macro(f.macro):
            after = knowledge.macro(f.detail("after") or "")
            if after is not None and after.level == "kmalloc":
                out.add(f.macro)
    return out








def _grep(
    root: Path, names: set[str], exclude: frozenset[str], skip_dirs: tuple[str, ...]
) -> list[tuple[str, int, str]]:
    """(path, line, text) of lines naming any of ``names`` in C files, outside ``exclude``."""
    if not names:
        return []
    grep = shutil.which("grep")
    if grep is None:
        return _grep_python(root, names, exclude, skip_dirs)
    proc = subprocess.run(
        [
            grep,
            "-rnwE",
            "-D",  # a FIFO or device in the tree is skipped, never read (it could block)
            "skip",
            "--include=*.c",
            "--include=*.h",
            *(f"--exclude-dir={d}" for d in skip_dirs),
            "|".join(sorted(names)),
            ".",
        ],
        cwd=root,
        capture_output=True,
        check=False,
    )
    out = []
    for raw in proc.stdout.decode("utf-8", "replace").splitlines():
        path, _, rest = raw.partition(":")
        line, _, text = rest.partition(":")
        path = path[2:] if path.startswith("./") else path
        if path not in exclude and line.isdigit():
            out.append((path, int(line), text))
    return out


def _grep_python(
    root: Path, names: set[str], exclude: frozenset[str], skip_dirs: tuple[str, ...]
) -> list[tuple[str, int, str]]:
    rx = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    out = []
    for p in sorted(root.rglob("*.[ch]")):
        parts = p.relative_to(root).parts
        rel = "/".join(parts)
        if rel in exclude or any(part in skip_dirs for part in parts[:-1]):
            continue
        if p.is_symlink() or not p.is_file():
            continue
        try:
            lines = p.read_text(errors="replace").splitlines()
        except OSError:  # unreadable: the scan of the same tree names it in the notes
            continue
        for n, text in enumerate(lines, 1):
            if rx.search(text):
                out.append((rel, n, text))
    return out


def _lines_naming(tree: ImpactInput, names: set[str]) -> list[tuple[str, int, str]]:
    """Lines naming ``names`` in the tree after the series."""
    hits = _grep(tree.root, names, tree.touched, tree.skip_dirs)
    rx = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    for path in sorted(tree.touched):
        if not path.endswith((".c", ".h")):
            continue
        text = tree.read_post(path)
        for n, line in enumerate((text or "").splitlines(), 1):
            if rx.search(line):
                hits.append((path, n, line))
    return hits


def dependent_macros(
    tree: ImpactInput, start: set[str]
) -> tuple[set[str], dict[tuple[str, int], str]]:
    """``start`` and every macro defined, after the series, through one of them.

    Also returns every line that names one of those macros, keyed by
    (path, line): each macro is searched for exactly once, in the round that
    found it, so these are all the lines the usage sites come from and the
    tree need not be searched again.
    """
    closure = set(start)
    frontier = set(start)
    lines: dict[tuple[str, int], str] = {}
    while frontier:
        new = set()
        for path, line, text in _lines_naming(tree, frontier):
            lines[(path, line)] = text
            m = _DEFINE.match(text)
            if m and m.group(1) not in closure:
                new.add(m.group(1))
        closure |= new
        frontier = new
    return closure, lines


def _usage_sites(lines: dict[tuple[str, int], str], changed: set[str], defined: set[str],
                 allocator: tuple[str, ...], arches: frozenset[str] | None,
                 arches_of: Callable[[str], frozenset[str] | None] | None) -> list[DriverSite]:
    """Code that computes with a dependent macro (``ALIGN(len, ARCH_KMALLOC_MINALIGN)``,
    ``__aligned(IIO_DMA_MINALIGN)``) and the definitions of the macros defined through a
    changed one (``#define CRYPTO_MINALIGN ARCH_KMALLOC_MINALIGN``, the fix point of every
    user behind it); not comments, not the allocator or architecture code, not the
    definitions the series itself changes, not a driver that cannot build where the
    facts change."""
    from reviewbot.analysis.rules.minalign_usage import RULE as USAGE_RULE

    direct = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(changed))) + r")\b")
    sites = []
    for (path, line), text in sorted(lines.items()):
        stripped = text.strip()
        if stripped.startswith(("*", "/*", "//")) or path.startswith(allocator) \
                or path in defined:
            continue
        if stripped.startswith("#"):
            m = _DEFINE.match(text)
            if m is None or m.group(1) in changed:
                continue  # plumbing (#if), or a changed macro's own definition
        elif not direct.search(text):
            # a user of a macro defined through the changed one (__aligned(IIO_DMA_MINALIGN)):
            # the fix is that definition's, listed once, not one patch per user
            continue
        if arches and arches_of is not None:
            where = arches_of(path)
            if where is not None and not where & arches:
                continue
        sites.append(DriverSite(path, line, None, USAGE_RULE.id,
                                consequence=Consequence.RELIES))
    return sites


def affected_drivers(
    findings: Iterable[Finding],
    tree: ImpactInput,
    knowledge: Knowledge,
    scan: Callable[[], list[Finding]] | None = None,
    analyse_post: Callable[[str, str], list[Finding]] | None = None,
    before: TreeFacts | None = None,
    after: TreeFacts | None = None,
    arches_of: Callable[[str], frozenset[str] | None] | None = None,
    changed: set[str] | None = None,
) -> tuple[AffectedDriver, ...]:
    """Drivers a series affects by what it changes in the tree's alignment facts.

    Two sources, one list: the findings whose verdict on the tree ``after`` the series
    is worse than ``before`` it (impact/changes.py; ``scan`` gives the tree's findings
    as the rules made them, ``analyse_post`` a touched file's after the series), and the
    code that computes with a macro the series redefines, or one defined through it.
    Ranked: what corrupts, then what relies on the macro, then what is only bounced;
    core and bus code before leaf drivers; more sites first. ``changed``: the macros a
    what-if changes, for a tree without a series (scan --by-maintainer).
    """
    findings = list(findings)
    if changed is None:
        changed = changed_macros(findings, knowledge)
    moved = frozenset[str]()
    if before is not None and after is not None:
        moved = changed_arches(before, after)
        if before.dma_level != after.dma_level and not moved:
            moved = frozenset(a.name for a in after.arches)
    if not changed and not moved:
        return ()
    sites: list[DriverSite] = []
    if changed:
        macros, lines = dependent_macros(tree, changed)
        logger.info(
            "impact: %s changes; dependent macros: %s",
            ", ".join(sorted(changed)),
            ", ".join(sorted(macros - changed)) or "none",
        )
        defined = {f.file for f in findings if f.macro in changed}
        sites += _usage_sites(lines, changed, defined, knowledge.allocator_paths, moved or None,
                              arches_of)
    if moved and before is not None and after is not None and scan is not None:
        candidates = [f for f in scan() if f.file not in tree.touched]
        if analyse_post is not None:
            for path in sorted(tree.touched):
                text = tree.read_post(path) if path.endswith(".c") else None
                if text:
                    candidates += analyse_post(path, text)
        for ch in verdict_changes(candidates, before, after):
            f = ch.finding
            sites.append(DriverSite(f.file, f.line, f.function, f.rule, f.bites_when,
                                    ch.consequence, ch.arches, f.confidence))

    def read(path: str) -> str | None:
        if path in tree.touched:
            return tree.read_post(path)
        if not (tree.root / path).is_file():  # a FIFO named Makefile would block
            return None
        try:
            return (tree.root / path).read_text(errors="replace")
        except OSError:
            return None

    drivers = DriverIndex(read, lambda p: (tree.root / p).is_dir()).group(sites)
    return ranked(drivers, knowledge.core_paths)


def ranked(drivers: Iterable[AffectedDriver],
           core_paths: tuple[str, ...]) -> tuple[AffectedDriver, ...]:
    """Drivers with their worst consequence and whether they are core code, in the order a
    maintainer acts on them: corrupting before relying before bounced; what rests on a
    sure finding (or a use of the macro) before what rests only on guesses; core and bus
    code before leaf drivers; more sites first."""
    out = []
    for d in drivers:
        worst = min((s.consequence for s in d.sites if s.consequence is not None),
                    key=lambda c: c.rank, default=None)
        core = any(s.file.startswith(core_paths) for s in d.sites)
        out.append(replace(d, consequence=worst, core=core))

    def key(d: AffectedDriver) -> tuple:
        sure = max((_SURE.get(s.confidence, 0) for s in d.sites), default=0)
        return (d.consequence.rank if d.consequence is not None else 9, sure <= 1, not d.core,
                -sure, -len(d.sites), d.path)

    return tuple(sorted(out, key=key))


_SURE = {Confidence.HIGH: 3, Confidence.MEDIUM: 2, Confidence.LOW: 1, None: 2}


def split_guesses(drivers: Sequence[AffectedDriver], floor: Confidence = _MIN_CONFIDENCE
                  ) -> tuple[tuple[AffectedDriver, ...], tuple[AffectedDriver, ...]]:
    """(the drivers to act on, the guesses): a driver is a guess when every site of it
    rests on a finding below ``floor`` (a buffer whose size, or whose way to the device,
    is not known where it is found; a use of a changed macro has no confidence and is
    sure). In the first labelled sample on Linux 6.1 (bench/minalign_impact.py), 10 of
    18 such drivers needed a fix, against 10 of 12 of the others: a maintainer reading the
    reply acts on the list, so the guesses go to the attachment, apart, to check by hand.
    Order is kept."""
    def guess(d: AffectedDriver) -> bool:
        return bool(d.sites) and all(s.confidence is not None and s.confidence < floor
                                     for s in d.sites)

    return (tuple(d for d in drivers if not guess(d)), tuple(d for d in drivers if guess(d)))
