"""Impact: which drivers depend on an alignment macro a series changes.

When a series redefines ``ARCH_KMALLOC_MINALIGN`` (or another macro in
config/dma.toml), the drivers to audit are those that use the macro or a
macro defined through it, and, when kmalloc's alignment is what changes,
those that DMA from the device into small kmalloc buffers. Definitions are
read as they are *after* the series, so a series that also moves
``IIO_DMA_MINALIGN`` to ``ARCH_DMA_MINALIGN`` takes the IIO drivers out of
the list. Each site is grouped into its driver with Kconfig and MAINTAINERS.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from reviewbot.analysis.rules.conditions import aligned_to

# The rule registry (and through it the parser) is imported where it is used: a warm
# scan groups cached findings with impact.drivers and must not pay for loading it.
from reviewbot.impact.drivers import DriverIndex
from reviewbot.knowledge import Knowledge
from reviewbot.model import AffectedDriver, Condition, Confidence, DriverSite, Finding

__all__ = ["ImpactInput", "affected_drivers", "changed_macros"]

logger = logging.getLogger(__name__)

_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)(?:\([^)]*\))?\s+(.*)$")
_MIN_CONFIDENCE = Confidence.MEDIUM
# Where a use of the macro is the allocator or the architecture defining the
# alignment, not a driver relying on it: mm/slab_common.c starts kmalloc's
# alignment from ARCH_KMALLOC_MINALIGN; that is the change itself, not its impact.
_CORE = ("mm/", "kernel/", "arch/", "include/", "lib/", "init/")


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


def _depends_on_kmalloc_alignment(f: Finding) -> bool:
    from reviewbot.analysis.rules import find

    r = find(f.rule)
    return r is not None and r.depends_on_kmalloc_alignment


def _bites_with(f: Finding, macros: set[str]) -> bool:
    """A hazard the series makes true or worse: its memory's alignment macro changes.

    That is the macro of a conditional hazard (``bites_when``), or the one the
    buffer's container is aligned to (a member of a crypto context, aligned to
    CRYPTO_MINALIGN, unisolated inside it: a hazard already, and the context
    itself loses its alignment too).
    """
    if f.bites_when is not None:
        return f.bites_when.macro in macros
    return f.detail("container") in macros


def _condition(f: Finding, macros: set[str], knowledge: Knowledge) -> Condition | None:
    if f.bites_when is not None or f.detail("container") not in macros:
        return f.bites_when
    return aligned_to(knowledge, f.detail("container") or "")


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


def _usage_sites(lines: dict[tuple[str, int], str]) -> list[DriverSite]:
    """Code (not preprocessor plumbing, not comments) that uses a dependent macro."""
    from reviewbot.analysis.rules.minalign_usage import RULE as USAGE_RULE

    sites = []
    for (path, line), text in sorted(lines.items()):
        if text.strip().startswith(("#", "*", "/*", "//")) or path.startswith(_CORE):
            continue
        sites.append(DriverSite(path, line, None, USAGE_RULE.id))
    return sites


def affected_drivers(
    findings: Iterable[Finding],
    tree: ImpactInput,
    knowledge: Knowledge,
    scan: Callable[[], list[Finding]] | None = None,
    analyse_post: Callable[[str, str], list[Finding]] | None = None,
) -> tuple[AffectedDriver, ...]:
    """Drivers whose DMA safety depends on a macro the series changes.

    ``scan`` gives tree-wide findings of the base (cached by the caller);
    ``analyse_post`` analyses one touched file after the series. Both are
    only needed when kmalloc's own alignment is in play.
    """
    findings = list(findings)
    changed = changed_macros(findings, knowledge)
    if not changed:
        return ()
    macros, lines = dependent_macros(tree, changed)
    logger.info(
        "impact: %s changes; dependent macros: %s",
        ", ".join(sorted(changed)),
        ", ".join(sorted(macros - changed)) or "none",
    )
    sites = _usage_sites(lines)
    if macros & knowledge.kmalloc_alignment_macros() and scan is not None:
        small = [f for f in scan() if f.file not in tree.touched]
        if analyse_post is not None:
            for path in sorted(tree.touched):
                text = tree.read_post(path) if path.endswith(".c") else None
                if text:
                    small += analyse_post(path, text)
        sites += [
            DriverSite(f.file, f.line, f.function, f.rule, _condition(f, macros, knowledge))
            for f in small
            if (_depends_on_kmalloc_alignment(f) or _bites_with(f, macros))
            and f.confidence >= _MIN_CONFIDENCE
        ]

    def read(path: str) -> str | None:
        if path in tree.touched:
            return tree.read_post(path)
        if not (tree.root / path).is_file():  # a FIFO named Makefile would block
            return None
        try:
            return (tree.root / path).read_text(errors="replace")
        except OSError:
            return None

    return DriverIndex(read, lambda p: (tree.root / p).is_dir()).group(sites)
