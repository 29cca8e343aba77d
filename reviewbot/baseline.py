"""What a CI check holds against a series: fingerprints, baselines, threshold.

A maintainer adopting the check on a tree with known hazards records them
once (``--write-baseline``) and from then on only new ones fail the job
(``--baseline``). Findings are matched by a fingerprint of the rule, file,
function and buffer -- never the line, which moves with every unrelated
edit above it. SARIF's ``partialFingerprints`` use the same function, so
GitHub code scanning and the baseline agree on what "the same finding" is.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reviewbot.errors import InputError
from reviewbot.model import Finding, Severity

logger = logging.getLogger(__name__)

FORMAT = "reviewbot-baseline"
FORMAT_VERSION = 1


def fingerprint(f: Finding) -> str:
    """A stable id of a finding: a hash of ``Finding.key()`` (no line number)."""
    rule, file, function, buffer = f.key()
    text = json.dumps([rule, file, function or "", buffer or ""], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def counts_against(f: Finding) -> bool:
    """Whether a finding is the series' doing: introduced and not fixed later in it.

    Pre-existing hazards are reported but never fail a check (blaming a patch
    for what was already there is what maintainers resent most), and neither
    does a problem one patch adds and a later patch of the same series removes.
    """
    return f.introduced is not False and f.fixed_in_patch is None


def blocking(findings: Iterable[Finding], fail_on: Severity) -> list[Finding]:
    """The findings that make the check fail at threshold ``fail_on``."""
    return [f for f in findings if counts_against(f) and f.severity.rank >= fail_on.rank]


def baseline_dict(findings: Iterable[Finding]) -> dict[str, Any]:
    """The baseline file's content: one entry per fingerprint, sorted for clean diffs.

    Rule, file, function and buffer are kept beside the fingerprint so a
    reviewer of the baseline file can read what was accepted.
    """
    entries: dict[str, dict[str, Any]] = {}
    for f in findings:
        fp = fingerprint(f)
        entries.setdefault(
            fp,
            {
                "fingerprint": fp,
                "rule": f.rule,
                "file": f.file,
                "function": f.function,
                "buffer": f.buffer,
                "message": f.message,
            },
        )
    ordered = sorted(entries.values(), key=lambda e: (e["file"], e["rule"], e["fingerprint"]))
    return {"format": FORMAT, "version": FORMAT_VERSION, "findings": ordered}


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    """Write the baseline file; return how many fingerprints it holds."""
    data = baseline_dict(findings)
    try:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write the baseline ({exc.strerror})") from None
    return len(data["findings"])


def load_baseline(path: Path) -> frozenset[str]:
    """The fingerprints in a baseline file; a bad file is an InputError (exit 2)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the baseline ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a reviewbot baseline (not UTF-8 text)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path}: not a reviewbot baseline (invalid JSON at line {exc.lineno})"
        ) from None
    except RecursionError:
        raise InputError(f"{path}: not a reviewbot baseline (JSON nested too deeply)") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f'{path}: not a reviewbot baseline (no "format": "{FORMAT}")')
    if data.get("version") != FORMAT_VERSION:
        raise InputError(
            f"{path}: baseline version {data.get('version')!r} is not supported "
            f"(this reviewbot writes version {FORMAT_VERSION})"
        )
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise InputError(f'{path}: not a reviewbot baseline ("findings" is not a list)')
    out = set()
    for i, entry in enumerate(entries):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not fp:
            raise InputError(f'{path}: baseline entry {i} has no "fingerprint" string')
        out.add(fp)
    return frozenset(out)


def split_by_baseline(
    findings: Iterable[Finding], known: frozenset[str]
) -> tuple[list[Finding], list[Finding]]:
    """(kept, suppressed): findings whose fingerprint is in the baseline are suppressed."""
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for f in findings:
        (suppressed if fingerprint(f) in known else kept).append(f)
    return kept, suppressed
