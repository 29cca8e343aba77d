"""The whole outcome of the last scan of a tree, kept in the scan cache (``Snapshot``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from reviewbot.model import Finding, Unanalysed
from reviewbot.scan.cache import ScanCache
from reviewbot.scan.records import finding_from_dict, finding_to_dict
from reviewbot.treewalk import Walked, file_stat

SNAPSHOT = "scan-snapshot"


@dataclass(frozen=True)
class Kept:
    """A snapshot as stored: its key, the findings before judgement, the files not
    analysed, and the scan's counts (candidates, answered from the cache)."""
    key: str
    findings: list[Finding]
    unanalysed: tuple[Unanalysed, ...]
    candidates: int
    cached: int


def read_kept(cache: ScanCache, prefix: str) -> Kept | None:
    """The snapshot kept for this tree whatever its key, decoded, and None if the files
    outside the walk it depends on changed. Read by the scan while a forked process
    walks its part of the tree (``walk_stat``'s ``meanwhile``), before the key is
    known: decoding 1,600 findings takes about as long as this process would wait."""
    got = cache.latest_memo(SNAPSHOT, "")
    return None if got is None else _decoded(got[0], got[1], prefix)


def _decoded(key: str, memo: dict, prefix: str) -> Kept | None:
    try:
        for path, mtime, size in memo["extra"]:
            if (file_stat(prefix + path) or (None, None)) != (mtime, size):
                return None
        findings = [finding_from_dict(d, d["file"]) for d in memo["findings"]]
        unanalysed = tuple(Unanalysed(f, why) for f, why in memo["unanalysed"])
        return Kept(key, findings, unanalysed, int(memo["candidates"]), int(memo["cached"]))
    except (KeyError, TypeError, ValueError):
        return None  # a damaged memo: the per-file cache answers


class Snapshot:
    """The whole outcome of the last scan of a tree, kept under the stat of every file.

    A warm rescan of an unchanged tree used to read the stat table and every stored
    result (55,000 rows and 2,700 JSON texts on Linux 6.1) to learn that nothing
    changed. The snapshot is one memo keyed by a digest of what the walk saw (every
    path with its (mtime, size), the folders refused) and of the engine; it holds the
    findings before judgement, so every ``--assume`` shares it, and the stat of the
    files outside the walk the findings depend on (Kconfig, Makefiles, headers of
    another folder), checked before it is used. Any other change misses it and the
    per-file cache answers as before. A scan during which a file changed (an mtime
    at or after its start, less a second for coarse clocks) stores none.
    """

    def __init__(self, engine: str, subpaths: list[str], skip: Iterable[str],
                 walked: Walked) -> None:
        self.walked = walked
        digest = hashlib.sha1(f"{engine}\0{subpaths}\0{sorted(skip)}\0".encode())
        digest.update(repr(sorted((u.file, u.reason) for u in walked.refused)).encode())
        digest.update(walked.digest.encode())
        self.key = digest.hexdigest()

    def load(self, cache: ScanCache, prefix: str, early: Kept | None = None,
             read_early: bool = False) -> Kept | None:
        """The kept outcome if it was stored under this key; None otherwise. ``early``: what
        ``read_kept`` gave while the walk ran (``read_early``), so no second read."""
        if read_early:
            return early if early is not None and early.key == self.key else None
        memo = cache.memo(SNAPSHOT, "", self.key)
        return None if memo is None else _decoded(self.key, memo, prefix)

    def store(self, cache: ScanCache, findings: list[Finding],
              unanalysed: dict[str, Unanalysed], candidates: int, cached: int,
              extra: dict[str, tuple[int, int] | tuple[None, None]], started_ns: int) -> None:
        recent = started_ns - 1_000_000_000
        if not self.walked.exact or any(m >= recent for m, _n in self.walked.stats().values()) or \
                any(m is not None and m >= recent for m, _n in extra.values()):
            return
        cache.store_memo(SNAPSHOT, "", self.key, {
            "findings": [finding_to_dict(f) for f in findings],
            "unanalysed": [[u.file, u.reason] for u in
                           (unanalysed[p] for p in sorted(unanalysed))],
            "candidates": candidates, "cached": cached,
            "extra": [[p, m, n] for p, (m, n) in sorted(extra.items())],
        })
