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
    Aligned,
    Condition,
    Confidence,
    Consequence,
    DriverSite,
    Evidence,
    Finding,
    Hazard,
    HazardKind,
    PatchStatus,
    Platform,
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
    d["evidence"] = tuple(
        Evidence(e["name"], Confidence(e["confidence"]), e["note"]) for e in d.get("evidence", ())
    )
    d["bites_when"] = _condition(d.get("bites_when"))
    d["arches"] = tuple(d.get("arches", ()))
    if (h := d.get("hazard")) is not None:
        d["hazard"] = Hazard(**{**h, "kind": HazardKind(h["kind"]),
                                "aligned": Aligned(h["aligned"])})
    if (p := d.get("platform")) is not None:
        d["platform"] = Platform(
            arches=_set(p["arches"]), acpi_only=p["acpi_only"],
            coherent=frozenset(p["coherent"]), coherent_bus=p["coherent_bus"],
            remaps=_set(p["remaps"]))
    return Finding(**d)


def _set(names: list[str] | None) -> frozenset[str] | None:
    return None if names is None else frozenset(names)


def _condition(c: dict | None) -> Condition | None:
    return None if c is None else Condition(**c)


def _site(s: dict) -> DriverSite:
    s = dict(s)
    s["bites_when"] = _condition(s.get("bites_when"))
    s["consequence"] = Consequence(c) if (c := s.get("consequence")) else None
    s["arches"] = tuple(s.get("arches", ()))
    s["confidence"] = Confidence(c) if (c := s.get("confidence")) else None
    return DriverSite(**s)


def _driver(d: dict) -> AffectedDriver:
    d = dict(d)
    d["sites"] = tuple(_site(s) for s in d["sites"])
    d["consequence"] = Consequence(c) if (c := d.get("consequence")) else None
    for key in ("maintainers", "lists", "reviewers", "sections"):
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
        guessed_drivers=tuple(_driver(d) for d in data.get("guessed_drivers", ())),
        base=data["base"],
        patch_status=tuple(PatchStatus(**s) for s in data["patch_status"]),
        notes=tuple(data["notes"]),
    )
