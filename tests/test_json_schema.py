"""Every key of review/check/scan JSON is in docs/schema/output.schema.json, on real output."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reviewbot.cli import main
from reviewbot.render.as_json import SCHEMA_VERSION
from tests.conftest import EXAMPLES

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs/schema/output.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _run(capsys, argv: list[str], status: int = 0) -> dict:
    assert main(argv) == status
    return json.loads(capsys.readouterr().out)


def test_review_json_with_drafts_and_drivers_validates(validator, capsys, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[reply]\nfrom = "Review Bot <bot@reviewbot.example.net>"\n')
    data = _run(capsys, ["--config", str(config), "review", "--format", "json",
                         "--tree", str(EXAMPLES / "tree"), "--outbox", str(tmp_path / "out"),
                         str(EXAMPLES / "series.mbox")])
    validator.validate(data)
    assert data["schema"] == SCHEMA_VERSION
    assert data["drafts"] and data["affected_drivers"], "the example exercises every part"
    (defn,) = [f for f in data["findings"] if f["rule"] == "minalign-definition"]
    assert (defn["macro"], defn["buffer"]) == ("ARCH_KMALLOC_MINALIGN", None)
    stack = next(f for f in data["findings"] if f["rule"] == "dma-stack")
    assert stack["macro"] is None and stack["buffer"] == "&status"
    assert {e["name"] for e in stack["evidence"]} >= {"origin-certain", "sink-maps"}


def test_check_json_validates(validator, capsys):
    data = _run(capsys, ["check", "--format", "json", str(EXAMPLES / "series.mbox")], 1)
    validator.validate(data)
    assert data["check"]["failed"] is True and data["check"]["failing"]


def test_scan_json_validates(validator, capsys, tmp_path):
    data = _run(capsys, ["scan", "--format", "json", "--min-confidence", "low", "--no-cache",
                         "--all",
                         str(EXAMPLES / "tree")])
    validator.validate(data)
    assert data["findings"], "the example tree has findings to check the schema on"
    # the typed fields survive the scan's worker processes and its cache
    assert all(f["evidence"] for f in data["findings"])


def test_schema_version_is_the_one_the_output_carries():
    schema = json.loads(SCHEMA_FILE.read_text())
    for top in ("review", "scan"):
        assert schema["$defs"][top]["properties"]["schema"]["const"] == SCHEMA_VERSION


def test_every_object_is_closed_so_an_undocumented_key_fails(validator, capsys):
    schema = json.loads(SCHEMA_FILE.read_text())
    for name, d in schema["$defs"].items():
        if d.get("type") == "object":
            assert d.get("additionalProperties") is False, f"{name} allows undocumented keys"
    data = _run(capsys, ["review", "--format", "json", str(EXAMPLES / "series.mbox")])
    data["findings"][0]["undocumented"] = 1
    with pytest.raises(jsonschema.ValidationError, match="undocumented"):
        validator.validate(data)


def test_sarif_results_carry_the_typed_fields(capsys):
    log = _run(capsys, ["check", "--format", "sarif", str(EXAMPLES / "series.mbox")], 1)
    results = {r["ruleId"]: r["properties"] for r in log["runs"][0]["results"]}
    assert results["minalign-definition"]["macro"] == "ARCH_KMALLOC_MINALIGN"
    assert "buffer" not in results["minalign-definition"]
    assert "origin-certain" in results["dma-stack"]["evidence"]
