"""Turn bytes from a file, a maildir or stdin into parsed messages.

Real mail is hostile: fuzzed headers, broken charsets, bad base64. Each
message is parsed on its own so one bad message costs only itself; what we
could not read is counted and reported, never raised as a traceback.
"""

from __future__ import annotations

import gzip
import logging
import mailbox
import os
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import b4
import liblore.utils

from reviewbot.errors import InputError

logger = logging.getLogger(__name__)

# A mail of more than this is not a patch series anyone sends to a list.
MAX_INPUT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class RawMail:
    """Parsed messages plus how many pieces of input could not be parsed."""

    messages: tuple[EmailMessage, ...]
    unreadable: int = 0


def parse_one(raw: bytes) -> EmailMessage:
    """Parse a single RFC 2822 message the way b4 does (its policy, its class)."""
    import email.parser

    return email.parser.BytesParser(policy=b4.emlpolicy, _class=EmailMessage).parsebytes(raw)


def split_bytes(data: bytes, name: str) -> RawMail:
    """Split an mbox (mboxrd or mboxo) or a single message into messages."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(f"{name}: not a readable gzip file ({exc})") from None
    if _mostly_binary(data[:8192]):
        raise InputError(f"{name}: binary data, not mail")
    stripped = data.lstrip(b"\r\n")
    if not stripped:
        raise InputError(f"{name}: empty input")
    if stripped.startswith(b"From ") and not stripped.startswith(b"From: "):
        chunks = liblore.utils.split_mbox_as_bytes(stripped)
    else:
        chunks = [stripped]
    messages: list[EmailMessage] = []
    unreadable = 0
    for chunk in chunks:
        if not chunk.strip():
            continue
        try:
            msg = parse_one(chunk)
        except Exception as exc:  # the email package raises many kinds on fuzzed input
            logger.debug("%s: skipping a message that does not parse: %s", name, exc)
            unreadable += 1
            continue
        if not _looks_like_mail(msg):
            unreadable += 1
            continue
        messages.append(msg)
    if not messages:
        raise InputError(f"{name}: not mail (no message with headers found)")
    return RawMail(tuple(messages), unreadable)


def _mostly_binary(head: bytes) -> bool:
    """Fuzzed mail has stray NULs and bad bytes; a binary file is mostly that."""
    if not head:
        return False
    text = sum(1 for b in head if b >= 0x20 or b in (9, 10, 13))
    return text / len(head) < 0.7


def _looks_like_mail(msg: EmailMessage) -> bool:
    """At least one header every list mail has; guards against random text."""
    try:
        keys = {k.lower() for k in msg}
    except Exception:
        return False
    return bool(keys & {"from", "subject", "message-id", "date"})


def read_path(path: Path) -> RawMail:
    """Read an mbox file, a single message file, or a maildir."""
    name = str(path)
    if path.is_dir():
        if not all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
            raise InputError(f"{name}: a directory, but not a maildir (no cur/new/tmp)")
        return _read_maildir(path)
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(f"{name}: {size} bytes is too large for a patch series")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    return split_bytes(data, name)


def _read_maildir(path: Path) -> RawMail:
    messages: list[EmailMessage] = []
    unreadable = 0
    md = mailbox.Maildir(os.fspath(path), factory=None, create=False)
    for key in sorted(md.iterkeys()):
        try:
            with md.get_file(key) as fh:
                messages.append(parse_one(fh.read()))
        except Exception as exc:
            logger.debug("%s: skipping %s: %s", path, key, exc)
            unreadable += 1
    if not messages:
        raise InputError(f"{path}: maildir holds no messages")
    return RawMail(tuple(messages), unreadable)
