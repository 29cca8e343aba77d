"""Issue 15, item 7: the CI gate fails closed, and the parse budget counts work.

When parsing a file hit the budget its findings vanished and ``check``
exited 0; the budget was wall-clock, so a loaded CI machine could pass a
patch a quiet one failed. Now the budget is tree-sitter progress steps
(``limits.parse_work``) and a file over it fails the check in every format.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from reviewbot.analysis.c.parser import new_parser, parse
from reviewbot.analysis.c.preprocess import preprocess
from reviewbot.knowledge import load_knowledge
from tests.conftest import ROOT
from tests.hardening.series import mail, mbox, new_file, reviewbot

# Error recovery on this costs about 800 progress steps (and half a second).
KNOT = ["static int knot_probe(struct spi_device *spi)", "{"]
KNOT += ["\ta b c * d e ( f g , h )"] * 1000
KNOT += ["\treturn spi_write(spi, NULL, 0);", "}"]


def _steps(text: bytes) -> int:
    """How many progress steps tree-sitter takes on ``text`` (what the budget counts)."""
    clean = preprocess(text, load_knowledge())
    calls = [0]

    def progress(_offset: int, _err: bool) -> bool:
        calls[0] += 1
        return False

    new_parser().parse(lambda o, _p: clean[o : o + 65536], progress_callback=progress)
    return calls[0]


def test_the_budget_is_counted_work_not_seconds(monkeypatch):
    text = ("\n".join(KNOT) + "\n").encode()
    k = load_knowledge()
    need = _steps(text)
    assert need == _steps(text) and 500 < need < 2000
    # a clock that jumps an hour per call changes nothing: no clock is read
    import time

    ticks = iter(range(0, 10**9, 3600))
    monkeypatch.setattr(time, "perf_counter", lambda: float(next(ticks)))
    monkeypatch.setattr(time, "monotonic", lambda: float(next(ticks)))
    assert parse("knot.c", text, k, work=need) is not None
    assert parse("knot.c", text, k, work=need - 1) is None


@pytest.fixture
def knot(tmp_path):
    src = tmp_path / "knot.mbox"
    src.write_bytes(mbox(mail(1, 1, "misc: add knot", new_file("drivers/misc/knot.c", KNOT))))
    cfg = tmp_path / "budget.toml"
    cfg.write_text("[limits]\nparse_work = 300\n")
    return src, cfg


def test_text_check_fails_on_a_file_it_could_not_analyse(knot):
    src, cfg = knot
    proc = reviewbot("--config", str(cfg), "check", str(src))
    assert proc.returncode == 1, proc.stderr.decode()
    out = proc.stdout.decode() + proc.stderr.decode()
    assert "patch 1: drivers/misc/knot.c was not analysed" in out
    assert "the check fails" in proc.stderr.decode()


def test_the_same_patch_passes_within_the_default_budget(knot):
    src, _cfg = knot
    proc = reviewbot("check", "--format", "json", str(src))
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["check"]["unanalysed"] == []


def test_json_sarif_github_and_b4_all_say_so(knot):
    src, cfg = knot
    proc = reviewbot("--config", str(cfg), "check", "--format", "json", str(src))
    assert proc.returncode == 1
    check = json.loads(proc.stdout)["check"]
    assert check["failed"] is True
    reason = "parsing needs more than 300 steps (limits.parse_work)"
    assert check["unanalysed"] == [{"patch": 1, "file": "drivers/misc/knot.c", "reason": reason}]

    proc = reviewbot("--config", str(cfg), "check", "--format", "sarif", str(src))
    assert proc.returncode == 1
    log = json.loads(proc.stdout)
    schema = json.loads((ROOT / "tests/data/sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(log, schema)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "drivers/misc/knot.c"
    )

    proc = reviewbot("--config", str(cfg), "check", "--format", "github", str(src))
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith(
        "::error file=drivers/misc/knot.c,title=reviewbot%3A not analysed::"
    )

    one = src.read_bytes().split(b"\n", 1)[1]  # the message without its mbox From line
    proc = reviewbot("--config", str(cfg), "check", "--format", "b4", stdin=one)
    assert proc.returncode == 1
    [result] = json.loads(proc.stdout)
    assert result["status"] == "fail" and "not analysed" in result["summary"]
