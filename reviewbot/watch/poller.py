"""Poll one subscription politely and return the messages it has not seen.

A feed page holds only the newest messages (25 for ``new.atom``, 200 for a
search), newest *received* first. When even the oldest entry of the page
is new, messages may have fallen off the page since the last poll (a busy
list, or a watcher that was down), so the poller catches up with a search
on received time, ``rt:@<epoch>..``, paging with ``o=`` until a page comes
back empty. Checked against public-inbox 1.9: ``rt:`` takes git's
approxidate, where ``@<epoch>`` is exact (a bare ``YYYYMMDDhhmmss`` is
not read as a time); results are newest-received first; ``l=`` caps a page
(200 by default); a query with no result at all answers 404, and an
offset past the end answers 200 with a body of only ``</feed>`` (not
well-formed XML), which is taken as the end of the results. A message arriving while we page pushes
older ones down a slot, so it can only be seen twice, never skipped.

The window starts ``catchup_slack`` seconds before the server's own clock
(its ``Date`` header) at the last good poll, so neither clock skew nor a
message indexed a little after it was received is missed.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import httpx

from reviewbot.netcause import describe
from reviewbot.watch.config import Subscription
from reviewbot.watch.feeds import FeedEntry, FeedError, parse_feed

logger = logging.getLogger(__name__)

# Sleep for a number of seconds; True means "stop was asked, give up now".
Sleeper = Callable[[float], bool]

# public-inbox's smallest feed page (new.atom: 25, a search: 200). A shorter
# page holds everything there is, so nothing can have fallen off it.
FULL_PAGE = 25


class PollError(Exception):
    """The server could not be reached, kept failing, or sent something unreadable."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    server_time: float


@dataclass
class PollResult:
    new: list[FeedEntry] = field(default_factory=list)  # oldest first
    etag: str | None = None
    last_modified: str | None = None
    server_time: float = 0.0
    not_modified: bool = False
    caught_up: bool = False
    requests: int = 0


def _default_sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


class FeedClient:
    """httpx with the manners lore asks for: a named User-Agent, timeouts, backoff."""

    def __init__(
        self,
        user_agent: str,
        *,
        attempts: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 3600.0,
        timeout: float = 30.0,
        sleep: Sleeper = _default_sleep,
    ) -> None:
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept": "application/atom+xml"},
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            follow_redirects=True,
        )

    def close(self) -> None:
        self.client.close()

    def get(
        self,
        url: str,
        params: dict[str, str] | None = None,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Answer:
        """GET with retries on 429, 5xx and network errors (exponential, with jitter)."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            retry_after = None
            try:
                r = self.client.get(url, params=params, headers=headers)
            except httpx.HTTPError as exc:
                why = describe(exc)  # the whole cause and the host, on one line
            else:
                if r.status_code != 429 and r.status_code < 500:
                    return Answer(
                        r.status_code,
                        r.content,
                        r.headers.get("etag"),
                        r.headers.get("last-modified"),
                        _server_time(r.headers.get("date")),
                    )
                why = f"HTTP {r.status_code}"
                retry_after = _retry_after(r.headers.get("retry-after"))
            if attempt == self.attempts:
                raise PollError(f"{url}: {why} after {attempt} attempts")
            wait = min(self.max_backoff, delay * (1 + random.random() / 2))
            if retry_after is not None:
                wait = min(self.max_backoff, max(wait, retry_after))
            logger.warning(
                "poll %s: %s (attempt %d of %d), retrying in %.1fs",
                url,
                why,
                attempt,
                self.attempts,
                wait,
            )
            if self.sleep(wait):
                raise PollError(f"{url}: {why}; stopping")
            delay *= 2
        raise AssertionError("unreachable")


def _server_time(date: str | None) -> float:
    if date:
        try:
            return email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            pass
    return time.time()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return max(0.0, _server_time(value) - time.time())


def feed_request(sub: Subscription) -> tuple[str, dict[str, str] | None]:
    """The feed a subscription polls: the inbox's ``new.atom`` or its search as Atom."""
    if sub.query:
        return f"{sub.url}/", {"q": sub.query, "x": "A"}
    return f"{sub.url}/new.atom", None


def catchup_query(sub: Subscription, since: float) -> str:
    window = f"rt:@{int(since)}.."
    return f"({sub.query}) AND {window}" if sub.query else window


def _entries(answer: Answer, what: str) -> list[FeedEntry]:
    try:
        return parse_feed(answer.body)
    except FeedError as exc:
        raise PollError(f"{what}: malformed feed, skipped ({exc})") from None


def poll(
    client: FeedClient,
    sub: Subscription,
    seen: Callable[[Collection[str]], set[str]],
    *,
    last_ok_server_time: float | None,
    etag: str | None = None,
    last_modified: str | None = None,
    catchup_slack: int = 3600,
    catchup_pages: int = 50,
    page_limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PollResult:
    """One poll of ``sub``: the entries ``seen`` does not know, oldest first.

    ``seen(msgids)`` returns those of ``msgids`` already recorded for this
    subscription. Without a previous good poll only the feed page is read:
    a new subscription starts from now, it does not review the archive.
    ``page_limit`` asks for smaller catch-up pages (``l=``; tests page with it).
    ``progress(pages, messages)`` hears of each catch-up page (a terminal's bar).
    """
    url, params = feed_request(sub)
    answer = client.get(url, params, etag=etag, last_modified=last_modified)
    result = PollResult(
        etag=answer.etag or etag,
        last_modified=answer.last_modified or last_modified,
        server_time=answer.server_time,
        requests=1,
    )
    if answer.status == 304:
        result.not_modified = True
        return result
    if answer.status == 404 and sub.query:
        return result  # public-inbox: a search without results
    if answer.status != 200:
        raise PollError(f"{url}: HTTP {answer.status}")
    entries = _entries(answer, url)
    known = seen([e.msgid for e in entries])
    found: dict[str, FeedEntry] = {}
    for e in entries:
        if e.msgid not in known:
            found.setdefault(e.msgid, e)
    overflow = len(entries) >= FULL_PAGE and entries[-1].msgid not in known
    if overflow and last_ok_server_time is not None:
        since = last_ok_server_time - catchup_slack
        query = catchup_query(sub, since)
        logger.info("poll %s: feed page is all new, catching up with %s", sub.name, query)
        offset = 0
        for page_no in range(catchup_pages):
            params = {"q": query, "x": "A", "o": str(offset)}
            if page_limit:
                params["l"] = str(page_limit)
            page = client.get(f"{sub.url}/", params)
            result.requests += 1
            if page.status == 404:
                break
            if page.status != 200:
                raise PollError(f"{sub.url}/?q={query}: HTTP {page.status}")
            if b"<entry" not in page.body:
                break  # past the end (public-inbox sends just "</feed>")
            batch = _entries(page, f"{sub.url}/?q={query}")
            if not batch:
                break
            fresh = seen([e.msgid for e in batch])
            for e in batch:
                if e.msgid not in fresh:
                    found.setdefault(e.msgid, e)
            offset += len(batch)
            if progress:
                progress(page_no + 1, len(found))
        else:
            logger.warning("poll %s: catch-up stopped after %d pages", sub.name, catchup_pages)
        result.caught_up = True
    # Feed order is newest received first; assembly wants covers before patches.
    result.new = list(reversed(found.values()))
    return result
