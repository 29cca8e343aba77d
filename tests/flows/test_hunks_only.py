"""A patch with no before-state in the tree is read from its hunks only, and never passes quietly.

Patch 4 of tests/flows/drivers.py hides its error from the hunks (the
kvmalloc'd buffer is used by a function the patch does not touch). Here
the tree has moved on so the patch does not apply, and no commit of the
tree holds it: every format says "hunks only", b4 sees a warning, and the
check fails at --fail-on warning (issue 25).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.flows.conftest import commit_series, git, make_tree, tool
from tests.flows.drivers import LCDX


@pytest.fixture
def patch4(tmp_path) -> bytes:
    other = make_tree(tmp_path / "elsewhere")
    shas = commit_series(other)
    return git(other, "format-patch", "-1", "--stdout", shas[3]).encode() + b"\n"


@pytest.fixture
def moved_tree(flow_tree):
    """The tree, one commit on: the lines around patch 4's allocation changed."""
    text = (flow_tree / LCDX).read_text()
    old = "\tdev->bulk_in_size = usb_endpoint_maxp(bulk_in);\n"
    (flow_tree / LCDX).write_text(text.replace(old, old.replace(";", "; /* bytes */")))
    git(flow_tree, "commit", "-q", "-a", "-m", "USB: misc: lcdx: say the unit")
    return flow_tree


def check(tree, *argv: str, data: bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("reviewbot"), "-q", "check", *argv, "-"], cwd=tree,
                          input=data.decode(), capture_output=True, text=True, timeout=300)


def test_every_format_says_hunks_only(moved_tree, patch4):
    text = check(moved_tree, data=patch4)
    assert "(hunks only: does not apply: " in text.stdout, text.stdout
    data = json.loads(check(moved_tree, "--format", "json", data=patch4).stdout)
    (entry,) = data["check"]["hunks_only"]
    assert entry["patch"] == 1 and "does not apply" in entry["reason"]
    sarif = json.loads(check(moved_tree, "--format", "sarif", data=patch4).stdout)
    (note,) = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning" and note["descriptor"]["id"] == "hunks-only"
    assert "hunks only" in note["message"]["text"]
    github = check(moved_tree, "--format", "github", data=patch4).stdout
    assert github.startswith(f"::warning file={LCDX},title=reviewbot%3A hunks only::"), github
    (b4,) = json.loads(check(moved_tree, "--format", "b4", data=patch4).stdout)
    assert b4["status"] == "warn" and b4["summary"].startswith("hunks only ("), b4
    report = check(moved_tree, "--format", "checkpatch", data=patch4).stdout.splitlines()
    (line,) = report
    assert line.startswith("-:") and ": WARNING: reviewbot read from its hunks only (" in line
    at = int(line.split(":")[1])
    assert patch4.decode().split("\n")[at - 1].startswith("+")


def test_hunks_only_fails_the_check_at_warning_and_never_passes_silently(moved_tree, patch4):
    assert check(moved_tree, "--fail-on", "error", data=patch4).returncode == 0
    assert check(moved_tree, "--fail-on", "warning", data=patch4).returncode == 1
    assert check(moved_tree, "--fail-on", "info", data=patch4).returncode == 1
    data = json.loads(check(moved_tree, "--fail-on", "warning", "--format", "json",
                            data=patch4).stdout)
    assert data["check"]["failed"] is True
    (b4,) = json.loads(check(moved_tree, "--fail-on", "warning", "--format", "b4",
                             data=patch4).stdout)
    assert b4["status"] == "fail"


def test_a_patch_that_applies_is_not_hunks_only(flow_tree, patch4):
    """On a tree where patch 4 is not in, but its base (patches 1-3) is, it is read whole."""
    commit_series(flow_tree)
    git(flow_tree, "reset", "-q", "--hard", "HEAD~5")  # patches 1, 2, 3
    data = json.loads(check(flow_tree, "--format", "json", data=patch4).stdout)
    assert data["check"]["hunks_only"] == []
    assert [f["rule"] for f in data["check"]["failing"]] == ["dma-vmalloc"]
