"""minalign-definition: the definition of a minimum-alignment macro changes."""

from __future__ import annotations

import re

from reviewbot.analysis.rules.base import AlignmentChange, Fact, Rule
from reviewbot.analysis.rules.diffs import DEFINE, DiffFile, DiffHunk, as_written, normalise
from reviewbot.model import Confidence, Evidence, Finding, Severity


def check(change: DiffFile) -> list[Finding]:
    """One finding per watched macro whose value this file's hunks change."""
    out: list[Finding] = []
    for hunk in change.hunks:
        out.extend(_defines(change, hunk))
        out.extend(_runtime(change, hunk))
    return out


def _defines(change: DiffFile, hunk: DiffHunk) -> list[Finding]:
    watched = {m.name: m for m in change.knowledge.macros if m.watch_definition}
    before: dict[str, list[str]] = {}
    after: dict[str, list[tuple[str, int]]] = {}
    touched: dict[str, int] = {}
    # Compared without blanks, shown as written: `__alignof__(unsigned long long)`.
    shown: dict[str, str] = {}
    for ln in hunk.lines:
        m = DEFINE.match(ln.text)
        if not m or m.group(1) not in watched:
            continue
        raw = (m.group(2) or "") + m.group(3)
        name, value = m.group(1), normalise(raw)
        shown.setdefault(value, as_written(raw))
        if ln.kind in "- ":
            before.setdefault(name, []).append(value)
        if ln.kind in "+ ":
            after.setdefault(name, []).append((value, ln.number))
        if ln.kind != " ":
            touched.setdefault(name, ln.number)
    out = []
    for name, line in touched.items():
        old = before.get(name, [])
        new = [v for v, _ in after.get(name, [])]
        if old == new:
            continue
        at = next((n for v, n in after.get(name, []) if v not in old), line)
        out.append(finding(change, at, name, [shown[v] for v in old], [shown[v] for v in new]))
    return out


def _runtime(change: DiffFile, hunk: DiffHunk) -> list[Finding]:
    """Macros that are functions (``dma_get_cache_alignment()``): any change of the body."""
    out = []
    runtime = [m.name for m in change.knowledge.macros
               if m.watch_definition and m.level == "runtime"]
    changed = [ln for ln in hunk.lines if ln.kind != " " and ln.text.strip()]
    for name in runtime:
        if changed and (hunk.function == name or any(
                re.search(rf"\b{name}\s*\(\s*void\s*\)", ln.text) for ln in hunk.lines)):
            old = [ln.text.strip() for ln in changed if ln.kind == "-"]
            new = [ln.text.strip() for ln in changed if ln.kind == "+"]
            at = next((ln.number for ln in changed if ln.kind == "+"), changed[0].number)
            out.append(finding(change, at, name, old, new))
    return out


def finding(change: DiffFile, line: int, name: str, old: list[str],
            new: list[str]) -> Finding:
    arch = change.arch
    macro = change.knowledge.macro(name)
    default = macro.value_for(arch) if macro is not None else None
    was = " / ".join(old) if old else "not defined here" + (
        f" (default for {arch}: {default})" if default else "")
    now = " / ".join(new) if new else "removed here" + (
        f" (falls back to the default; {arch} had {default})" if default else "")
    return Finding(
        rule=RULE.id, severity=RULE.severity, file=change.path, line=line, function=None,
        buffer=None, sink=None, direction=None, macro=name,
        message=f"{name} for {arch} changes from {was} to {now}: drivers that rely on this "
                "alignment for DMA safety change behaviour",
        confidence=Confidence.HIGH,
        evidence=(Evidence("definition-in-diff", Confidence.HIGH,
                           f"the patch changes the definition of {name}"),),
        details=(("macro", name), ("arch", arch), ("before", was), ("after", now),
                 *((("meaning", macro.meaning),) if macro is not None and macro.meaning
                   else ())))


RULE = Rule(
    "minalign-definition", Severity.INFO,
    "the definition of a minimum-alignment macro changes",
    "A patch changes ARCH_DMA_MINALIGN, ARCH_KMALLOC_MINALIGN, ARCH_SLAB_MINALIGN, "
    "KMALLOC_MIN_SIZE or dma_get_cache_alignment(); the finding gives the values before "
    "and after and the architecture.",
    "Every driver that relies on kmalloc alignment for DMA safety changes behaviour with "
    "it: on a non-coherent machine, a DMA buffer that kmalloc() aligns below the cache "
    "line shares that line with other data, unless the DMA core bounces it.",
    "Nothing to fix in the patch itself: check the affected drivers list and that the "
    "bounce path (CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC) covers the architecture.",
    ("include/linux/slab.h", "include/linux/cache.h",
     "the series 'mm, dma, arm64: Reduce ARCH_KMALLOC_MINALIGN to 8' (v6.5)"),
    needs=(Fact.DIFF,),
    check_diff=check,
    alignment_change=AlignmentChange.DEFINITION,
    uses_knowledge=lambda k: any(m.watch_definition for m in k.macros),
)
