"""A scan cache keyed by file content, with a stat shortcut.

``results`` maps (content hash, engine identity) to the findings of that
content, so a reverted or copied file is not parsed again; ``files`` maps a
path to the (mtime, size) it had and its hash, so an unchanged tree is
recognised without reading it. The engine identity covers the reviewbot
version and the knowledge file, so a new rule or API invalidates results.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    root TEXT, path TEXT, mtime_ns INTEGER, size INTEGER, sha TEXT, relevant INTEGER,
    PRIMARY KEY (root, path));
CREATE TABLE IF NOT EXISTS results (
    sha TEXT, engine TEXT, findings TEXT, PRIMARY KEY (sha, engine));
"""


class ScanCache:
    def __init__(self, directory: Path, root: Path, engine: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(directory / "scan-cache.sqlite")
        self.db.executescript("PRAGMA journal_mode=WAL;" + SCHEMA)
        self.root = str(root.resolve())
        self.engine = engine

    def known_files(self) -> dict[str, tuple[int, int, str | None, bool]]:
        rows = self.db.execute(
            "SELECT path, mtime_ns, size, sha, relevant FROM files WHERE root = ?", (self.root,)
        )
        # the rows as they come (no tuple per file rebuilt): a warm rescan reads 50,000
        return {row[0]: row[1:] for row in rows}

    def results(self) -> dict[str, list[dict]]:
        """Every stored result of this engine, in one query (a warm rescan needs them all)."""
        rows = self.db.execute("SELECT sha, findings FROM results WHERE engine = ?",
                               (self.engine,))
        return {sha: json.loads(f) for sha, f in rows}

    def result(self, sha: str) -> list[dict] | None:
        row = self.db.execute(
            "SELECT findings FROM results WHERE sha = ? AND engine = ?", (sha, self.engine)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def store(
        self,
        files: list[tuple[str, int, int, str | None, bool]],
        results: dict[str, list[dict]],
        forget: list[str],
    ) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?)",
                [(self.root, p, m, s, sha, int(r)) for p, m, s, sha, r in files],
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?)",
                [(sha, self.engine, json.dumps(f)) for sha, f in results.items()],
            )
            self.db.executemany(
                "DELETE FROM files WHERE root = ? AND path = ?", [(self.root, p) for p in forget]
            )

    def close(self) -> None:
        self.db.close()
