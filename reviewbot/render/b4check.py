"""b4's review check protocol: a JSON list of ``{tool, status, summary, url, details}``.

``b4 review`` runs the command named by ``b4.review-perpatch-check-cmd`` on
each patch (one RFC 2822 message on stdin) and shows the status beside the
patch. ``details`` is a JSON-encoded list of ``{status, description}``, the
shape b4's own checkpatch runner produces, which its review TUI renders as
one line per finding; plain text would also be accepted.
"""

from __future__ import annotations

import json
from typing import Any

from reviewbot.model import Finding, Review, Severity, blocking
from reviewbot.render.as_text import finding_line, hunks_only_text
from reviewbot.render.reply_text import changes_alignment_macro

TOOL = "reviewbot"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _counts(findings: list[Finding]) -> str:
    parts = []
    for sev in (Severity.ERROR, Severity.WARNING, Severity.INFO):
        n = sum(1 for f in findings if f.severity is sev)
        if n:
            parts.append(_plural(n, sev.value))
    return ", ".join(parts)


def check_results(review: Review, fail_on: Severity) -> list[dict[str, Any]]:
    """The protocol's list for one reviewed message (always exactly one entry).

    fail: a finding the series introduced reaches ``fail_on``; warn: it
    introduced findings below the threshold, or the patch was read from its
    hunks only (it neither applies nor is in the tree: whole-file hazards
    are unseen, so it never passes); pass: nothing it introduced.
    Pre-existing findings appear in ``details`` only.
    """
    failing = blocking(review.findings, fail_on)
    partial = review.hunks_only
    own = [f for f in review.findings if f.counts_against]
    older = [f for f in review.findings if not f.counts_against]
    if review.unanalysed:
        status = "fail"
        summary = "not analysed: " + "; ".join(
            f"{u.file} ({u.reason})" for u in review.unanalysed)
    elif failing:
        status = "fail"
        first = failing[0]
        summary = f"{_counts(own)}: {first.rule} at {first.file}:{first.line}"
        if len(failing) > 1:
            summary += f" and {len(failing) - 1} more"
    elif own:
        status = "warn"
        summary = f"{_counts(own)} (below --fail-on {fail_on.value})"
    else:
        status = "pass"
        summary = "no DMA-alignment findings"
        if older:
            summary = f"no new DMA-alignment findings ({len(older)} already present)"
    if partial:
        status = "fail" if status == "fail" or fail_on is not Severity.ERROR else "warn"
        summary = f"hunks only ({partial[0][1]}); {summary}"
    applied = _already_applied(review)
    if applied:
        summary = f"{applied}; {summary}"
    details = [
        {"status": "warn", "description": f"patch {index}: {hunks_only_text(why)}"}
        for index, why in partial
    ]
    details += [
        {
            "status": _status_of(f, fail_on),
            "description": finding_line(f),
        }
        for f in (*own, *older)
    ]
    return [
        {
            "tool": TOOL,
            "status": status,
            "summary": summary,
            "url": "",
            "details": json.dumps(details, ensure_ascii=False) if details else "",
        }
    ]


def _already_applied(review: Review) -> str:
    """Which commit of the tree already holds the patch, when it was found; else ""."""
    for st in review.patch_status:
        if st.commit:
            return f"in the tree as {st.commit[:12]}, checked against its parent"
    return ""


def series_results(review: Review) -> list[dict[str, Any]]:
    """b4's series-level check (it passes the cover letter): what the series means for drivers.

    warn when the series changes what a minimum-alignment macro means (with
    the affected drivers, when a tree was there to find them); pass otherwise.
    """
    changes = [
        f
        for f in review.findings
        if changes_alignment_macro(f) and f.introduced is not False
    ]
    drivers = review.affected_drivers
    details = [{"status": "warn", "description": finding_line(f)} for f in changes]
    for d in drivers:
        who = ", ".join(d.maintainers[:3]) or "no maintainer listed"
        kconfig = f"{d.kconfig}, " if d.kconfig else ""
        details.append(
            {
                "status": "warn",
                "description": f"{d.path} ({kconfig}{_plural(len(d.sites), 'site')}): {who}",
            }
        )
    if drivers:
        status = "warn"
        verb = "depends" if len(drivers) == 1 else "depend"
        summary = f"{_plural(len(drivers), 'driver')} {verb} on the kmalloc alignment it changes"
    elif changes:
        status = "warn"
        summary = f"changes what {_plural(len(changes), 'minimum-alignment macro')} mean" + (
            "" if review.base else "; run in the kernel tree to list the affected drivers"
        )
    else:
        status = "pass"
        summary = "no change to what the minimum-alignment macros mean"
    return [
        {
            "tool": TOOL,
            "status": status,
            "summary": summary,
            "url": "",
            "details": json.dumps(details, ensure_ascii=False) if details else "",
        }
    ]


def not_a_patch(reason: str) -> list[dict[str, Any]]:
    """The answer for a message with nothing to check (a cover letter, a reply)."""
    return [
        {
            "tool": TOOL,
            "status": "pass",
            "summary": f"not a patch: nothing to check ({reason})",
            "url": "",
            "details": "",
        }
    ]


def _status_of(f: Finding, fail_on: Severity) -> str:
    if not f.counts_against:
        return "pass"
    return "fail" if f.severity.rank >= fail_on.rank else "warn"


def dumps(results: list[dict[str, Any]]) -> str:
    return json.dumps(results, indent=2, ensure_ascii=False) + "\n"
