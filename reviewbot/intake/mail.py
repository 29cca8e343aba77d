"""Turn bytes from a file, a maildir or stdin into parsed messages.

Real mail is hostile: fuzzed headers, broken charsets, bad base64. Each
message is parsed on its own so one bad message costs only itself; what we
could not read is counted and reported, never raised as a traceback.
"""

from __future__ import annotations

import logging
import mailbox
import os
import zlib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO

import b4
import liblore.utils

from reviewbot.errors import InputError
from reviewbot.limits import TooLarge, default_limits, describe_size, gunzip, read_capped

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawMail:
    """Parsed messages plus how many pieces of input could not be parsed."""

    messages: tuple[EmailMessage, ...]
    unreadable: int = 0


def parse_one(raw: bytes) -> EmailMessage:
    """Parse a single RFC 2822 message the way b4 does (its policy, its class)."""
    import email.parser

    return email.parser.BytesParser(policy=b4.emlpolicy, _class=EmailMessage).parsebytes(raw)


def too_large(name: str, cap: int, what: str = "") -> InputError:
    """The one error for an input over ``limits.input_bytes``."""
    return InputError(
        f"{name}: more than {describe_size(cap)}{what} (limits.input_bytes); "
        "not a patch series, refused"
    )


def read_input(stream: BinaryIO, name: str, cap: int | None = None) -> bytes:
    """All of a stream (stdin, a file), but never more than the input cap."""
    cap = cap or default_limits().input_bytes
    try:
        return read_capped(stream, cap)
    except TooLarge:
        raise too_large(name, cap) from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None


def split_bytes(data: bytes, name: str, cap: int | None = None) -> RawMail:
    """Split an mbox (mboxrd or mboxo, gzip too) or a single message into messages.

    A gzip input is inflated to at most ``cap`` bytes (``limits.input_bytes``):
    a small ``.mbox.gz`` can hold gigabytes.
    """
    cap = cap or default_limits().input_bytes
    if data[:2] == b"\x1f\x8b":
        try:
            data = gunzip(data, cap)
        except TooLarge:
            raise too_large(name, cap, " after decompression") from None
        except (zlib.error, EOFError) as exc:
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


def read_path(path: Path, cap: int | None = None) -> RawMail:
    """Read an mbox file, a single message file, or a maildir.

    Nothing is read past ``cap`` bytes (``limits.input_bytes``), so
    ``/dev/zero`` or a pipe that never ends is refused, not swallowed.
    """
    cap = cap or default_limits().input_bytes
    name = str(path)
    if path.is_dir():
        if not all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
            raise InputError(f"{name}: a directory, but not a maildir (no cur/new/tmp)")
        return _read_maildir(path, cap)
    try:
        size = path.stat().st_size
        if size > cap:
            raise too_large(name, cap)
        with path.open("rb") as fh:
            data = read_input(fh, name, cap)
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    return split_bytes(data, name, cap)


def _read_maildir(path: Path, cap: int) -> RawMail:
    messages: list[EmailMessage] = []
    unreadable = 0
    md = mailbox.Maildir(os.fspath(path), factory=None, create=False)
    for key in sorted(md.iterkeys()):
        try:
            with md.get_file(key) as fh:
                data = read_capped(fh, cap)
        except TooLarge:
            raise too_large(f"{path}: message {key}", cap) from None
        except OSError as exc:
            logger.debug("%s: skipping %s: %s", path, key, exc)
            unreadable += 1
            continue
        try:
            messages.append(parse_one(data))
        except Exception as exc:
            logger.debug("%s: skipping %s: %s", path, key, exc)
            unreadable += 1
    if not messages:
        raise InputError(f"{path}: maildir holds no messages")
    return RawMail(tuple(messages), unreadable)
