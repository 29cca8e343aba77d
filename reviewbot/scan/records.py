"""Findings as the scan cache and the workers carry them.

A cached result is JSON (``finding_to_dict``, ``finding_from_dict``); a finding
travels from a worker as a tuple of its fields in ``FIELDS`` order
(``record_dict`` turns one into the cache's dict).
"""

from __future__ import annotations

from typing import Any

from reviewbot.model import (
    Aligned,
    Condition,
    Confidence,
    Evidence,
    Finding,
    Hazard,
    HazardKind,
    Platform,
    Severity,
)

# value -> member, looked up by ``_member``: ``Severity(v)`` goes through EnumMeta.__call__
# (a microsecond; a warm rescan makes 11,000 of them decoding Linux 6.1's findings)
_SEVERITY = {m.value: m for m in Severity}
_CONFIDENCE = {m.value: m for m in Confidence}
_HAZARD_KIND = {m.value: m for m in HazardKind}
_ALIGNED = {m.value: m for m in Aligned}


def _member(table: dict, value: object) -> Any:
    """The member whose value is ``value``; ValueError, as the enum's call raises, if none."""
    try:
        return table[value]
    except (KeyError, TypeError):
        raise ValueError(f"{value!r} is not a known value") from None


def finding_to_dict(f: Finding) -> dict:
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "file": f.file,
        "line": f.line,
        "function": f.function,
        "buffer": f.buffer,
        "sink": f.sink,
        "direction": f.direction,
        "message": f.message,
        "confidence": f.confidence.value,
        "details": list(f.details),
        "macro": f.macro,
        "evidence": [[e.name, e.confidence.value, e.note] for e in f.evidence],
        "bites_when": condition_dict(f.bites_when),
        "verdict": f.verdict,
        "arches": list(f.arches),
        "hazard": hazard_list(f.hazard),
        "platform": platform_list(f.platform),
    }


def hazard_list(h: Hazard | None) -> list | None:
    return None if h is None else [h.kind.value, h.aligned.value, h.bytes, h.bounced, h.length,
                                   h.macro, h.container]


def platform_list(p: Platform | None) -> list | None:
    if p is None:
        return None
    return [sorted(p.arches) if p.arches is not None else None, p.acpi_only, sorted(p.coherent),
            p.coherent_bus, sorted(p.remaps) if p.remaps is not None else None]


def _hazard_of(v: list | None) -> Hazard | None:
    return None if v is None else Hazard(_member(_HAZARD_KIND, v[0]),
                                         _member(_ALIGNED, v[1]), v[2], v[3],
                                         v[4] if len(v) > 4 else None,
                                         v[5] if len(v) > 5 else None,
                                         v[6] if len(v) > 6 else None)


def _platform_of(v: list | None) -> Platform | None:
    if v is None:
        return None
    return Platform(frozenset(v[0]) if v[0] is not None else None, v[1], frozenset(v[2]),
                    v[3] if len(v) > 3 else None,
                    frozenset(v[4]) if len(v) > 4 and v[4] is not None else None)


def condition_dict(c: Condition | None) -> dict[str, str] | None:
    return None if c is None else {"macro": c.macro, "below": c.below, "since": c.since,
                                   "text": c.text()}


def finding_from_dict(d: dict, path: str) -> Finding:
    return Finding(
        rule=d["rule"],
        severity=_member(_SEVERITY, d["severity"]),
        file=path,
        line=d["line"],
        function=d["function"],
        buffer=d["buffer"],
        sink=d["sink"],
        direction=d["direction"],
        message=d["message"],
        confidence=_member(_CONFIDENCE, d["confidence"]),
        details=tuple(tuple(x) for x in d.get("details", ())),
        macro=d.get("macro"),
        evidence=tuple([Evidence(n, _member(_CONFIDENCE, c), note)
                        for n, c, note in d.get("evidence", ())]),
        bites_when=Condition(w["macro"], w["below"], w.get("since", ""))
        if (w := d.get("bites_when")) else None,
        verdict=d.get("verdict"),
        arches=tuple(d.get("arches", ())),
        hazard=_hazard_of(d.get("hazard")),
        platform=_platform_of(d.get("platform")),
    )


# A finding travels between processes as a tuple of its fields (the file is
# the job's): pickling a tuple is several times cheaper than a dict or a
# dataclass, and the parent needs the dict form only for the cache.
FIELDS = ("rule", "severity", "line", "function", "buffer", "sink", "direction", "message",
           "confidence", "details", "macro", "evidence", "bites_when", "verdict", "arches",
           "hazard", "platform")


def record_dict(record: tuple) -> dict:
    d = dict(zip(FIELDS, record, strict=True))
    d["details"] = [list(x) for x in d["details"]]
    d["evidence"] = [list(x) for x in d["evidence"]]
    d["arches"] = list(d["arches"])
    return d
