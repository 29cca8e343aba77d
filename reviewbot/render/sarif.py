"""SARIF 2.1.0: what GitHub code scanning and other SARIF viewers read.

One run per review. Rules come from the analysis package's own table, so
the help a viewer shows is the text ``reviewbot explain RULE`` prints.
Results point at the file and line in the code after the series
(``locations.final_location``); findings that were already there before the
series are level ``note`` (they never fail a check, but a
viewer can still show them). ``partialFingerprints`` come from
``Finding.fingerprint()`` (as the baseline does) so a finding keeps its identity when
lines move, exactly as the baseline matches it.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from reviewbot import __version__
from reviewbot.model import Finding, Review, Severity
from reviewbot.render.as_text import hunks_only_text
from reviewbot.render.locations import final_location

logger = logging.getLogger(__name__)

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "reviewbotFinding/v1"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def level(f: Finding) -> str:
    """SARIF level: error/warning/note by severity; note for what the series did not cause."""
    return _LEVEL[f.severity] if f.counts_against else "note"


def rule_descriptors(extra_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Every known rule (so viewers can list them), plus any unknown id a finding names."""
    from reviewbot.analysis import RULES

    out = [
        {
            "id": r.id,
            "name": _camel(r.id),
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.meaning},
            "help": {"text": r.explain()},
            "defaultConfiguration": {"level": _LEVEL[r.severity]},
            "properties": {"tags": ["dma", "kernel", "correctness"]},
        }
        for r in RULES
    ]
    known = {r.id for r in RULES}
    for rule_id in extra_ids or ():
        if rule_id not in known:
            # A rule the table does not know (an engine ahead of its docs):
            # still a valid descriptor, so the result's ruleIndex resolves.
            logger.debug("rule %s has no documentation entry", rule_id)
            known.add(rule_id)
            out.append({"id": rule_id, "shortDescription": {"text": rule_id}})
    return out


def result(f: Finding, rule_index: int,
           where: tuple[str, int | None] | None = None) -> dict[str, Any]:
    """One SARIF result for one finding.

    ``where`` is its place in the code after the series (what code scanning
    shows, ``locations.final_location``); without a line there (a later
    patch fixed it) the location names the file alone.
    """
    message = f.message
    if f.introduced is False:
        message += " (already present before this series)"
    if f.replaced_by is not None:
        message += (f" (patch {f.fixed_in_patch} replaced it with a worse hazard, "
                    f"{f.replaced_by})")
    elif f.fixed_in_patch is not None and f.introduced is not False:
        message += f" (fixed later in the series, by patch {f.fixed_in_patch})"
    file, line = where if where is not None else (f.file, f.line)
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(file), "uriBaseId": "%SRCROOT%"},
    }
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if f.function:
        location["logicalLocations"] = [{"name": f.function, "kind": "function"}]
    props: dict[str, Any] = {
        "introduced": f.introduced,
        "confidence": f.confidence.value,
    }
    for key in ("patch", "fixed_in_patch", "replaced_by", "buffer", "sink", "direction", "macro"):
        value = getattr(f, key)
        if value is not None:
            props[key] = value
    if f.evidence:
        props["evidence"] = [e.name for e in f.evidence]
    return {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f),
        "message": {"text": message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint()},
        "properties": props,
    }


def sarif_log(review: Review) -> dict[str, Any]:
    """The whole SARIF log for a review, as plain dictionaries."""
    rules = rule_descriptors([f.rule for f in review.findings])
    index = {r["id"]: i for i, r in enumerate(rules)}
    series = review.series
    run_props: dict[str, Any] = {
        "series": {
            "subject": series.subject,
            "revision": series.revision,
            "msgid": series.msgid,
            "source": series.source,
            "base": review.base or series.base_commit,
        },
    }
    notes = [*series.notes, *review.notes]
    if notes:
        run_props["notes"] = notes
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "reviewbot",
                "version": __version__,
                "rules": rules,
            }
        },
        "results": [
            result(f, index[f.rule], final_location(review, f)) for f in review.findings
        ],
        "columnKind": "unicodeCodePoints",
        "properties": run_props,
    }
    if review.unanalysed or review.hunks_only:
        run["invocations"] = [invocation(review)]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def invocation(review: Review) -> dict[str, Any]:
    """The invocation, with a notification for each part of the series read less than whole.

    A file that was not analysed is an error and fails the invocation: a
    gate must not pass on code it never read (issue 15). A patch read from
    its hunks only (issue 25) is a warning: code scanning shows it as a
    tool warning, not as a clean result.
    """
    notes: list[dict[str, Any]] = [
        {
            "level": "error",
            "descriptor": {"id": "not-analysed"},
            "message": {
                "text": f"patch {u.patch}: {u.file} was not analysed ({u.reason}); "
                "its findings are missing"
            },
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": quote(u.file)}}}],
        }
        for u in review.unanalysed
    ]
    files = {p.index: p.files for p in review.series.patches}
    for patch, why in review.hunks_only:
        note: dict[str, Any] = {
            "level": "warning",
            "descriptor": {"id": "hunks-only"},
            "message": {"text": f"patch {patch}: {hunks_only_text(why)}"},
        }
        if files.get(patch):
            note["locations"] = [
                {"physicalLocation": {"artifactLocation": {"uri": quote(path)}}}
                for path in files[patch]
            ]
        notes.append(note)
    return {
        "executionSuccessful": not review.unanalysed,
        "toolExecutionNotifications": notes,
    }


def _camel(rule_id: str) -> str:
    """SARIF's ``name`` is an identifier-like label: dma-stack -> DmaStack."""
    return "".join(part.capitalize() for part in rule_id.split("-"))
