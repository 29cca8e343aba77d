"""The whole outcome of the last scan of a tree, kept in the scan cache (``Snapshot``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from reviewbot.model import Finding, Unanalysed
from reviewbot.scan.cache import ScanCache
from reviewbot.scan.files import file_stat
from reviewbot.scan.records import finding_from_dict, finding_to_dict

SNAPSHOT = "scan-snapshot"


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
                 stats: dict[str, tuple[int, int]], refused: list[Unanalysed]) -> None:
        self.stats = stats
        digest = hashlib.sha1(f"{engine}\0{subpaths}\0{sorted(skip)}\0".encode())
        digest.update(repr(sorted((u.file, u.reason) for u in refused)).encode())
        digest.update("\n".join(f"{p}\t{m}\t{n}" for p, (m, n) in stats.items()).encode())
        self.key = digest.hexdigest()

    def load(self, cache: ScanCache, prefix: str
             ) -> tuple[list[Finding], tuple[Unanalysed, ...], int, int] | None:
        memo = cache.memo(SNAPSHOT, "", self.key)
        if memo is None:
            return None
        try:
            for path, mtime, size in memo["extra"]:
                if (file_stat(prefix + path) or (None, None)) != (mtime, size):
                    return None
            findings = [finding_from_dict(d, d["file"]) for d in memo["findings"]]
            unanalysed = tuple(Unanalysed(f, why) for f, why in memo["unanalysed"])
            return findings, unanalysed, int(memo["candidates"]), int(memo["cached"])
        except (KeyError, TypeError, ValueError):
            return None  # a damaged memo: the per-file cache answers

    def store(self, cache: ScanCache, findings: list[Finding],
              unanalysed: dict[str, Unanalysed], candidates: int, cached: int,
              extra: dict[str, tuple[int, int] | tuple[None, None]], started_ns: int) -> None:
        recent = started_ns - 1_000_000_000
        if any(m >= recent for m, _n in self.stats.values()) or \
                any(m is not None and m >= recent for m, _n in extra.values()):
            return
        cache.store_memo(SNAPSHOT, "", self.key, {
            "findings": [finding_to_dict(f) for f in findings],
            "unanalysed": [[u.file, u.reason] for u in
                           (unanalysed[p] for p in sorted(unanalysed))],
            "candidates": candidates, "cached": cached,
            "extra": [[p, m, n] for p, (m, n) in sorted(extra.items())],
        })
