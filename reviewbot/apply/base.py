"""Read files as they are at the base of a series, from git or a plain folder.

Reading from git goes through one ``git cat-file --batch`` process, so the
many small reads of an analysis (touched files, headers next to them) cost
no process start each. Nothing is written to the repository.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Protocol

from reviewbot.errors import InputError


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
        proc = self._batch()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(f"{self.commit}:{path}\n".encode())
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            return None
        data = proc.stdout.read(int(header[2]) + 1)[:-1]
        if self.mode(path) == "120000":
            target = os.path.normpath(os.path.join(os.path.dirname(path), data.decode()))
            if target.startswith("..") or os.path.isabs(data.decode()):
                raise InputError(f"{path}: a symlink pointing outside the tree is refused")
            return self.read(target)
        return data

    def describe(self) -> str:
        return self.commit

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.stdin:
                self._proc.stdin.close()
            self._proc.wait()
            self._proc = None


class PlainBase:
    """Files of a plain source folder, as they are on disk now."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def read(self, path: str) -> bytes | None:
        full = self.root / path
        try:
            real = full.resolve()
        except OSError:
            return None
        if real != self.root and self.root not in real.parents:
            raise InputError(f"{path}: a symlink pointing outside the tree is refused")
        try:
            return real.read_bytes() if real.is_file() else None
        except OSError:
            return None

    def describe(self) -> str:
        # No local path: this text goes into mail sent to a list.
        return "a plain source tree (no git commit)"

    def close(self) -> None:
        pass
