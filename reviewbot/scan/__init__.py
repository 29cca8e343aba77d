"""Scan: every C file of a tree through the analysis, as if newly written.

The work is split so each part costs what it must: a walk and ``stat`` of
the tree, a sink-name prefilter (grep on a cold tree), and tree-sitter
analysis only for files that name a sink, in a process pool. Results are
cached by content, so a rescan re-parses only what changed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reviewbot.knowledge import Knowledge
from reviewbot.limits import default_limits
from reviewbot.model import Finding, ScanStats, Unanalysed
from reviewbot.scan.cache import code_digest, open_cache
from reviewbot.scan.files import (
    GrepStream,
    check_subpaths,
    grep_filter,
    mentions_any,
    read_error,
    sink_tokens,
)
from reviewbot.scan.kconfig_share import KconfigShare
from reviewbot.scan.records import finding_from_dict, record_dict
from reviewbot.scan.snapshot import Kept, Snapshot, read_kept
from reviewbot.scan.workers import (
    Outcome,
    Parsing,
    analyse_file,
    init_worker,
    start_pool,
)
from reviewbot.treewalk import DriversWalk, file_stat, walk_stat

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from reviewbot.analysis.rules.exposure import TreeFacts

__all__ = ["ScanResult", "ScanStats", "scan_tree"]

logger = logging.getLogger(__name__)

_EARLY_POOL = 2000  # new files in a scan that start the workers before the prefilter

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    stats: ScanStats
    # files whose findings are missing (over a parse limit, unreadable, a link out of
    # the tree): listed in every format, never taken for clean
    unanalysed: tuple[Unanalysed, ...] = ()


def _engine_id(knowledge: Knowledge, parse_work: int) -> str:
    """What the cached findings depend on: version, knowledge and the analysis code.

    Hashing the analysis sources (a few dozen small files) means an edited
    rule never serves stale findings from the cache, release or not. The
    parse limits (``parse_work``, and the fixed ones in limits.py) decide
    which files are stored as not analysed, so they count too.
    """
    # found by path, not imported: a warm rescan never needs tree-sitter
    package = Path(__file__).resolve().parent.parent
    analysis = package / "analysis"
    sources = sorted(analysis.rglob("*.py"))  # rules may live in a subpackage
    code = code_digest([Path(knowledge.path), *sources, package / "limits.py"], analysis)
    # findings are cached as the rules see them, before a tree judges them: one cache
    # serves every --assume and the impact's before/after judgement
    return hashlib.sha1(f"{code} parse_work={parse_work}".encode()).hexdigest()[:16]


def scan_tree(
    root: Path,
    knowledge: Knowledge,
    subpaths: Iterable[str] = (),
    jobs: int | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    parse_work: int | None = None,
    tree: TreeFacts | None = None,
    drivers: DriversWalk | None = None,
) -> ScanResult:
    """Analyse every C file under ``root`` (or ``subpaths`` of it).

    A warm rescan costs a walk with one ``stat`` per file and one read of
    the cache: a file whose (mtime, size) is as recorded, and whose headers,
    Kconfig and Makefiles are too, keeps its findings without being opened;
    only a changed stat costs a read and a hash (and a parse if the content
    is new or what it depends on changed). ``parse_work`` is ``limits.parse_work``
    (the bundled default when None). ``tree`` is what the tree's profile says each
    architecture does (rules/exposure.py), which decides each finding's verdict and
    severity; None judges as if there were no tree. ``drivers``: the walk of
    part of the tree a front end started before it got here (``treewalk.DriversWalk``); this
    scan lets it end, whatever happens, and the caller reaps it (``close``) when its
    output is out.
    """
    try:
        return _scan_tree(root, knowledge, list(subpaths), jobs, cache_dir, progress,
                          parse_work, tree, drivers)
    finally:
        if drivers is not None:
            drivers.release()


def _scan_tree(root: Path, knowledge: Knowledge, subpaths: list[str], jobs: int | None,
               cache_dir: Path | None, progress: Progress | None, parse_work: int | None,
               tree: TreeFacts | None, drivers: DriversWalk | None) -> ScanResult:
    start = time.monotonic()
    started_ns = min(time.time_ns(), drivers.started_ns) if drivers else time.time_ns()
    check_subpaths(root, subpaths)
    root = root.resolve()
    base = str(root)
    parse_work = parse_work or default_limits().parse_work
    engine = _engine_id(knowledge, parse_work)
    cache = open_cache(cache_dir, root, engine) if cache_dir else None
    workers = max(1, jobs or os.cpu_count() or 1)
    early: ProcessPoolExecutor | None = None
    kconfig = KconfigShare(cache, root, knowledge)
    closing: list[Callable[[], None]] = []
    try:
        prefix = base + os.sep
        # the last snapshot, and its findings judged and sorted, made while the other
        # process still walks (when one does and this one is done first)
        kept_early: list[Kept | None] = []
        ready: list[list[Finding]] = []

        def read_early() -> None:
            if cache is not None:
                kept_early.append(got := read_kept(cache, prefix))
                if got is not None:
                    ready.append(_judged_and_sorted(got.findings, tree))

        walked = walk_stat(root, subpaths, knowledge.skip_dirs, workers,
                           meanwhile=read_early, drivers=drivers)
        closing.append(walked.close)
        unanalysed: dict[str, Unanalysed] = {u.file: u for u in walked.refused}
        tokens = sink_tokens(knowledge)
        snapshot = Snapshot(engine, subpaths, knowledge.skip_dirs, walked)
        hit = snapshot.load(cache, prefix, kept_early[0] if kept_early else None,
                            bool(kept_early)) if cache is not None else None
        if cache is not None and hit is not None:
            cache.close()
            kept = ready[0] if ready else _judged_and_sorted(hit.findings, tree)
            unanalysed_list = hit.unanalysed
            candidates, cached_files = hit.candidates, hit.cached
            return ScanResult(tuple(kept),
                              ScanStats(walked.files, candidates, 0,
                                        round(time.monotonic() - start, 2), cached_files),
                              unanalysed_list)
        stats = walked.stats()
        known = cache.known_files() if cache else {}
        unchanged = {p for p, st in stats.items() if p in known and known[p][:2] == st}
        fresh = [p for p in stats if p not in unchanged]
        stream: GrepStream | None = None
        if workers > 1 and len(fresh) > _EARLY_POOL:
            # thousands of new files will need parsing: start the workers now, and hand
            # them each file grep finds as it finds it (biggest first), while this
            # process walks the Kconfig files once for all of them (never for a warm
            # rescan or a small tree, which may not need the workers at all)
            early = start_pool(workers, knowledge, parse_work, kconfig.path)
            stream = GrepStream(root, sorted(fresh, key=lambda p: -stats[p][1]), tokens,
                                jobs or os.cpu_count() or 1)
            kconfig.ready()
            relevant_fresh: set[str] | None = set()
        else:
            # which of the changed or new files name a sink; while grep reads them, this
            # process walks the Kconfig files once for every worker
            relevant_fresh = kconfig.walking_while(
                lambda: grep_filter(root, fresh, tokens, jobs or os.cpu_count() or 1)) \
                if len(fresh) > 200 else None
        btoks = [t.encode() for t in tokens]
        if relevant_fresh is None:
            relevant_fresh = set()
            for p in fresh:
                data = _read(base, p, unanalysed)
                # an unreadable file goes to the workers, which say why it was not analysed
                if data is None or mentions_any(data, btoks):
                    relevant_fresh.add(p)

        findings: list[Finding] = []
        to_parse: list[str] = []
        file_rows: list[tuple[str, int, int, str | None, bool]] = []
        stored = cache.results() if cache else {}
        deps = _DepStats(prefix, stats)
        from_cache = 0
        parsing = Parsing(early, base) if stream is not None else None
        for p in sorted(unchanged):
            _m, _s, sha, relevant = known[p]
            if not relevant:
                continue
            cached = deps.usable(stored.get(_result_key(sha, p))) if sha else None
            if cached is None:
                to_parse.append(p)
            else:
                from_cache += 1
                _take(cached, p, findings, unanalysed)

        def fresh_relevant(p: str) -> None:
            nonlocal from_cache
            mtime, size = stats[p]
            # content-keyed reuse: changed stat, but content seen before (a revert, a copy);
            # an empty cache (a cold scan) has nothing to reuse: the workers read and hash
            # the file anyway (2,667 reads and hashes here were 0.3 s of a cold scan's CPU)
            cached = None
            data = _read(base, p, unanalysed) if cache and stored else None
            if data is not None:
                sha = hashlib.sha1(data).hexdigest()
                cached = deps.usable(stored.get(_result_key(sha, p)))
            if cached is None:
                if parsing is not None:
                    parsing.add(p)
                else:
                    to_parse.append(p)
            else:
                from_cache += 1
                file_rows.append((p, mtime, size, sha, True))
                _take(cached, p, findings, unanalysed)

        if stream is not None:
            assert parsing is not None
            for p in to_parse:
                parsing.add(p)
            to_parse = []
            wanted = set(fresh)
            for p in stream:
                if p in wanted and p not in relevant_fresh:
                    relevant_fresh.add(p)
                    fresh_relevant(p)
            if not stream.ok:  # grep failed: the files it did not name are tested here
                for p in fresh:
                    if p not in relevant_fresh:
                        data = _read(base, p, unanalysed)
                        if data is None or mentions_any(data, btoks):
                            relevant_fresh.add(p)
                            fresh_relevant(p)
        for p in fresh:
            if p not in relevant_fresh:
                mtime, size = stats[p]
                file_rows.append((p, mtime, size, None, False))
            elif stream is None:
                fresh_relevant(p)
        if parsing is not None and cache is not None:
            # the 49,000 rows of files without a sink are written while the workers parse,
            # not after them (half a second at the end of a cold scan)
            cache.store(file_rows, {}, forget=[])
            file_rows = []

        results: dict[str, dict] = {}
        parsed = 0
        unreadable = False  # a file to try again next time: no snapshot may answer for it
        if to_parse or parsing is not None:
            # biggest first keeps the pool busy to the end
            to_parse.sort(key=lambda p: -stats[p][1])
            done = 0
            outcomes: Iterable[Outcome]
            if parsing is not None:
                pool = parsing.pool
                outcomes = parsing.outcomes()
                total = parsing.count
            elif workers == 1 or (len(to_parse) < 4 and early is None):
                init_worker(knowledge.path, parse_work, walk=kconfig.walk_here())
                outcomes = map(analyse_file, [(base, p) for p in to_parse])
                pool = None
                total = len(to_parse)
            else:
                kconfig.ready()
                pool = early or start_pool(workers, knowledge, parse_work, kconfig.path)
                outcomes = pool.map(analyse_file, [(base, p) for p in to_parse], chunksize=4)
                total = len(to_parse)
            try:
                for path, sha, records, consulted, why in outcomes:
                    mtime, size = stats[path]
                    # unreadable (no hash): no row, so the next scan tries it again
                    if sha is not None:
                        file_rows.append((path, mtime, size, sha, True))
                        entry: dict = {"findings": [record_dict(r) for r in records],
                                       "deps": [[d, *deps.state(d)] for d in consulted]}
                        if why is not None:
                            entry["unanalysed"] = why  # kept as such: never findings-free
                        results[_result_key(sha, path)] = entry
                        _take(entry, path, findings, unanalysed)
                    else:
                        unanalysed[path] = Unanalysed(path, why or "cannot be read")
                        unreadable = True  # chmod changes no mtime: the stat key would hold
                    parsed += 1
                    done += 1
                    if progress:
                        progress(done, total)
            finally:
                if pool is not None:
                    pool.shutdown()
        candidates = len(relevant_fresh) + sum(1 for p in unchanged if known[p][3])
        if cache:
            cache.store(file_rows, results, forget=[p for p in known if p not in stats])
            if not unreadable:
                snapshot.store(cache, findings, unanalysed, candidates, from_cache + parsed,
                               deps.extra, started_ns)
            cache.close()
        findings = _judged_and_sorted(findings, tree)
        elapsed = time.monotonic() - start
        return ScanResult(tuple(findings),
                          ScanStats(len(stats), candidates, parsed, round(elapsed, 2),
                                    from_cache),
                          tuple(unanalysed[p] for p in sorted(unanalysed)))
    finally:
        for close in closing:
            close()
        if early is not None:  # not used (nothing to parse), or an error on the way
            early.shutdown(cancel_futures=True)
        kconfig.close()


def _judged_and_sorted(findings: list[Finding], tree: TreeFacts | None) -> list[Finding]:
    """``findings`` as ``tree`` judges them (as they are without one), in report order."""
    if tree is not None:
        from reviewbot.analysis.rules.exposure import judge_findings

        findings = judge_findings(findings, tree)
    return sorted(findings, key=lambda f: (f.file, f.line, f.rule))


def _result_key(sha: str, path: str) -> str:
    """Findings are keyed by content and folder: ``#include "x.h"`` and the Kconfig
    entry depend on where the file is, so a copy elsewhere is analysed afresh."""
    return f"{sha} {posixpath.dirname(path)}"


class _DepStats:
    """The (mtime, size) of the tree files that findings depend on, one stat each per scan.

    A file's findings depend on the headers whose structs it looked up and the
    Kconfig and Makefiles that say its architecture; a cached result is used
    only while each of them has the stat it had (or is still absent), so an
    edited header is never answered from the cache with the old layout.
    """

    def __init__(self, prefix: str, stats: dict[str, tuple[int, int]]) -> None:
        self.prefix = prefix
        self.stats = stats
        self.extra: dict[str, tuple[int, int] | tuple[None, None]] = {}

    def state(self, path: str) -> tuple[int, int] | tuple[None, None]:
        if path in self.stats:
            return self.stats[path]
        if path not in self.extra:
            self.extra[path] = file_stat(self.prefix + path) or (None, None)
        return self.extra[path]

    def usable(self, entry: dict | None) -> dict | None:
        """The entry if every file it depends on is as it was; else None."""
        if entry is None:
            return None
        for dep in entry["deps"]:
            if self.state(dep[0]) != (dep[1], dep[2]):
                return None
        return entry


def _take(entry: dict, path: str, findings: list[Finding],
          unanalysed: dict[str, Unanalysed]) -> None:
    """A stored or fresh result: its findings, or the reason it has none."""
    findings.extend(finding_from_dict(d, path) for d in entry["findings"])
    if entry.get("unanalysed"):
        unanalysed[path] = Unanalysed(path, entry["unanalysed"])


def _read(base: str, path: str, unanalysed: dict[str, Unanalysed]) -> bytes | None:
    """The bytes of a tree file; None, and the file noted as not analysed, if it cannot
    be read (mode 000, an I/O error): one line in the result, never an internal error."""
    try:
        with open(os.path.join(base, path), "rb") as fh:
            return fh.read()
    except OSError as exc:
        unanalysed[path] = read_error(path, exc)
        return None
