"""How the tree profile reads a tree: a ``Reader`` of its files, and its architectures.

Apart from the profile's readers (profile.py and the modules it parses with) so
that judging on a kept profile (a warm rescan, scan/tree_memo.py) imports none
of them: 20 ms of a 0.5 s rescan.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reviewbot.treepaths import OutsideTree, TreeFiles

Reader = Callable[[str], "str | None"]  # tree-relative path -> text, None if absent


def directory_reader(root: Path) -> Reader:
    """A reader of the tree at ``root``: a path leaving the tree (a symlink out), and a
    file that cannot be read (mode 000), read None, as if absent.

    Folders are resolved once each (``treepaths.TreeFiles``): a profile reads ~350
    paths, and ``Path.resolve`` per path cost more than the reading.
    """
    files = TreeFiles(root)

    def read(rel: str) -> str | None:
        try:
            where = files.locate(rel)
            if where is None:
                return None
            with open(where, encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except (OutsideTree, OSError):
            return None
    return read


def tree_arches(root: Path) -> tuple[str, ...]:
    """The architectures of the tree at ``root``: the folders of ``arch/``."""
    arch = root / "arch"
    try:
        return tuple(sorted(p.name for p in arch.iterdir() if p.is_dir()))
    except OSError:
        return ()
