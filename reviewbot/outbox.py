"""Reply drafts on disk: one ``.eml`` per draft and ``drafts.mbox`` with all, inside DIR only.

File names are made here from the patch number and a slug of the subject
reduced to ``[a-z0-9-]`` (``0001-usb-serial-acme-report-line-status.eml``),
never from a message-id or a raw header, so no mail can choose where a file
lands. Every file is written under a temporary name and renamed, so a reader
(or ``--send``) never sees half a draft. A draft that was sent (its
``.sent`` record exists) is never overwritten: a second review of the same
patch cannot slip out as a second mail.

Rerunning a review into the same outbox is idempotent: the same drafts
land under the same names with the same Message-Ids (the ids come from the
series and the findings), drafts an earlier run wrote for this series that
this run does not are removed (unless sent), and no two drafts in DIR
answer the same message. Each ``.eml`` is one RFC 5322 message, so
``git send-email DIR/*.eml`` sends one mail per draft, threaded by its own
In-Reply-To and References; ``drafts.mbox`` (mboxrd) holds every draft in
DIR, for mutt.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import formataddr
from pathlib import Path
from typing import TYPE_CHECKING

from reviewbot.errors import ReviewbotError, UsageError
from reviewbot.model import Draft
from reviewbot.render.reply_headers import clean_msgid, identity, is_real_address
from reviewbot.settings import ReplySettings

if TYPE_CHECKING:
    from reviewbot.render.reply import ComposedDraft

logger = logging.getLogger(__name__)

MBOX_NAME = "drafts.mbox"
_PREFIXES = re.compile(r"^\s*(?:(?:re|fwd?|aw)\s*:\s*|\[[^\]]*\]\s*)*", re.IGNORECASE)
# Like b4: headers are not folded below the RFC 5322 hard limit, so tools
# that read "Subject:" line by line see it whole.
_FILE_POLICY = policy.default.clone(linesep="\n", max_line_length=998)


def slug(subject: str, limit: int = 52) -> str:
    """``[PATCH 1/8] usb: serial: acme: x`` -> ``usb-serial-acme-x`` (git format-patch style)."""
    text = _PREFIXES.sub("", subject or "").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:limit].strip("-") or "reply"


def draft_name(draft: ComposedDraft) -> str:
    """The file name of a draft: revision, patch number (0000: the series) and a slug."""
    rev = f"v{draft.revision}-" if draft.revision > 1 else ""
    return f"{rev}{max(0, draft.index):04d}-{slug(draft.original_subject)}.eml"


def sent_record(path: Path) -> Path:
    """Where delivery records that a draft went out (``NAME.sent`` beside ``NAME.eml``)."""
    return path.with_suffix(".sent")


def body_text(msg: EmailMessage) -> str:
    """The text of a draft: its plain body, without an attachment (a series reply carries
    the whole affected-driver list attached); a body in a charset Python lacks, decoded
    leniently."""
    part = msg.get_body(preferencelist=("plain",)) or msg
    try:
        return str(part.get_content())
    except (LookupError, KeyError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)


def message_bytes(msg: EmailMessage) -> bytes:
    """The draft as a file: RFC 5322 headers, UTF-8 body, LF line ends."""
    return msg.as_bytes(policy=_FILE_POLICY)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all (a temporary file beside it, fsync, rename)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def mbox_entry(data: bytes) -> bytes:
    """One mboxrd entry: a ``From`` separator line, ``>From`` escaping, a blank line."""
    lines = data.split(b"\n")
    escaped = [b">" + line if re.match(rb"^>*From ", line) else line for line in lines]
    body = b"\n".join(escaped).rstrip(b"\n")
    # The fixed date git format-patch uses: the separator is not a timestamp.
    return b"From reviewbot Mon Sep 17 00:00:00 2001\n" + body + b"\n\n"


def _inside(root: Path, name: str) -> Path:
    target = root / name
    if target.parent != root or name.startswith("."):
        raise UsageError(f"refusing to write a draft outside {root}: {name!r}")
    return target


def _git_identity(repo: Path | None) -> str:
    """``Name <email>`` from git config user.name/user.email in ``repo``, or ""."""
    cmd = ["git"] + (["-C", str(repo)] if repo is not None else [])
    found = []
    for key in ("user.name", "user.email"):
        try:
            proc = subprocess.run(
                [*cmd, "config", "--get", key], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        found.append(proc.stdout.strip() if proc.returncode == 0 else "")
    name, email = found
    if not email:
        return ""
    return formataddr((name, email)) if name else email


def sender_settings(settings: ReplySettings, repo: Path | None) -> ReplySettings:
    """The reply settings with a From: mail can be sent from, or a UsageError saying how.

    ``reply.from`` when it is a deliverable address; else the tree's (or the
    current repository's) ``git config user.name``/``user.email``, which is
    also who ``git send-email`` sends as there, so it adds no in-body From:.
    """
    if is_real_address(identity(settings)):
        return settings
    found = _git_identity(repo if repo is not None and repo.is_dir() else None)
    if found:
        candidate = replace(settings, identity=found)
        try:
            if is_real_address(identity(candidate)):
                return candidate
        except ReviewbotError:
            pass
    where = f"in {repo}" if repo is not None else "here"
    raise UsageError(
        f"no sender for the drafts: reply.from is {settings.identity!r}, which no mail can "
        f"come from, and git config user.email {where} gives no usable address either; "
        'set reply.from = "Your Name <you@example.org>" in the config (or git config '
        "user.name/user.email) and run again"
    )


def _answered(path: Path) -> str:
    """The message-id a draft on disk answers (its In-Reply-To), or ""."""
    try:
        with path.open("rb") as fh:
            msg = BytesHeaderParser(policy=policy.default).parse(fh)
    except OSError:
        return ""
    return clean_msgid(str(msg.get("In-Reply-To") or ""))


def write_outbox(
    drafts: Sequence[ComposedDraft], outbox: Path, answers: Iterable[str] = (),
    attachments: Mapping[str, bytes] | None = None,
) -> tuple[Draft, ...]:
    """Write each draft and the mbox of every draft in DIR; return the records for the JSON.

    ``answers`` are the message-ids of the series reviewed (cover letter and
    patches): an unsent draft in DIR answering one of them that this run
    does not write again is stale and removed. A draft that was sent stays,
    and no new draft answering the same message is written beside it.
    ``attachments`` (name -> bytes) are files a reply names (the whole affected-driver
    list), written beside the drafts, inside DIR like them.
    """
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        root = outbox.resolve()
        series_ids = {clean_msgid(a) for a in answers} | {
            clean_msgid(d.in_reply_to) for d in drafts
        }
        on_disk = {p.name: _answered(p) for p in root.glob("*.eml") if not p.name.startswith(".")}
        sent_answers = {
            irt: name for name, irt in on_disk.items() if irt and sent_record(root / name).exists()
        }
        records: list[Draft] = []
        written: set[str] = set()
        answered_now: dict[str, str] = {}
        for d in drafts:
            name = draft_name(d)
            if name in written:
                name = name.removesuffix(".eml") + f"-{len(written)}.eml"
            target = _inside(root, name)
            answered = clean_msgid(d.in_reply_to)
            if answered and answered in answered_now:
                logger.warning(
                    "%s answers <%s>, as %s does; not writing a second draft to it",
                    name,
                    answered,
                    answered_now[answered],
                )
                continue
            earlier = sent_answers.get(answered)
            if earlier is not None and earlier != name:
                logger.warning(
                    "%s answers <%s>, which %s (sent) answers already; not writing it",
                    name,
                    answered,
                    earlier,
                )
                continue
            written.add(name)
            answered_now[answered] = name
            if sent_record(target).exists() and target.exists():
                logger.warning("%s was sent already; keeping it, not writing a new draft", name)
            else:
                atomic_write(target, message_bytes(d.message))
                logger.debug("draft %s", outbox / name)
            records.append(
                Draft(path=str(outbox / name), in_reply_to=d.in_reply_to, subject=d.subject)
            )
        for name, irt in on_disk.items():
            path = root / name
            if name in written or irt not in series_ids or sent_record(path).exists():
                continue
            path.unlink(missing_ok=True)
            logger.info("removed the stale draft %s (this review does not write it)", name)
        for name, data in (attachments or {}).items():
            atomic_write(_inside(root, name), data)
        entries = [mbox_entry(p.read_bytes()) for p in sorted(root.glob("*.eml"))]
        mbox = _inside(root, MBOX_NAME)
        if entries:
            atomic_write(mbox, b"".join(entries))
        else:
            mbox.unlink(missing_ok=True)
    except OSError as exc:
        raise UsageError(f"{outbox}: cannot write drafts ({exc.strerror or exc})") from None
    return tuple(records)
