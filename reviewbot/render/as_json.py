"""The JSON contract of docs/architecture.md (keys in docs/json.md), as plain dictionaries.

Key order follows the contract so a diff of two outputs reads naturally.
Extra keys (``schema``, ``expected``, ``missing``, ``notes``, ``confidence``,
``macro``, ``evidence``...) come after the contract's own. Every key of the
review, check and scan output is documented in ``docs/schema/output.schema.json``
(its ``schema`` is ``SCHEMA_VERSION``; a test validates real output against it).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from reviewbot import __version__
from reviewbot.model import AffectedDriver, Condition, Finding, Review, Series

# The version of the JSON layout (docs/schema/output.schema.json): bumped when a
# key is removed or changes meaning, not when one is added.
SCHEMA_VERSION = 1


def finding_dict(f: Finding, with_patch: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"rule": f.rule, "severity": f.severity.value}
    if with_patch:
        out["introduced"] = f.introduced
        out["patch"] = f.patch
    out.update(
        file=f.file,
        line=f.line,
        function=f.function,
        buffer=f.buffer,
        sink=f.sink,
        direction=f.direction,
        message=f.message,
        confidence=f.confidence.value,
        macro=f.macro,
        evidence=[
            {"name": e.name, "confidence": e.confidence.value, "note": e.note}
            for e in f.evidence
        ],
        bites_when=condition_dict(f.bites_when),
        verdict=f.verdict,
        arches=list(f.arches),
    )
    if with_patch and f.replaced_by is not None:
        # Not "fixed": the patch made the same buffer as bad or worse.
        out["replaced_in_patch"] = f.fixed_in_patch
        out["replaced_by"] = f.replaced_by
    elif with_patch and f.fixed_in_patch is not None:
        out["fixed_in_patch"] = f.fixed_in_patch
    return out


def condition_dict(c: Condition | None) -> dict[str, str] | None:
    if c is None:
        return None
    return {"macro": c.macro, "below": c.below, "since": c.since, "text": c.text()}


def driver_dict(d: AffectedDriver) -> dict[str, Any]:
    return {
        "name": d.name,
        "path": d.path,
        "kconfig": d.kconfig,
        "maintainers": list(d.maintainers),
        "lists": list(d.lists),
        "sites": [
            {"file": s.file, "line": s.line, "function": s.function, "rule": s.rule,
             "bites_when": condition_dict(s.bites_when),
             "consequence": s.consequence.value if s.consequence is not None else None,
             "arches": list(s.arches),
             "confidence": s.confidence.value if s.confidence is not None else None}
            for s in d.sites
        ],
        "section": d.section,
        "reviewers": list(d.reviewers),
        "status": d.status,
        "sections": list(d.sections),
        "consequence": d.consequence.value if d.consequence is not None else None,
        "core": d.core,
    }


def series_dict(series: Series, review: Review | None = None) -> dict[str, Any]:
    status = {s.index: s.applied for s in review.patch_status} if review else {}
    return {
        "msgid": series.msgid,
        "subject": series.subject,
        "revision": series.revision,
        "base": review.base if review else None,
        "patches": [
            {
                "index": p.index,
                "msgid": p.msgid,
                "subject": p.subject,
                "author": str(p.author),
                "applied": status.get(p.index, False),
            }
            for p in series.patches
        ],
        "expected": series.expected,
        "missing": list(series.missing),
        "cover": series.cover.msgid if series.cover else None,
        "base_commit": series.base_commit,
        "prerequisite_patch_ids": list(series.prerequisite_patch_ids),
        "list": series.list_id,
        "notes": list(series.notes),
    }


def review_dict(review: Review) -> dict[str, Any]:
    return {
        "tool": "reviewbot",
        "version": __version__,
        "schema": SCHEMA_VERSION,
        "series": series_dict(review.series, review),
        "findings": [finding_dict(f) for f in review.findings],
        "affected_drivers": [driver_dict(d) for d in review.affected_drivers],
        "guessed_drivers": [driver_dict(d) for d in review.guessed_drivers],
        "drafts": [
            {"path": d.path, "in_reply_to": d.in_reply_to, "subject": d.subject}
            for d in review.drafts
        ],
        "notes": list(review.notes),
    }


def dumps(obj: Any) -> str:
    """``obj`` as ``json.dumps(obj, indent=2, ensure_ascii=False)`` writes it, with a newline.

    orjson writes the same bytes (a test compares them on every kind of text the
    outputs carry) 10-20 times faster: ``indent`` sends the standard library to its
    pure-Python encoder, 0.06-0.1 s of every scan printing 1,000 findings. What orjson
    refuses (an integer past 64 bits, a key that is not a string) goes the old way.
    """
    try:
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode() + "\n"
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
