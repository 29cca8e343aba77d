"""Fetch a thread from a public-inbox (lore or any other), then let b4 thread it.

The one request (``<inbox>/<msgid>/t.mbox.gz``) goes through reviewbot's
shared HTTP helper (``reviewbot.httpget``: retries with backoff, a total
deadline, a size cap) and the mbox is inflated to at most
``limits.http_body_bytes``. b4 then splits, deduplicates and keeps the
strict thread, as its ``get_pi_thread_by_msgid`` would. "The archive has
no such message" is exit 2; "the archive could not be reached, or kept
answering garbage" is exit 3. An answer that is not gzip (an HTML error
page with status 200) is a server error, retried like a 503.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import b4

from reviewbot import __version__
from reviewbot.errors import InputError, NetworkError
from reviewbot.httpget import Answer, BadAnswer, HttpClient, HttpError, HttpPolicy
from reviewbot.intake.b4config import isolated_b4
from reviewbot.intake.headers import tame
from reviewbot.limits import TooLarge, default_limits, describe_size, gunzip
from reviewbot.settings import bundled_default

logger = logging.getLogger(__name__)

# Suffixes of public-inbox message URLs: /<msgid>/, /T/, /t/, /raw, /t.mbox.gz
_URL_SUFFIXES = ("t.mbox.gz", "raw", "T", "t", "")


@dataclass(frozen=True)
class LorePolicy:
    """How hard to try (attempts, first backoff, timeout per silence) and how much to take.

    The defaults are ``[lore]`` of config/default.toml, the one place they are written.
    """

    attempts: int = bundled_default("lore", "attempts")
    backoff: float = float(bundled_default("lore", "backoff"))
    timeout: float = float(bundled_default("lore", "timeout"))
    cache_dir: Path | None = None
    nocache: bool = False
    deadline: float = field(default_factory=lambda: default_limits().http_deadline)
    max_body: int = field(default_factory=lambda: default_limits().http_body_bytes)

    def http(self) -> HttpPolicy:
        return HttpPolicy(
            attempts=self.attempts,
            backoff=self.backoff,
            timeout=self.timeout,
            deadline=self.deadline,
            max_body=self.max_body,
        )


class _ThreadFetcher:
    """``<inbox>/<msgid>/t.mbox.gz`` through the shared HTTP helper, inflated with a cap.

    This is the one request b4's ``get_pi_thread_by_msgid`` would make
    through its LoreNode; making it here gives it the helper's deadline,
    size cap and retries, and an inflation capped after decompression.
    Answers are kept ``CACHE_TTL`` seconds in ``policy.cache_dir``.
    """

    CACHE_TTL = 600

    def __init__(self, url: str, policy: LorePolicy, http: HttpClient) -> None:
        self.url = url.rstrip("/")
        self.policy = policy
        self.http = http

    def mbox(self, msgid: str) -> bytes:
        cache = self._cache_path(msgid)
        if cache is not None and not self.policy.nocache:
            try:
                if time.time() - cache.stat().st_mtime < self.CACHE_TTL:
                    return cache.read_bytes()
            except OSError:
                pass
        data = self._fetch(msgid)
        if cache is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, cache)
            except OSError as exc:
                logger.debug("%s: not cached (%s)", cache, exc)
        return data

    def _cache_path(self, msgid: str) -> Path | None:
        if self.policy.cache_dir is None:
            return None
        key = hashlib.sha256(f"{self.url}\0{msgid}".encode()).hexdigest()
        return self.policy.cache_dir / f"{key}.mbox"

    def _fetch(self, msgid: str) -> bytes:
        q = urllib.parse.quote_plus(msgid)
        answer = self.http.get(f"{self.url}/{q}/t.mbox.gz", decode=self._mbox)
        if isinstance(answer, bytes):
            return answer
        if answer.status == 404:
            # The message may live in another inbox of this server: public-inbox
            # redirects /<msgid>/ at the bare origin to /<inbox>/<msgid>/.
            parts = urllib.parse.urlsplit(self.url)
            origin = f"{parts.scheme}://{parts.netloc}"
            head = self.http.get(f"{origin}/{q}/", method="HEAD")
            assert isinstance(head, Answer)
            if head.status == 200:
                where = urllib.parse.urlsplit(head.url).path.rstrip("/")
                answer = self.http.get(f"{origin}{where}/t.mbox.gz", decode=self._mbox)
                if isinstance(answer, bytes):
                    return answer
        raise HttpError(
            f"{answer.url}: HTTP {answer.status}",
            kind="status",
            status=answer.status,
            reason=f"HTTP {answer.status}",
        )

    def _mbox(self, answer: Answer) -> bytes | Answer:
        """Inflate a 200 answer (capped); anything else goes back to the caller."""
        if answer.status != 200:
            return answer
        if answer.body[:2] != b"\x1f\x8b":
            kind = (answer.header("content-type") or "no content type").split(";")[0]
            raise BadAnswer(f"not a gzip mbox ({kind}, {len(answer.body)} bytes)")
        try:
            return gunzip(answer.body, self.policy.max_body)
        except TooLarge:
            raise HttpError(
                f"{answer.url}: the thread is larger than {describe_size(self.policy.max_body)} "
                "after decompression (limits.http_body_bytes); refused",
                kind="too-large",
                status=200,
                reason=f"the thread is larger than {describe_size(self.policy.max_body)} "
                "after decompression (limits.http_body_bytes)",
            ) from None
        except (zlib.error, EOFError) as exc:
            raise BadAnswer(f"a broken gzip mbox ({exc})") from None


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


def fetch_thread(
    msgid: str, base_url: str, policy: LorePolicy, http: HttpClient | None = None
) -> list[EmailMessage]:
    """Fetch the whole thread holding ``msgid`` from the inbox at ``base_url``.

    b4 splits and deduplicates the mbox and keeps the strict thread, as its
    ``get_pi_thread_by_msgid`` does; the headers are tamed in between, so a
    hostile References cannot make b4's threading quadratic.
    """
    own = http is None
    http = http or HttpClient(policy.http(), user_agent=f"reviewbot/{__version__}")
    try:
        data = _ThreadFetcher(base_url, policy, http).mbox(msgid)
    except HttpError as err:
        if err.kind == "status":
            raise InputError(f"no thread for <{msgid}> at {base_url}") from None
        if err.kind == "unreachable":
            raise NetworkError(
                f"{base_url}: cannot fetch <{msgid}> after {err.attempts} attempts ({err.reason})"
            ) from None
        raise NetworkError(f"{base_url}: cannot fetch <{msgid}>: {err.reason}") from None
    finally:
        if own:
            http.close()
    with isolated_b4(base_url):
        msgs = b4.split_and_dedupe_pi_results(data) if data.strip() else []
        for msg in msgs:
            tame(msg)
        strict = b4.get_strict_thread(msgs, msgid) if msgs else None
    if not strict:
        raise InputError(f"no thread for <{msgid}> at {base_url}")
    return list(strict)
