"""Reply drafts on disk: one ``.eml`` per draft and ``drafts.mbox`` with all, inside DIR only.

File names are made here from the patch number and a slug of the subject
reduced to ``[a-z0-9-]`` (``0001-usb-serial-acme-report-line-status.eml``),
never from a message-id or a raw header, so no mail can choose where a file
lands. Every file is written under a temporary name and renamed, so a reader
(or ``--send``) never sees half a draft. A draft that was sent (its
``.sent`` record exists) is never overwritten: a second review of the same
patch cannot slip out as a second mail.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from reviewbot.errors import UsageError
from reviewbot.model import Draft

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


def message_bytes(msg: EmailMessage) -> bytes:
    """The draft as a file: RFC 5322 headers, UTF-8 body, LF line ends."""
    return msg.as_bytes(policy=_FILE_POLICY)


def _atomic_write(path: Path, data: bytes) -> None:
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


def _mbox_entry(data: bytes) -> bytes:
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


def write_outbox(drafts: Sequence[ComposedDraft], outbox: Path) -> tuple[Draft, ...]:
    """Write each draft and the mbox of all of them; return the records for the JSON."""
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        root = outbox.resolve()
        records: list[Draft] = []
        entries: list[bytes] = []
        seen: set[str] = set()
        for d in drafts:
            name = draft_name(d)
            if name in seen:
                name = name.removesuffix(".eml") + f"-{len(seen)}.eml"
            seen.add(name)
            target = _inside(root, name)
            if sent_record(target).exists() and target.exists():
                logger.warning("%s was sent already; keeping it, not writing a new draft", name)
                data = target.read_bytes()
            else:
                data = message_bytes(d.message)
                _atomic_write(target, data)
                logger.debug("draft %s", outbox / name)
            entries.append(_mbox_entry(data))
            records.append(
                Draft(path=str(outbox / name), in_reply_to=d.in_reply_to, subject=d.subject)
            )
        if entries:
            _atomic_write(_inside(root, MBOX_NAME), b"".join(entries))
    except OSError as exc:
        raise UsageError(f"{outbox}: cannot write drafts ({exc.strerror or exc})") from None
    return tuple(records)
