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


_OP = r"(<=|>=|==|!=|<|>)"
_OPERAND = r"(\d+[uUlL]*|[A-Za-z_]\w*)"
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_INT_DEFINE = r"^\s*#\s*define\s+{name}\s+\(?\s*(\d+)[uUlL]*\s*\)?\s*(?:/[*/].*)?$"


class Comparisons:
    """Whether a line that uses the kmalloc macro only compares it with a constant, and
    the comparison comes out the same before and after the change: nf_conntrack's
    ``ARCH_KMALLOC_MINALIGN <= NFCT_INFOMASK`` (7) is false at 128 and at 8, so nothing
    there relies on the change. A constant named by a macro is looked up once in the tree
    (a ``#define NAME 7`` anywhere); what is not a plain number keeps the site."""

    def __init__(self, tree: ImpactInput, macro: str, before: tuple[int, ...],
                 after: tuple[int, ...]) -> None:
        self.tree = tree
        self.macro = macro
        self.values = list(zip(before, after, strict=True))
        self.rx = re.compile(rf"\b{re.escape(macro)}\s*{_OP}\s*{_OPERAND}\b"
                             rf"|\b{_OPERAND}\s*{_OP}\s*{re.escape(macro)}\b")
        self.known: dict[str, int | None] = {}

    def unchanged(self, text: str, changed: set[str]) -> bool:
        """Every use of the macro in ``text`` is such a comparison (and no other changed
        macro is named there)."""
        if any(re.search(rf"\b{re.escape(m)}\b", text) for m in changed - {self.macro}):
            return False
        uses = len(re.findall(rf"\b{re.escape(self.macro)}\b", text))
        found = list(self.rx.finditer(text))
        if not found or len(found) != uses or not self.values:
            return False
        for m in found:
            if m.group(1) is not None:
                op, other = m.group(1), m.group(2)
            else:
                op, other = _FLIP[m.group(4)], m.group(3)
            value = self._value(other)
            if value is None:
                return False
            if any(_holds(b, op, value) != _holds(a, op, value) for b, a in self.values):
                return False
        return True

    def _value(self, operand: str) -> int | None:
        digits = operand.rstrip("uUlL")
        if digits.isdigit():
            return int(digits)
        if operand not in self.known:
            rx = re.compile(_INT_DEFINE.format(name=re.escape(operand)))
            values = {int(m.group(1)) for _p, _n, line in _lines_naming(self.tree, {operand})
                      if (m := rx.match(line))}
            self.known[operand] = values.pop() if len(values) == 1 else None
        return self.known[operand]


def _holds(left: int, op: str, right: int) -> bool:
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right,
            "==": left == right, "!=": left != right}[op]


def comparisons(tree: ImpactInput, macro: str, before: TreeFacts | None,
                after: TreeFacts | None, arches: frozenset[str]) -> Comparisons | None:
    """The comparison check for the kmalloc macro on the architectures whose facts move,
    when its value is a number before and after on each; else None (nothing skipped)."""
    if before is None or after is None or not arches:
        return None
    pairs = [(b.kmalloc_minalign, a.kmalloc_minalign) for name in sorted(arches)
             if (b := before.arch(name)) is not None and (a := after.arch(name)) is not None]
    if not pairs or any(b is None or a is None for b, a in pairs):
        return None
    return Comparisons(tree, macro, tuple(b for b, _ in pairs if b is not None),
                       tuple(a for _, a in pairs if a is not None))


def _usage_sites(lines: dict[tuple[str, int], str], changed: set[str], defined: set[str],
                 allocator: tuple[str, ...], arches: frozenset[str] | None,
                 arches_of: Callable[[str], frozenset[str] | None] | None,
                 compared: Comparisons | None = None) -> list[DriverSite]:
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
        elif compared is not None and compared.unchanged(text, changed):
            continue  # compares the macro with a constant, with the same outcome after
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
    Ranked (``ranked``): core and bus code before leaf drivers, what corrupts before what
    relies on the macro, what is only bounced last. ``changed``: the macros a
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
        kmalloc = knowledge.level_macro("kmalloc").name
        compared = comparisons(tree, kmalloc, before, after, moved) \
            if kmalloc in changed else None
        sites += _usage_sites(lines, changed, defined, knowledge.allocator_paths, moved or None,
                              arches_of, compared)
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
    maintainer acts on them: what is only bounced (slower) last; core and bus code before
    leaf drivers (one fix there reaches every driver behind it); corrupting before
    relying; what rests on a sure finding (or a use of the macro) before guesses; more
    sites first."""
    out = []
    for d in drivers:
        worst = min((s.consequence for s in d.sites if s.consequence is not None),
                    key=lambda c: c.rank, default=None)
        core = any(s.file.startswith(core_paths) for s in d.sites)
        out.append(replace(d, consequence=worst, core=core))

    def key(d: AffectedDriver) -> tuple:
        sure = max((_SURE.get(s.confidence, 0) for s in d.sites), default=0)
        rank = d.consequence.rank if d.consequence is not None else 9
        # what is only slower comes last; core and bus code first (one fix there reaches
        # every driver behind it: devres, the crypto API, the IIO core), then leaf drivers
        return (d.consequence is Consequence.BOUNCED, not d.core, rank, sure <= 1, -sure,
                -len(d.sites), d.path)

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
