"""The scratch folder patches are applied in: no path ever leads out of it.

A series is hostile input. A patch can create a symlink (``new file mode
120000``), and a later patch can name a file "inside" it: writing or
reading that path naively follows the link to wherever it points, outside
the tree (issue 15). So every path is walked one component at a time from
a descriptor of the scratch folder, each opened with ``O_NOFOLLOW``: a
symlink is never followed, for reading or for writing. A symlink a patch
made is reported as a symlink (its target text), never as the content of
what it points to.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class ScratchError(Exception):
    """A path cannot be used: it is beyond a symlink, or a file stands where a folder must."""


@dataclass(frozen=True)
class Entry:
    """What is at a path: ``kind`` is file, symlink, missing or other (folder, FIFO...)."""

    kind: str
    data: bytes | None = None  # the bytes of a file, the target text of a symlink


class Scratch:
    """Read and write files strictly below ``root``, never through a symlink."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @contextmanager
    def _parent(self, path: str, create: bool) -> Iterator[tuple[int, str]]:
        """A descriptor of the folder holding ``path``, and its last component."""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if not parts or ".." in parts:
            raise ScratchError(f"{path}: not a path inside the tree")
        fd = os.open(self.root, _DIR_FLAGS)
        try:
            for i, part in enumerate(parts[:-1]):
                where = "/".join(parts[: i + 1])
                try:
                    nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(part, 0o755, dir_fd=fd)
                    nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    raise ScratchError(_why(path, where, exc, fd, part)) from None
                os.close(fd)
                fd = nxt
            yield fd, parts[-1]
        finally:
            os.close(fd)

    def write(self, path: str, data: bytes) -> None:
        """Create or replace the regular file ``path`` (its folders too)."""
        with self._parent(path, create=True) as (dirfd, name):
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
            try:
                fd = os.open(name, flags, 0o644, dir_fd=dirfd)
            except OSError as exc:
                raise ScratchError(_why(path, path, exc, dirfd, name)) from None
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)

    def read(self, path: str) -> Entry:
        """What a patch left at ``path``; a symlink is read as a link, not followed."""
        try:
            with self._parent(path, create=False) as (dirfd, name):
                st = os.lstat(name, dir_fd=dirfd)
                if stat.S_ISLNK(st.st_mode):
                    return Entry("symlink", os.fsencode(os.readlink(name, dir_fd=dirfd)))
                if not stat.S_ISREG(st.st_mode):
                    return Entry("other")
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dirfd)
                with os.fdopen(fd, "rb") as fh:
                    return Entry("file", fh.read())
        except FileNotFoundError:
            return Entry("missing")
        except ScratchError:
            return Entry("other")
        except OSError:
            return Entry("other")


def _why(path: str, where: str, exc: OSError, dirfd: int, name: str) -> str:
    """One line for a path that cannot be used, naming the part in the way."""
    try:
        st = os.lstat(name, dir_fd=dirfd)
    except OSError:
        st = None
    if st is not None and stat.S_ISLNK(st.st_mode):
        return f"{path}: beyond a symbolic link ({where}), not followed"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) or (st is not None and stat.S_ISREG(st.st_mode)):
        return f"{path}: {where} is a file, not a folder"
    if exc.errno == errno.EISDIR:
        return f"{path}: is a folder, not a file"
    return f"{path}: {exc.strerror or exc}"
