"""Reply drafts for a reviewed series: one per patch with findings, one for the series.

``compose_drafts`` is pure: a Review in, ``EmailMessage`` objects out, with
no I/O but reading templates. Writing them (``reviewbot.outbox``) and
sending them (``reviewbot.smtp_send``) are separate steps, so a person can
read every draft before anything leaves the machine.

No findings, no mail: a patch gets a reply only when it introduces a
problem (``always=True`` adds a short "nothing found" reply for the rest),
and the series gets one only for a change to the minimum-alignment macros
or a list of affected drivers.

Only real threads are answered: a series whose patches were never mailed
(a git range, patch files without a Message-Id) gets no drafts, since a
reply would name messages no archive has. Message-Ids are derived from
the series and the findings, so the same review gives the same drafts.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage

from reviewbot.model import Finding, Patch, Review, Series, Severity
from reviewbot.render.reply_body import (
    PATCH_TEMPLATE,
    SERIES_TEMPLATE,
    patch_context,
    render,
    series_context,
    template_env,
)
from reviewbot.render.reply_headers import (
    clean_msgid,
    msgid_domain,
    msgid_is_made_up,
    person_from_string,
    recipients,
    set_headers,
)
from reviewbot.render.reply_text import in_series_reply, series_only
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


def stable_msgid(review: Review, index: int, findings: Sequence[Finding], domain: str) -> str:
    """A Message-Id derived from the series, the patch answered and the findings.

    The same review gives the same ids, so a rerun into an outbox rewrites
    the same drafts instead of adding new ones; a changed finding gives a
    new id (it is a different mail).
    """
    series = review.series
    seed = json.dumps(
        [
            clean_msgid(series.msgid),
            series.revision,
            index,
            sorted(json.dumps(f.key()) for f in findings),
        ]
    )
    digest = hashlib.sha256(seed.encode()).hexdigest()[:20]
    return f"reviewbot-{digest}-v{series.revision}-{index}@{domain}"


def unthreaded_reason(series: Series) -> str | None:
    """Why there is no thread to answer, or None when the patches were mailed.

    Patches from a git range, and patch files without a Message-Id, get
    ids made up by intake: no archive has them, so a reply "to" them would
    name messages that do not exist.
    """
    made_up = [p for p in series.patches if msgid_is_made_up(p.msgid)]
    if not made_up:
        return None
    what = (
        "a git range"
        if any(p.msgid.endswith("@git.reviewbot") for p in made_up)
        else ("patch files without a Message-Id")
    )
    return (
        f"{series.source or 'the series'} is {what}: its patches were never mailed, so there "
        "is no thread to answer (the findings above are the whole review)"
    )


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


def _attach_list(msg: EmailMessage, review: Review) -> None:
    """Attach the whole affected-driver list to the reply that names it: the reply shows
    the first drivers, the attachment every one with its sites (text/plain, as the
    kernel test robot attaches its .config), so the draft is sent as it is."""
    from reviewbot.render.impact_report import attachment_name, review_markdown

    if review.affected_drivers:
        name = attachment_name(review.series)
        text = review_markdown(review)
        # 8bit keeps it readable in any mail client; SMTP allows no line over 998 octets
        # (a site list naming many architectures could reach it): quoted-printable then
        long = any(len(line.encode()) > 900 for line in text.splitlines())
        msg.add_attachment(text, subtype="plain", charset="utf-8",
                           cte="quoted-printable" if long else "8bit", filename=name)
        # the same review gives the same bytes (drafts are compared and re-written)
        msg.set_boundary("=_" + hashlib.sha1(f"{msg['Message-Id']}".encode()).hexdigest())


def archive_settings(settings: ReplySettings, series: Series) -> ReplySettings:
    """``settings`` linking to the archive ``series`` was fetched from.

    A series read from ``--lore-url`` or a watch subscription is in that
    archive, maybe nowhere else: ``url:``, ``reproduce:`` and ``Closes:``
    name it. An explicit ``reply.archive_url`` still wins (a mirror fetched
    from, lore linked to); mail read from a file keeps the configured one.
    """
    if series.archive and not settings.archive_fixed:
        return replace(settings, archive_url=series.archive)
    return settings


def compose_drafts(
    review: Review,
    settings: ReplySettings,
    *,
    always: bool = False,
    clock: Clock | None = None,
    msgid_factory: MsgidFactory | None = None,
) -> list[ComposedDraft]:
    """The replies a careful maintainer would send about ``review``, series reply first.

    None when the series was never mailed (``unthreaded_reason``). The
    reproduce line is built from the Review (archive URL, base commit), so
    no local path reaches a mail. ``clock`` and ``msgid_factory`` fix Date
    and Message-Id (golden tests); by default the ids are ``stable_msgid``.
    """
    clock = clock or _now
    settings = archive_settings(settings, review.series)
    env = template_env(settings)
    series = review.series
    if unthreaded_reason(series):
        return []
    domain = msgid_domain(settings)
    by_patch: dict[int, list[Finding]] = {}
    older: dict[int, list[Finding]] = {}
    for f in review.findings:
        if f.patch is None or not _shown(f, settings):
            continue
        if f.introduced is True and not series_only(f):
            by_patch.setdefault(f.patch, []).append(f)
        elif f.introduced is False and f.fixed_in_patch != f.patch:
            older.setdefault(f.patch, []).append(f)
    # Said once, in the series reply: what the alignment macros mean after the
    # series, and the moves to DMA-level alignment that are its fix. A patch
    # whose only remarks are these gets no reply of its own (nothing to change).
    minalign = [f for f in review.findings if in_series_reply(f) and f.introduced is not False]
    with_findings = sorted(p.index for p in series.patches if by_patch.get(p.index))
    want_series = bool(minalign or review.affected_drivers)
    first = min(series.patches, key=lambda p: p.index, default=None)
    # Without a cover letter the series reply answers patch 1; when patch 1
    # has a reply of its own, the series part goes into that reply instead,
    # so no two drafts answer one message.
    embed = (
        want_series
        and series.cover is None
        and first is not None
        and bool(by_patch.get(first.index) or always)
    )
    series_target = ""
    if want_series:
        series_target = (
            "the cover letter"
            if series.cover is not None or first is None
            else f"patch {first.index}/{series.expected}"
        )

    def make_msgid(index: int, findings: Sequence[Finding]) -> str:
        if msgid_factory is not None:
            return msgid_factory(index)
        return stable_msgid(review, index, findings, domain)

    drafts: list[ComposedDraft] = []
    if want_series and not embed:
        drafts.append(
            _series_draft(
                review,
                minalign,
                with_findings,
                settings,
                env,
                clock,
                make_msgid(0, [*minalign, *_driver_marks(review)]),
            )
        )
    for patch in sorted(series.patches, key=lambda p: p.index):
        found = sorted(by_patch.get(patch.index, []), key=lambda f: (f.file, f.line, f.rule))
        if not found and not always:
            continue
        old = sorted(older.get(patch.index, []), key=lambda f: (f.file, f.line, f.rule))
        here = embed and first is not None and patch.index == first.index
        marks = [*minalign, *_driver_marks(review)] if here else []
        msgid = make_msgid(patch.index, [*found, *old, *marks])
        section: list[str] = []
        if here:
            section = _series_section(review, minalign, with_findings, settings, env, msgid)
        ctx = patch_context(
            review,
            patch,
            found,
            old,
            settings,
            msgid,
            series_target if series_target != f"patch {patch.index}/{series.expected}" else "",
            section,
        )
        body = render(env, PATCH_TEMPLATE, ctx, settings.wrap)
        extra = [person_from_string(m) for d in review.affected_drivers for m in d.maintainers]
        rcpt = recipients(
            patch.author,
            patch.to,
            patch.cc,
            settings,
            series.list_id,
            extra_cc=extra if here else (),
        )
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
        if here:
            _attach_list(msg, review)
        drafts.append(
            ComposedDraft(
                patch.index, msg, clean_msgid(patch.msgid), series.revision, patch.subject
            )
        )
    logger.debug("composed %d draft(s) for %s", len(drafts), series.msgid)
    return drafts


def _series_section(
    review: Review,
    minalign: list[Finding],
    patch_replies: list[int],
    settings: ReplySettings,
    env,
    msgid: str,
) -> list[str]:
    """The series reply as a section of patch 1's reply (no cover letter to answer)."""
    first = min(review.series.patches, key=lambda p: p.index)
    others = [i for i in patch_replies if i != first.index]
    ctx = series_context(review, first, minalign, others, settings, msgid, embedded=True)
    return render(env, SERIES_TEMPLATE, ctx, settings.wrap).rstrip("\n").split("\n")


def _driver_marks(review: Review) -> list[Finding]:
    """The affected drivers as findings, so the series reply's id follows them too."""
    return [
        Finding("affected-driver", Severity.INFO, d.path, 0, d.name, d.kconfig, None, None, "")
        for d in review.affected_drivers
    ]


def _series_draft(
    review: Review,
    minalign: list[Finding],
    patch_replies: list[int],
    settings: ReplySettings,
    env,
    clock: Clock,
    msgid: str,
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
    ctx = series_context(
        review,
        first if cover is None else None,
        minalign,
        patch_replies,
        settings,
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
    _attach_list(msg, review)
    return ComposedDraft(0, msg, clean_msgid(answered), series.revision, subject)
