"""``reviewbot watch --status``: what an operator asks first, from the state alone.

Read-only, and it takes no lock, so it works while the daemon runs.
"""

from __future__ import annotations

import time

from reviewbot.watch.config import WatchConfig
from reviewbot.watch.state import State


def _when(ts: float | None, now: float) -> str:
    if not ts:
        return "never"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
    ago = now - ts
    rel = f"{ago:.0f}s ago" if ago >= 0 else f"in {-ago:.0f}s"
    return f"{stamp} ({rel})"


def status_text(config: WatchConfig, state: State, *, recent: int = 10) -> str:
    """Subscriptions with their last poll, waiting series, and recent reviews."""
    now = time.time()
    subs = {s.name: s for s in state.subscriptions()}
    lines = [f"state {config.state_dir}, drafts in {config.outbox}", "", "subscriptions:"]
    for sub in config.subscriptions:
        st = subs.get(sub.name)
        what = f"{sub.url}" + (f" ?q={sub.query}" if sub.query else "")
        lines.append(
            f"  {sub.name}: {what} every {sub.poll_interval}s, grace {sub.grace}s"
            + (f", send after {sub.embargo_hours:g}h" if sub.send else "")
        )
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
