"""Findings across a series: what became worse is "replaced", and every location is true.

Issue 25, on the series of tests/flows/drivers.py: patch 3 turns a
small-kmalloc buffer into a stack array and patch 4 makes one kvmalloc
memory; the small-kmalloc findings they remove were called "fixed by patch
3/4". SARIF and GitHub pointed at lines of the code after the series that
no longer hold the finding (patch 8 moves them), and checkpatch lines of an
mbox pointed into other patches' mails.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.flows.conftest import commit_series, git, series_mail, tool
from tests.flows.drivers import ARKX, ERRORS, LCDX

REPLACED = {ARKX: ("dma-stack", 3), LCDX: ("dma-vmalloc", 4)}


@pytest.fixture
def series_tree(flow_tree):
    commit_series(flow_tree)
    return flow_tree


def check(tree, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("reviewbot"), "-q", "check", *argv], cwd=tree,
                          capture_output=True, text=True, timeout=300)


def _statement(text: str, line: int) -> str:
    """The C statement starting at ``line`` (up to its ';', '{' or '}')."""
    rows = text.split("\n")[line - 1:]
    out = []
    for row in rows[:9]:
        out.append(row)
        if row.rstrip().endswith((";", "{", "}")):
            break
    return "\n".join(out)


def test_a_buffer_made_worse_is_replaced_not_fixed_in_every_format(series_tree):
    text = check(series_tree, "base..HEAD").stdout
    for file, (rule, patch) in REPLACED.items():
        assert re.search(rf"^{re.escape(file)}:\d+: warning: .*\[dma-kmalloc-small, pre-existing, "
                         rf"replaced by {rule} in patch {patch}", text, re.M), text
    assert "fixed by" not in text
    data = json.loads(check(series_tree, "--format", "json", "base..HEAD").stdout)
    small = [f for f in data["findings"] if f["rule"] == "dma-kmalloc-small"]
    assert {f["file"]: (f["replaced_by"], f["replaced_in_patch"]) for f in small} == REPLACED
    assert not any("fixed_in_patch" in f for f in small)
    sarif = json.loads(check(series_tree, "--format", "sarif", "base..HEAD").stdout)
    notes = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "dma-kmalloc-small"]
    assert len(notes) == 2
    for r in notes:
        assert "fixed" not in r["message"]["text"] and "replaced" in r["message"]["text"]
    github = check(series_tree, "--format", "github", "base..HEAD").stdout
    assert "fixed by" not in github and github.count("(replaced by ") == 2


def test_sarif_and_github_locations_hold_the_finding_after_the_series(series_tree):
    """Each line named is, in the code after the series, the statement with the buffer."""
    data = json.loads(check(series_tree, "--format", "json", "base..HEAD").stdout)
    buffers = {(f["rule"], f["file"]): f["buffer"] for f in data["findings"]}
    sarif = json.loads(check(series_tree, "--format", "sarif", "base..HEAD").stdout)
    github = check(series_tree, "--format", "github", "base..HEAD").stdout.splitlines()
    places = []
    for r in sarif["runs"][0]["results"]:
        loc = r["locations"][0]["physicalLocation"]
        places.append((r["ruleId"], loc["artifactLocation"]["uri"], loc["region"]["startLine"]))
    for line in github:
        m = re.match(r"^::\w+ file=([^,]+),line=(\d+),title=reviewbot ([\w-]+)", line)
        assert m, line
        places.append((m.group(3), m.group(1), int(m.group(2))))
    assert len(places) == 2 * len(data["findings"]) == 10
    for rule, file, line in places:
        code = _statement((series_tree / file).read_text(), line)
        buffer = buffers[(rule, file)].lstrip("&")
        assert re.search(rf"(?<![\w>.]){re.escape(buffer)}(?!\w)", code), (rule, file, line, code)


def test_checkpatch_lines_of_an_mbox_point_at_added_lines_of_their_own_patch(series_tree,
                                                                             tmp_path):
    mbox = tmp_path / "series.mbox"
    mbox.write_bytes(series_mail(series_tree, tmp_path / "out"))
    git(series_tree, "checkout", "-q", "base")  # a maintainer's tree without the series
    proc = check(series_tree, "--format", "checkpatch", str(mbox))
    assert proc.returncode == 1, proc.stderr
    rows = mbox.read_text().split("\n")
    starts = [i for i, row in enumerate(rows) if re.match(r"^From [0-9a-f]{40} ", row)]
    hit = {}
    for report in proc.stdout.splitlines():
        m = re.match(r"^-:(\d+): ERROR: .* \[([\w-]+)\]$", report)
        assert m, report  # no total: line, no FILE:LINE for a mail that was given
        at = int(m.group(1))
        assert rows[at - 1].startswith("+") and not rows[at - 1].startswith("+++"), report
        mail = sum(1 for s in starts if s < at) - 1  # 0: the cover letter
        hit[mail] = m.group(2)
    assert hit == ERRORS
