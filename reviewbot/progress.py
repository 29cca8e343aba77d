"""Progress bars for a person at a terminal, and nothing at all on a pipe.

A tree scan inside review or check, or a watcher's catch-up through
pages of search results, can take seconds to minutes; on a terminal rich
draws a transient bar on stderr so the wait says what is happening. On a
pipe, with ``-q`` or ``TERM=dumb`` nothing is drawn: logs and CI output
stay clean.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

Update = Callable[[int, int], None]  # (done, total); total 0: not known yet


def progress_wanted(args: argparse.Namespace | None = None) -> bool:
    """A bar only for a person watching: stderr is a terminal, no -q, not TERM=dumb."""
    return (
        sys.stderr.isatty()
        and not getattr(args, "quiet", False)
        and os.environ.get("TERM") != "dumb"
    )


class Bar:
    """A rich progress bar; a no-op when not enabled.

    Use as a context manager; it gives the ``(done, total)`` callback the
    work reports to (or None when disabled). The bar starts on the first
    report, so work that turns out to need no scan draws nothing.
    """

    def __init__(self, enabled: bool, label: str = "parsing", unit: str = "") -> None:
        self.enabled = enabled
        self.label = label
        self.unit = unit
        self.bar = None

    def __enter__(self) -> Update | None:
        if not self.enabled:
            return None
        task = None

        def update(done: int, total: int) -> None:
            nonlocal task
            if self.bar is None:
                self._start()
                task = self.bar.add_task(self.label, total=total or None)
            self.bar.update(task, completed=done, total=total or None)

        return update

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        columns = [self.label, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
        if self.unit:
            columns[2] = f"{{task.completed}} {self.unit}"
        self.bar = Progress(*columns, transient=True, console=Console(stderr=True))
        self.bar.start()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
