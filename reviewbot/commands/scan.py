"""``reviewbot scan PATH [SUBPATH...]``: which drivers of a tree depend on kmalloc alignment."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewbot.model import AffectedDriver, Finding
    from reviewbot.render.scan_report import Shown
    from reviewbot.treewalk import DriversWalk

logger = logging.getLogger(__name__)

HELP = "analyse every C file of a tree and list the affected drivers"

DESCRIPTION = """
Run the analysis over every C file of a kernel tree (findings as if newly
written) and group them by driver: the audit a minimum-alignment change needs.
PATH is a tree, optionally narrowed to SUBPATHs of it; or one or more C files.
Only files that name a DMA sink are parsed, in parallel, with a cache keyed by
file content so a rescan parses only what changed.
"""

EXAMPLES = (
    "reviewbot scan examples/tree",
    "reviewbot scan ~/linux drivers/usb drivers/spi",
    "reviewbot scan --severity error ~/linux",
    'reviewbot scan --maintainer "USB SERIAL SUBSYSTEM" ~/linux',
    "reviewbot scan --maintainer kuba@kernel.org --format markdown ~/linux",
    "reviewbot scan --format markdown --min-confidence low ~/linux drivers/iio",
    "reviewbot scan drivers/usb/serial/ark3116.c",
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from reviewbot.commands._common import add_assume_argument, add_cache_arguments
    from reviewbot.levels import Confidence

    p.add_argument("path", type=Path, metavar="PATH", help="kernel tree, or a C file")
    p.add_argument(
        "subpaths",
        nargs="*",
        metavar="SUBPATH",
        help="parts of the tree (default: all); with a C file as PATH, more C files",
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format (default: text; markdown: one section per MAINTAINERS entry)",
    )
    p.add_argument(
        "--jobs", "-j", type=int, metavar="N", help="worker processes (default: all cores)"
    )
    add_cache_arguments(p)
    p.add_argument(
        "--min-confidence",
        choices=[c.value for c in Confidence],
        default="medium",
        help="hide findings below this confidence (default: medium; low adds guesses)",
    )
    p.add_argument(
        "--severity",
        choices=("info", "warning", "error"),
        default="warning",
        help="hide findings below this severity (default: warning: what bites on this tree "
        "or breaks a DMA contract; info is what would bite only elsewhere, counted)",
    )
    p.add_argument("--all", action="store_true",
                   help="show info findings too (--severity info)")
    add_assume_argument(p)
    p.add_argument(
        "--by-maintainer",
        action="store_true",
        help="with --assume kmalloc-minalign=N: the drivers that what-if affects, ranked and "
        "grouped by MAINTAINERS section (Markdown: the list a series making that change gets)",
    )
    p.add_argument(
        "--maintainer",
        metavar="WHO",
        help="only drivers WHO looks after: a MAINTAINERS section title or an address "
        "(maintainer, reviewer or list)",
    )


def _root_and_parts(path: Path, subpaths: list[str]) -> tuple[Path, list[str]]:
    """The tree to scan and the parts of it: ``PATH [SUBPATH...]`` or ``FILE...``.

    Files are scanned inside the kernel tree they belong to, so their
    drivers get Makefile modules and MAINTAINERS sections; files outside any
    tree are scanned in the folder that holds them all.
    """
    from reviewbot.errors import UsageError
    from reviewbot.kerneltree import enclosing_kernel_tree

    if path.is_dir():
        for sub in subpaths:
            if not (path / sub).exists() or ".." in Path(sub).parts:
                raise UsageError(f"{sub}: no such file or directory under {path}")
        return path, subpaths
    files = [path, *(Path(s) for s in subpaths)]
    for f in files:
        if not f.exists():
            raise UsageError(f"{f}: no such file or directory")
        if not f.is_file():
            raise UsageError(f"{f}: with a file as PATH, every argument must be a file")
    resolved = [f.resolve() for f in files]
    root = enclosing_kernel_tree(resolved[0].parent)
    if root is None or not all(r.is_relative_to(root) for r in resolved):
        root = Path(os.path.commonpath([r.parent for r in resolved]))
    return root, [str(r.relative_to(root)) for r in resolved]


def _is_kernel_tree(root: Path) -> bool:
    """A tree whose own profile can be read (its Makefile says its version); files
    scanned outside any kernel tree are judged on the newest shipped profile."""
    return (root / "Makefile").is_file() and (root / "arch").is_dir()


def _by_maintainer(root: Path, kernel: Path | None, findings, args: argparse.Namespace,
                   after, knowledge, unanalysed=()) -> str:
    """The drivers the what-if of ``args.assume`` affects on the tree: the findings it makes
    worse (judged without and with it) and the code computing with kmalloc's macro."""
    from reviewbot.commands._common import judged_tree
    from reviewbot.impact import ImpactInput, affected_drivers, split_guesses
    from reviewbot.model import Confidence
    from reviewbot.render.impact_report import markdown

    before = judged_tree(kernel, [a for a in args.assume if "=" not in a])
    floor = Confidence(args.min_confidence)
    kmalloc = knowledge.level_macro("kmalloc").name
    drivers = affected_drivers(
        [], ImpactInput(root, frozenset(), lambda _path: None, knowledge.skip_dirs), knowledge,
        scan=lambda: list(findings), before=before, after=after, changed={kmalloc})
    drivers, guessed = split_guesses(drivers, floor)
    about = (f"What {after.assumed} would change on {after.name}: the findings it makes "
             f"bite or bounce, judged on the tree without and with it, and the code "
             f"computing with {kmalloc}; a driver whose every site is below {floor.value} "
             f"confidence is listed apart, to check by hand.")
    return markdown(drivers, "Affected drivers", about, guessed, unanalysed)


def run(args: argparse.Namespace) -> int:
    from reviewbot.errors import UsageError

    if not args.path.exists():
        raise UsageError(f"{args.path}: no such file or directory")
    root, parts = _root_and_parts(args.path, list(args.subpaths))
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    walking = _walk_drivers_now(root, parts, args.jobs)
    try:
        return _scan(args, root, parts, walking)
    finally:
        if walking is not None:
            walking.close()


def _walk_drivers_now(root: Path, parts: list[str], jobs: int | None) -> DriversWalk | None:
    """Start walking the tree's ``drivers/``, ``fs/`` and ``include/`` in another process
    before anything else (``treewalk.DriversWalk``): the imports, the knowledge and the
    tree's profile that come next keep one core busy for 0.15 s, which on a warm rescan
    is most of the time that walk takes."""
    from reviewbot.treewalk import DriversWalk

    root = root.resolve()
    if not DriversWalk.applies(root, parts, None, jobs or os.cpu_count() or 1):
        return None
    return DriversWalk(root)


def _scan(args: argparse.Namespace, root: Path, parts: list[str],
          walking: DriversWalk | None) -> int:
    from dataclasses import replace

    from reviewbot.analysis.trees import describe
    from reviewbot.commands._common import (
        ScanProgress,
        affected_drivers,
        judged_tree,
        progress_wanted,
        scan_cache_dir,
    )
    from reviewbot.errors import UsageError
    from reviewbot.knowledge import load_knowledge
    from reviewbot.limits import limits_of
    from reviewbot.model import Confidence
    from reviewbot.render import scan_report
    from reviewbot.scan import scan_tree
    from reviewbot.settings import load_settings

    settings = load_settings(args.config)
    cache_dir = scan_cache_dir(args, settings)
    knowledge = load_knowledge()
    kernel = root if _is_kernel_tree(root) else None
    tree = judged_tree(kernel, args.assume, cache_dir, knowledge)
    whatifs = [a for a in args.assume if "=" in a]
    if args.by_maintainer and not whatifs:
        raise UsageError("--by-maintainer lists what a what-if changes: give "
                         "--assume kmalloc-minalign=N")
    with ScanProgress(progress_wanted(args)) as progress:
        if progress:
            progress(0, 0)  # the walk and prefilter come first
        result = scan_tree(root, knowledge, parts, args.jobs, cache_dir, progress,
                           parse_work=limits_of(settings).parse_work,
                           tree=None if args.by_maintainer else tree, drivers=walking)
    if args.by_maintainer:
        sys.stdout.write(_by_maintainer(root, kernel, result.findings, args, tree, knowledge,
                                        result.unanalysed))
        _warn_unanalysed(result.unanalysed)
        return 0
    floor = Confidence(args.min_confidence)
    findings = [f for f in result.findings if f.confidence >= floor]
    drivers = affected_drivers(root, findings, cache_dir)
    findings, drivers, shown = _select(findings, drivers, args)
    shown = replace(shown, judged=describe(tree))
    out = {
        "text": scan_report.text,
        "json": scan_report.json_text,
        "markdown": scan_report.markdown,
    }[args.format](findings, drivers, result.stats, bool(args.verbose), shown,
                   result.unanalysed)
    sys.stdout.write(out)
    _warn_unanalysed(result.unanalysed)
    return 0


def _warn_unanalysed(unanalysed) -> None:
    """One line on stderr naming what was not analysed, in every format and also on a warm
    rescan, where the parser (and its warning) did not run."""
    if unanalysed:
        logger.warning("reviewbot: %d file(s) not analysed, listed in the output: %s",
                       len(unanalysed), ", ".join(u.file for u in unanalysed[:5])
                       + (", ..." if len(unanalysed) > 5 else ""))


def _select(
    findings: list[Finding], drivers: tuple[AffectedDriver, ...], args: argparse.Namespace
) -> tuple[list[Finding], tuple[AffectedDriver, ...], Shown]:
    """The findings and drivers ``--severity`` and ``--maintainer`` leave, and what was asked.

    Drivers are grouped before the selection (the grouping is cached for the
    whole scan); a driver keeps the sites of the findings that are left, and
    a driver with none is dropped. Findings in no driver only stay when no
    ``--maintainer`` is given.
    """
    import logging
    from dataclasses import replace

    from reviewbot.impact.drivers import covers
    from reviewbot.model import Severity
    from reviewbot.render.scan_report import Shown

    total = len(findings)
    filters = []
    floor = Severity.INFO if args.all else Severity(args.severity)
    if floor is not Severity.INFO:
        hidden = sum(1 for f in findings if f.severity.rank < floor.rank)
        if hidden:
            # the default hides what does not bite on this tree: say so, and how to see it
            filters.append(f"{hidden} below {floor.value} hidden, --all shows them"
                           if args.severity == "warning" else f"--severity {floor.value}")
        findings = [f for f in findings if f.severity.rank >= floor.rank]
    if args.maintainer:
        filters.append(f"--maintainer {args.maintainer}")
        drivers = tuple(d for d in drivers if covers(d, args.maintainer))
        if not drivers:
            logging.getLogger(__name__).warning(
                "no affected driver is looked after by %s (a MAINTAINERS section title or an "
                "address)", args.maintainer
            )
        sites = {(s.file, s.line, s.rule) for d in drivers for s in d.sites}
        findings = [f for f in findings if (f.file, f.line, f.rule) in sites]
    left = {(f.file, f.line, f.rule) for f in findings}
    drivers = tuple(
        replace(d, sites=kept)
        for d in drivers
        if (kept := tuple(s for s in d.sites if (s.file, s.line, s.rule) in left))
    )
    return findings, drivers, Shown(total, tuple(filters))
