"""What a kernel tree is, and which one a command uses.

A wrong ``--tree`` used to cost a silent tree-wide scan and hundreds of
bogus "affected drivers", or "patch N does not apply" for every patch.
Checking four landmarks first costs a few ``stat`` calls, so a folder
that is not a kernel tree is refused at once with the reason.

Where the tree comes from is one rule for every command and every source:
``--tree``, else config ``tree.path``, else the kernel tree the current
directory is in; ``--no-tree`` opts out. A message-id or lore URL reviewed
from inside a kernel tree uses that tree like a local mbox does (at the
series' base-commit when the repository has it): reviewed from its hunks
alone it found one error where the tree showed three (issue 25).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reviewbot.errors import UsageError

# Landmarks every kernel tree since 2.6 has. examples/tree carries them too.
_VERSION_RE = re.compile(rb"^(VERSION|KERNELVERSION)\s*:?=", re.M)


def kernel_tree_problem(path: Path) -> str | None:
    """Why ``path`` is not a kernel tree, or None when it is one."""
    if not path.exists():
        return "no such directory"
    if not path.is_dir():
        return "not a directory"
    missing = [name for name in ("MAINTAINERS", "arch/", "include/linux/") if not _has(path, name)]
    makefile = _read_head(path / "Makefile")
    if makefile is None or not _VERSION_RE.search(makefile):
        missing.append("a top-level Makefile with VERSION =")
    if missing:
        return "not a kernel tree (missing: " + ", ".join(missing) + ")"
    return None


def _has(root: Path, name: str) -> bool:
    target = root / name.rstrip("/")
    return target.is_dir() if name.endswith("/") else target.is_file()


def _read_head(path: Path, limit: int = 4096) -> bytes | None:
    try:
        with path.open("rb") as f:
            return f.read(limit)
    except OSError:
        return None


def check_kernel_tree(path: Path, what: str = "--tree") -> Path:
    """``path`` when it is a kernel tree; else a one-line UsageError naming it and why."""
    problem = kernel_tree_problem(path)
    if problem:
        raise UsageError(f"{what} {path}: {problem}")
    return path


def enclosing_kernel_tree(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that is a kernel tree."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "MAINTAINERS").is_file() and kernel_tree_problem(folder) is None:
            return folder
    return None


@dataclass(frozen=True)
class TreeChoice:
    """The tree a command works on and where that choice came from (said in the output)."""

    path: Path | None
    # "--tree", "config tree.path", "the current directory", "--no-tree" or "none"
    origin: str

    def describe(self) -> str:
        if self.path is None:
            why = "--no-tree: " if self.origin == "--no-tree" else ""
            return f"none ({why}reviewed from the patches alone)"
        return f"{self.path} (from {self.origin})"


def choose_tree(
    given: Path | None,
    configured: Path | None,
    cwd: Path | None = None,
    no_tree: bool = False,
) -> TreeChoice:
    """Apply the one rule: --tree, else config tree.path, else the enclosing kernel tree.

    Whatever the source: a message-id reviewed inside a kernel tree is
    reviewed on that tree, as an mbox of the same mail is. ``no_tree``
    (``--no-tree``) uses none.
    """
    if no_tree:
        return TreeChoice(None, "--no-tree")
    if given is not None:
        return TreeChoice(check_kernel_tree(given, "--tree"), "--tree")
    if configured is not None:
        path = configured.expanduser()  # a config file says ~/linux, a shell would expand it
        return TreeChoice(check_kernel_tree(path, "config tree.path"), "config tree.path")
    found = enclosing_kernel_tree(cwd or Path.cwd())
    if found is not None:
        return TreeChoice(found, "the current directory")
    return TreeChoice(None, "none")
