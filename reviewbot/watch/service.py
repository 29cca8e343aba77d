"""The watcher's cycle: poll what is due, review what is ready, send what may go.

One process owns a state folder at a time (an exclusive lock beside the
database), so "reviewed once" cannot be broken by two watchers racing.
A stop request (SIGTERM) is honoured between steps: the review in
progress finishes and is recorded, then the loop ends.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reviewbot import __version__
from reviewbot.limits import limits_of
from reviewbot.netcause import unreachable_host
from reviewbot.progress import Bar
from reviewbot.settings import Settings
from reviewbot.watch import assembly, poller, reviewer
from reviewbot.watch.config import Subscription, WatchConfig
from reviewbot.watch.state import State, hold_lock, open_state

logger = logging.getLogger(__name__)

STATE_FILE = "watch.sqlite3"
CYCLE_RETRY = 60  # seconds to wait after a cycle the disk or database failed
LOCK_FILE = "watch.lock"


@dataclass
class CycleReport:
    polled: int = 0
    poll_errors: int = 0
    new_messages: int = 0
    reviewed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def user_agent(install_id: str, contact: str = "") -> str:
    """``reviewbot/0.1.0 (lore watcher; id=...)``: who polls, so lore's admins can tell us apart."""
    extra = f"; +{contact}" if contact else ""
    return f"reviewbot/{__version__} (lore watcher; id={install_id}{extra})"


class Watcher:
    """A configured watcher bound to its state folder; use as a context manager."""

    def __init__(
        self,
        config: WatchConfig,
        settings: Settings,
        *,
        stop: threading.Event | None = None,
        pause: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
        show_progress: bool = False,
    ) -> None:
        self.config = config
        self.settings = settings
        self.stop = stop or threading.Event()
        # Wall-clock seconds for every "is it due?" decision (polls, grace
        # periods, retries): tests pass a clock they advance instead of sleeping.
        self.clock = clock
        self.pause = pause or (lambda _stage: None)
        self.show_progress = show_progress  # a bar for a catch-up, on a terminal
        self.subs = {s.name: s for s in config.subscriptions}
        self.state: State | None = None
        self.client: poller.FeedClient | None = None

    def __enter__(self) -> Watcher:
        fd = hold_lock(self.config.state_dir, LOCK_FILE,
                       "another reviewbot watch is running on this state")
        self._lock = fd
        try:
            self.state = open_state(self.config.state_dir / STATE_FILE)
        except BaseException:
            fd.close()
            raise
        limits = limits_of(self.settings)
        self.client = poller.FeedClient(
            user_agent(self.state.install_id, self.config.contact),
            attempts=self.config.attempts,
            backoff=self.config.backoff,
            max_backoff=self.config.max_backoff,
            timeout=self.config.timeout,
            deadline=limits.http_deadline,
            max_body=limits.http_body_bytes,
            stop=self.stop,
        )
        reviewer.reconcile(
            self.state,
            self.config.outbox,
            self.subs,
            self.config.review_attempts,
            clock=self.clock,
        )
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.state is not None:
            self.state.close()
        self._lock.close()

    # --- one cycle -----------------------------------------------------------

    def cycle(self, *, all_subscriptions: bool = False) -> CycleReport:
        """Poll the subscriptions that are due (all of them for ``--once``), then review."""
        assert self.state is not None
        report = CycleReport()
        now = self.clock()
        # A host found unreachable (DNS, refused) is not asked again in this
        # cycle: offline, --once answers after one feed's retries, not all.
        down: dict[str, str] = {}  # host -> the subscription that found it unreachable
        for sub in self.config.subscriptions:
            if self.stop.is_set():
                return report
            if all_subscriptions or self.state.sub_state(sub.name).next_poll <= now:
                report.polled += 1
                host = urllib.parse.urlsplit(sub.url).hostname or ""
                if host in down:
                    why = f"not polled: {host} unreachable in this cycle (see {down[host]})"
                    self._poll_failed(sub, self.clock(), why)
                    report.poll_errors += 1
                elif not self._poll(sub, report):
                    report.poll_errors += 1
                    error = self.state.sub_state(sub.name).last_error or ""
                    if unreachable_host(error) == host:
                        down[host] = sub.name
        self._review_ready(report)
        if not self.stop.is_set():
            reviewer.deliver(self.state, self.config, self.settings, self.subs, clock=self.clock)
        return report

    def _poll(self, sub: Subscription, report: CycleReport) -> bool:
        assert self.state is not None and self.client is not None
        state = self.state
        st = state.sub_state(sub.name)
        started = self.clock()
        pages = Bar(self.show_progress, f"catching up {sub.name}", unit="new messages")
        try:
            with pages as progress:
                result = poller.poll(
                    self.client,
                    sub,
                    lambda ids: state.seen(sub.name, ids),
                    last_ok_server_time=st.server_time,
                    etag=st.etag,
                    last_modified=st.last_modified,
                    catchup_slack=self.config.catchup_slack,
                    catchup_pages=self.config.catchup_pages,
                    progress=(lambda page, found: progress(found, 0)) if progress else None,
                )
        except poller.PollError as exc:
            self._poll_failed(sub, started, str(exc), exc.retry_after)
            return False
        with self.state.transaction() as db:
            self.state.mark_seen(db, sub.name, [e.msgid for e in result.new], started)
            assigned = assembly.assign(self.state, db, sub, result.new, started)
            for a in assigned:
                who = assembly.opted_out(self.config.opt_out, a.entry.author)
                if a.created and who is not None:
                    self.state.set_status(db, a.rev_id, "skipped", reason=f"{who} opted out")
            self.state.record_poll(
                db,
                sub.name,
                now=started,
                ok=True,
                next_poll=started + sub.poll_interval,
                server_time=result.server_time,
                etag=result.etag,
                last_modified=result.last_modified,
            )
        report.new_messages += len(result.new)
        logger.info(
            "poll %s: %s, %d new messages, %d patches%s (%d requests)",
            sub.name,
            "not modified" if result.not_modified else "ok",
            len(result.new),
            len(assigned),
            ", caught up" if result.caught_up else "",
            result.requests,
        )
        for a in assigned:
            if a.created:
                rev = self.state.revision(a.rev_id)
                logger.info(
                    "new series %s: v%d %s <%s>%s",
                    sub.name,
                    rev.revision,
                    rev.subject,
                    rev.root,
                    " (opted out)" if rev.status == "skipped" else "",
                )
        return True

    def _poll_failed(
        self, sub: Subscription, started: float, error: str, retry_after: float | None = None
    ) -> None:
        """Record a failed poll and back off: the interval, doubled per failure in a row.

        A server's Retry-After is honoured: the next poll is no sooner.
        """
        assert self.state is not None
        failures = self.state.sub_state(sub.name).failures + 1
        delay = min(self.config.max_backoff, max(1, sub.poll_interval) * 2 ** (failures - 1))
        delay *= 1 + random.random() / 2
        if retry_after is not None:
            delay = max(delay, min(self.config.max_backoff, retry_after))
        with self.state.transaction() as db:
            self.state.record_poll(
                db, sub.name, now=started, ok=False, next_poll=started + delay, error=error
            )
        logger.error(
            "error %s: %s (failure %d, next poll in %.0fs)", sub.name, error, failures, delay
        )

    def _review_ready(self, report: CycleReport) -> None:
        assert self.state is not None
        for rev in self.state.revisions("waiting"):
            if self.stop.is_set():
                return
            sub = self.subs.get(rev.sub)
            if sub is None:
                continue  # its subscription was removed from the configuration
            if not assembly.ready(rev, sub.grace, self.clock()):
                continue
            status = reviewer.review_revision(
                self.state, rev, sub, self.config, self.settings, self.pause, clock=self.clock
            )
            (report.reviewed if status == "reviewed" else report.failed).append(rev.id)

    # --- the daemon ----------------------------------------------------------

    def next_wake(self) -> float:
        """Seconds until something is due: a poll, or a grace period or retry ending."""
        assert self.state is not None
        now = self.clock()
        due = [self.state.sub_state(s.name).next_poll for s in self.config.subscriptions]
        for rev in self.state.revisions("waiting"):
            sub = self.subs.get(rev.sub)
            if sub is not None:
                due.append(max(rev.next_try, rev.first_seen + sub.grace))
        return max(0.2, min(60.0, min(due, default=now + 60) - now))

    def run_forever(self) -> None:
        logger.info(
            "watching %d subscriptions, state in %s, drafts in %s",
            len(self.config.subscriptions),
            self.config.state_dir,
            self.config.outbox,
        )
        while not self.stop.is_set():
            try:
                self.cycle()
            except (OSError, sqlite3.Error) as exc:
                # a full or failing disk under the state: the daemon waits it out
                logger.error("cycle failed: %s; trying again in %ds", exc, CYCLE_RETRY)
                self.stop.wait(CYCLE_RETRY)
                continue
            self.stop.wait(self.next_wake())
        logger.info("stopped")


def state_path(config: WatchConfig) -> Path:
    return config.state_dir / STATE_FILE
