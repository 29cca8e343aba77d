"""What review, check and scan share: sources, the tree rule, the scan cache, progress.

Kept here so the three commands answer the same questions the same way:
which tree (``kerneltree.choose_tree``), which cache, and whether to draw
a progress bar (on a terminal only, never on a pipe or with ``-q``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from reviewbot.errors import InputError


def add_cache_arguments(p: argparse.ArgumentParser, *, no_cache: bool = True) -> None:
    """``--cache-dir`` (and ``--no-cache``) for every command that may scan a tree."""
    p.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="tree-scan cache (default: ~/.cache/reviewbot/scan)",
    )
    if no_cache:
        p.add_argument(
            "--no-cache", action="store_true", help="neither read nor write the scan cache"
        )


def scan_cache_dir(args: argparse.Namespace, settings) -> Path | None:
    if getattr(args, "no_cache", False):
        return None
    return args.cache_dir or settings.cache_dir / "scan"


def classify_sources(sources: list[str], repo: Path | None) -> set[str]:
    """The kinds of ``sources`` (intake.classify), with a hint for a lone commit."""
    from reviewbot.intake import classify

    kinds = set()
    for source in sources:
        try:
            kinds.add(classify(source))
        except InputError:
            hint = commit_hint(source, repo or Path.cwd())
            if hint:
                raise InputError(f"{source}: {hint}") from None
            raise
    return kinds


def commit_hint(spec: str, repo: Path) -> str | None:
    """For a source that names one commit: the ranges the user probably meant."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"],
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return (
        f"one commit, not a range: give {spec}^..{spec} for that commit alone, "
        f"or {spec}..HEAD for the commits after it"
    )


def progress_wanted(args: argparse.Namespace) -> bool:
    """A bar only for a person watching: stderr is a terminal, no -q, not TERM=dumb."""
    return (
        sys.stderr.isatty()
        and not getattr(args, "quiet", False)
        and os.environ.get("TERM") != "dumb"
    )


class ScanProgress:
    """A rich progress bar for a tree scan; a no-op when not wanted.

    Use as a context manager; the value it gives is the ``progress``
    callback ``scan_tree`` takes (or None).
    """

    def __init__(self, enabled: bool, label: str = "parsing") -> None:
        self.enabled = enabled
        self.label = label
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if self.bar is None:  # started on the first file: no flash when nothing is scanned
                self._start()
                task = self.bar.add_task(self.label, total=total)
            self.bar.update(task, completed=done, total=total)

        return update

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.bar = Progress(
            self.label,
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
            console=Console(stderr=True),
        )
        self.bar.start()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
