"""Reply drafts for a reviewed series: one per patch with findings, one for the series.

``compose_drafts`` is pure: a Review in, ``EmailMessage`` objects out, with
no I/O but reading templates. Writing them (``reviewbot.outbox``) and
sending them (``reviewbot.smtp_send``) are separate steps, so a person can
read every draft before anything leaves the machine.

No findings, no mail: a patch gets a reply only when it introduces a
problem (``always=True`` adds a short "nothing found" reply for the rest),
and the series gets one only for a change to the minimum-alignment macros
or a list of affected drivers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid

from reviewbot.model import Finding, Patch, Review, Severity
from reviewbot.render.reply_body import (
    PATCH_TEMPLATE,
    SERIES_TEMPLATE,
    changes_alignment_macro,
    patch_context,
    render,
    series_context,
    template_env,
)
from reviewbot.render.reply_headers import (
    clean_msgid,
    msgid_domain,
    person_from_string,
    recipients,
    set_headers,
)
from reviewbot.settings import ReplySettings

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
MsgidFactory = Callable[[int], str]


@dataclass(frozen=True)
class ComposedDraft:
    """One reply ready to be written: ``index`` is the patch answered (0: the series)."""

    index: int
    message: EmailMessage
    in_reply_to: str
    revision: int = 1
    original_subject: str = ""

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def msgid(self) -> str:
        return clean_msgid(str(self.message["Message-Id"]))


def _now() -> datetime:
    return datetime.now(UTC).astimezone()


def _default_msgid(domain: str) -> MsgidFactory:
    def make(index: int) -> str:
        return clean_msgid(make_msgid(idstring=f"reviewbot.{index}", domain=domain))

    return make


def _shown(f: Finding, settings: ReplySettings) -> bool:
    return f.severity.rank >= Severity(settings.min_severity).rank


def _message(
    body: str,
    *,
    answered_subject: str,
    answered_msgid: str,
    references: tuple[str, ...],
    rcpt,
    settings: ReplySettings,
    msgid: str,
    date: datetime,
) -> EmailMessage:
    msg = EmailMessage()
    set_headers(
        msg,
        subject=answered_subject,
        answered=answered_msgid,
        references=references,
        rcpt=rcpt,
        settings=settings,
        msgid=msgid,
        date=date,
    )
    msg.set_content(body, charset="utf-8", cte="8bit")
    return msg


def compose_drafts(
    review: Review,
    settings: ReplySettings,
    command: str,
    *,
    always: bool = False,
    clock: Clock | None = None,
    msgid_factory: MsgidFactory | None = None,
) -> list[ComposedDraft]:
    """The replies a careful maintainer would send about ``review``, series reply first.

    ``command`` is what reproduces the review (``reviewbot review SOURCE``);
    ``clock`` and ``msgid_factory`` fix Date and Message-Id (golden tests).
    """
    clock = clock or _now
    msgid_factory = msgid_factory or _default_msgid(msgid_domain(settings))
    env = template_env(settings)
    series = review.series
    by_patch: dict[int, list[Finding]] = {}
    older: dict[int, list[Finding]] = {}
    for f in review.findings:
        if f.patch is None or not _shown(f, settings):
            continue
        if f.introduced is True:
            by_patch.setdefault(f.patch, []).append(f)
        elif f.introduced is False and f.fixed_in_patch != f.patch:
            older.setdefault(f.patch, []).append(f)
    minalign = [
        f for f in review.findings if changes_alignment_macro(f) and f.introduced is not False
    ]
    with_findings = sorted(p.index for p in series.patches if by_patch.get(p.index))
    want_series = bool(minalign or review.affected_drivers)

    drafts: list[ComposedDraft] = []
    if want_series:
        drafts.append(
            _series_draft(
                review, minalign, with_findings, settings, command, env, clock, msgid_factory
            )
        )
    for patch in sorted(series.patches, key=lambda p: p.index):
        found = sorted(by_patch.get(patch.index, []), key=lambda f: (f.file, f.line, f.rule))
        if not found and not always:
            continue
        msgid = msgid_factory(patch.index)
        ctx = patch_context(
            review,
            patch,
            found,
            sorted(older.get(patch.index, []), key=lambda f: (f.file, f.line, f.rule)),
            settings,
            command,
            msgid,
            want_series,
        )
        body = render(env, PATCH_TEMPLATE, ctx, settings.wrap)
        rcpt = recipients(patch.author, patch.to, patch.cc, settings, series.list_id)
        msg = _message(
            body,
            answered_subject=patch.subject,
            answered_msgid=patch.msgid,
            references=patch.references,
            rcpt=rcpt,
            settings=settings,
            msgid=msgid,
            date=clock(),
        )
        drafts.append(
            ComposedDraft(
                patch.index, msg, clean_msgid(patch.msgid), series.revision, patch.subject
            )
        )
    logger.debug("composed %d draft(s) for %s", len(drafts), series.msgid)
    return drafts


def _series_draft(
    review: Review,
    minalign: list[Finding],
    patch_replies: list[int],
    settings: ReplySettings,
    command: str,
    env,
    clock: Clock,
    msgid_factory: MsgidFactory,
) -> ComposedDraft:
    """The reply to the cover letter (or to the first patch when there is none)."""
    series = review.series
    cover = series.cover
    first: Patch | None = min(series.patches, key=lambda p: p.index, default=None)
    if cover is not None:
        author, to, cc = cover.author, cover.to, cover.cc
        subject, answered, refs = cover.subject, cover.msgid, cover.references
    elif first is not None:
        author, to, cc = first.author, first.to, first.cc
        subject, answered, refs = first.subject, first.msgid, first.references
    else:
        author, to, cc = series.author, (), ()
        subject, answered, refs = series.subject, series.msgid, ()
    maintainers = [person_from_string(m) for d in review.affected_drivers for m in d.maintainers]
    msgid = msgid_factory(0)
    ctx = series_context(
        review,
        first if cover is None else None,
        minalign,
        patch_replies,
        settings,
        command,
        msgid,
    )
    body = render(env, SERIES_TEMPLATE, ctx, settings.wrap)
    rcpt = recipients(author, to, cc, settings, series.list_id, extra_cc=maintainers)
    msg = _message(
        body,
        answered_subject=subject,
        answered_msgid=answered,
        references=refs,
        rcpt=rcpt,
        settings=settings,
        msgid=msgid,
        date=clock(),
    )
    return ComposedDraft(0, msg, clean_msgid(answered), series.revision, subject)
