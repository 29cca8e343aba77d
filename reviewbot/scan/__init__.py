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
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reviewbot import __version__
from reviewbot.knowledge import Knowledge
from reviewbot.model import Condition, Confidence, Evidence, Finding, Severity
from reviewbot.scan.cache import ScanCache
from reviewbot.scan.files import grep_filter, mentions_any, sink_tokens, walk

__all__ = ["ScanResult", "ScanStats", "scan_tree"]

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ScanStats:
    files: int  # C sources and headers seen
    candidates: int  # files that name a sink
    parsed: int  # files analysed in this run (the rest came from the cache)
    seconds: float


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    stats: ScanStats


def _engine_id(knowledge: Knowledge) -> str:
    """What the cached findings depend on: version, knowledge and the analysis code.

    Hashing the analysis sources (a few dozen small files) means an edited
    rule never serves stale findings from the cache, release or not.
    """
    import reviewbot.analysis

    digest = hashlib.sha1(__version__.encode())
    sources = sorted(Path(reviewbot.analysis.__file__).parent.rglob("*.py"))
    for path in [Path(knowledge.path), *sources]:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


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
    }


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
    )


# ---- worker side: one parser and knowledge per process


_WORKER: dict = {}


def _init_worker(knowledge_path: str) -> None:
    from reviewbot.analysis.cparse import new_parser
    from reviewbot.knowledge import load_knowledge

    _WORKER["knowledge"] = load_knowledge(Path(knowledge_path))
    _WORKER["parser"] = new_parser()


def _headers(root: str):
    """One header index per worker and tree: header structs are parsed once per process."""
    from reviewbot.analysis.headers import HeaderIndex

    key = ("headers", root)
    if key not in _WORKER:

        base = Path(root).resolve()

        def read(rel: str) -> str | None:
            p = (base / rel).resolve()
            if not p.is_relative_to(base) or not p.is_file():
                return None  # a symlink out of the tree is not the tree's header
            return p.read_text(errors="replace")

        _WORKER[key] = HeaderIndex(read, _WORKER["knowledge"], _WORKER["parser"])
    return _WORKER[key]


def _analyse_file(job: tuple[str, str]) -> tuple[str, str, list[dict]]:
    from reviewbot.analysis import analyse_source

    root, path = job
    data = Path(root, path).read_bytes()
    sha = hashlib.sha1(data).hexdigest()
    try:
        found = analyse_source(
            path,
            data.decode("utf-8", "surrogateescape"),
            _WORKER["knowledge"],
            _WORKER["parser"],
            _headers(root),
        )
    except RecursionError:
        logger.warning("%s: too deeply nested to analyse; skipped", path)
        found = []
    return path, sha, [finding_to_dict(f) for f in found]


def scan_tree(
    root: Path,
    knowledge: Knowledge,
    subpaths: Iterable[str] = (),
    jobs: int | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Analyse every C file under ``root`` (or ``subpaths`` of it)."""
    start = time.monotonic()
    root = root.resolve()
    paths = walk(root, subpaths)
    tokens = sink_tokens(knowledge)
    cache = ScanCache(cache_dir, root, _engine_id(knowledge)) if cache_dir else None
    known = cache.known_files() if cache else {}

    stats: dict[str, os.stat_result] = {}
    for p in paths:
        try:
            stats[p] = os.stat(root / p)
        except OSError:
            continue
    unchanged = {
        p
        for p, st in stats.items()
        if p in known and known[p][0] == st.st_mtime_ns and known[p][1] == st.st_size
    }
    fresh = [p for p in stats if p not in unchanged]
    # which of the changed or new files name a sink
    relevant_fresh = grep_filter(root, fresh, tokens) if len(fresh) > 200 else None
    if relevant_fresh is None:
        btoks = [t.encode() for t in tokens]
        relevant_fresh = {p for p in fresh if mentions_any((root / p).read_bytes(), btoks)}

    findings: list[Finding] = []
    to_parse: list[str] = []
    file_rows: list[tuple[str, int, int, str | None, bool]] = []
    for p in sorted(unchanged):
        _m, _s, sha, relevant = known[p]
        if not relevant:
            continue
        cached = cache.result(sha) if (cache and sha) else None
        if cached is None:
            to_parse.append(p)
        else:
            findings.extend(finding_from_dict(d, p) for d in cached)
    for p in fresh:
        st = stats[p]
        if p not in relevant_fresh:
            file_rows.append((p, st.st_mtime_ns, st.st_size, None, False))
            continue
        # content-keyed reuse: changed stat, but content seen before (a revert, a copy)
        cached = None
        if cache:
            sha = hashlib.sha1((root / p).read_bytes()).hexdigest()
            cached = cache.result(sha)
        if cached is None:
            to_parse.append(p)
        else:
            file_rows.append((p, st.st_mtime_ns, st.st_size, sha, True))
            findings.extend(finding_from_dict(d, p) for d in cached)

    results: dict[str, list[dict]] = {}
    parsed = 0
    if to_parse:
        # biggest first keeps the pool busy to the end
        to_parse.sort(key=lambda p: -stats[p].st_size)
        jobs = max(1, jobs or os.cpu_count() or 1)
        done = 0
        if jobs == 1 or len(to_parse) < 4:
            _init_worker(knowledge.path)
            outcomes = map(_analyse_file, [(str(root), p) for p in to_parse])
            pool = None
        else:
            pool = ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(knowledge.path,))
            outcomes = pool.map(_analyse_file, [(str(root), p) for p in to_parse], chunksize=4)
        try:
            for path, sha, found in outcomes:
                st = stats[path]
                file_rows.append((path, st.st_mtime_ns, st.st_size, sha, True))
                results[sha] = found
                findings.extend(finding_from_dict(d, path) for d in found)
                parsed += 1
                done += 1
                if progress:
                    progress(done, len(to_parse))
        finally:
            if pool is not None:
                pool.shutdown()
    if cache:
        cache.store(file_rows, results, forget=[p for p in known if p not in stats])
        cache.close()
    findings.sort(key=lambda f: (f.file, f.line, f.rule))
    elapsed = time.monotonic() - start
    candidates = len(relevant_fresh) + sum(1 for p in unchanged if known[p][3])
    return ScanResult(tuple(findings), ScanStats(len(stats), candidates, parsed, round(elapsed, 2)))
