"""Headers of a reply draft: threading, recipients by list policy, nothing injected.

Every value that comes from a mail (names, addresses, subjects,
message-ids) passes through a ``clean_*`` function before it reaches
``EmailMessage``: a hostile name or subject carrying CR/LF cannot start a
header of its own, and an address that does not parse is left out rather
than guessed at.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from fnmatch import fnmatchcase

from reviewbot import __version__
from reviewbot.errors import ConfigError
from reviewbot.model import Person
from reviewbot.settings import ReplyPolicy, ReplySettings

logger = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
_MSGID_BAD = re.compile(r"[^!-~]|[<>]")
_EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_RE_PREFIX = re.compile(r"^\s*re\s*:", re.IGNORECASE)
_SUBJECT_MAX = 400
# A display name longer than this is cut: no real name is, and a 100k-character
# one made a To: line over RFC 5322's 998-character limit.
_NAME_MAX = 200
# Recipients of one draft (To and Cc together; lists first). A hostile mail
# Cc'ing 30,000 people must not turn the bot into their spammer, and the
# email package's address parser is quadratic in the length of a header.
MAX_RECIPIENTS = 100


def clean_text(value: str | None) -> str:
    """One line of header-safe text: control characters (CR, LF, ...) become spaces."""
    if not value:
        return ""
    return _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()


def clean_msgid(value: str | None) -> str:
    """A message-id without brackets, reduced to the characters RFC 5322 allows."""
    if not value:
        return ""
    return _MSGID_BAD.sub("", value.strip().removeprefix("<").removesuffix(">"))


def reply_subject(subject: str) -> str:
    """``Re: <original>``, without doubling an existing ``Re:``."""
    subject = clean_text(subject)[:_SUBJECT_MAX]
    if _RE_PREFIX.match(subject):
        return "Re: " + _RE_PREFIX.sub("", subject, count=1).lstrip()
    return f"Re: {subject}" if subject else "Re: your patch"


def address(person: Person) -> Address | None:
    """A header address for a person from a mail, or None when it is unusable."""
    email = clean_text(person.email).strip("<>")
    if not _EMAIL.match(email):
        if email:
            logger.warning("leaving out an address that does not parse: %r", email[:80])
        return None
    name = clean_text(person.name)[:_NAME_MAX].strip()
    if name.lower() == email.lower():
        name = ""
    try:
        return Address(display_name=name, addr_spec=email)
    except (ValueError, IndexError, HeaderParseError):
        logger.warning("leaving out an address that does not parse: %r", email[:80])
        return None


def identity(settings: ReplySettings) -> Address:
    """The bot's own address (``reply.from``)."""
    name, email = parseaddr(settings.identity)
    found = address(Person(name, email))
    if found is None:
        raise ConfigError(f"reply.from is not an address: {settings.identity!r}")
    return found


# Domains intake gives the ids it makes up (git ranges, id-less patch files).
MADE_UP_MSGID_DOMAINS = ("git.reviewbot", "reviewbot.invalid")
# Domains no mail is delivered to (RFC 2606 / 6761), and the default identity's.
_NOWHERE = ("localhost", "invalid", "local", "localdomain", "test")


def msgid_is_made_up(msgid: str) -> bool:
    """Whether a message-id was made up by intake, so no archive or mailbox has it."""
    domain = clean_msgid(msgid).rpartition("@")[2].lower()
    return domain in MADE_UP_MSGID_DOMAINS


def is_real_address(addr: Address) -> bool:
    """Whether mail to ``addr`` can be delivered: a dotted domain that is not reserved."""
    domain = addr.domain.lower().rstrip(".")
    if "." not in domain:
        return False
    return domain.rsplit(".", 1)[1] not in _NOWHERE


def msgid_domain(settings: ReplySettings) -> str:
    return clean_msgid(settings.msgid_domain) or identity(settings).domain or "localhost"


def list_id_address(list_id: str | None) -> tuple[str, str]:
    """The id inside a List-Id header and the list address it stands for.

    ``Linux USB <linux-usb.vger.kernel.org>`` gives
    ``("linux-usb.vger.kernel.org", "linux-usb@vger.kernel.org")``.
    """
    if not list_id:
        return "", ""
    m = re.search(r"<([^<>]+)>", list_id)
    ident = clean_text(m.group(1) if m else list_id).lower()
    local, dot, domain = ident.partition(".")
    return ident, f"{local}@{domain}" if dot else ""


def is_list(email: str, settings: ReplySettings, list_id: str | None) -> bool:
    email = email.lower()
    if email and email == list_id_address(list_id)[1]:
        return True
    return any(fnmatchcase(email, pattern.lower()) for pattern in settings.list_patterns)


def choose_policy(
    settings: ReplySettings, list_id: str | None, recipients: Iterable[Person]
) -> ReplyPolicy:
    """The first policy whose ``lists`` match the List-Id or a list the mail went to."""
    ident, ident_addr = list_id_address(list_id)
    candidates = [c for c in (ident, ident_addr) if c]
    if not candidates:
        candidates = [p.email.lower() for p in recipients if is_list(p.email, settings, list_id)]
    for policy in settings.policies:
        patterns = [p.lower() for p in policy.lists]
        if any(fnmatchcase(c, pat) for c in candidates for pat in patterns):
            return policy
    return settings.default_policy


@dataclass(frozen=True)
class Recipients:
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    policy: str


def recipients(
    author: Person,
    to: Sequence[Person],
    cc: Sequence[Person],
    settings: ReplySettings,
    list_id: str | None,
    extra_cc: Sequence[Person] = (),
) -> Recipients:
    """To the author, Cc the lists and (reply to all, ``reply.cc_original``) the people
    the patch went to, minus exclusions and the bot itself, as ``b4 ty`` does.

    ``extra_cc`` are the maintainers of affected drivers, used only when the
    policy has ``cc_maintainers_of_affected``.
    """
    original = [*to, *cc]
    policy = choose_policy(settings, list_id, original)
    own = identity(settings).addr_spec.lower()
    patterns = [p.lower() for p in (*settings.exclude, *policy.exclude)]

    def excluded(a: Address) -> bool:
        email = a.addr_spec.lower()
        return email == own or any(fnmatchcase(email, p) for p in patterns)

    author_email = author.email.lower()
    want_to: list[Person] = [author] if policy.to_author else []
    want_cc: list[Person] = []
    individuals = (
        settings.cc_original if policy.cc_individuals is None else policy.cc_individuals
    )
    for p in original:
        if is_list(p.email, settings, list_id):
            if policy.cc_lists:
                want_cc.append(p)
        elif individuals and p.email.lower() != author_email:
            want_cc.append(p)
    if policy.cc_maintainers_of_affected:
        want_cc.extend(extra_cc)
    seen: set[str] = set()

    def keep(people: list[Person], limit: int) -> list[Address]:
        out = []
        for p in people:
            if len(out) >= limit:
                logger.warning(
                    "a draft is addressed to %d people at most; leaving out the rest",
                    MAX_RECIPIENTS,
                )
                break
            a = address(p)
            if a is None or excluded(a) or a.addr_spec.lower() in seen:
                continue
            seen.add(a.addr_spec.lower())
            out.append(a)
        return out

    to_addrs = keep(want_to, MAX_RECIPIENTS)
    # lists before people, so the cap never drops a list for an individual
    want_cc.sort(key=lambda p: not is_list(p.email, settings, list_id))
    cc_addrs = keep(want_cc, MAX_RECIPIENTS - len(to_addrs) + (0 if to_addrs else 1))
    if not to_addrs and cc_addrs:
        to_addrs = [cc_addrs.pop(0)]
    return Recipients(tuple(to_addrs), tuple(cc_addrs), policy.name)


def person_from_string(value: str) -> Person:
    """``Name <email>`` as MAINTAINERS writes it."""
    name, email = parseaddr(clean_text(value))
    return Person(name, email)


def set_headers(
    msg: EmailMessage,
    *,
    subject: str,
    answered: str,
    references: Sequence[str],
    rcpt: Recipients,
    settings: ReplySettings,
    msgid: str,
    date: datetime,
) -> None:
    """Threading and addressing headers, in the order mail readers show them."""
    msg["From"] = identity(settings)
    if rcpt.to:
        msg["To"] = rcpt.to
    if rcpt.cc:
        msg["Cc"] = rcpt.cc
    msg["Subject"] = reply_subject(subject)
    msg["Date"] = format_datetime(date)
    msg["Message-Id"] = f"<{clean_msgid(msgid)}>"
    answered_id = clean_msgid(answered)
    if answered_id:
        msg["In-Reply-To"] = f"<{answered_id}>"
        refs: list[str] = []
        for ref in (*references, answered_id):
            ref = clean_msgid(ref)
            if ref and ref not in refs:
                refs.append(ref)
        msg["References"] = " ".join(f"<{r}>" for r in refs)
    msg["User-Agent"] = f"reviewbot/{__version__}"
