"""SARIF 2.1.0: what GitHub code scanning and other SARIF viewers read.

One run per review. Rules come from the analysis package's own table, so
the help a viewer shows is the text ``reviewbot explain RULE`` prints.
Results point at the post-image file and line; findings that were already
there before the series are level ``note`` (they never fail a check, but a
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


def result(f: Finding, rule_index: int) -> dict[str, Any]:
    """One SARIF result for one finding."""
    message = f.message
    if f.introduced is False:
        message += " (already present before this series)"
    elif f.fixed_in_patch is not None:
        message += f" (fixed later in the series, by patch {f.fixed_in_patch})"
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(f.file), "uriBaseId": "%SRCROOT%"},
    }
    if f.line >= 1:
        physical["region"] = {"startLine": f.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if f.function:
        location["logicalLocations"] = [{"name": f.function, "kind": "function"}]
    props: dict[str, Any] = {
        "introduced": f.introduced,
        "confidence": f.confidence.value,
    }
    for key in ("patch", "fixed_in_patch", "buffer", "sink", "direction", "macro"):
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
        "results": [result(f, index[f.rule]) for f in review.findings],
        "columnKind": "unicodeCodePoints",
        "properties": run_props,
    }
    if review.unanalysed:
        run["invocations"] = [unanalysed_invocation(review)]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def unanalysed_invocation(review: Review) -> dict[str, Any]:
    """A failed invocation with one error notification per file that was not analysed.

    A gate must not pass on code it never read (issue 15): code scanning
    shows these as tool errors, not as a clean result.
    """
    return {
        "executionSuccessful": False,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "descriptor": {"id": "not-analysed"},
                "message": {
                    "text": f"patch {u.patch}: {u.file} was not analysed ({u.reason}); "
                    "its findings are missing"
                },
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": u.file}}}],
            }
            for u in review.unanalysed
        ],
    }


def _camel(rule_id: str) -> str:
    """SARIF's ``name`` is an identifier-like label: dma-stack -> DmaStack."""
    return "".join(part.capitalize() for part in rule_id.split("-"))
