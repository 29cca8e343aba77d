"""Read files as they are at the base of a series, from git or a plain folder.

Reading from git goes through one ``git cat-file --batch`` process, so the
many small reads of an analysis (touched files, headers next to them) cost
no process start each. Nothing is written to the repository.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
from pathlib import Path
from typing import Protocol

from reviewbot.errors import InputError
from reviewbot.model import PLAIN_TREE
from reviewbot.treepaths import OutsideTree, TreeFiles


class BaseTree(Protocol):
    """The tree a series applies to; ``describe`` is what the output says."""

    root: Path

    def read(self, path: str) -> bytes | None: ...

    def describe(self) -> str: ...

    def close(self) -> None: ...


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)


def is_git_repo(path: Path) -> bool:
    proc = _git(path, "rev-parse", "--show-toplevel")
    return proc.returncode == 0 and Path(proc.stdout.decode().strip()).resolve() == path.resolve()


def resolve_commit(repo: Path, rev: str) -> str | None:
    proc = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


_MAX_LINKS = 40  # as the kernel's ELOOP limit


class GitBase:
    """Files at one commit of a git repository."""

    def __init__(self, repo: Path, commit: str) -> None:
        self.root = repo
        self.commit = commit
        self._proc: subprocess.Popen[bytes] | None = None
        self._modes: dict[str, str] = {}

    def _batch(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "-C", str(self.root), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        return self._proc

    def mode(self, path: str) -> str | None:
        if path not in self._modes:
            out = _git(self.root, "ls-tree", self.commit, "--", path).stdout.decode()
            self._modes[path] = out.split(" ", 1)[0] if out else ""
        return self._modes[path] or None

    def read(self, path: str) -> bytes | None:
        """The blob at ``path``, or None (no such path, a folder, a submodule).

        Every answer of ``cat-file --batch`` is consumed whole, whatever its
        type: a diff naming a folder gets a ``tree`` object back, and leaving
        it in the pipe would hand its bytes to the next read (a wrong "does
        not apply") and deadlock ``close`` on a full pipe.
        """
        return self._read(path, path, 0)

    def _read(self, path: str, asked: str, depth: int) -> bytes | None:
        if not path or any(c in path for c in "\n\r\0"):
            return None  # one line per request: such a name would desync the stream
        kind, data = self._object(f"{self.commit}:{path}")
        if kind != "blob" or data is None:
            return None
        if self.mode(path) == "120000":
            text = data.decode(errors="replace")
            target = os.path.normpath(os.path.join(os.path.dirname(path), text))
            if target.startswith("..") or os.path.isabs(text):
                raise InputError(f"{path}: a symlink pointing outside the tree is refused")
            if depth >= _MAX_LINKS:
                raise InputError(f"{asked}: too many levels of symbolic links in the tree")
            return self._read(target, asked, depth + 1)
        return data

    def _object(self, spec: str) -> tuple[str, bytes | None]:
        """(type, content) of one object; ("missing", None) when there is none."""
        proc = self._batch()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(spec.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline()
        if not header.endswith(b"\n"):
            self.close()
            raise InputError(f"{self.root}: git cat-file stopped answering")
        fields = header.split()
        if len(fields) != 3 or not fields[2].isdigit():
            return (fields[1].decode(errors="replace") if len(fields) == 2 else "missing"), None
        size = int(fields[2])
        data = _read_exactly(proc.stdout, size + 1)  # the content and its newline
        if len(data) != size + 1:
            self.close()
            raise InputError(f"{self.root}: git cat-file stopped answering")
        return fields[1].decode(), data[:-1]

    def describe(self) -> str:
        return self.commit

    def close(self) -> None:
        """End the batch process; closing its stdout first so a pending answer cannot block it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _read_exactly(stream, n: int) -> bytes:
    chunks = []
    while n > 0:
        chunk = stream.read(n)
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class PlainBase:
    """Files of a plain source folder, as they are on disk now."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._files = TreeFiles(self.root)  # each folder resolved once

    def read(self, path: str) -> bytes | None:
        rel = posixpath.normpath(path)
        if rel.startswith(("/", "../")) or rel == "..":
            raise InputError(f"{path}: a path leaving the tree is refused")
        try:
            where = self._files.locate(rel)
        except OutsideTree:
            raise InputError(f"{path}: a symlink pointing outside the tree is refused") from None
        if where is None:
            return None
        try:
            with open(where, "rb") as f:
                return f.read()
        except OSError as exc:  # mode 000, an I/O error: not "no such file" (issue 26)
            raise InputError(f"{self.root / path}: cannot read ({exc.strerror or exc})") from None

    def describe(self) -> str:
        # No local path: this text goes into mail sent to a list.
        return PLAIN_TREE

    def close(self) -> None:
        pass
