"""Drafts in the outbox, found by (revision id, number), never by a path from the browser.

The browser names a draft ``/draft/<revision id>/<n>``: the n-th file name
the watcher recorded for that revision. The file is looked up in the
revision's own outbox folder by its base name only, and must resolve to a
regular file directly inside that folder, so no URL, and no path stored
in the database, can reach another file.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from reviewbot.outbox import (
    MBOX_NAME,
    atomic_write,
    mbox_entry,
    message_bytes,
    sent_record,
)
from reviewbot.outbox import body_text as body_text  # the pages read a draft's text here
from reviewbot.render.reply_text import tidy_body
from reviewbot.smtp_send import sending_marker
from reviewbot.watch.state import Revision, State

MAX_BODY = 256 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.eml$")
SHOWN_HEADERS = ("From", "To", "Cc", "Subject", "Date", "Message-Id", "In-Reply-To", "References")


class DraftError(Exception):
    """A draft that cannot be found or changed; the message is for the page."""


@dataclass(frozen=True)
class DraftFile:
    rev_id: int
    number: int
    name: str
    path: Path

    @property
    def sent_path(self) -> Path:
        return sent_record(self.path)

    @property
    def marker_path(self) -> Path:
        return sending_marker(self.path)

    def read(self) -> bytes:
        return self.path.read_bytes()

    def sha256(self) -> str:
        return hashlib.sha256(self.read()).hexdigest()

    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.read())

    def sent_text(self) -> str | None:
        try:
            return self.sent_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return None


def folder(outbox: Path, rev: Revision) -> Path | None:
    """The revision's outbox folder, when it has one that is really inside the outbox."""
    if not rev.planned or "/" in rev.planned or rev.planned.startswith("."):
        return None
    path = outbox / rev.planned
    try:
        if path.resolve().parent != outbox.resolve() or not path.is_dir():
            return None
    except OSError:
        return None
    return path


def names(state: State, rev_id: int) -> list[str]:
    """The draft file names recorded for a revision, in a fixed order (the URL numbers)."""
    out = sorted({os.path.basename(p) for p in state.drafts(rev_id)})
    return [n for n in out if _NAME.match(n)]


def drafts_of(state: State, outbox: Path, rev: Revision) -> list[DraftFile]:
    where = folder(outbox, rev)
    if where is None:
        return []
    out = []
    for i, name in enumerate(names(state, rev.id)):
        path = where / name
        if path.is_file() and not path.is_symlink():
            out.append(DraftFile(rev.id, i, name, path))
    return out


def find(state: State, outbox: Path, rev_id: int, number: int) -> tuple[Revision, DraftFile]:
    row = state.db.execute("SELECT 1 FROM revisions WHERE id=?", (rev_id,)).fetchone()
    if row is None:
        raise DraftError(f"no series {rev_id}")
    rev = state.revision(rev_id)
    for d in drafts_of(state, outbox, rev):
        if d.number == number:
            return rev, d
    raise DraftError(f"series {rev_id} has no draft {number}")


def headers(msg: EmailMessage) -> list[tuple[str, str]]:
    """The headers shown read-only, as text (the template escapes them)."""
    return [(h, str(v)) for h in SHOWN_HEADERS for v in msg.get_all(h, [])]


def wrapped(text: str, width: int) -> str:
    """What the mail body becomes: CR/LF unified, lines wrapped as the bot wraps its own."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return tidy_body(text, width)


def with_body(msg: EmailMessage, body: str) -> bytes:
    """The draft's file with only its body replaced (headers as the watcher wrote them)."""
    cte = "8bit" if any(ord(c) > 127 for c in body) else "7bit"
    # a reply with the affected-driver list attached keeps it: only its text part changes
    part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
    (part or msg).set_content(body, charset="utf-8", cte=cte)
    return message_bytes(msg)


def rewrite(d: DraftFile, data: bytes) -> None:
    """Replace the draft atomically and refresh the folder's ``drafts.mbox``."""
    atomic_write(d.path, data)
    where = d.path.parent
    entries = [mbox_entry(p.read_bytes()) for p in sorted(where.glob("*.eml"))]
    atomic_write(where / MBOX_NAME, b"".join(entries))


def write_sent_record(d: DraftFile, lines: dict[str, str]) -> None:
    """A ``.sent`` record like smtp_send's, for a mail that went out another way."""
    text = "".join(f"{k}: {v}\n" for k, v in lines.items())
    tmp = d.path.with_suffix(".sent.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, d.sent_path)
