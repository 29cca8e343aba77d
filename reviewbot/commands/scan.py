"""``reviewbot scan PATH [SUBPATH...]``: which drivers of a tree depend on kmalloc alignment."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HELP = "analyse every C file of a tree and list the affected drivers"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path, metavar="PATH", help="kernel tree")
    p.add_argument("subpaths", nargs="*", metavar="SUBPATH", help="parts of it (default: all)")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.add_argument(
        "--jobs", "-j", type=int, metavar="N", help="worker processes (default: all cores)"
    )
    p.add_argument("--cache-dir", type=Path, metavar="DIR", help="scan cache (default: user cache)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    p.add_argument(
        "--min-confidence",
        choices=("low", "medium", "high"),
        default="medium",
        help="hide findings below this confidence (default: medium; low adds guesses)",
    )


def run(args: argparse.Namespace) -> int:
    from reviewbot.errors import UsageError
    from reviewbot.impact.drivers import DriverIndex, sites_of
    from reviewbot.knowledge import load_knowledge
    from reviewbot.model import Confidence
    from reviewbot.render import scan_report
    from reviewbot.scan import scan_tree
    from reviewbot.settings import load_settings

    root: Path = args.path
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    for sub in args.subpaths:
        if not (root / sub).exists() or ".." in Path(sub).parts:
            raise UsageError(f"{sub}: no such file or directory under {root}")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    settings = load_settings(args.config)
    cache_dir = None if args.no_cache else (args.cache_dir or settings.cache_dir / "scan")
    knowledge = load_knowledge()
    with _progress(enabled=sys.stderr.isatty() and not args.quiet) as progress:
        result = scan_tree(root, knowledge, args.subpaths, args.jobs, cache_dir, progress)
    floor = Confidence(args.min_confidence)
    findings = [f for f in result.findings if f.confidence >= floor]

    def read(path: str) -> str | None:
        try:
            return (root / path).read_text(errors="replace")
        except OSError:
            return None

    drivers = DriverIndex(read, lambda p: (root / p).is_dir()).group(sites_of(findings))
    out = {
        "text": scan_report.text,
        "json": scan_report.json_text,
        "markdown": scan_report.markdown,
    }[args.format](findings, drivers, result.stats)
    sys.stdout.write(out)
    return 0


class _progress:
    """A rich progress bar on a terminal; nothing when output is piped."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and os.environ.get("TERM") != "dumb"
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.bar = Progress(
            "parsing", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
        )
        self.bar.start()
        task = self.bar.add_task("scan", total=None)

        def update(done: int, total: int) -> None:
            self.bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
