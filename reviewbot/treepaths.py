"""Files of a source tree by tree-relative path, never one outside it.

Every stage that reads a tree file by name (apply's plain base, the tree
profile, the scan's workers reading headers and Kconfig) asks ``TreeFiles``.
A symlink on the way that leads out of the tree is ``OutsideTree``: a
review refuses it, a scan reads it as absent. Folders are resolved once
each, one ``lstat`` per new folder, by a loop (a tree may nest 1,100 folders,
issue 26): a review reads 1,700 Kconfig files, and resolving every path
whole cost more than reading them.
"""

from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path


class OutsideTree(Exception):
    """``path`` (tree-relative) resolves, through a symlink, to a place outside the tree."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class TreeFiles:
    """The regular files under ``root``, located by tree-relative path."""

    def __init__(self, root: Path | str) -> None:
        self.base = os.path.realpath(root)
        # tree-relative folder -> its real path (inside the tree); a folder that could
        # not be looked at is not remembered: it may appear later
        self._folders: dict[str, str] = {"": self.base}

    def _inside(self, real: str) -> bool:
        return real == self.base or real.startswith(self.base + os.sep)

    def _real(self, rel: str, where: str) -> str:
        """``where`` (``rel`` in the tree) with its symlinks followed; OutsideTree when
        that leaves the tree."""
        real = os.path.realpath(where)
        if not self._inside(real):
            raise OutsideTree(rel)
        return real

    def _folder(self, rel: str) -> str | None:
        todo = []  # down from the deepest folder known, one level at a time
        here = rel
        while here not in self._folders:
            here, name = posixpath.split(here)
            todo.append(name)
        up = self._folders[here]
        for name in reversed(todo):
            if name in ("", ".", ".."):
                return None
            where = os.path.join(up, name)
            here = posixpath.join(here, name) if here else name
            try:
                if stat.S_ISLNK(os.lstat(where).st_mode):
                    where = self._real(here, where)
            except OSError:
                return None
            up = self._folders[here] = where
        return up

    def locate(self, rel: str) -> str | None:
        """The real path of the regular file ``rel``; None when there is none (absent, a
        folder, a FIFO, a dangling link, a loop); OutsideTree when a symlink on the way
        leads out of the tree."""
        head, name = posixpath.split(rel)
        folder = self._folder(head)
        if folder is None or name in ("", ".", ".."):
            return None
        where = os.path.join(folder, name)
        try:
            mode = os.lstat(where).st_mode
            if stat.S_ISLNK(mode):
                where = self._real(rel, where)
                mode = os.stat(where).st_mode
        except OSError:
            return None
        return where if stat.S_ISREG(mode) else None
