"""Scan: every C file of a tree through the analysis, as if newly written.

The work is split so each part costs what it must: a walk and ``stat`` of
the tree, a sink-name prefilter (grep on a cold tree), and tree-sitter
analysis only for files that name a sink, in a process pool. Results are
cached by content, so a rescan re-parses only what changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reviewbot.knowledge import Knowledge
from reviewbot.limits import default_limits
from reviewbot.model import (
    Aligned,
    Condition,
    Confidence,
    Evidence,
    Finding,
    Hazard,
    HazardKind,
    Platform,
    ScanStats,
    Severity,
    Unanalysed,
)
from reviewbot.scan.cache import ScanCache, code_digest, open_cache
from reviewbot.scan.files import (
    GrepStream,
    check_subpaths,
    file_stat,
    grep_filter,
    mentions_any,
    read_error,
    sink_tokens,
    walk_stat,
)

if TYPE_CHECKING:  # imported when a pool starts: a warm rescan needs none (20 ms)
    from concurrent.futures import Future, ProcessPoolExecutor

    from reviewbot.analysis.facts.kconfig import KconfigWalk
    from reviewbot.analysis.rules.exposure import TreeFacts
    from reviewbot.scan.tree_memo import KconfigMemo

__all__ = ["ScanResult", "ScanStats", "scan_tree"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

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


def finding_to_dict(f: Finding) -> dict:
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "file": f.file,
        "line": f.line,
        "function": f.function,
        "buffer": f.buffer,
        "sink": f.sink,
        "direction": f.direction,
        "message": f.message,
        "confidence": f.confidence.value,
        "details": list(f.details),
        "macro": f.macro,
        "evidence": [[e.name, e.confidence.value, e.note] for e in f.evidence],
        "bites_when": _condition(f.bites_when),
        "verdict": f.verdict,
        "arches": list(f.arches),
        "hazard": _hazard(f.hazard),
        "platform": _platform(f.platform),
    }


def _hazard(h: Hazard | None) -> list | None:
    return None if h is None else [h.kind.value, h.aligned.value, h.bytes, h.bounced, h.length,
                                   h.macro, h.container]


def _platform(p: Platform | None) -> list | None:
    if p is None:
        return None
    return [sorted(p.arches) if p.arches is not None else None, p.acpi_only, sorted(p.coherent),
            p.coherent_bus, sorted(p.remaps) if p.remaps is not None else None]


def _hazard_of(v: list | None) -> Hazard | None:
    return None if v is None else Hazard(HazardKind(v[0]), Aligned(v[1]), v[2], v[3],
                                         v[4] if len(v) > 4 else None,
                                         v[5] if len(v) > 5 else None,
                                         v[6] if len(v) > 6 else None)


def _platform_of(v: list | None) -> Platform | None:
    if v is None:
        return None
    return Platform(frozenset(v[0]) if v[0] is not None else None, v[1], frozenset(v[2]),
                    v[3] if len(v) > 3 else None,
                    frozenset(v[4]) if len(v) > 4 and v[4] is not None else None)


def _condition(c: Condition | None) -> dict[str, str] | None:
    return None if c is None else {"macro": c.macro, "below": c.below, "since": c.since,
                                   "text": c.text()}


def finding_from_dict(d: dict, path: str) -> Finding:
    return Finding(
        rule=d["rule"],
        severity=Severity(d["severity"]),
        file=path,
        line=d["line"],
        function=d["function"],
        buffer=d["buffer"],
        sink=d["sink"],
        direction=d["direction"],
        message=d["message"],
        confidence=Confidence(d["confidence"]),
        details=tuple(tuple(x) for x in d.get("details", ())),
        macro=d.get("macro"),
        evidence=tuple(Evidence(n, Confidence(c), note) for n, c, note in d.get("evidence", ())),
        bites_when=Condition(w["macro"], w["below"], w.get("since", ""))
        if (w := d.get("bites_when")) else None,
        verdict=d.get("verdict"),
        arches=tuple(d.get("arches", ())),
        hazard=_hazard_of(d.get("hazard")),
        platform=_platform_of(d.get("platform")),
    )


# ---- worker side: one parser and knowledge per process


_WORKER: dict = {}

# A finding travels between processes as a tuple of its fields (the file is
# the job's): pickling a tuple is several times cheaper than a dict or a
# dataclass, and the parent needs the dict form only for the cache.
_FIELDS = ("rule", "severity", "line", "function", "buffer", "sink", "direction", "message",
           "confidence", "details", "macro", "evidence", "bites_when", "verdict", "arches",
           "hazard", "platform")


def _init_worker(knowledge_path: str, parse_work: int, walk_file: str | None = None) -> None:
    from reviewbot.analysis.c.parser import new_parser
    from reviewbot.knowledge import load_knowledge

    # A scan in this process (jobs 1, or a handful of files) after another must not
    # see the header texts the last one read: the tree may have changed since.
    _WORKER.clear()
    _WORKER["knowledge"] = load_knowledge(Path(knowledge_path))
    _WORKER["parser"] = new_parser()
    _WORKER["work"] = parse_work
    _WORKER["walk_file"] = walk_file


def _headers(root: str):
    """One header index per worker and tree: header structs are parsed once per process."""
    from reviewbot.analysis.facts.headers import HeaderIndex
    from reviewbot.analysis.facts.profile import directory_reader

    key = ("headers", root)
    if key not in _WORKER:
        # each folder resolved once (a worker reads 1,700 Kconfig files and hundreds of
        # headers: resolving every path was a second of each worker's cold scan); a
        # symlink out of the tree, a FIFO or a folder reads as absent
        tree_read = directory_reader(Path(root))

        def read(rel: str) -> str | None:
            try:
                return tree_read(rel)
            except OSError:
                return None  # an unreadable header: its structs are unknown, as if absent

        _WORKER[key] = HeaderIndex(read, _WORKER["knowledge"], _WORKER["parser"],
                                   _given_platforms(read, _WORKER.get("walk_file"),
                                                    _WORKER.get("walk")))
    return _WORKER[key]


def _given_platforms(read, walk_file: str | None, walk: KconfigWalk | None = None):
    """The platform facts over the Kconfig walk the parent made (``_KconfigShare``): given
    in this process, or in a worker read from ``walk_file``, so no worker walks the 1,700
    Kconfig files again; None (walk here) without one."""
    from reviewbot.analysis.facts.headers import tree_platforms
    from reviewbot.analysis.facts.kconfig import KconfigWalk

    if walk is None and walk_file is not None:
        try:
            with open(walk_file, encoding="utf-8") as fh:
                walk = KconfigWalk.from_json(json.load(fh))
        except (OSError, ValueError):
            walk = None
    return tree_platforms(read, _WORKER["knowledge"], walk) if walk is not None else None


Outcome = tuple[str, str | None, list[tuple], list[str], str | None]


def _analyse_file(job: tuple[str, str]) -> Outcome:
    """(path, content hash, findings as tuples, the other tree files they depend on, and
    why the file was not analysed or None). No hash when it could not even be read."""
    from reviewbot.analysis import analyse_source

    root, path = job
    try:
        with open(os.path.join(root, path), "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return path, None, [], [], read_error(path, exc).reason
    sha = hashlib.sha1(data).hexdigest()
    headers = _headers(root)
    headers.consulted = set()
    why: list[str] = []
    try:
        found = analyse_source(
            path,
            data.decode("utf-8", "surrogateescape"),
            _WORKER["knowledge"],
            _WORKER["parser"],
            work=_WORKER["work"],
            headers=headers,
            missed=why.append,
        )
    except RecursionError:
        logger.warning("%s: not analysed: too deeply nested for the analysis", path)
        why.append("too deeply nested for the analysis (RecursionError)")
        found = []
    return path, sha, [
        (f.rule, f.severity.value, f.line, f.function, f.buffer, f.sink, f.direction, f.message,
         f.confidence.value, f.details, f.macro,
         tuple((e.name, e.confidence.value, e.note) for e in f.evidence),
         _condition(f.bites_when), f.verdict, f.arches, _hazard(f.hazard),
         _platform(f.platform))
        for f in found
    ], sorted(headers.consulted - {path}), why[0] if why else None


_EARLY_POOL = 2000  # new files in a scan that start the workers before the prefilter


def _start_pool(workers: int, knowledge: Knowledge, parse_work: int,
                walk_file: str | None = None) -> ProcessPoolExecutor:
    """A pool whose workers are all started (and initialised) now, not at the first map."""
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(workers, initializer=_init_worker,
                               initargs=(knowledge.path, parse_work, walk_file))
    for _ in range(workers):
        pool.submit(os.getpid)
    return pool


def _record_dict(record: tuple) -> dict:
    d = dict(zip(_FIELDS, record, strict=True))
    d["details"] = [list(x) for x in d["details"]]
    d["evidence"] = [list(x) for x in d["evidence"]]
    d["arches"] = list(d["arches"])
    return d


def scan_tree(
    root: Path,
    knowledge: Knowledge,
    subpaths: Iterable[str] = (),
    jobs: int | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    parse_work: int | None = None,
    tree: TreeFacts | None = None,
) -> ScanResult:
    """Analyse every C file under ``root`` (or ``subpaths`` of it).

    A warm rescan costs a walk with one ``stat`` per file and one read of
    the cache: a file whose (mtime, size) is as recorded, and whose headers,
    Kconfig and Makefiles are too, keeps its findings without being opened;
    only a changed stat costs a read and a hash (and a parse if the content
    is new or what it depends on changed). ``parse_work`` is ``limits.parse_work``
    (the bundled default when None). ``tree`` is what the tree's profile says each
    architecture does (rules/exposure.py), which decides each finding's verdict and
    severity; None judges as if there were no tree.
    """
    start = time.monotonic()
    started_ns = time.time_ns()
    subpaths = list(subpaths)
    check_subpaths(root, subpaths)
    root = root.resolve()
    base = str(root)
    parse_work = parse_work or default_limits().parse_work
    engine = _engine_id(knowledge, parse_work)
    cache = open_cache(cache_dir, root, engine) if cache_dir else None
    workers = max(1, jobs or os.cpu_count() or 1)
    early: ProcessPoolExecutor | None = None
    kconfig = _KconfigShare(cache, root, knowledge)
    try:
        _paths, refused, stats = walk_stat(root, subpaths, knowledge.skip_dirs, workers)
        unanalysed: dict[str, Unanalysed] = {u.file: u for u in refused}
        tokens = sink_tokens(knowledge)
        prefix = base + os.sep
        snapshot = _Snapshot(engine, subpaths, knowledge.skip_dirs, stats, refused)
        if cache is not None and (hit := snapshot.load(cache, prefix)) is not None:
            cache.close()
            kept, unanalysed_list, candidates, cached_files = hit
            if tree is not None:
                from reviewbot.analysis.rules.exposure import judge_findings

                kept = judge_findings(kept, tree)
            kept.sort(key=lambda f: (f.file, f.line, f.rule))
            return ScanResult(tuple(kept),
                              ScanStats(len(stats), candidates, 0,
                                        round(time.monotonic() - start, 2), cached_files),
                              unanalysed_list)
        known = cache.known_files() if cache else {}
        unchanged = {p for p, st in stats.items() if p in known and known[p][:2] == st}
        fresh = [p for p in stats if p not in unchanged]
        stream: GrepStream | None = None
        if workers > 1 and len(fresh) > _EARLY_POOL:
            # thousands of new files will need parsing: start the workers now, and hand
            # them each file grep finds as it finds it (biggest first), while this
            # process walks the Kconfig files once for all of them (never for a warm
            # rescan or a small tree, which may not need the workers at all)
            early = _start_pool(workers, knowledge, parse_work, kconfig.path)
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
        parsing = _Parsing(early, base) if stream is not None else None
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
            # content-keyed reuse: changed stat, but content seen before (a revert, a copy)
            cached = None
            data = _read(base, p, unanalysed) if cache else None
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
                _init_worker(knowledge.path, parse_work)
                _WORKER["walk"] = kconfig.walk_here()
                outcomes = map(_analyse_file, [(base, p) for p in to_parse])
                pool = None
                total = len(to_parse)
            else:
                kconfig.ready()
                pool = early or _start_pool(workers, knowledge, parse_work, kconfig.path)
                outcomes = pool.map(_analyse_file, [(base, p) for p in to_parse], chunksize=4)
                total = len(to_parse)
            try:
                for path, sha, records, consulted, why in outcomes:
                    mtime, size = stats[path]
                    # unreadable (no hash): no row, so the next scan tries it again
                    if sha is not None:
                        file_rows.append((path, mtime, size, sha, True))
                        entry: dict = {"findings": [_record_dict(r) for r in records],
                                       "deps": [[d, *deps.state(d)] for d in consulted]}
                        if why is not None:
                            entry["unanalysed"] = why  # kept as such: never findings-free
                        results[_result_key(sha, path)] = entry
                        _take(entry, path, findings, unanalysed)
                    else:
                        unanalysed[path] = Unanalysed(path, why or "cannot be read")
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
            snapshot.store(cache, findings, unanalysed, candidates, from_cache + parsed,
                           deps.extra, started_ns)
            cache.close()
        if tree is not None:
            from reviewbot.analysis.rules.exposure import judge_findings

            findings = judge_findings(findings, tree)
        findings.sort(key=lambda f: (f.file, f.line, f.rule))
        elapsed = time.monotonic() - start
        return ScanResult(tuple(findings),
                          ScanStats(len(stats), candidates, parsed, round(elapsed, 2),
                                    from_cache),
                          tuple(unanalysed[p] for p in sorted(unanalysed)))
    finally:
        if early is not None:  # not used (nothing to parse), or an error on the way
            early.shutdown(cancel_futures=True)
        kconfig.close()


class _Parsing:
    """Files handed to the pool as they become known, four to a task (one per file cost
    more in messages than the parse), and their outcomes in the order handed."""

    def __init__(self, pool: ProcessPoolExecutor | None, base: str) -> None:
        assert pool is not None
        self.pool, self.base = pool, base
        self._chunk: list[tuple[str, str]] = []
        self._futures: list[Future[list[Outcome]]] = []
        self.count = 0

    def add(self, path: str) -> None:
        self._chunk.append((self.base, path))
        self.count += 1
        if len(self._chunk) == 4:
            self._flush()

    def _flush(self) -> None:
        if self._chunk:
            self._futures.append(self.pool.submit(_analyse_files, self._chunk))
            self._chunk = []

    def outcomes(self) -> Iterator[Outcome]:
        self._flush()
        for future in self._futures:
            yield from future.result()


def _analyse_files(jobs: list[tuple[str, str]]) -> list[Outcome]:
    return [_analyse_file(job) for job in jobs]


class _KconfigShare:
    """One walk of the tree's Kconfig files for every worker of a scan.

    Each worker walked all 1,700 Kconfig files of Linux 6.1 on its first file (half a
    second each); the walk now comes from the scan cache (scan/tree_memo.py) or is made
    here once, while grep prefilters (``walking_while``) or before parsing begins
    (``ready``), kept in the cache, and handed to the workers as a JSON file whose path
    they are started with: a worker that finds no file walks for itself, as before.
    """

    def __init__(self, cache: ScanCache | None, root: Path, knowledge: Knowledge) -> None:
        self.cache, self.root, self.knowledge = cache, root, knowledge
        self.memo: KconfigMemo | None = None
        self.walk: KconfigWalk | None = None
        self._loaded = self._written = False
        self._folder: Path | None = None

    @property
    def path(self) -> str:
        """Where the workers find the walk (written by ``ready``)."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="reviewbot-kconfig-"))
        return str(self._folder / "walk.json")

    def _load(self) -> None:
        if not self._loaded and self.cache is not None:
            from reviewbot.scan.tree_memo import KconfigMemo

            self.memo = KconfigMemo(self.cache, self.root, None)
            self.walk = self.memo.walk
        self._loaded = True

    def walking_while(self, work: Callable[[], _T]) -> _T:
        """``work()`` (a wait on grep), with the walk made meanwhile in this process."""
        self._load()
        if self.walk is not None:
            return work()
        result: list[_T] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                result.append(work())
            except BaseException as exc:  # handed back to the caller below
                errors.append(exc)

        thread = threading.Thread(target=run, name="reviewbot-prefilter")
        thread.start()
        try:
            self._walk()
        finally:
            thread.join()
        if errors:
            raise errors[0]
        return result[0]

    def _walk(self) -> None:
        from reviewbot.analysis.facts.headers import tree_platforms
        from reviewbot.analysis.facts.profile import directory_reader

        tree_read = directory_reader(self.root)

        def read(rel: str) -> str | None:
            try:
                return tree_read(rel)
            except OSError:
                return None

        self.walk = tree_platforms(read, self.knowledge).walk_now()
        if self.memo is not None:
            self.memo.keep(self.walk)

    def walk_here(self) -> KconfigWalk | None:
        """The walk, for analysis in this process: the cache's, or one made and kept now."""
        self._load()
        if self.walk is None:
            self._walk()
        return self.walk

    def ready(self) -> None:
        """Have the walk written for the workers (made now if the prefilter did not run)."""
        if self._written:
            return
        if (walk := self.walk_here()) is not None:
            tmp = Path(self.path).with_suffix(".tmp")
            tmp.write_text(json.dumps(walk.to_json()), encoding="utf-8")
            tmp.replace(self.path)  # whole or absent, never half written
        self._written = True

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


SNAPSHOT = "scan-snapshot"


class _Snapshot:
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
