"""``reviewbot watch --status``: what an operator asks first, from the config and the state.

Read-only, and it takes no lock, so it works while the daemon runs. Before
the first poll there is no state, but the configuration already says what
will be polled and what is wrong with it (a tree that is not there, a URL
that names a message or a feed instead of an inbox): said here, not hours
later in the daemon's log.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from pathlib import Path

from reviewbot.errors import UsageError
from reviewbot.kerneltree import kernel_tree_problem
from reviewbot.outbox import sender_settings
from reviewbot.settings import ReplySettings
from reviewbot.watch.config import Subscription, WatchConfig
from reviewbot.watch.state import State

# URL paths that name something inside an inbox, not the inbox itself.
_NOT_INBOX = (
    (re.compile(r"/new\.atom$"), "a feed; give the inbox URL without new.atom"),
    (re.compile(r"/[^/]*@[^/]*(/|$)"), "a message; give the inbox URL without the message-id"),
    (re.compile(r"/(T|t|raw|t\.mbox\.gz|t\.atom)$"), "a thread; give the inbox URL"),
)


def _when(ts: float | None, now: float) -> str:
    if not ts:
        return "never"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
    ago = now - ts
    rel = f"{ago:.0f}s ago" if ago >= 0 else f"in {-ago:.0f}s"
    return f"{stamp} ({rel})"


def url_problem(url: str) -> str | None:
    """Why ``url`` is not the URL of an inbox, as far as its shape tells; None if it may be."""
    parts = urllib.parse.urlsplit(url)
    if parts.query or parts.fragment:
        return "has a query; put a search in the subscription's query key"
    path = parts.path.rstrip("/")
    if not path:
        return "names a server, not an inbox (add the list name, or /all)"
    for pattern, why in _NOT_INBOX:
        if pattern.search(path):
            return "names " + why
    return None


def subscription_problems(sub: Subscription, default_tree: Path | None) -> list[str]:
    """What is wrong with one subscription, from the configuration alone."""
    problems = []
    why = url_problem(sub.url)
    if why:
        problems.append(f"url {sub.url} {why}")
    tree = sub.tree or default_tree
    if tree is not None:
        why = kernel_tree_problem(tree)
        if why:
            problems.append(f"tree {tree}: {why}")
    return problems


def sender_problem(
    sub: Subscription, default_tree: Path | None, replies: ReplySettings
) -> str | None:
    """Why drafts for ``sub`` would have no From: git send-email can send; None if they have one.

    The same resolution as ``review --outbox`` (outbox.sender_settings):
    reply.from, else the git identity of the subscription's tree (or the
    global one), so the watcher and a hand-run review sign alike.
    """
    try:
        sender_settings(replies, sub.tree or default_tree)
    except UsageError as exc:
        return str(exc)
    return None


def sender_problems(
    config: WatchConfig, default_tree: Path | None, replies: ReplySettings
) -> list[str]:
    """One line per subscription without a sender, naming the config file to fix."""
    lines = []
    for sub in config.subscriptions:
        why = sender_problem(sub, default_tree, replies)
        if why:
            lines.append(f"{config.path}: subscription {sub.name}: {why}")
    return lines


def config_lines(
    config: WatchConfig, default_tree: Path | None, replies: ReplySettings | None = None
) -> list[str]:
    """The subscriptions as configured: URL, query, timing, tree, and their problems."""
    lines = []
    for sub in config.subscriptions:
        lines += _sub_lines(sub, default_tree, replies)
    return lines


def _sub_lines(
    sub: Subscription, default_tree: Path | None, replies: ReplySettings | None = None
) -> list[str]:
    what = f"{sub.url}" + (f" ?q={sub.query}" if sub.query else "")
    lines = [
        f"  {sub.name}: {what} every {sub.poll_interval}s, grace {sub.grace}s"
        + (f", send after {sub.embargo_hours:g}h" if sub.send else "")
    ]
    tree = sub.tree or default_tree
    origin = "" if sub.tree or tree is None else " (tree.path)"
    lines.append(f"    tree: {tree}{origin}" if tree else "    tree: none (patches alone)")
    lines += [f"    problem: {p}" for p in subscription_problems(sub, default_tree)]
    why = sender_problem(sub, default_tree, replies) if replies is not None else None
    if why:
        lines.append(f"    problem: {why}")
    return lines


def status_text(
    config: WatchConfig,
    state: State | None,
    *,
    recent: int = 10,
    default_tree: Path | None = None,
    replies: ReplySettings | None = None,
) -> str:
    """Subscriptions (and their problems), then last polls, waiting series, recent reviews.

    ``state`` is None before the first poll: the configuration is shown alone.
    """
    now = time.time()
    head = [f"state {config.state_dir}, drafts in {config.outbox}", "", "subscriptions:"]
    if state is None:
        lines = head + config_lines(config, default_tree, replies)
        lines += ["", f"{config.state_dir}: no watcher state yet (nothing polled)"]
        return "\n".join(lines) + "\n"
    subs = {s.name: s for s in state.subscriptions()}
    lines = head
    for sub in config.subscriptions:
        st = subs.get(sub.name)
        lines += _sub_lines(sub, default_tree, replies)
        if st is None:
            lines.append("    not polled yet")
            continue
        lines.append(
            f"    last poll {_when(st.last_poll, now)}, last good {_when(st.last_ok, now)}"
            f", next {_when(st.next_poll, now)}"
        )
        if st.failures:
            lines.append(f"    {st.failures} failures in a row: {st.last_error}")
    waiting = state.revisions("waiting", "reviewing")
    lines += ["", f"waiting series ({len(waiting)}):"]
    for rev in waiting:
        have = ", ".join(str(i) for i in rev.have if i) or "none"
        owner = next((s for s in config.subscriptions if s.name == rev.sub), None)
        due = rev.first_seen + owner.grace if owner else None
        extra = f"; retry {_when(rev.next_try, now)}: {rev.reason}" if rev.reason else ""
        lines.append(
            f"  [{rev.sub}] v{rev.revision} {rev.subject} ({rev.status}, have {have} "
            f"of {rev.total}, grace ends {_when(due, now)}{extra})"
        )
    done = state.revisions("reviewed", "failed", "skipped", limit=recent, newest_first=True)
    lines += ["", f"recent reviews ({len(done)} shown, {state.count_drafts()} drafts in all):"]
    for rev in done:
        if rev.status == "reviewed":
            n = len(state.drafts(rev.id))
            what = f"{n} drafts" + (f" in {rev.planned}" if n else "")
            if rev.sent_at:
                what += f", sent {_when(rev.sent_at, now)}"
        else:
            what = f"{rev.status}: {rev.reason}"
        lines.append(
            f"  [{rev.sub}] v{rev.revision} {rev.subject}: {what} "
            f"({_when(rev.reviewed_at or rev.first_seen, now)})"
        )
    return "\n".join(lines) + "\n"
