"""Approve, drop, restore, edit, send, mark sent by hand: each once, each recorded.

A send is three steps, each safe to be killed in, like the watcher's review:

1. one transaction checks the draft is approved and unchanged since, and
   records the ``send`` action and the mark ``sending``;
2. the mail goes out through ``sender.send``: smtp_send's one send path,
   whose lock (the ``.sending`` marker) the watcher's delivery takes too,
   with ``.sent`` checked again once it is held;
3. one transaction records the outcome, whatever it was: a send that failed
   before the mail left is approved again with the reason, never left
   "sending" or "in doubt".

``reconcile`` (at start, before any request) finishes what a killed queue
left ``sending``: a ``.sent`` record means it went out (recorded as sent);
a ``.sending`` marker means in doubt (a person decides); neither means it
never left, and the draft is approved again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reviewbot.queue import drafts as dr
from reviewbot.queue import sender
from reviewbot.queue.store import Mark, Store
from reviewbot.settings import SmtpSettings
from reviewbot.smtp_send import Marker, marker_state

logger = logging.getLogger(__name__)

# Test hook: REVIEWBOT_QUEUE_TEST_PAUSE=STAGE (claimed or delivered) makes a
# send wait there for an hour, so a test can kill the server at that point.
PAUSE_ENV = "REVIEWBOT_QUEUE_TEST_PAUSE"

DONE = {"sent", "sent-by-hand"}


class ActionError(Exception):
    """The action is not possible in the draft's present state; the text is for the page."""


@dataclass
class Context:
    outbox: Path
    smtp: SmtpSettings
    sendmail: str
    wrap: int
    who: str
    pause: Callable[[str], None] = lambda _stage: None
    # drafts this process is sending now: never "in doubt" while their send runs
    inflight: set[tuple[int, str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def can_send(self) -> bool:
        return sender.configured(self.smtp, self.sendmail)


NO_SENDER = (
    "sending is not configured: set [smtp] host (or [queue] sendmail) in the config, "
    "or send it another way and mark it as sent by hand"
)


def pause_hook() -> Callable[[str], None]:
    stage = os.environ.get(PAUSE_ENV, "")

    def pause(at: str) -> None:
        if stage and at == stage:
            logger.warning("reviewbot queue: test pause at %s", at)
            time.sleep(3600)

    return pause


def status_of(d: dr.DraftFile, mark: Mark | None, ctx: Context) -> str:
    """waiting, approved, dropped, sending, sent, sent-by-hand or in-doubt."""
    if d.sent_path.exists():
        return mark.status if mark is not None and mark.status in DONE else "sent"
    marker = marker_state(d.path)
    if marker is Marker.HELD:
        return "sending"  # a live sender (this queue, the watcher, review --send) has it now
    if marker is Marker.LEFT or (mark is not None and mark.status == "sending"):
        return "sending" if (d.rev_id, d.name) in ctx.inflight else "in-doubt"
    if mark is None:
        return "waiting"
    if mark.status in DONE:
        return "in-doubt"  # recorded as sent, but the record is gone: look before sending
    return mark.status


def _current(store: Store, ctx: Context, rev_id: int, number: int):
    rev, d = dr.find(store.state, ctx.outbox, rev_id, number)
    mark = store.marks(rev_id).get(d.name)
    return rev, d, mark, status_of(d, mark, ctx)


def approve(store: Store, ctx: Context, rev_id: int, number: int, nonce: str) -> str:
    with ctx.lock:
        _rev, d, _mark, status = _current(store, ctx, rev_id, number)
        if status not in ("waiting", "approved"):
            raise ActionError(f"{d.name} is {status}; only a waiting draft can be approved")
        sha = d.sha256()
        with store.transaction() as db:
            store.record(
                db,
                nonce=nonce,
                rev_id=rev_id,
                name=d.name,
                action="approve",
                who=ctx.who,
                detail=f"sha256 {sha}",
            )
            store.set_mark(db, rev_id, d.name, "approved", ctx.who, sha)
    return f"approved {d.name}"


def drop(store: Store, ctx: Context, rev_id: int, number: int, nonce: str) -> str:
    with ctx.lock:
        _rev, d, _mark, status = _current(store, ctx, rev_id, number)
        if status not in ("waiting", "approved"):
            raise ActionError(f"{d.name} is {status}; it cannot be dropped")
        with store.transaction() as db:
            store.record(db, nonce=nonce, rev_id=rev_id, name=d.name, action="drop", who=ctx.who)
            store.set_mark(db, rev_id, d.name, "dropped", ctx.who)
            store.state.hold_draft(db, rev_id, d.name, f"dropped by {ctx.who}")
    return f"dropped {d.name}: it will not be sent"


def restore(store: Store, ctx: Context, rev_id: int, number: int, nonce: str) -> str:
    with ctx.lock:
        _rev, d, _mark, status = _current(store, ctx, rev_id, number)
        if status != "dropped":
            raise ActionError(f"{d.name} is {status}, not dropped")
        with store.transaction() as db:
            store.record(db, nonce=nonce, rev_id=rev_id, name=d.name, action="restore", who=ctx.who)
            store.set_mark(db, rev_id, d.name, None, ctx.who)
            store.state.release_draft(db, rev_id, d.name)
    return f"restored {d.name}: it waits for approval"


def edit(store: Store, ctx: Context, rev_id: int, number: int, nonce: str, body: str) -> str:
    """Replace the body (headers stay as written); an approval is cleared by any change."""
    if len(body.encode("utf-8", "replace")) > dr.MAX_BODY:
        raise ActionError(f"the body is over {dr.MAX_BODY // 1024} KiB")
    with ctx.lock:
        _rev, d, _mark, status = _current(store, ctx, rev_id, number)
        if status not in ("waiting", "approved"):
            raise ActionError(f"{d.name} is {status}; only a waiting draft can be edited")
        before = d.sha256()
        msg = d.message()
        new_body = dr.wrapped(body, ctx.wrap)
        for i, line in enumerate(new_body.split("\n"), 1):
            if len(line.encode("utf-8")) > 998:  # RFC 5322's hard limit; a server may refuse
                raise ActionError(f"line {i} is over 998 characters even after wrapping")
        if new_body == dr.wrapped(dr.body_text(msg), ctx.wrap):
            return f"{d.name}: no change"
        data = dr.with_body(msg, new_body)
        with store.transaction() as db:
            store.record(
                db,
                nonce=nonce,
                rev_id=rev_id,
                name=d.name,
                action="edit",
                who=ctx.who,
                detail=f"sha256 {before} -> {_sha(data)}",
            )
            store.set_mark(db, rev_id, d.name, None, ctx.who)
            try:
                dr.rewrite(d, data)  # inside: a failed write rolls the record back
            except OSError as exc:
                raise ActionError(
                    f"{d.name} was not saved: cannot write it ({exc.strerror or exc})"
                ) from None
    return f"saved {d.name}" + ("; approve it again" if status == "approved" else "")


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def mark_sent(store: Store, ctx: Context, rev_id: int, number: int, nonce: str) -> str:
    """The mail went out another way (or an in-doubt send did arrive): never send it."""
    with ctx.lock:
        _rev, d, _mark, status = _current(store, ctx, rev_id, number)
        if status in DONE or status in ("sending", "dropped"):
            raise ActionError(f"{d.name} is {status}")
        with store.transaction() as db:
            store.record(
                db,
                nonce=nonce,
                rev_id=rev_id,
                name=d.name,
                action="mark-sent",
                who=ctx.who,
                detail=f"was {status}",
            )
            store.set_mark(db, rev_id, d.name, "sent-by-hand", ctx.who, d.sha256())
            now = datetime.now(UTC).isoformat(timespec="seconds")
            try:
                dr.write_sent_record(
                    d,
                    {
                        "sent": now,
                        "server": "by hand",
                        "answer": f"marked as sent by {ctx.who} in reviewbot queue",
                        "message-id": str(d.message()["Message-Id"]),
                    },
                )
            except OSError as exc:  # the transaction rolls back: nothing changed
                raise ActionError(
                    f"{d.name} was not marked as sent: cannot write its record "
                    f"({exc.strerror or exc})"
                ) from None
        d.marker_path.unlink(missing_ok=True)
    return f"{d.name} is recorded as sent by hand"


def release(store: Store, ctx: Context, rev_id: int, number: int, nonce: str) -> str:
    """In doubt, and a person checked that it did not arrive: it may be approved and sent again."""
    with ctx.lock:
        _rev, d, _mark, status = _current(store, ctx, rev_id, number)
        if status != "in-doubt":
            raise ActionError(f"{d.name} is {status}, not in doubt")
        with store.transaction() as db:
            store.record(
                db,
                nonce=nonce,
                rev_id=rev_id,
                name=d.name,
                action="not-sent",
                who=ctx.who,
                detail="checked: it did not arrive",
            )
            store.set_mark(db, rev_id, d.name, None, ctx.who)
            try:
                d.marker_path.unlink(missing_ok=True)
            except OSError as exc:
                raise ActionError(
                    f"{d.name} stays in doubt: cannot remove {d.marker_path.name} "
                    f"({exc.strerror or exc})"
                ) from None
    return f"{d.name} waits for approval again"


def send_now(store: Store, ctx: Context, rev_id: int, number: int, nonce: str) -> str:
    if not ctx.can_send:
        raise ActionError(f"not sent: {NO_SENDER}")
    with ctx.lock:
        _rev, d, mark, status = _current(store, ctx, rev_id, number)
        if status == "sending":
            raise ActionError(
                f"{d.name} is sending: another sender (the watcher?) has it now; "
                "it is not sent a second time"
            )
        if status != "approved" or mark is None:
            raise ActionError(f"{d.name} is {status}; approve it first")
        if d.sha256() != mark.sha256:
            raise ActionError(f"{d.name} changed since it was approved; approve it again")
        with store.transaction() as db:
            store.record(
                db,
                nonce=nonce,
                rev_id=rev_id,
                name=d.name,
                action="send",
                who=ctx.who,
                detail="via sendmail" if ctx.sendmail else f"via {ctx.smtp.host}:{ctx.smtp.port}",
            )
            store.set_mark(db, rev_id, d.name, "sending", ctx.who, mark.sha256)
        ctx.inflight.add((rev_id, d.name))
    try:
        ctx.pause("claimed")
        try:
            outcome = sender.send(d, ctx.smtp, ctx.sendmail)
        except Exception as exc:  # never leave the mark "sending": settle from the files
            logger.exception("reviewbot queue: sending %s failed", d.name)
            outcome = sender.settle(d, f"{type(exc).__name__}: {exc}")
        ctx.pause("delivered")
        with ctx.lock, store.transaction() as db:
            _finish(store, db, d, outcome.status, outcome.detail, ctx.who, mark.sha256)
    finally:
        ctx.inflight.discard((rev_id, d.name))
    if outcome.status in ("sent", "already-sent"):
        return f"sent {d.name}: {outcome.detail}"
    if outcome.status == "sending":
        raise ActionError(
            f"{d.name} is sending: another sender (the watcher?) has it now; "
            "it is not sent a second time"
        )
    if outcome.status == "in-doubt":
        raise ActionError(
            f"{d.name} may or may not have gone out ({outcome.detail}); "
            "check the list, then mark it sent or not sent"
        )
    raise ActionError(f"{d.name} was not sent: {outcome.detail or outcome.status}")


def _finish(
    store: Store, db, d: dr.DraftFile, status: str, detail: str, who: str, sha: str | None
) -> None:
    if status in ("sent", "already-sent"):
        store.record(
            db, nonce=None, rev_id=d.rev_id, name=d.name, action="sent", who=who, detail=detail
        )
        store.set_mark(db, d.rev_id, d.name, "sent", who, sha)
    elif status == "in-doubt":
        store.record(
            db, nonce=None, rev_id=d.rev_id, name=d.name, action="in-doubt", who=who, detail=detail
        )
        store.set_mark(db, d.rev_id, d.name, "in-doubt", who, sha)
    elif status == "sending":  # another sender holds the lock: it finishes (or fails) there
        store.record(
            db,
            nonce=None,
            rev_id=d.rev_id,
            name=d.name,
            action="send-skipped",
            who=who,
            detail=f"another sender has it now: {detail}",
        )
        store.set_mark(db, d.rev_id, d.name, "approved", who, sha)
    else:
        store.record(
            db,
            nonce=None,
            rev_id=d.rev_id,
            name=d.name,
            action="send-failed",
            who=who,
            detail=f"{status}: {detail}",
        )
        store.set_mark(db, d.rev_id, d.name, "approved", who, sha)


def reconcile(store: Store, outbox: Path) -> list[str]:
    """Settle the sends a killed queue left ``sending``; returns what was done, for the log."""
    done = []
    for rev_id, name, mark in store.all_marks("sending"):
        rev = store.state.revision(rev_id)
        where = dr.folder(outbox, rev)
        if where is None:
            continue
        d = dr.DraftFile(rev_id, -1, name, where / name)
        marker = marker_state(d.path)
        if d.sent_path.exists():
            status, detail = "sent", "recovered: the .sent record was written before the stop"
        elif marker is Marker.HELD:
            status, detail = "sending", "recovered: another sender has it now"
        elif marker is Marker.LEFT:
            status, detail = "in-doubt", "recovered: stopped while the mail was being handed over"
        else:
            status, detail = "refused", "recovered: stopped before the mail left"
        with store.transaction() as db:
            _finish(store, db, d, status, detail, mark.who, mark.sha256)
        done.append(f"{name}: {detail}")
    return done
