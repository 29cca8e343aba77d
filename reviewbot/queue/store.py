"""The queue's decisions in the watcher's database: one mark per draft, one row per action.

Every action is a row in ``queue_actions`` keyed by the nonce of the form
that asked for it, so a form posted twice (a reload, a double click) is
recorded and carried out once. The mark of a draft (``queue_marks``) is
what a person decided; whether a mail went out is read from the outbox's
``.sent``/``.sending`` files, the one record every sender shares.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reviewbot.watch.state import State

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_marks (
    rev_id INTEGER NOT NULL REFERENCES revisions(id), name TEXT NOT NULL,
    status TEXT NOT NULL, sha256 TEXT, who TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (rev_id, name));
CREATE TABLE IF NOT EXISTS queue_actions (
    id INTEGER PRIMARY KEY, nonce TEXT UNIQUE, rev_id INTEGER NOT NULL, name TEXT NOT NULL,
    action TEXT NOT NULL, who TEXT NOT NULL, at REAL NOT NULL, detail TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS queue_actions_draft ON queue_actions (rev_id, name);
"""


class AlreadyDone(Exception):
    """The form's nonce was used: the action it asked for happened already."""


@dataclass(frozen=True)
class Mark:
    status: str  # approved, dropped, sending, sent, sent-by-hand, in-doubt
    sha256: str | None
    who: str
    at: float


@dataclass(frozen=True)
class Action:
    id: int
    rev_id: int
    name: str
    action: str
    who: str
    at: float
    detail: str


def prepare(path: Path) -> None:
    """Create the watcher's tables (if it never ran) and the queue's; one transaction each."""
    state = State(path)
    try:
        with state.transaction() as db:
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    db.execute(stmt)
    finally:
        state.close()


class Store:
    """Short-lived access to the state: open per request, close after."""

    def __init__(self, path: Path) -> None:
        self.state = State.attach(path)
        self.db = self.state.db

    def close(self) -> None:
        self.state.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.state.transaction() as db:
            yield db

    # --- reading -------------------------------------------------------------

    def marks(self, rev_id: int) -> dict[str, Mark]:
        rows = self.db.execute(
            "SELECT name, status, sha256, who, at FROM queue_marks WHERE rev_id=?", (rev_id,)
        )
        return {r[0]: Mark(r[1], r[2], r[3], r[4]) for r in rows}

    def all_marks(self, status: str) -> list[tuple[int, str, Mark]]:
        rows = self.db.execute(
            "SELECT rev_id, name, status, sha256, who, at FROM queue_marks WHERE status=?",
            (status,),
        )
        return [(r[0], r[1], Mark(r[2], r[3], r[4], r[5])) for r in rows]

    def actions(self, rev_id: int | None = None, limit: int = 200) -> list[Action]:
        sql = "SELECT id, rev_id, name, action, who, at, detail FROM queue_actions"
        args: tuple = ()
        if rev_id is not None:
            sql += " WHERE rev_id=?"
            args = (rev_id,)
        sql += f" ORDER BY id DESC LIMIT {int(limit)}"
        return [Action(*r) for r in self.db.execute(sql, args)]

    def last_action(self, rev_id: int, name: str) -> Action | None:
        row = self.db.execute(
            "SELECT id, rev_id, name, action, who, at, detail FROM queue_actions "
            "WHERE rev_id=? AND name=? ORDER BY id DESC LIMIT 1",
            (rev_id, name),
        ).fetchone()
        return None if row is None else Action(*row)

    def count_actions(self, rev_id: int, name: str, action: str) -> int:
        row = self.db.execute(
            "SELECT COUNT(*) FROM queue_actions WHERE rev_id=? AND name=? AND action=?",
            (rev_id, name, action),
        ).fetchone()
        return int(row[0])

    # --- writing (inside a transaction) ---------------------------------------

    def record(
        self,
        db: sqlite3.Connection,
        *,
        nonce: str | None,
        rev_id: int,
        name: str,
        action: str,
        who: str,
        detail: str = "",
        now: float | None = None,
    ) -> None:
        """One action row; a nonce seen before raises AlreadyDone (and the caller rolls back)."""
        try:
            db.execute(
                "INSERT INTO queue_actions (nonce, rev_id, name, action, who, at, detail) "
                "VALUES (?,?,?,?,?,?,?)",
                (nonce, rev_id, name, action, who, time.time() if now is None else now, detail),
            )
        except sqlite3.IntegrityError:
            raise AlreadyDone(action) from None

    def set_mark(
        self,
        db: sqlite3.Connection,
        rev_id: int,
        name: str,
        status: str | None,
        who: str,
        sha256: str | None = None,
    ) -> None:
        """The draft's new mark; None forgets it (the draft waits again)."""
        if status is None:
            db.execute("DELETE FROM queue_marks WHERE rev_id=? AND name=?", (rev_id, name))
            return
        db.execute(
            "INSERT OR REPLACE INTO queue_marks VALUES (?,?,?,?,?,?)",
            (rev_id, name, status, sha256, who, time.time()),
        )
