"""Baseline files on hand-made findings: round trip, and bad files as one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewbot.baseline import (
    FORMAT,
    fingerprint,
    load_baseline,
    split_by_baseline,
    write_baseline,
)
from reviewbot.errors import InputError
from tests.check.test_formats import finding


def test_round_trip_suppresses_what_was_recorded(tmp_path: Path):
    path = tmp_path / "baseline.json"
    old = [finding(), finding(buffer="mode", function="widget_read_mode")]
    assert write_baseline(path, [*old, old[0]]) == 2  # duplicates are one entry
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT
    assert {e["buffer"] for e in data["findings"]} == {"buf", "mode"}
    known = load_baseline(path)
    moved = finding(line=80)  # the same finding after an edit above it
    new = finding(buffer="reply")
    kept, suppressed = split_by_baseline([moved, new], known)
    assert kept == [new]
    assert suppressed == [moved]
    assert fingerprint(moved) in known


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "invalid JSON at line 1"),
        ("[]", 'no "format"'),
        (json.dumps({"format": FORMAT, "version": 99, "findings": []}), "version 99"),
        (json.dumps({"format": FORMAT, "version": 1, "findings": {}}), "is not a list"),
        (json.dumps({"format": FORMAT, "version": 1, "findings": [{"rule": "x"}]}), "entry 0"),
    ],
)
def test_bad_baseline_files(tmp_path: Path, content: str, words: str):
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        load_baseline(path)
    message = str(info.value)
    assert words in message
    assert message.startswith(str(path))
    assert "\n" not in message


def test_missing_baseline_file(tmp_path: Path):
    with pytest.raises(InputError, match="cannot read the baseline"):
        load_baseline(tmp_path / "nope.json")
