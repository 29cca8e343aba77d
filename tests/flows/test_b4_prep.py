"""``b4 prep --check`` with reviewbot as the per-patch check: every patch with an error fails.

b4 feeds each patch of the prep branch to ``b4.prep-perpatch-check-cmd``
while HEAD already holds the whole series. reviewbot used to find each
patch "already applied", read its hunks only, and pass two of the three
errors in green (issue 25). Now each patch's commit is found by patch-id
and the patch is checked against that commit's parent.
"""

from __future__ import annotations

import shlex

from tests.flows.conftest import b4, b4_report, commit_series, git, tool
from tests.flows.drivers import ERRORS, PATCHES


def _prep_branch(tree):
    """A ``b4 prep`` branch forked at ``base`` holding the series, reviewbot as its check."""
    proc = b4(tree, "prep", "-n", "small-buffers", "-f", "base")
    assert proc.returncode == 0, proc.stderr
    commit_series(tree)
    cmd = shlex.join([tool("reviewbot"), "check", "--format", "checkpatch"])
    git(tree, "config", "b4.prep-perpatch-check-cmd", cmd)


def test_b4_prep_check_fails_every_patch_with_an_error(flow_tree):
    _prep_branch(flow_tree)
    proc = b4(flow_tree, "prep", "--check")
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout + proc.stderr
    report = b4_report(output)
    subjects = [subject for subject, _ in PATCHES]
    assert sorted(report) == sorted(subjects), output
    for index, subject in enumerate(subjects, 1):
        lines = report[subject]
        if index in ERRORS:
            # exactly one report, the error, naming its rule
            assert len(lines) == 1, (subject, lines)
            assert "ERROR:" in lines[0] and f"[{ERRORS[index]}]" in lines[0], lines
        else:
            assert lines == [], (subject, lines)
    # b4's own tally: no extra warning for a checkpatch "total:" line
    assert "Success: 5, Warning: 0, Error: 3" in output, output


def test_each_report_line_points_at_an_added_line_of_its_patch(flow_tree, tmp_path):
    """What b4 shows as "NN:" is a line number of the mail it fed: an added line there."""
    import subprocess

    _prep_branch(flow_tree)
    for index in ERRORS:
        sha = git(flow_tree, "rev-list", "--reverse", "base..HEAD").split()[index]  # 0: cover
        mail = git(flow_tree, "format-patch", "-1", "--stdout", sha)
        proc = subprocess.run(
            [tool("reviewbot"), "check", "--format", "checkpatch"],
            input=mail.encode(), capture_output=True, cwd=flow_tree,
        )
        assert proc.returncode == 1 and proc.stderr == b"", proc.stderr
        (line,) = proc.stdout.decode().splitlines()
        at = int(line.split(":")[1])
        assert mail.split("\n")[at - 1].startswith("+"), (index, line)


def test_check_on_a_b4_prep_branch_reads_the_patches_beside_b4_s_cover_commit(flow_tree):
    """b4 prep keeps the cover letter as an empty commit, which git format-patch leaves out:
    ``check base..HEAD`` on the branch said "format-patch gave 8 mails for 9 commits"."""
    import json
    import subprocess

    _prep_branch(flow_tree)
    proc = subprocess.run([tool("reviewbot"), "check", "--format", "json", "base..HEAD"],
                          capture_output=True, cwd=flow_tree)
    assert proc.returncode == 1, proc.stderr.decode()  # the series has errors
    data = json.loads(proc.stdout)
    assert len(data["series"]["patches"]) == len(PATCHES)
    rules = sorted({f["rule"] for f in data["findings"] if f["severity"] == "error"})
    assert rules == sorted(set(ERRORS.values()))
