"""Header handling that stays linear on hostile mail.

The ``email`` package's structured parser and b4's References loop are
quadratic: 40,000 ids in References took 24 s, 100,000 six minutes, and
30,000 Cc addresses 68 s (issue 15). So before b4 or a policy parser sees
a message, ``tame`` shortens what no real list mail needs: References to
its first id and the last ones (what RFC 5322 3.6.4 and mail readers keep
when trimming), any other single header to ``MAX_HEADER`` characters.
Addresses are read from the raw header text with the linear
``email.utils.getaddresses``, never through the policy parser.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import re
from email.header import decode_header, make_header
from email.message import EmailMessage

logger = logging.getLogger(__name__)

# References: the root of the thread plus the nearest ancestors are all
# threading needs; the reply drafts carry the same trimmed list.
MAX_REFERENCES = 100
# A longer Subject, Message-Id or In-Reply-To is not mail anyone sent a list.
MAX_HEADER = 16 * 1024
# A longer display name is cut: no real name is, and a 100k-character one
# made the draft's To: and greeting lines longer than RFC 5322's 998.
MAX_NAME = 200
# Address headers are read linearly, however long; only the cost of
# writing them back (``as_bytes``) is bounded, by never doing so.
_ADDRESS_HEADERS = {"to", "cc", "from", "reply-to", "sender"}
_MSGID = re.compile(r"<[^<>\s]*>")


def raw_values(msg: EmailMessage, name: str) -> list[str]:
    """Every value of header ``name`` as it came in (no policy parsing)."""
    want = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == want]


def tame(msg: EmailMessage) -> list[str]:
    """Shorten pathological headers in place; what was shortened, for the log."""
    changed: list[str] = []
    refs = raw_values(msg, "References")
    if sum(len(r) for r in refs) > 2048:  # cheap test first: real mail is far below
        ids = list(dict.fromkeys(_MSGID.findall(" ".join(refs))))
        if len(ids) > MAX_REFERENCES:
            keep = ids[:1] + ids[-(MAX_REFERENCES - 1) :]
            del msg["References"]
            msg["References"] = " ".join(keep)
            changed.append(f"References: kept {len(keep)} of {len(ids)} ids")
    if _smuggles_line_break(msg):
        pairs = addresses(msg, "From")
        del msg["From"]
        for name, addr in pairs[:1]:
            msg["From"] = email.utils.formataddr((name, addr), charset="utf-8")
        changed.append("From: an encoded CR or LF in the name became a space")
    for key, value in list(msg.raw_items()):
        lower = key.lower()
        if lower in _ADDRESS_HEADERS or lower == "references" or len(value) <= MAX_HEADER:
            continue
        values = raw_values(msg, key)
        del msg[key]
        for v in values:
            msg[key] = _cut(v) if len(v) > MAX_HEADER else v
        changed.append(f"{key}: cut to {MAX_HEADER} characters")
    return changed


def _smuggles_line_break(msg: EmailMessage) -> bool:
    """Does an encoded word in From decode to CR or LF? (The policy parser then raises.)"""
    for value in raw_values(msg, "From"):
        if "=?" not in value:
            continue
        try:
            decoded = str(make_header(decode_header(value)))
        except Exception:
            continue
        if "\r" in decoded or "\n" in decoded:
            return True
    return False


def _cut(value: str) -> str:
    """The first MAX_HEADER characters, on one line, at a space where there is one."""
    head = " ".join(value[:MAX_HEADER].split())
    space = head.rfind(" ", MAX_HEADER // 2)
    return head[:space] if space > 0 else head


def addresses(msg: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address header, in linear time.

    Names in RFC 2047 encoded words are decoded one by one; a CR or LF an
    encoded word smuggles in becomes a space (it is never a header break).
    """
    values = raw_values(msg, name)
    out = []
    for realname, addr in email.utils.getaddresses(values):
        if not addr:
            continue
        out.append((_decode(realname), addr.strip()))
    return out


def clean_name(text: str) -> str:
    """A display name on one line, at most MAX_NAME characters."""
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())[:MAX_NAME].strip()


def _decode(text: str) -> str:
    if "=?" in text:
        # a broken encoded word is kept as written
        with contextlib.suppress(Exception):
            text = str(make_header(decode_header(text)))
    return clean_name(text)
