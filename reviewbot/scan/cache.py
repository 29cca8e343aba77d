"""A scan cache keyed by file content, with a stat shortcut.

``results`` maps (content hash and folder, engine identity) to the findings
of that content there, with the stat of every tree file they depend on (the
headers searched, the Kconfig and Makefiles read), so a reverted file is not
parsed again and an edited header is never answered from the cache; ``files`` maps a
path to the (mtime, size) it had and its hash, so an unchanged tree is
recognised without reading it. The engine identity covers the reviewbot
version and the knowledge file, so a new rule or API invalidates results.

``memos`` keeps one later result per tree and kind (the affected drivers
of the last scan) for a front end that checks its own dependencies.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import orjson

from reviewbot import __version__

logger = logging.getLogger(__name__)

NAME = "scan-cache.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    root TEXT, path TEXT, mtime_ns INTEGER, size INTEGER, sha TEXT, relevant INTEGER,
    PRIMARY KEY (root, path));
CREATE TABLE IF NOT EXISTS results (
    sha TEXT, engine TEXT, findings TEXT, PRIMARY KEY (sha, engine));
CREATE TABLE IF NOT EXISTS memos (
    root TEXT, kind TEXT, engine TEXT, key TEXT, value TEXT, PRIMARY KEY (root, kind));
"""


def _text(value: object) -> str:
    """``value`` as JSON text: orjson (a warm rescan reads and writes megabytes of it;
    5-10x faster), the standard library for what orjson refuses (a key that is not a
    string, an integer past 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value)


def code_digest(files: Iterable[Path], base: Path) -> str:
    """The identity of what cached results were computed by: the reviewbot version and
    the bytes of ``files`` (named relative to ``base``), so an edited rule or grouping
    never serves stale results, release or not."""
    digest = hashlib.sha1(__version__.encode())
    for path in files:
        if path.is_file():
            name = str(path.relative_to(base)) if path.is_relative_to(base) else path.name
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class ScanCache:
    def __init__(self, directory: Path, root: Path, engine: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / NAME
        self.db = sqlite3.connect(self.path)
        try:
            # NORMAL: in WAL mode the log is synced at checkpoints, not at every commit;
            # a crash may lose the last scan's rows, never corrupt the file, and the
            # cache holds nothing that cannot be recomputed (the watcher's state, which
            # must not lose a sent mail, keeps FULL: watch/state.py)
            self.db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                  + SCHEMA)
            # the last page of the table: a truncated file fails here, as it did with
            # count(*), which read all 55,000 rows (3-5 ms, three times a scan)
            self.db.execute("SELECT max(rowid) FROM files").fetchone()
        except sqlite3.Error:
            self.db.close()
            raise
        self.root = str(root.resolve())
        self.engine = engine

    def known_files(self) -> dict[str, tuple[int, int, str | None, bool]]:
        try:
            rows = self.db.execute(
                "SELECT path, mtime_ns, size, sha, relevant FROM files WHERE root = ?",
                (self.root,),
            ).fetchall()
        except sqlite3.Error as exc:  # damage deeper than the first page
            logger.warning("scan cache %s is unreadable (%s); not used", self.path, exc)
            return {}
        # the rows as they come (no tuple per file rebuilt): a warm rescan reads 50,000
        return {row[0]: row[1:] for row in rows}

    def results(self) -> dict[str, dict]:
        """Every stored result of this engine, in one query (a warm rescan needs them all).

        An entry is ``{"findings": [...], "deps": [[path, mtime_ns, size], ...]}``, the
        tree files the findings depend on as they were, and ``"unanalysed": reason``
        for a file the parser refused (its empty findings are not a clean result). A
        damaged table or entry is left out: its files are parsed again.
        """
        try:
            rows = self.db.execute("SELECT sha, findings FROM results WHERE engine = ?",
                                   (self.engine,)).fetchall()
        except sqlite3.Error as exc:
            logger.warning("scan cache %s is unreadable (%s); not used", self.path, exc)
            return {}
        out = {}
        for sha, text in rows:
            try:
                found = orjson.loads(text)
            except (TypeError, ValueError):
                continue
            if isinstance(found, dict) and isinstance(found.get("findings"), list) and \
                    isinstance(found.get("deps"), list) and \
                    all(isinstance(d, list) and len(d) == 3 for d in found["deps"]) and \
                    isinstance(found.get("unanalysed", ""), str):
                out[sha] = found
        return out

    def store(
        self,
        files: list[tuple[str, int, int, str | None, bool]],
        results: dict[str, dict],
        forget: list[str],
    ) -> None:
        try:
            self._store(files, results, forget)
        except sqlite3.Error as exc:  # read-only, full disk: the scan result stands
            logger.warning("scan cache %s not updated (%s)", self.path, exc)

    def _store(
        self,
        files: list[tuple[str, int, int, str | None, bool]],
        results: dict[str, dict],
        forget: list[str],
    ) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                [(self.root, p, m, s, sha, int(r)) for p, m, s, sha, r in files],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?)",
                [(sha, self.engine, _text(f)) for sha, f in results.items()],
            )
            self.db.executemany(
                "DELETE FROM files WHERE root = ? AND path = ?", [(self.root, p) for p in forget]
            )

    def memo(self, kind: str, engine: str, key: str) -> dict | None:
        """The value stored for this tree, ``kind``, ``engine`` and ``key``; None if not that."""
        got = self._memo(kind, engine, key)
        return got[1] if got is not None else None

    def latest_memo(self, kind: str, engine: str) -> tuple[str, dict] | None:
        """The key and value kept for this tree and ``kind`` (one at most), whatever its key:
        read before the key is known, while another process works it out."""
        return self._memo(kind, engine, None)

    def _memo(self, kind: str, engine: str, key: str | None) -> tuple[str, dict] | None:
        query = "SELECT key, value FROM memos WHERE root = ? AND kind = ? AND engine = ?"
        args: tuple[str, ...] = (self.root, kind, engine)
        if key is not None:
            query, args = query + " AND key = ?", (*args, key)
        try:
            row = self.db.execute(query, args).fetchone()
            value = orjson.loads(row[1]) if row else None
        except sqlite3.Error as exc:
            logger.warning("scan cache %s is unreadable (%s); not used", self.path, exc)
            return None
        except (TypeError, ValueError):
            return None
        if row is None or not isinstance(row[0], str) or not isinstance(value, dict):
            return None
        return row[0], value

    def store_memo(self, kind: str, engine: str, key: str, value: dict) -> None:
        """Keep ``value`` as this tree's ``kind`` (replacing the one before)."""
        try:
            with self.db:
                self.db.execute("INSERT OR REPLACE INTO memos VALUES (?, ?, ?, ?, ?)",
                                (self.root, kind, engine, key, _text(value)))
        except sqlite3.Error as exc:
            logger.warning("scan cache %s not updated (%s)", self.path, exc)

    def close(self) -> None:
        self.db.close()


def open_cache(directory: Path, root: Path, engine: str) -> ScanCache | None:
    """The cache, rebuilt when it is unreadable; None (scan without it) when it cannot be.

    A corrupt or truncated cache file was an internal error (exit 4) for
    ``scan`` and for ``review --tree`` of a minalign series, and so for the
    watcher. The cache holds nothing that cannot be recomputed, so a bad
    file is set aside (``.corrupt``) and rebuilt; a read-only one is not
    used. Either way one warning says so.
    """
    path = directory / NAME
    try:
        return ScanCache(directory, root, engine)
    except OSError as exc:
        logger.warning("scan cache %s: %s; scanning without it", directory, exc.strerror or exc)
        return None
    except sqlite3.Error as exc:
        if "readonly" in str(exc) or "read-only" in str(exc) or "unable to open" in str(exc):
            logger.warning("scan cache %s: %s; scanning without it", path, exc)
            return None
        logger.warning("scan cache %s is unreadable (%s); rebuilding it", path, exc)
    try:
        for suffix in ("", "-wal", "-shm"):
            old = path.with_name(path.name + suffix)
            if old.exists():
                old.replace(old.with_name(old.name + ".corrupt"))
        return ScanCache(directory, root, engine)
    except (OSError, sqlite3.Error) as exc:
        logger.warning("scan cache %s cannot be rebuilt (%s); scanning without it", path, exc)
        return None
