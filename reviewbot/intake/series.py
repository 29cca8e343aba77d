"""Build a ``Series`` from messages, with b4 deciding what is a patch.

b4 already knows how kernel series are threaded: revisions, cover letters,
follow-ups carrying trailers, partial rerolls. We ask it for the revision
and convert its ``LoreSeries`` into our frozen model, parsing each diff
with unidiff.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from email.message import EmailMessage

import b4
import liblore.utils
from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from reviewbot.errors import InputError
from reviewbot.intake.b4config import isolated_b4
from reviewbot.intake.headers import addresses, clean_name, tame
from reviewbot.limits import default_limits
from reviewbot.model import CoverLetter, Patch, Person, Series
from reviewbot.settings import bundled_default

logger = logging.getLogger(__name__)

_DIFF_START = re.compile(r"^(?:diff --git |--- \S|Index: \S)", re.M)


def build_series(
    messages: Iterable[EmailMessage],
    name: str,
    revision: int | None = None,
    base_url: str | None = None,
    unreadable: int = 0,
    max_patches: int | None = None,
) -> Series:
    """Pick one revision out of ``messages`` and convert it.

    ``name`` is how the user named the source, for error messages. A series
    of more than ``max_patches`` (``limits.max_patches``) is refused with
    one clear error: b4 reads at most 4-digit counters, and beyond that it
    would silently review a fragment as if it were the whole series.
    """
    messages = list(messages)
    _refuse_oversized(messages, name, max_patches or default_limits().max_patches)
    notes: list[str] = []
    if unreadable:
        notes.append(f"{unreadable} message(s) in {name} could not be parsed and were skipped")
    with isolated_b4(base_url or bundled_default("lore", "url")):
        mbx = b4.LoreMailbox()
        for msg in messages:
            for what in tame(msg):
                logger.info("%s: %s", name, what)
            if _ensure_msgid(msg):
                notes.append("a message without a Message-Id was given a stable one")
            try:
                mbx.add_message(msg)
            except Exception as exc:  # b4 on fuzzed mail: skip the message, keep going
                logger.debug("%s: b4 could not take a message: %s", name, exc)
                notes.append(f"skipped a message b4 could not read ({type(exc).__name__})")
        if not mbx.series:
            raise InputError(f"{name}: {_why_no_patch(mbx)}")
        revisions = sorted(mbx.series)
        if revision is not None and revision not in mbx.series:
            have = ", ".join(f"v{r}" for r in revisions)
            raise InputError(f"{name}: no v{revision} here (have {have})")
        try:
            lser = mbx.get_series(revision, codereview_trailers=False)
        except Exception as exc:
            raise InputError(f"{name}: cannot assemble the series ({exc})") from None
        if lser is None:
            raise InputError(f"{name}: no patch found in this mail")
        others = [r for r in revisions if r != lser.revision]
        if others:
            notes.append(
                "thread also has "
                + ", ".join(f"v{r}" for r in others)
                + f"; reviewing v{lser.revision} (use --revision to choose)"
            )
        series = _convert(lser, name, notes)
    # The inbox it came from: drafts link there (issue 25), not to lore.url.
    return replace(series, archive=base_url.rstrip("/")) if base_url else series


_PATCH_TAG = re.compile(r"^\s*\[[^\]]*\bPATCH\b[^\]]*\]", re.I)
_COUNTER = re.compile(r"\b(\d+)/(\d+)\s*\]")


def _refuse_oversized(messages: list[EmailMessage], name: str, cap: int) -> None:
    """Refuse more patches than ``cap``: never review part of a series as the whole."""
    mails = 0
    biggest = 0
    for msg in messages:
        subject = _header(msg, "Subject")
        tag = _PATCH_TAG.match(subject)
        if not tag:
            continue
        mails += 1
        counter = _COUNTER.search(subject[: tag.end()])
        if counter:
            biggest = max(biggest, int(counter.group(2)))
    if biggest > cap:
        raise InputError(
            f"{name}: a series of {biggest} patches is more than limits.max_patches ({cap}); "
            "refused rather than reviewed in part"
        )
    if mails > cap:
        raise InputError(
            f"{name}: {mails} patch mails are more than limits.max_patches ({cap}); "
            "refused rather than reviewed in part"
        )


def _convert(lser: b4.LoreSeries, name: str, notes: list[str]) -> Series:
    patches: list[Patch] = []
    # b4's slot, not the subject's counter: b4 shifts duplicates (two "1/2"
    # mails) into slots of their own and grows ``expected`` to match.
    for slot, lmsg in enumerate(lser.patches[1:], start=1):
        if lmsg is None:
            continue
        patches.append(_convert_patch(lmsg, slot, lser.expected))
        if patches[-1].diff_error:
            notes.append(f"patch {slot}: {patches[-1].diff_error}")
    if not patches:
        raise InputError(f"{name}: no patch found in this mail")
    cover = None
    first = lser.patches[0]
    if first is not None and lser.has_cover:
        cover = CoverLetter(
            msgid=first.msgid,
            subject=_header(first.msg, "Subject") or first.full_subject,
            body=first.body,
            author=Person(clean_name(first.fromname), first.fromemail),
            date=first.date.isoformat(),
            to=_addresses(first.msg, "To"),
            cc=_addresses(first.msg, "Cc"),
            references=tuple(first.references),
        )
    head = cover or patches[0]
    listed = first if first is not None else lser.patches[patches[0].index]
    assert listed is not None  # patches[0] was converted from this slot
    series = Series(
        revision=lser.revision,
        subject=lser.subject or head.subject,
        patches=tuple(patches),
        expected=lser.expected,
        msgid=head.msgid,
        author=head.author,
        cover=cover,
        base_commit=lser.base_commit,
        prerequisite_patch_ids=tuple(lser.prereq_patch_ids or ()),
        list_id=_list_id(listed.msg),
        source=name,
        notes=tuple(notes),
    )
    incomplete = series.incomplete_message()
    if incomplete:
        series = _with_note(series, incomplete)
    return series


def _ensure_msgid(msg: EmailMessage) -> bool:
    """Give a message without a usable Message-Id a stable one; b4 needs it.

    ``git format-patch`` without --thread writes none, and fuzzed mail has
    broken ones. The id is derived from the content, so reviewing the same
    file twice yields the same ids (and the same draft threading).
    """
    if liblore.utils.get_clean_msgid(msg):
        return False
    # The raw headers and body, not ``as_bytes``: re-folding every header
    # through the policy parser is slow on hostile mail (30,000 Cc).
    head = "".join(f"{k}: {v}\n" for k, v in msg.raw_items())
    try:
        body = msg.get_payload(decode=False)
    except Exception:
        body = ""
    seed = (head + "\n" + str(body)).encode("utf-8", "surrogateescape")
    digest = hashlib.sha256(seed).hexdigest()[:24]
    del msg["Message-Id"]
    msg["Message-Id"] = f"<{digest}@reviewbot.invalid>"
    return True


def _why_no_patch(mbx: b4.LoreMailbox) -> str:
    """Say what the mail is, when it is not a patch: users ask "why nothing?"."""
    bodies = [m.body for m in (*mbx.unknowns, *mbx.followups, *mbx.covers.values())]
    if any("The following changes since commit" in b or "git pull" in b for b in bodies):
        return "a git pull request, not a patch series"
    if any(re.search(r"^diff --git ", b, re.M) for b in bodies):
        return "its diffs have no text hunks (renames, mode changes or binary files only)"
    return "no patch found in this mail"


def _with_note(series: Series, note: str) -> Series:
    return replace(series, notes=(*series.notes, note))


def _convert_patch(lmsg: b4.LoreMessage, index: int, total: int) -> Patch:
    message, diff_text = split_commit_and_diff(lmsg.body)
    diff, error = parse_diff(diff_text)
    return Patch(
        index=index,
        total=total,
        msgid=lmsg.msgid,
        subject=_header(lmsg.msg, "Subject") or lmsg.full_subject,
        author=Person(clean_name(lmsg.fromname), lmsg.fromemail),
        date=lmsg.date.isoformat(),
        commit_message=message,
        diff_text=diff_text,
        diff=diff,
        to=_addresses(lmsg.msg, "To"),
        cc=_addresses(lmsg.msg, "Cc"),
        references=tuple(lmsg.references),
        in_reply_to=lmsg.in_reply_to,
        diff_error=error,
    )


def split_commit_and_diff(body: str) -> tuple[str, str]:
    """Split a patch mail body into the commit message and the diff text.

    The commit message ends at the ``---`` line; the diff starts at the first
    diff header (after the diffstat). Both survive a missing ``---``.
    """
    body = body.replace("\r\n", "\n")
    match = _DIFF_START.search(body)
    if match is None:
        return body.strip("\n"), ""
    head, diff = body[: match.start()], body[match.start() :]
    cut = re.search(r"^---\s*$", head, re.M)
    message = head[: cut.start()] if cut else head
    # A trailing mail signature ("-- \n2.39.0") is not part of the diff.
    sig = re.search(r"^-- \n", diff, re.M)
    if sig:
        diff = diff[: sig.start()]
    return message.strip("\n"), diff


def parse_diff(diff_text: str) -> tuple[PatchSet, str | None]:
    """Parse with unidiff; a diff it cannot read is kept as text with a reason."""
    if not diff_text.strip():
        return PatchSet(""), None
    try:
        return PatchSet(diff_text), None
    except (UnidiffParseError, ValueError, IndexError) as exc:
        reason = " ".join(str(exc).split())[:160]
        return PatchSet(""), f"diff not parsed ({reason})"


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:
        return ""
    return liblore.utils.clean_header(str(value)) if value is not None else ""


def _addresses(msg: EmailMessage, name: str) -> tuple[Person, ...]:
    """The addresses of To or Cc, read in linear time (see intake/headers.py)."""
    try:
        return tuple(Person(realname, addr) for realname, addr in addresses(msg, name))
    except Exception:
        return ()


def _list_id(msg: EmailMessage) -> str | None:
    value = _header(msg, "List-Id")
    match = re.search(r"<([^>]+)>", value)
    return match.group(1) if match else (value or None)
