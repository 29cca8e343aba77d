"""The watcher's memory in SQLite (WAL): what was seen, what was reviewed, what was written.

Every change that must happen together happens in one transaction: a
poll's messages with the subscription's new bookmark, a review's drafts
with its ``reviewed`` status. A process killed at any point leaves the
database as it was before or after such a step, never between.
"""

from __future__ import annotations

import fcntl
import sqlite3
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (
    name TEXT PRIMARY KEY, last_poll REAL, last_ok REAL, server_time REAL,
    etag TEXT, last_modified TEXT, failures INTEGER NOT NULL DEFAULT 0,
    next_poll REAL NOT NULL DEFAULT 0, last_error TEXT);
CREATE TABLE IF NOT EXISTS seen (
    sub TEXT NOT NULL, msgid TEXT NOT NULL, seen_at REAL NOT NULL, PRIMARY KEY (sub, msgid));
CREATE TABLE IF NOT EXISTS revisions (
    id INTEGER PRIMARY KEY, root TEXT NOT NULL, revision INTEGER NOT NULL,
    total INTEGER NOT NULL, sub TEXT NOT NULL, subject TEXT NOT NULL, author TEXT NOT NULL,
    first_seen REAL NOT NULL, status TEXT NOT NULL DEFAULT 'waiting', reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, next_try REAL NOT NULL DEFAULT 0, planned TEXT,
    reviewed_at REAL, send_after REAL, sent_at REAL, UNIQUE (root, revision));
CREATE TABLE IF NOT EXISTS patches (
    msgid TEXT PRIMARY KEY, rev_id INTEGER NOT NULL REFERENCES revisions(id),
    idx INTEGER NOT NULL, total INTEGER NOT NULL, revision INTEGER NOT NULL,
    parent TEXT, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS drafts (
    rev_id INTEGER NOT NULL REFERENCES revisions(id), path TEXT NOT NULL,
    in_reply_to TEXT, subject TEXT, written_at REAL NOT NULL, PRIMARY KEY (rev_id, path));
CREATE INDEX IF NOT EXISTS revisions_status ON revisions (status);
CREATE TABLE IF NOT EXISTS reviews (
    rev_id INTEGER PRIMARY KEY REFERENCES revisions(id), findings INTEGER NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS draft_holds (
    rev_id INTEGER NOT NULL REFERENCES revisions(id), name TEXT NOT NULL,
    reason TEXT NOT NULL, PRIMARY KEY (rev_id, name));
"""


@dataclass(frozen=True)
class Revision:
    id: int
    root: str
    revision: int
    total: int
    sub: str
    subject: str
    author: str
    first_seen: float
    status: str
    reason: str | None
    attempts: int
    next_try: float
    planned: str | None
    reviewed_at: float | None
    send_after: float | None
    sent_at: float | None
    have: tuple[int, ...] = ()  # patch numbers seen (0: the cover)
    first_patch: str | None = None  # msgid of the lowest-numbered patch seen

    @property
    def complete(self) -> bool:
        return all(i in self.have for i in range(1, self.total + 1))


@dataclass(frozen=True)
class SubState:
    name: str
    last_poll: float | None
    last_ok: float | None
    server_time: float | None
    etag: str | None
    last_modified: str | None
    failures: int
    next_poll: float
    last_error: str | None


class State:
    """One open state database. Not shared between threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        with self.transaction():
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    self.db.execute(stmt)
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                self.db.execute("INSERT INTO meta VALUES ('install_id', ?)", (uuid.uuid4().hex,))

    @classmethod
    def attach(cls, path: Path) -> State:
        """Open a database whose schema is in place, without the schema transaction.

        For a second process beside the watcher (the review queue): one
        connection per request, so nothing is written just by looking.
        """
        self = cls.__new__(cls)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        return self

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @property
    def install_id(self) -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key='install_id'").fetchone()
        return str(row[0])

    # --- subscriptions -------------------------------------------------------

    def sub_state(self, name: str) -> SubState:
        row = self.db.execute("SELECT * FROM subscriptions WHERE name=?", (name,)).fetchone()
        if row is None:
            return SubState(name, None, None, None, None, None, 0, 0.0, None)
        return SubState(**dict(row))

    def seen(self, sub: str, msgids: Collection[str]) -> set[str]:
        out: set[str] = set()
        ids = list(msgids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT msgid FROM seen WHERE sub=? AND msgid IN ({marks})", (sub, *chunk)
            )
            out.update(r[0] for r in rows)
        return out

    def record_poll(
        self,
        db: sqlite3.Connection,
        name: str,
        *,
        now: float,
        ok: bool,
        next_poll: float,
        server_time: float | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        error: str | None = None,
    ) -> None:
        """Inside a transaction: the subscription's bookmark after a poll."""
        old = self.sub_state(name)
        db.execute(
            "INSERT OR REPLACE INTO subscriptions VALUES (?,?,?,?,?,?,?,?,?)",
            (
                name,
                now,
                now if ok else old.last_ok,
                server_time if ok else old.server_time,
                etag if ok else old.etag,
                last_modified if ok else old.last_modified,
                0 if ok else old.failures + 1,
                next_poll,
                None if ok else error,
            ),
        )

    def mark_seen(
        self, db: sqlite3.Connection, sub: str, msgids: Collection[str], now: float
    ) -> None:
        db.executemany("INSERT OR IGNORE INTO seen VALUES (?,?,?)", [(sub, m, now) for m in msgids])

    # --- revisions -----------------------------------------------------------

    def patch_root(self, msgid: str) -> tuple[str, int, int] | None:
        """(root, revision, total) of a patch message already assigned to a revision."""
        row = self.db.execute(
            "SELECT r.root, r.revision, r.total FROM patches p JOIN revisions r "
            "ON p.rev_id = r.id WHERE p.msgid=?",
            (msgid,),
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def add_patch(
        self,
        db: sqlite3.Connection,
        *,
        msgid: str,
        root: str,
        revision: int,
        index: int,
        total: int,
        parent: str | None,
        sub: str,
        subject: str,
        author: str,
        now: float,
    ) -> tuple[int, bool]:
        """Record a patch mail under its revision; (revision id, revision is new)."""
        cur = db.execute(
            "INSERT OR IGNORE INTO revisions (root, revision, total, sub, subject, author, "
            "first_seen) VALUES (?,?,?,?,?,?,?)",
            (root, revision, total, sub, subject, author, now),
        )
        created = cur.rowcount == 1
        rev_id = db.execute(
            "SELECT id FROM revisions WHERE root=? AND revision=?", (root, revision)
        ).fetchone()[0]
        if index == 0 or index == 1:
            # the cover's (or patch 1's) subject names the series best
            db.execute(
                "UPDATE revisions SET subject=? WHERE id=? AND (? = 0 OR NOT EXISTS "
                "(SELECT 1 FROM patches WHERE rev_id=? AND idx=0))",
                (subject, rev_id, index, rev_id),
            )
        db.execute(
            "INSERT OR IGNORE INTO patches VALUES (?,?,?,?,?,?,?)",
            (msgid, rev_id, index, total, revision, parent, now),
        )
        return rev_id, created

    def _revision(self, row: sqlite3.Row) -> Revision:
        parts = self.db.execute(
            "SELECT idx, msgid FROM patches WHERE rev_id=? ORDER BY idx", (row["id"],)
        ).fetchall()
        first = next((p[1] for p in parts if p[0] >= 1), parts[0][1] if parts else None)
        return Revision(**dict(row), have=tuple(p[0] for p in parts), first_patch=first)

    def revision(self, rev_id: int) -> Revision:
        row = self.db.execute("SELECT * FROM revisions WHERE id=?", (rev_id,)).fetchone()
        return self._revision(row)

    def revisions(
        self, *statuses: str, limit: int | None = None, newest_first: bool = False
    ) -> list[Revision]:
        marks = ",".join("?" * len(statuses))
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT * FROM revisions WHERE status IN ({marks}) ORDER BY id {order}"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._revision(r) for r in self.db.execute(sql, statuses).fetchall()]

    def set_status(self, db: sqlite3.Connection, rev_id: int, status: str, **fields) -> None:
        cols = ["status=?"] + [f"{k}=?" for k in fields]
        db.execute(
            f"UPDATE revisions SET {', '.join(cols)} WHERE id=?",
            (status, *fields.values(), rev_id),
        )

    def add_drafts(
        self,
        db: sqlite3.Connection,
        rev_id: int,
        drafts: Collection[tuple[str, str, str]],
        now: float,
    ) -> None:
        db.executemany(
            "INSERT OR IGNORE INTO drafts VALUES (?,?,?,?,?)",
            [(rev_id, path, irt, subj, now) for path, irt, subj in drafts],
        )

    def drafts(self, rev_id: int) -> list[str]:
        rows = self.db.execute("SELECT path FROM drafts WHERE rev_id=? ORDER BY path", (rev_id,))
        return [r[0] for r in rows]

    def count_drafts(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM drafts").fetchone()[0])

    def subscriptions(self) -> list[SubState]:
        rows = self.db.execute("SELECT * FROM subscriptions ORDER BY name").fetchall()
        return [SubState(**dict(r)) for r in rows]

    # --- what the review queue reads and decides (reviewbot queue) ---------

    def add_review(self, db: sqlite3.Connection, rev_id: int, findings: int, data: str) -> None:
        """Inside the ``reviewed`` transaction: the review as JSON, for the queue's pages."""
        db.execute("INSERT OR REPLACE INTO reviews VALUES (?,?,?)", (rev_id, findings, data))

    def review_data(self, rev_id: int) -> str | None:
        row = self.db.execute("SELECT data FROM reviews WHERE rev_id=?", (rev_id,)).fetchone()
        return None if row is None else str(row[0])

    def held_drafts(self, rev_id: int) -> set[str]:
        """Draft file names a person dropped in the queue: never sent by ``deliver``."""
        rows = self.db.execute("SELECT name FROM draft_holds WHERE rev_id=?", (rev_id,))
        return {str(r[0]) for r in rows}

    def hold_draft(self, db: sqlite3.Connection, rev_id: int, name: str, reason: str) -> None:
        db.execute("INSERT OR REPLACE INTO draft_holds VALUES (?,?,?)", (rev_id, name, reason))

    def release_draft(self, db: sqlite3.Connection, rev_id: int, name: str) -> None:
        db.execute("DELETE FROM draft_holds WHERE rev_id=? AND name=?", (rev_id, name))

def open_state(path: Path) -> State:
    """Open the state, or one line naming the file when it is not a watcher database.

    A zero-length file (a disk that filled up, a stray ``touch``) or garbage
    used to be an internal error, or worse, silently a fresh state that
    reviews everything again. Nothing is created or changed in a file that
    is not ours.
    """
    from reviewbot.errors import InputError

    hint = "move it away to start with a fresh state"
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the watcher state ({exc.strerror})") from None
    if size == 0:
        raise InputError(f"{path}: an empty file, not a reviewbot watch database ({hint})")
    if size is not None:
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
                tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master")}
                ours = "meta" in tables and probe.execute(
                    "SELECT 1 FROM meta WHERE key='schema'"
                ).fetchone()
            probe.close()
        except sqlite3.Error as exc:
            raise InputError(
                f"{path}: not a reviewbot watch database ({exc}; {hint})"
            ) from None
        if not ours:
            raise InputError(f"{path}: not a reviewbot watch database (no schema; {hint})")
    try:
        return State(path)
    except sqlite3.Error as exc:
        raise InputError(f"{path}: the watcher state cannot be used ({exc}; {hint})") from None


def hold_lock(folder: Path, name: str, busy: str) -> TextIO:
    """Take ``folder/name`` exclusively, without waiting; the open file holds the lock.

    One process per role on a state folder (the watcher's ``watch.lock``, the
    queue's ``queue.lock``); a second one gets ``busy`` as a one-line error.
    """
    from reviewbot.errors import UsageError

    folder.mkdir(parents=True, exist_ok=True)
    fh = open(folder / name, "a")  # noqa: SIM115 (the caller holds it while running)
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise UsageError(f"{folder}: {busy}") from None
    return fh
