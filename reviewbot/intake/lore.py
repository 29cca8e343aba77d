"""Fetch a thread from a public-inbox (lore or any other) through b4.

b4's ``get_pi_thread_by_msgid`` does the fetching, deduplication and strict
threading; it reports every failure as ``None``. To tell "the archive has no
such message" (exit 2) from "the archive could not be reached" (exit 3), the
lore client we hand to b4 retries unreachable answers with backoff and keeps
the last error for us to read.
"""

from __future__ import annotations

import logging
import random
import re
import time
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import b4
import liblore

from reviewbot import __version__
from reviewbot.errors import InputError, NetworkError
from reviewbot.intake.b4config import isolated_b4

logger = logging.getLogger(__name__)

# Suffixes of public-inbox message URLs: /<msgid>/, /T/, /t/, /raw, /t.mbox.gz
_URL_SUFFIXES = ("t.mbox.gz", "raw", "T", "t", "")


@dataclass(frozen=True)
class LorePolicy:
    """How hard to try: attempts per request and the first backoff delay."""

    attempts: int = 4
    backoff: float = 0.5
    timeout: float = 20.0
    cache_dir: Path | None = None
    nocache: bool = False


class _RetryingNode(liblore.LoreNode):
    """A LoreNode that retries unreachable answers and remembers the last error."""

    def __init__(self, url: str, policy: LorePolicy) -> None:
        super().__init__(
            url,
            request_timeout=(min(5.0, policy.timeout), policy.timeout),
            cache_dir=str(policy.cache_dir) if policy.cache_dir else None,
            cache_ttl=600,
            follow_upstream=False,
        )
        self.set_user_agent("reviewbot", __version__)
        self.policy = policy
        self.last_error: liblore.RemoteError | None = None

    def get_mbox_by_msgid(self, msgid: str, *, nocache: bool = False) -> bytes:
        delay = self.policy.backoff
        for attempt in range(1, self.policy.attempts + 1):
            try:
                data = super().get_mbox_by_msgid(msgid, nocache=nocache)
            except liblore.RemoteError as exc:
                self.last_error = exc
                unreachable = exc.status_code is None or exc.status_code >= 500
                if not unreachable or attempt == self.policy.attempts:
                    raise
                sleep = delay * (1 + random.random() / 2)
                logger.warning(
                    "%s: %s (attempt %d of %d), retrying in %.1fs",
                    self.url,
                    _describe(exc),
                    attempt,
                    self.policy.attempts,
                    sleep,
                )
                time.sleep(sleep)
                delay *= 2
            else:
                self.last_error = None
                return data
        raise AssertionError("unreachable")


def split_lore_url(url: str) -> tuple[str, str]:
    """Split a public-inbox message URL into (inbox base URL, message-id).

    Accepts ``<base>/<msgid>/`` and its ``T/``, ``t/``, ``raw`` and
    ``t.mbox.gz`` forms; the base may have any number of path segments.
    """
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(f"{url}: not an http(s) URL")
    parts = [p for p in parsed.path.split("/")]
    while parts and parts[-1] in _URL_SUFFIXES:
        parts.pop()
    if not parts or "@" not in urllib.parse.unquote(parts[-1]):
        raise InputError(f"{url}: no message-id in this URL")
    msgid = urllib.parse.unquote(parts[-1])
    base_path = "/".join(parts[:-1])
    if not base_path.strip("/"):
        raise InputError(f"{url}: no inbox name before the message-id")
    base = urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, base_path, "", ""))
    return base.rstrip("/"), msgid


def clean_msgid(text: str) -> str:
    """Strip ``<>``, ``id:``/``rfc822msgid:`` prefixes and white space."""
    msgid = text.strip()
    msgid = re.sub(r"^(?:rfc822msg)?id:", "", msgid, flags=re.I).strip()
    return msgid.strip("<>").strip()


def fetch_thread(msgid: str, base_url: str, policy: LorePolicy) -> list[EmailMessage]:
    """Fetch the whole thread holding ``msgid`` from the inbox at ``base_url``."""
    node = _RetryingNode(base_url.rstrip("/"), policy)
    try:
        with isolated_b4(base_url, node):
            msgs = b4.get_pi_thread_by_msgid(msgid, nocache=policy.nocache, quiet=True)
    except liblore.LibloreError as exc:  # raised outside b4's own handling
        raise NetworkError(f"{base_url}: {exc}") from None
    finally:
        node.close()
    if msgs:
        return list(msgs)
    err = node.last_error
    if err is not None and (err.status_code is None or err.status_code >= 500):
        what = _describe(err)
        raise NetworkError(
            f"{base_url}: cannot fetch <{msgid}> after {policy.attempts} attempts ({what})"
        )
    raise InputError(f"no thread for <{msgid}> at {base_url}")


def _describe(exc: liblore.RemoteError) -> str:
    """A few words on why a request failed, instead of urllib3's paragraph."""
    from reviewbot.netcause import describe

    if exc.status_code:
        return f"HTTP {exc.status_code}"
    return describe(exc)
