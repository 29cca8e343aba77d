"""The real-tree fixtures (bench/reply_fixtures.py): a Review rebuilt from committed files.

Each ``tests/golden/realtree/<name>/`` holds the series as mailed
(``series.mbox``) and what the review on Linux 6.1 found (``review.json``);
the reply stage needs nothing else, so these tests run without the tree.
"""

from __future__ import annotations

import json
from pathlib import Path

from reviewbot.intake import IntakeOptions, load_series
from reviewbot.model import (
    AffectedDriver,
    Confidence,
    DriverSite,
    Finding,
    PatchStatus,
    Review,
    Severity,
)

REALTREE = Path(__file__).resolve().parents[1] / "golden" / "realtree"
NAMES = ("minalign", "driver")


def _finding(d: dict) -> Finding:
    d = dict(d)
    d["severity"] = Severity(d["severity"])
    d["confidence"] = Confidence(d["confidence"])
    d["details"] = tuple(tuple(kv) for kv in d.get("details", ()))
    return Finding(**d)


def _driver(d: dict) -> AffectedDriver:
    d = dict(d)
    d["sites"] = tuple(DriverSite(**s) for s in d["sites"])
    for key in ("maintainers", "lists", "reviewers"):
        d[key] = tuple(d.get(key, ()))
    return AffectedDriver(**d)


def realtree_review(name: str) -> Review:
    folder = REALTREE / name
    series = load_series(str(folder / "series.mbox"), IntakeOptions())
    data = json.loads((folder / "review.json").read_text())
    return Review(
        series=series,
        findings=tuple(_finding(f) for f in data["findings"]),
        affected_drivers=tuple(_driver(d) for d in data["affected_drivers"]),
        base=data["base"],
        patch_status=tuple(PatchStatus(**s) for s in data["patch_status"]),
        notes=tuple(data["notes"]),
    )
