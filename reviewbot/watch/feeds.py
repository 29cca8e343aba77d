"""Read public-inbox Atom feeds and tell patches from the rest by their subject.

The feed is untrusted input from the network: it is parsed with defusedxml
(no entity expansion, no external entities), and anything that does not
look like a public-inbox entry is dropped rather than guessed at.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

ATOM = "{http://www.w3.org/2005/Atom}"
THREAD = "{http://purl.org/syndication/thread/1.0}"

_REPLY = re.compile(r"^\s*(?:re|fwd?|aw|sv)\s*:", re.IGNORECASE)
_BRACKETS = re.compile(r"^\s*\[([^\]]*)\]")
_COUNTER = re.compile(r"^(\d+)/(\d+)$")
_VERSION = re.compile(r"^v(\d+)$", re.IGNORECASE)


class FeedError(ValueError):
    """The body is not a readable Atom feed."""


@dataclass(frozen=True)
class FeedEntry:
    msgid: str
    subject: str
    author: str  # e-mail address, lower case ("" when the feed has none)
    author_name: str
    in_reply_to: str | None
    updated: str


@dataclass(frozen=True)
class PatchSubject:
    """What ``[PATCH v2 3/8] foo: bar`` says: revision 2, patch 3 of 8."""

    revision: int
    index: int
    total: int

    @property
    def cover(self) -> bool:
        return self.index == 0


def parse_subject(subject: str) -> PatchSubject | None:
    """The patch counter of a subject, or None for replies and non-patches.

    Like b4: the bracketed prefixes at the start are read as words; one of
    them must be PATCH (``RFC PATCH``, ``PATCH net-next v3``...). ``Re:``
    is a reply even when a patch counter follows.
    """
    if _REPLY.match(subject):
        return None
    words: list[str] = []
    rest = subject
    while (m := _BRACKETS.match(rest)) is not None:
        words += m.group(1).replace(",", " ").split()
        rest = rest[m.end() :]
    if not any(w.upper() == "PATCH" for w in words):
        return None
    revision, index, total = 1, 1, 1
    for w in words:
        if (v := _VERSION.match(w)) is not None:
            revision = max(1, int(v.group(1)))
        elif (c := _COUNTER.match(w)) is not None:
            index, total = int(c.group(1)), int(c.group(2))
    if total < 1 or index > total:
        return None
    return PatchSubject(revision, index, total)


def _msgid_from_href(href: str | None) -> str | None:
    """``<inbox>/<msgid>/`` -> msgid (public-inbox escapes it in the path)."""
    if not href:
        return None
    path = urllib.parse.urlsplit(href).path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    msgid = urllib.parse.unquote(last)
    return msgid if "@" in msgid else None


def _text(el: Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def parse_feed(data: bytes) -> list[FeedEntry]:
    """Entries of a public-inbox Atom feed, in feed order (newest received first)."""
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise FeedError(f"not an Atom feed ({exc})") from None
    if root.tag != f"{ATOM}feed":
        raise FeedError(f"not an Atom feed (root element {root.tag!r})")
    entries = []
    for el in root.findall(f"{ATOM}entry"):
        link = el.find(f"{ATOM}link")
        msgid = _msgid_from_href(link.get("href") if link is not None else None)
        if msgid is None:
            continue
        reply = el.find(f"{THREAD}in-reply-to")
        author = el.find(f"{ATOM}author")
        entries.append(
            FeedEntry(
                msgid=msgid,
                subject=" ".join(_text(el.find(f"{ATOM}title")).split()),
                author=_text(author.find(f"{ATOM}email") if author is not None else None).lower(),
                author_name=_text(author.find(f"{ATOM}name") if author is not None else None),
                in_reply_to=_msgid_from_href(reply.get("href") if reply is not None else None),
                updated=_text(el.find(f"{ATOM}updated")),
            )
        )
    return entries
