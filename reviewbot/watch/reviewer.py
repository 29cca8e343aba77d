"""Review one series revision exactly once, and file its drafts exactly once.

The steps, each safe to be killed in:

1. ``reviewing`` is recorded with the name of the folder the drafts will
   get (``planned``), and the attempt is counted (a series that kills the
   process every time ends ``failed``, not in a crash loop);
2. the thread is fetched through b4 and reviewed by the same pipeline as
   ``reviewbot review``; the drafts are written into ``.<planned>.tmp``;
3. one transaction records the drafts and ``reviewed``, and inside it the
   temporary folder is renamed to ``<planned>``: the rename is the commit
   point on disk, the transaction the commit point in the database.

On start, ``reconcile`` looks at every revision left ``reviewing``: when
its folder exists the drafts were filed before the process died (only the
database commit was lost) and are recorded as they are; otherwise the
temporary folder is removed and the revision waits to be reviewed again.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from reviewbot.errors import ReviewbotError
from reviewbot.limits import limits_of
from reviewbot.outbox import slug
from reviewbot.settings import Settings, reply_settings
from reviewbot.watch.assembly import opted_out
from reviewbot.watch.config import Subscription, WatchConfig
from reviewbot.watch.state import Revision, State

logger = logging.getLogger(__name__)

Pause = Callable[[str], None]
# Wall-clock seconds, injected by the service (WatchService.clock) so every
# stamp (reviewed_at, sent_at, a draft's time, next_try) and every "is the
# embargo over?" comes from the same clock a test advances instead of sleeping.
Clock = Callable[[], float]


def planned_name(rev: Revision) -> str:
    """The outbox folder of a revision's drafts: unique (the id) and readable (the slug)."""
    return f"{rev.id:05d}-v{rev.revision}-{slug(rev.subject, 40)}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def reconcile(
    state: State,
    outbox: Path,
    subs: Mapping[str, Subscription] | None = None,
    review_attempts: int | None = None,
    clock: Clock = time.time,
) -> None:
    """Finish or undo the reviews a killed process left ``reviewing``.

    Drafts filed before the kill are recorded with the ``send_after`` the
    review would have set, so an opted-in subscription still sends them. A
    revision whose review was interrupted ``review_attempts`` times (each
    start is counted before the review begins, so a review that kills the
    process counts too) ends ``failed`` instead of looping. Temporary draft
    folders nobody will finish are removed.
    """
    subs = subs or {}
    for rev in state.revisions("reviewing"):
        final = outbox / rev.planned if rev.planned else None
        if final is not None and final.is_dir():
            emls = sorted(final.glob("*.eml"))
            now = clock()
            sub = subs.get(rev.sub)
            send_after = now + sub.embargo_hours * 3600 if sub and sub.send and emls else None
            with state.transaction() as db:
                state.add_drafts(db, rev.id, [(str(p), "", "") for p in emls], now)
                state.set_status(
                    db, rev.id, "reviewed", reviewed_at=now, reason=None, send_after=send_after
                )
            logger.warning(
                "recovered v%d %s: its %d drafts were filed before the last stop",
                rev.revision,
                rev.subject,
                len(emls),
            )
            continue
        if rev.planned:
            shutil.rmtree(outbox / f".{rev.planned}.tmp", ignore_errors=True)
        if review_attempts is not None and rev.attempts >= review_attempts:
            reason = (
                f"the review was interrupted {rev.attempts} times (the process was killed "
                "or crashed during it); given up"
            )
            with state.transaction() as db:
                state.set_status(db, rev.id, "failed", reason=reason)
            logger.error("failed v%d %s: %s", rev.revision, rev.subject, reason)
            continue
        with state.transaction() as db:
            state.set_status(db, rev.id, "waiting", next_try=0)
        logger.warning(
            "review of v%d %s was interrupted; it will be redone", rev.revision, rev.subject
        )
    _remove_orphans(outbox)


_TMP = re.compile(r"^\.\d{5}-v\d+-.*\.tmp$")


def _remove_orphans(outbox: Path) -> None:
    """Temporary draft folders left by a process that died: nothing will finish them."""
    try:
        entries = list(outbox.iterdir())
    except OSError:
        return
    for entry in entries:
        if _TMP.match(entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            logger.warning("removed the unfinished draft folder %s", entry)


def _list_addresses(series, patterns) -> list[str]:
    import fnmatch

    people = list(series.cover.to + series.cover.cc) if series.cover else []
    for p in series.patches[:1]:
        people += list(p.to + p.cc)
    return [
        x.email
        for x in people
        if any(fnmatch.fnmatchcase(x.email.lower(), pat.lower()) for pat in patterns)
    ]


def review_revision(
    state: State,
    rev: Revision,
    sub: Subscription,
    config: WatchConfig,
    settings: Settings,
    pause: Pause,
    clock: Clock = time.time,
) -> str:
    """Review ``rev`` and file its drafts; returns the new status."""
    from reviewbot.intake import LorePolicy
    from reviewbot.intake.lore import fetch_thread
    from reviewbot.intake.series import build_series
    from reviewbot.outbox import write_outbox
    from reviewbot.pipeline import review_series
    from reviewbot.render.impact_report import attachments
    from reviewbot.render.reply import compose_drafts

    planned = rev.planned or planned_name(rev)
    attempt = rev.attempts + 1
    with state.transaction() as db:
        state.set_status(db, rev.id, "reviewing", planned=planned, attempts=attempt)
    msgid = rev.first_patch or rev.root
    logger.info(
        "review %s: v%d %s <%s> (attempt %d)", sub.name, rev.revision, rev.subject, msgid, attempt
    )
    pause("planned")
    from reviewbot.outbox import sender_settings

    try:
        # The sender review --outbox would use: never a From: no mail can come from.
        replies = sender_settings(reply_settings(settings), sub.tree or settings.tree)
    except ReviewbotError as exc:
        return _failed(state, rev, sub, config, attempt, str(exc), clock)
    replies = dataclasses.replace(replies, exclude=replies.exclude + config.opt_out)
    try:
        limits = limits_of(settings)
        policy = LorePolicy(
            attempts=config.attempts,
            backoff=config.backoff,
            timeout=config.timeout,
            nocache=True,
            deadline=limits.http_deadline,
            max_body=limits.http_body_bytes,
        )
        messages = fetch_thread(msgid, sub.url, policy)
        series = build_series(messages, f"<{msgid}>", rev.revision, base_url=sub.url)
        who = opted_out(
            config.opt_out,
            series.author.email,
            series.list_id,
            *_list_addresses(series, replies.list_patterns),
        )
        if who is not None:
            with state.transaction() as db:
                state.set_status(db, rev.id, "skipped", reason=f"{who} opted out")
            logger.info("skip %s: v%d %s (%s opted out)", sub.name, rev.revision, rev.subject, who)
            return "skipped"
        tree = sub.tree or settings.tree
        review = review_series(series, tree=tree, cache_dir=settings.cache_dir / "scan")
        # The drafts name the series by its archive URL and the tree by its
        # base commit: no path of this machine goes into a mail.
        drafts = compose_drafts(review, replies, always=sub.always)
    except ReviewbotError as exc:
        return _failed(state, rev, sub, config, attempt, str(exc), clock)
    except Exception as exc:  # a bug in one series must not stop the service
        logger.exception("review %s: v%d %s: internal error", sub.name, rev.revision, rev.subject)
        return _failed(
            state,
            rev,
            sub,
            config,
            config.review_attempts,
            f"internal error: {type(exc).__name__}: {exc}",
            clock,
        )
    now = clock()
    send_after = now + sub.embargo_hours * 3600 if sub.send and drafts else None
    n_findings = len(review.findings)
    record = _record(review, replies.quote_before)
    if not drafts:
        with state.transaction() as db:
            state.set_status(db, rev.id, "reviewed", reviewed_at=now, reason=None, planned=None)
            if record is not None:
                state.add_review(db, rev.id, n_findings, record)
        logger.info(
            "reviewed %s: v%d %s: %d findings, no draft",
            sub.name,
            rev.revision,
            rev.subject,
            n_findings,
        )
        return "reviewed"
    tmp = config.outbox / f".{planned}.tmp"
    final = config.outbox / planned
    try:
        config.outbox.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        records = write_outbox(drafts, tmp, attachments=attachments(review))
        pause("written")
        paths = [(str(final / Path(d.path).name), d.in_reply_to, d.subject) for d in records]
        with state.transaction() as db:
            state.add_drafts(db, rev.id, paths, now)
            if record is not None:
                state.add_review(db, rev.id, n_findings, record)
            state.set_status(
                db, rev.id, "reviewed", reviewed_at=now, reason=None, send_after=send_after
            )
            os.rename(tmp, final)
            _fsync_dir(config.outbox)
            pause("renamed")
    except (OSError, ReviewbotError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        return _outbox_failed(state, rev, sub, config, exc, clock)
    for path, _irt, subject in paths:
        logger.info("draft %s: %s (%s)", sub.name, path, subject)
    logger.info(
        "reviewed %s: v%d %s: %d findings, %d drafts in %s",
        sub.name,
        rev.revision,
        rev.subject,
        n_findings,
        len(paths),
        final,
    )
    return "reviewed"


def _record(review, quote_before: int) -> str | None:
    """The review for the queue's pages; a failure here must not lose the drafts."""
    from reviewbot.watch.record import review_record

    try:
        return review_record(review, quote_before)
    except Exception:
        logger.exception("review record: cannot store the findings for the queue")
        return None


def _outbox_failed(
    state: State,
    rev: Revision,
    sub: Subscription,
    config: WatchConfig,
    exc: Exception,
    clock: Clock,
) -> str:
    """The drafts could not be filed (a full or read-only outbox): not the series' fault.

    The attempt is not counted against the series, and the daemon goes on;
    the review is redone once ``next_try`` comes.
    """
    said = getattr(exc, "strerror", None) or exc
    why = str(exc) if isinstance(exc, ReviewbotError) else f"{config.outbox}: {said}"
    delay = min(config.max_backoff, max(1, sub.poll_interval))
    with state.transaction() as db:
        state.set_status(
            db,
            rev.id,
            "waiting",
            reason=f"drafts not filed: {why}",
            next_try=clock() + delay,
            attempts=rev.attempts,
            planned=rev.planned,
        )
    logger.error(
        "error %s: v%d %s: drafts not filed (%s); the review is redone in %ds",
        sub.name,
        rev.revision,
        rev.subject,
        why,
        delay,
    )
    return "waiting"


def _failed(
    state: State,
    rev: Revision,
    sub: Subscription,
    config: WatchConfig,
    attempt: int,
    reason: str,
    clock: Clock,
) -> str:
    if attempt >= config.review_attempts:
        with state.transaction() as db:
            state.set_status(db, rev.id, "failed", reason=reason)
        logger.error(
            "failed %s: v%d %s: %s (gave up after %d attempts)",
            sub.name,
            rev.revision,
            rev.subject,
            reason,
            attempt,
        )
        return "failed"
    delay = min(config.max_backoff, max(1, sub.poll_interval) * 2 ** (attempt - 1))
    with state.transaction() as db:
        state.set_status(db, rev.id, "waiting", reason=reason, next_try=clock() + delay)
    logger.error(
        "error %s: v%d %s: %s (attempt %d, retrying in %ds)",
        sub.name,
        rev.revision,
        rev.subject,
        reason,
        attempt,
        delay,
    )
    return "waiting"


def deliver(
    state: State,
    config: WatchConfig,
    settings: Settings,
    subs: dict[str, Subscription],
    clock: Clock = time.time,
) -> None:
    """Send the drafts of opted-in subscriptions once their embargo is over.

    Through smtp_send's one send path, whose lock the review queue's "Send
    now" takes too. A draft another sender holds now (``sending``) is left
    to it, and the revision is looked at again next cycle (then it is
    ``already-sent``, or free to send); only then is its delivery done.
    """
    from reviewbot.settings import smtp_settings
    from reviewbot.smtp_send import send_drafts

    now = clock()
    for rev in state.revisions("reviewed"):
        sub = subs.get(rev.sub)
        if (
            sub is None
            or not sub.send
            or rev.send_after is None
            or rev.sent_at is not None
            or rev.send_after > now
            or not rev.planned
        ):
            continue
        folder = config.outbox / rev.planned
        # drafts a person dropped in the review queue never go out
        names = {Path(p).name for p in state.drafts(rev.id)} - state.held_drafts(rev.id)
        try:
            results = send_drafts(folder, smtp_settings(settings), False, only=names)
        except ReviewbotError as exc:
            logger.error("send %s: v%d %s: %s", sub.name, rev.revision, rev.subject, exc)
            continue
        busy = [r.path.name for r in results if r.status == "sending"]
        if not busy:
            with state.transaction() as db:
                db.execute("UPDATE revisions SET sent_at=? WHERE id=?", (clock(), rev.id))
        for r in results:
            logger.info(
                "send %s: %s %s to %s", sub.name, r.status, r.path.name, ", ".join(r.recipients)
            )
        if busy:
            logger.info(
                "send %s: %s being sent by another sender (the review queue?); "
                "looking again next cycle",
                sub.name,
                ", ".join(busy),
            )
