"""The scan's workers: one parser, knowledge and header index per process.

``start_pool`` starts them (initialised by ``init_worker``); ``analyse_file`` is
one job: a file's findings as tuples (records.FIELDS), its hash and the other
tree files they depend on. ``Parsing`` hands files to a started pool as they
become known (a cold scan streams them from grep).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from reviewbot.knowledge import Knowledge
from reviewbot.scan.files import read_error
from reviewbot.scan.records import condition_dict, hazard_list, platform_list

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from reviewbot.analysis.facts.kconfig import KconfigWalk

logger = logging.getLogger(__name__)

_WORKER: dict = {}


def init_worker(knowledge_path: str, parse_work: int, walk_file: str | None = None,
                walk: KconfigWalk | None = None) -> None:
    """Set this process up for ``analyse_file``: the knowledge, a parser, the parse limit,
    and the Kconfig walk (an object in this process, or the file a pool's workers read)."""
    from reviewbot.analysis.c.parser import new_parser
    from reviewbot.knowledge import load_knowledge

    # A scan in this process (jobs 1, or a handful of files) after another must not
    # see the header texts the last one read: the tree may have changed since.
    _WORKER.clear()
    _WORKER["knowledge"] = load_knowledge(Path(knowledge_path))
    _WORKER["parser"] = new_parser()
    _WORKER["work"] = parse_work
    _WORKER["walk_file"] = walk_file
    _WORKER["walk"] = walk


def _init_pool_worker(knowledge_path: str, parse_work: int, walk_file: str | None) -> None:
    """``init_worker`` in a pool's own process, with CPython's default collector
    thresholds: a worker is forked from a command line that raised them (cli.run), and
    with the raised ones the cyclic garbage of each file's facts, holding its parse
    tree, piled up (peak memory of a cold scan of Linux 6.1: 550 MiB, not 410) to save
    about 1% of the CPU."""
    import gc

    gc.set_threshold(700, 10, 10)
    init_worker(knowledge_path, parse_work, walk_file)


def _headers(root: str):
    """One header index per worker and tree: header structs are parsed once per process."""
    from reviewbot.analysis.facts.headers import HeaderIndex
    from reviewbot.analysis.facts.profile import directory_reader

    key = ("headers", root)
    if key not in _WORKER:
        # each folder resolved once (a worker reads 1,700 Kconfig files and hundreds of
        # headers: resolving every path was a second of each worker's cold scan); a
        # symlink out of the tree, a FIFO, a folder or an unreadable header reads as
        # absent (its structs are unknown)
        read = directory_reader(Path(root))
        _WORKER[key] = HeaderIndex(read, _WORKER["knowledge"], _WORKER["parser"],
                                   _given_platforms(read, _WORKER.get("walk_file"),
                                                    _WORKER.get("walk")))
    return _WORKER[key]


def _given_platforms(read, walk_file: str | None, walk: KconfigWalk | None = None):
    """The platform facts over the Kconfig walk the parent made (``KconfigShare``): given
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


def analyse_file(job: tuple[str, str]) -> Outcome:
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
         condition_dict(f.bites_when), f.verdict, f.arches, hazard_list(f.hazard),
         platform_list(f.platform))
        for f in found
    ], sorted(headers.consulted - {path}), why[0] if why else None


def start_pool(workers: int, knowledge: Knowledge, parse_work: int,
                walk_file: str | None = None) -> ProcessPoolExecutor:
    """A pool whose workers are all started (and initialised) now, not at the first map."""
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(workers, initializer=_init_pool_worker,
                               initargs=(knowledge.path, parse_work, walk_file))
    for _ in range(workers):
        pool.submit(os.getpid)
    return pool


class Parsing:
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
            self._futures.append(self.pool.submit(analyse_files, self._chunk))
            self._chunk = []

    def outcomes(self) -> Iterator[Outcome]:
        self._flush()
        for future in self._futures:
            yield from future.result()


def analyse_files(jobs: list[tuple[str, str]]) -> list[Outcome]:
    return [analyse_file(job) for job in jobs]
