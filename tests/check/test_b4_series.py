"""b4 review's series-level check and its tracking data, through b4's own runner.

``b4 review`` hands a series-level check only the cover letter, and names
its tracking data in ``B4_TRACKING_FILE`` (the series' base-commit, and a
blob in the repository holding the whole thread). reviewbot answers the
series check with the drivers affected by a minalign change, reviews a
single patch against the tracked base-commit, and says when the tree
already has the patch. b4's ``run_series_checks``/``run_perpatch_checks``
run the command exactly as the review screen does.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import b4.review.checks as b4checks
import liblore.utils

from reviewbot.intake.mail import parse_one
from tests.check.conftest import KernelRepo
from tests.check.kernel import BASE, DRIVER, STACK_FUNC
from tests.conftest import EXAMPLES

CMD = f"{shlex.quote(sys.executable)} -m reviewbot check --format b4 --tree ."


def _tracking(tmp_path, **series) -> dict[str, str]:
    path = tmp_path / "b4-tracking.json"
    path.write_text(json.dumps({"series": series}))
    return {"B4_TRACKING_FILE": str(path)}


def _store_blob(repo, data: bytes) -> str:
    return (
        subprocess.run(
            ["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
            input=data,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )


def test_series_check_lists_the_drivers_a_minalign_change_affects(example_repo, tmp_path):
    mbox = (EXAMPLES / "series.mbox").read_bytes()
    cover = parse_one(liblore.utils.split_mbox_as_bytes(mbox)[0])
    assert "0/8" in cover["Subject"]
    env = _tracking(tmp_path, **{"thread-blob": _store_blob(example_repo, mbox)})
    (res,) = b4checks.run_series_checks(
        (cover["Message-Id"].strip("<>"), cover), [CMD], str(example_repo), extra_env=env
    )
    assert res["tool"] == "reviewbot" and res["status"] == "warn", res
    # the same series reviewed directly on the same tree names the same drivers
    from reviewbot.intake import IntakeOptions, load_series
    from reviewbot.pipeline import review_series

    direct = review_series(
        load_series(str(EXAMPLES / "series.mbox"), IntakeOptions()), tree=example_repo
    )
    drivers = direct.affected_drivers
    assert drivers
    n = len(drivers)
    verb = "driver depends" if n == 1 else "drivers depend"
    assert res["summary"] == f"{n} {verb} on the kmalloc alignment it changes"
    details = [d["description"] for d in json.loads(res["details"])]
    assert any("ARCH_KMALLOC_MINALIGN" in d and "[minalign-definition]" in d for d in details)
    for d in drivers:
        assert any(x.startswith(f"{d.path} (") and d.maintainers[0] in x for x in details), d


def test_series_check_without_tracking_data_passes_and_says_why(example_repo):
    cover = parse_one(liblore.utils.split_mbox_as_bytes((EXAMPLES / "series.mbox").read_bytes())[0])
    (res,) = b4checks.run_series_checks(("c", cover), [CMD], str(example_repo))
    assert res["status"] == "pass" and res["summary"].startswith("not a patch")


def _head_patch(repo: KernelRepo):
    raw = repo.git("format-patch", "-1", "--stdout", "--thread", "HEAD").encode() + b"\n"
    msg = parse_one(raw)
    return msg["Message-Id"].strip("<>"), msg


def test_a_patch_the_tree_has_is_checked_against_its_parent_unless_b4_names_the_base(
    repo: KernelRepo, tmp_path, needs_engine
):
    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    msgid, msg = _head_patch(repo)
    (res,) = b4checks.run_perpatch_checks([(msgid, msg)], [CMD], str(repo.root))[msgid]
    head = repo.git("rev-parse", "HEAD")
    assert res["summary"].startswith(f"in the tree as {head[:12]}, checked against its parent; ")
    assert res["status"] == "fail" and "dma-stack" in res["summary"], res
    # b4's tracking data names the base the series was written against
    env = _tracking(tmp_path, **{"base-commit": repo.git("rev-parse", "base")})
    (res,) = b4checks.run_perpatch_checks([(msgid, msg)], [CMD], str(repo.root), extra_env=env)[
        msgid
    ]
    assert "in the tree" not in res["summary"]
    assert res["status"] == "fail" and "dma-stack" in res["summary"]


def test_a_broken_tracking_file_is_ignored(repo: KernelRepo, tmp_path, needs_engine):
    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    msgid, msg = _head_patch(repo)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    env = {"B4_TRACKING_FILE": str(bad)}
    (res,) = b4checks.run_perpatch_checks([(msgid, msg)], [CMD], str(repo.root), extra_env=env)[
        msgid
    ]
    assert res["status"] == "fail" and "Traceback" not in json.dumps(res)


def test_a_patch_is_checked_inside_its_series_when_b4_keeps_the_thread(
    repo: KernelRepo, tmp_path, needs_engine
):
    """Patch 2 only touches code patch 1 added: alone on the base it cannot apply."""
    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    later = STACK_FUNC.replace("\tw->status = buf[0];\n", "\tw->status = buf[0] & 0x7f;\n")
    repo.commit(DRIVER, BASE + later, "usb: widget: mask the status")
    out = tmp_path / "series"
    repo.git("format-patch", "-q", "--cover-letter", "--thread", "-o", str(out), "base..HEAD")
    files = sorted(out.glob("*.patch"))
    mbox = b"".join(p.read_bytes() + b"\n" for p in files)
    second = parse_one(files[2].read_bytes())
    msgid = second["Message-Id"].strip("<>")
    env = _tracking(
        tmp_path,
        **{
            "base-commit": repo.git("rev-parse", "base"),
            "thread-blob": _store_blob(repo.root, mbox),
        },
    )
    (res,) = b4checks.run_perpatch_checks([(msgid, second)], [CMD], str(repo.root), extra_env=env)[
        msgid
    ]
    # patch 1 applied first, then patch 2 on top: it adds no hazard of its own
    assert res["status"] == "pass", res
    assert "in the tree" not in res["summary"] and "new" not in res["summary"]
    # without b4's data the same check finds the patch in the tree (HEAD) by patch-id
    # and checks it against its parent, where patch 1 is already in
    (alone,) = b4checks.run_perpatch_checks([(msgid, second)], [CMD], str(repo.root))[msgid]
    head = repo.git("rev-parse", "HEAD")
    assert alone["summary"].startswith(f"in the tree as {head[:12]}, "), alone
    assert alone["status"] == "pass", alone
    # the first patch, in the same series, is the one that introduced it
    first = parse_one(files[1].read_bytes())
    fid = first["Message-Id"].strip("<>")
    (res,) = b4checks.run_perpatch_checks([(fid, first)], [CMD], str(repo.root), extra_env=env)[fid]
    assert res["status"] == "fail" and "dma-stack" in res["summary"], res
