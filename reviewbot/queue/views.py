"""What each page shows, as plain data; the templates only lay it out (and escape it)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reviewbot.queue import drafts as dr
from reviewbot.queue import scanfile
from reviewbot.queue.actions import Context, status_of
from reviewbot.queue.store import Store
from reviewbot.watch.config import WatchConfig
from reviewbot.watch.state import Revision

DRAFT_STATES = ("waiting", "approved", "sending", "in-doubt", "sent", "sent-by-hand", "dropped")


def when(ts: float | None) -> str:
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def lore_link(base: str, msgid: str) -> str:
    """The archive page of a message: ``BASE/<msgid>/`` with the id percent-encoded."""
    mid = msgid.strip().removeprefix("<").removesuffix(">")
    return f"{base.rstrip('/')}/{quote(mid, safe='@!$&*+,;=:~.-_')}/"


def alignment_change_of(rule_id: str) -> str | None:
    """"definition" or "usage" for a rule that reports an alignment-macro change (asked of
    the rule, never read from its id)."""
    from reviewbot.analysis.rules import find

    r = find(rule_id)
    return r.alignment_change.value if r is not None and r.alignment_change else None


def review_of(store: Store, rev_id: int) -> dict[str, Any] | None:
    text = store.state.review_data(rev_id)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _rule_counts(review: dict[str, Any] | None) -> list[tuple[str, int]]:
    if review is None:
        return []
    c = Counter(str(f.get("rule")) for f in review.get("findings", []) if f.get("introduced"))
    return sorted(c.items())


def _all_revisions(store: Store) -> list[Revision]:
    rows = store.db.execute("SELECT id FROM revisions ORDER BY first_seen DESC, id DESC")
    return [store.state.revision(r[0]) for r in rows.fetchall()]


def send_problem(store: Store, rev_id: int, name: str, status: str) -> str:
    """Why the last send of a draft that is still approved did not go out, or ""."""
    if status != "approved":
        return ""
    last = store.last_action(rev_id, name)
    if last is None or last.action not in ("send-failed", "send-skipped"):
        return ""
    return last.detail


def queue_page(store: Store, config: WatchConfig, ctx: Context) -> dict[str, Any]:
    rows = []
    totals: Counter[str] = Counter()
    for rev in _all_revisions(store):
        marks = store.marks(rev.id)
        states: Counter[str] = Counter()
        for d in dr.drafts_of(store.state, config.outbox, rev):
            states[status_of(d, marks.get(d.name), ctx)] += 1
        totals.update(states)
        review = review_of(store, rev.id)
        failures = []
        if rev.status == "failed" or (rev.status == "waiting" and rev.reason):
            failures.append(rev.reason or rev.status)
        failures += [
            f"{a.name}: {a.action} {a.detail}"
            for a in store.actions(rev.id, limit=20)
            if a.action in ("send-failed", "in-doubt")
        ][:3]
        rows.append(
            {
                "id": rev.id,
                "sub": rev.sub,
                "subject": rev.subject,
                "author": rev.author,
                "revision": rev.revision,
                "status": rev.status,
                "first_seen": when(rev.first_seen),
                "reviewed_at": when(rev.reviewed_at),
                "rules": _rule_counts(review),
                "drafts": [(s, states[s]) for s in DRAFT_STATES if states[s]],
                "failures": failures,
            }
        )
    subs = [
        {"name": s.name, "error": s.last_error, "failures": s.failures}
        for s in store.state.subscriptions()
        if s.last_error
    ]
    return {"rows": rows, "sub_errors": subs, "totals": [(s, totals[s]) for s in DRAFT_STATES]}


def series_page(store: Store, config: WatchConfig, ctx: Context, rev_id: int) -> dict[str, Any]:
    rev = store.state.revision(rev_id)
    sub = next((s for s in config.subscriptions if s.name == rev.sub), None)
    base = sub.url if sub else ""
    patches = store.db.execute(
        "SELECT idx, msgid FROM patches WHERE rev_id=? ORDER BY idx", (rev_id,)
    ).fetchall()
    review = review_of(store, rev_id) or {}
    subjects = {
        p.get("index"): p.get("subject", "") for p in review.get("series", {}).get("patches", [])
    }
    subjects.setdefault(0, rev.subject)
    marks = store.marks(rev_id)
    drafts = []
    for d in dr.drafts_of(store.state, config.outbox, rev):
        msg = d.message()
        mark = marks.get(d.name)
        status = status_of(d, mark, ctx)
        drafts.append(
            {
                "number": d.number,
                "name": d.name,
                "status": status,
                "problem": send_problem(store, rev_id, d.name, status),
                "who": mark.who if mark else "",
                "at": when(mark.at) if mark else "",
                "headers": dr.headers(msg),
                "body": dr.body_text(msg),
                "sent": d.sent_text(),
            }
        )
    findings = []
    for i, f in enumerate(review.get("findings", [])):
        findings.append({**f, "anchor": f"f{i}"})
    return {
        "rev": rev,
        "first_seen": when(rev.first_seen),
        "reviewed_at": when(rev.reviewed_at),
        "patches": [
            {
                "index": p[0],
                "msgid": p[1],
                "subject": subjects.get(p[0], ""),
                "link": lore_link(base, p[1]) if base else "",
            }
            for p in patches
        ],
        "recorded": bool(review),
        "findings": findings,
        "drivers": review.get("affected_drivers", []),
        "notes": review.get("notes", []),
        "drafts": drafts,
        "history": [
            {
                "when": when(a.at),
                "who": a.who,
                "action": a.action,
                "name": a.name,
                "detail": a.detail,
            }
            for a in store.actions(rev_id)
        ],
    }


def subsystem(path: str) -> str:
    """``drivers/usb/serial/x.c`` -> ``drivers/usb``; ``mm/slab.c`` -> ``mm``."""
    parts = [p for p in path.split("/") if p]
    if len(parts) <= 1:
        return "(top)"
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def scan_page(store: Store) -> dict[str, Any]:
    """Findings of every reviewed series by subsystem and rule; minalign changes and drivers."""
    by_sub: dict[str, Counter[str]] = {}
    links: dict[str, str] = {}
    changes = []
    for rev in _all_revisions(store):
        review = review_of(store, rev.id)
        if not review:
            continue
        for i, f in enumerate(review.get("findings", [])):
            if not f.get("introduced"):
                continue
            name = subsystem(str(f.get("file", "")))
            by_sub.setdefault(name, Counter())[str(f.get("rule"))] += 1
            links.setdefault(name, f"/series/{rev.id}#f{i}")
        definitions = [
            (i, f)
            for i, f in enumerate(review.get("findings", []))
            if alignment_change_of(str(f.get("rule"))) == "definition"
        ]
        if definitions:
            changes.append(
                {
                    "rev_id": rev.id,
                    "subject": rev.subject,
                    "rows": [
                        {
                            "anchor": f"f{i}",
                            "arch": f.get("details", {}).get("arch", "generic"),
                            "macro": f.get("macro") or f.get("details", {}).get("macro") or "?",
                            "before": f.get("details", {}).get("before", "?"),
                            "after": f.get("details", {}).get("after", "?"),
                            "patch": f.get("patch"),
                        }
                        for i, f in definitions
                    ],
                    "drivers": review.get("affected_drivers", []),
                }
            )
    return {"by_sub": by_sub, "links": links, "changes": changes}


def tree_scan(path: Path | None) -> dict[str, Any]:
    """The configured tree scan (``reviewbot scan --format json``), read afresh for each page.

    A cron job may rewrite the file at any time; a missing one, or one that
    is not scan JSON by the shipped schema, is a note on the page, not an error.
    """
    out: dict[str, Any] = {
        "path": str(path) if path else "",
        "findings": [],
        "drivers": [],
        "note": "",
    }
    if path is None:
        return out
    data, note = scanfile.load(path)
    if data is None:
        out["note"] = note
        return out
    out["findings"] = data["findings"]
    out["drivers"] = data["drivers"]
    out["stats"] = data["stats"]
    return out


def tree_chart_data(scan: dict[str, Any]) -> tuple[dict[str, Counter[str]], dict[str, str]]:
    by_sub: dict[str, Counter[str]] = {}
    links: dict[str, str] = {}
    for i, f in enumerate(scan["findings"]):
        name = subsystem(str(f.get("file", "")))
        by_sub.setdefault(name, Counter())[str(f.get("rule"))] += 1
        links.setdefault(name, f"/scan/finding/{i}")
    return by_sub, links


def before_after(changes: list[dict[str, Any]], scan: dict[str, Any]) -> None:
    """Per driver of a minalign change: tree-scan findings now, and the sites the change affects."""
    now: Counter[str] = Counter(str(f.get("file", "")) for f in scan["findings"])
    first: dict[str, int] = {}
    for i, f in enumerate(scan["findings"]):
        first.setdefault(str(f.get("file", "")), i)
    for c in changes:
        for d in c["drivers"]:
            files = {str(s.get("file", "")) for s in d.get("sites", [])}
            d["before"] = sum(now[f] for f in files)
            d["before_link"] = next(
                (f"/scan/finding/{first[f]}" for f in sorted(files) if f in first), ""
            )
            d["after"] = len(d.get("sites", []))


def scan_finding(scan: dict[str, Any], n: int) -> dict[str, Any] | None:
    if not 0 <= n < len(scan["findings"]):
        return None
    f = scan["findings"][n]
    where = (str(f.get("file", "")), f.get("line"))
    driver = next(
        (
            d
            for d in scan["drivers"]
            if any((s.get("file"), s.get("line")) == where for s in d.get("sites", []))
        ),
        None,
    )
    return {"finding": f, "driver": driver, "number": n}
