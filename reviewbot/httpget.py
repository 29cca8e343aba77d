"""The one way reviewbot makes an HTTP request: retried, bounded, interruptible.

Every request (b4's thread fetch in intake/lore.py, the watcher's feeds)
goes through ``HttpClient.get`` so there is one retry loop in the codebase
and every request gets the same guarantees (issue 15):

- retries on connection errors, timeouts, 429 and 5xx, with exponential
  backoff and jitter, honouring ``Retry-After``; a caller's ``decode`` can
  also call a 200 answer unusable (``BadAnswer``: HTML where gzip was
  expected) and have it retried like a server error;
- a **total deadline** per request, retries and waits included, checked
  between every chunk of the body: a server trickling one byte a second is
  cut off at the deadline, not after hours (``timeout`` bounds each
  silence, the deadline the whole);
- a cap on the decoded body (``Content-Encoding`` is decoded here, in
  bounded steps, so a gzip bomb costs at most the cap);
- a stop event (SIGTERM) ends a wait or a download at once;
- the clock, the sleep and the jitter are injectable, so tests of the
  backoff need no real waiting.

Failures are ``HttpError`` (a ``NetworkError``: exit 3), carrying the
last status, how many attempts were made, and the server's Retry-After.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import httpx

from reviewbot.errors import NetworkError
from reviewbot.limits import Inflater, TooLarge, default_limits, describe_size
from reviewbot.netcause import describe

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Sleep for a number of seconds; True means "stop was asked, give up now".
Sleeper = Callable[[float], bool]



@dataclass(frozen=True)
class HttpPolicy:
    """How hard to try, and how much one request may cost."""

    attempts: int = 4
    backoff: float = 0.5  # first wait; doubled after each failure, plus up to 50% jitter
    max_backoff: float = 3600.0  # longest single wait, Retry-After included
    timeout: float = 20.0  # connecting, and any silence while reading
    # the whole request: every attempt, wait and byte (limits.http_deadline)
    deadline: float = field(default_factory=lambda: default_limits().http_deadline)
    # decoded bytes of one answer (limits.http_body_bytes)
    max_body: int = field(default_factory=lambda: default_limits().http_body_bytes)


@dataclass(frozen=True)
class Answer:
    """A complete answer: status, headers (lower-case names), decoded body, final URL."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class HttpError(NetworkError):
    """A request that failed for good; ``str()`` is the one-line reason.

    ``kind`` says how: ``unreachable`` (retries used up on connection
    errors, 429/5xx or unusable answers), ``deadline``, ``too-large``,
    ``stopped`` (the stop event), or ``status`` (a caller turned a 4xx
    answer into an error). ``reason`` is the short why, without the URL.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "unreachable",
        status: int | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.attempts = attempts
        self.retry_after = retry_after
        self.reason = reason or message

    @property
    def stopped(self) -> bool:
        return self.kind == "stopped"


class BadAnswer(Exception):
    """Raised by a ``decode`` callback: the answer is unusable, try again (a server error)."""


class _Retry(Exception):
    def __init__(self, why: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(why)
        self.why = why
        self.status = status
        self.retry_after = retry_after


def _default_sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


class HttpClient:
    """An httpx client with reviewbot's manners; use one per front-end run."""

    def __init__(
        self,
        policy: HttpPolicy,
        *,
        user_agent: str,
        headers: Mapping[str, str] | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleeper | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy
        self.stop = stop
        self.clock = clock
        self.sleep = sleep or (stop.wait if stop is not None else _default_sleep)
        self.jitter = jitter
        # httpx (and its TLS stack) is imported by the first client, not with this module:
        # a review of a local mbox reads no URL and should not pay 70 ms for it
        import httpx

        base = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
        self.client = httpx.Client(headers={**base, **(headers or {})}, follow_redirects=True)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        method: str = "GET",
        decode: Callable[[Answer], T] | None = None,
    ) -> T | Answer:
        """The answer to one request (any status below 500 but 429), or HttpError.

        ``decode(answer)`` turns a usable answer into the caller's value; it
        may raise ``BadAnswer`` to have the answer retried like a 5xx.
        """
        p = self.policy
        end = self.clock() + p.deadline
        delay = p.backoff
        last: _Retry | None = None
        for attempt in range(1, p.attempts + 1):
            if self._stopped():
                raise self._error(url, last, attempt - 1, stopped=True)
            try:
                answer = self._once(method, url, params, headers, end)
                if answer.status == 429 or answer.status >= 500:
                    raise _Retry(
                        f"HTTP {answer.status}",
                        answer.status,
                        _retry_after(answer.header("retry-after")),
                    )
                return decode(answer) if decode is not None else answer
            except BadAnswer as exc:
                last = _Retry(f"unusable answer: {exc}", 200)
            except _Retry as exc:
                last = exc
            except _Deadline:
                raise self._deadline_error(url, attempt) from None
            except _Stopped:
                raise self._error(url, last, attempt, stopped=True) from None
            if attempt == p.attempts:
                break
            wait = min(p.max_backoff, delay * (1 + self.jitter() / 2))
            if last.retry_after is not None:
                wait = min(p.max_backoff, max(wait, last.retry_after))
            if self.clock() + wait > end:
                raise HttpError(
                    f"{url}: {last.why}; the next try (in {wait:.0f}s) would pass "
                    f"the {p.deadline:g}s deadline",
                    status=last.status,
                    attempts=attempt,
                    retry_after=last.retry_after,
                    reason=last.why,
                )
            logger.warning(
                "%s: %s (attempt %d of %d), retrying in %.1fs",
                url,
                last.why,
                attempt,
                p.attempts,
                wait,
            )
            if self.sleep(wait):
                raise self._error(url, last, attempt, stopped=True)
            delay *= 2
        raise self._error(url, last, p.attempts)

    # --- one attempt -----------------------------------------------------------

    def _once(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        end: float,
    ) -> Answer:
        p = self.policy
        left = end - self.clock()
        if left <= 0:
            raise _Deadline
        per_op = max(0.05, min(p.timeout, left))
        import httpx

        timeout = httpx.Timeout(per_op, connect=min(per_op, 10.0))
        try:
            with self.client.stream(
                method, url, params=params, headers=headers, timeout=timeout
            ) as r:
                body = self._body(r, end)
                return Answer(
                    r.status_code,
                    {k.lower(): v for k, v in r.headers.items()},
                    body,
                    str(r.url),
                )
        except httpx.HTTPError as exc:
            if end - self.clock() <= 0:
                raise _Deadline from None
            raise _Retry(_describe(exc)) from None

    def _body(self, r: httpx.Response, end: float) -> bytes:
        """Read the body to its end within the deadline, decoded and capped."""
        cap = self.policy.max_body
        encoding = r.headers.get("content-encoding", "identity").strip().lower()
        inflater = None
        if encoding in ("gzip", "x-gzip"):
            inflater = Inflater(cap, 31)
        elif encoding == "deflate":
            inflater = Inflater(cap, 15)
        elif encoding not in ("identity", ""):
            raise _Retry(f"unsupported Content-Encoding {encoding!r}", r.status_code)
        raw = bytearray()
        try:
            for chunk in r.iter_raw():  # each network read as it comes (no re-chunking)
                if self._stopped():
                    raise _Stopped
                if self.clock() > end:
                    raise _Deadline
                if inflater is not None:
                    inflater.feed(chunk)
                else:
                    raw += chunk
                    if len(raw) > cap:
                        raise TooLarge(cap)
            return inflater.finish() if inflater is not None else bytes(raw)
        except TooLarge:
            raise HttpError(
                f"{r.url}: the answer is larger than {describe_size(cap)} "
                "(limits.http_body_bytes); refused",
                kind="too-large",
                status=r.status_code,
                reason=f"the answer is larger than {describe_size(cap)} (limits.http_body_bytes)",
            ) from None
        except zlib.error as exc:
            raise _Retry(f"broken {encoding} body ({exc})", r.status_code) from None

    # --- errors ----------------------------------------------------------------

    def _stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def _deadline_error(self, url: str, attempt: int) -> HttpError:
        d = self.policy.deadline
        return HttpError(
            f"{url}: no complete answer within the {d:g}s deadline (limits.http_deadline)",
            kind="deadline",
            attempts=attempt,
            reason=f"no complete answer within {d:g}s (limits.http_deadline)",
        )

    def _error(
        self, url: str, last: _Retry | None, attempts: int, *, stopped: bool = False
    ) -> HttpError:
        why = last.why if last is not None else "a stop was requested"
        if stopped:
            return HttpError(
                f"{url}: {why}; stopping",
                kind="stopped",
                status=last.status if last else None,
                attempts=attempts,
                reason=why,
            )
        return HttpError(
            f"{url}: {why} after {attempts} attempts",
            status=last.status if last else None,
            attempts=attempts,
            retry_after=last.retry_after if last else None,
            reason=why,
        )


class _Deadline(Exception):
    pass


class _Stopped(Exception):
    pass


def _describe(exc: httpx.HTTPError) -> str:
    """The cause and the host on one line (reviewbot.netcause), not httpcore's paragraph."""
    return describe(exc)


def server_time(date: str | None, default: Callable[[], float] = time.time) -> float:
    """A ``Date`` header as epoch seconds (the local clock when absent or bad)."""
    if date:
        try:
            return email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            pass
    return default()


def _retry_after(value: str | None) -> float | None:
    """Retry-After: seconds, or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - time.time())
