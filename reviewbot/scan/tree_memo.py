"""Facts read from a tree's own files, kept in the scan cache between runs.

Two facts are read from many files of a tree and asked for by every run: the
Kconfig walk (where a driver can be built: every Kconfig file, 1,700 on Linux
6.1, about a second) and the tree profile (what kmalloc and the DMA API
guarantee per architecture: ~350 files, 0.15 s). They were most of a ``review
--tree`` of a small driver series and a sixth of a warm rescan. Each is stored
as one memo per tree (``ScanCache.memo``) with the files it was read from. For a
git base the key is the commit, which never changes; for a plain folder it is
the (mtime, size) of each of those files, checked before the memo is trusted
(one stat each, a few milliseconds). A memo whose files changed while they were
read is not stored (an mtime at or after the reading began: git's "racy" rule).
The engine identity is the reviewbot version and the code that reads the
files, so an edited reader never serves an old answer.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reviewbot import __version__
from reviewbot.analysis.facts.profile_model import TreeProfile
from reviewbot.analysis.facts.tree_reader import Reader
from reviewbot.scan.cache import ScanCache

if TYPE_CHECKING:
    from reviewbot.analysis.facts.kconfig import KconfigWalk

KCONFIG = "kconfig-walk"
PROFILE = "tree-profile"


def engine(modules: Sequence[str]) -> str:
    """The identity of a memo's reader: the version and the source of ``modules`` (names
    in analysis/facts), read from their files: a kept memo is used without importing
    the readers it spares."""
    facts = Path(__file__).resolve().parent.parent / "analysis" / "facts"
    digest = hashlib.sha1(__version__.encode())
    for module in modules:
        digest.update((facts / f"{module}.py").read_bytes())
    return digest.hexdigest()[:16]


def _stamp(root: Path, path: str) -> list[int]:
    try:
        st = os.stat(root / path)
    except OSError:
        return [-1, -1]
    return [st.st_mtime_ns, st.st_size]


def load(cache: ScanCache, kind: str, code: str, root: Path, commit: str | None
         ) -> object | None:
    """The data stored for the tree at ``root`` (at ``commit`` for a git base, else the
    folder as it is now), or None when there is none or one of its files has changed."""
    memo = cache.memo(kind, code, commit or "folder")
    if memo is None or "data" not in memo:
        return None
    if commit is None:
        files, stamps = memo.get("files"), memo.get("stamps")
        if not isinstance(files, list) or not isinstance(stamps, list) or \
                len(files) != len(stamps) or not all(isinstance(f, str) for f in files):
            return None
        if any(_stamp(root, path) != stamp for path, stamp in zip(files, stamps, strict=True)):
            return None
    return memo["data"]


def store(cache: ScanCache, kind: str, code: str, root: Path, commit: str | None,
          data: object, files: Sequence[str], started_ns: int) -> None:
    """Keep ``data``, read from ``files`` of the tree from ``started_ns`` (wall clock) on."""
    value: dict[str, object] = {"data": data}
    if commit is None:
        stamps = [_stamp(root, path) for path in files]
        if any(mtime >= started_ns for mtime, _size in stamps):
            return  # a file changed while it was read: the data may not be what is there
        value["files"], value["stamps"] = list(files), stamps
    cache.store_memo(kind, code, commit or "folder", value)


def tree_profile(cache: ScanCache | None, root: Path, commit: str | None,
                 read: Reader, arches: Sequence[str] | None) -> TreeProfile:
    """The profile of the tree ``read`` reads (the tree at ``root``, at ``commit`` for a
    git base), from the cache when its files are unchanged; read and kept otherwise."""
    from reviewbot.analysis.facts.profile_store import as_dict, from_dict
    from reviewbot.errors import ConfigError
    from reviewbot.tomlcheck import Checker

    code = engine(["profile", "profile_arch", "profile_cpp", "profile_kconfig", "tree_reader"])
    kind = f"{PROFILE}:{','.join(arches) if arches is not None else '*'}"
    started = time.time_ns()
    if cache is not None:
        data = load(cache, kind, code, root, commit)
        if data is not None:
            try:
                return from_dict(data, Checker(cache.path))
            except ConfigError:
                pass  # a damaged memo: read the tree again
    from reviewbot.analysis.facts.profile import read_profile

    profile = read_profile(read, arches)
    if cache is not None:
        store(cache, kind, code, root, commit, as_dict(profile), profile.files, started)
    return profile


class KconfigMemo:
    """The Kconfig walk of the tree at ``root`` (``commit`` for a git base) from the cache,
    and ``keep`` to store one made this run."""

    def __init__(self, cache: ScanCache, root: Path, commit: str | None) -> None:
        self.cache, self.root, self.commit = cache, root, commit
        self.code = engine(["kconfig", "kexpr"])
        self.started = time.time_ns()
        self._walk: KconfigWalk | None = None
        self._read = False

    @property
    def walk(self) -> KconfigWalk | None:
        """The kept walk, read from the cache on first use (1.2 MB of JSON on 6.1)."""
        if not self._read:
            from reviewbot.analysis.facts.kconfig import KconfigWalk

            self._read = True
            data = load(self.cache, KCONFIG, self.code, self.root, self.commit)
            self._walk = KconfigWalk.from_json(data) if data is not None else None
        return self._walk

    def keep(self, walk: KconfigWalk | None) -> None:
        if walk is not None:
            store(self.cache, KCONFIG, self.code, self.root, self.commit, walk.to_json(),
                  walk.files, self.started)
