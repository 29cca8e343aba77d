"""A series fetched from an archive, reviewed inside a kernel tree: the tree is used.

Issue 25: ``review <message-id>`` inside a kernel tree ignored the tree
(only a ``tree: none`` line said so) and found fewer errors than ``--tree``;
``check --lore-url`` was refused; ``b4 shazam`` then a check read the
applied patches from their hunks only; and drafts linked to
lore.kernel.org/all whatever archive the series came from. The series and
its tree are tests/flows/drivers.py, served by a real public-inbox.
"""

from __future__ import annotations

import json
import subprocess

import liblore.utils

from tests.flows.conftest import b4, git, tool
from tests.flows.drivers import ERRORS


def reviewbot(cwd, *argv: str, data: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("reviewbot"), "-q", *argv], cwd=cwd, input=data.decode() if data else None,
        capture_output=True, text=True, timeout=300,
    )


def _errors(out: str) -> dict[int, str]:
    data = json.loads(out)
    return {f["patch"]: f["rule"] for f in data["findings"]
            if f["introduced"] and f["severity"] == "error"}


def test_review_of_a_message_id_inside_the_tree_uses_the_tree(series_inbox, flow_tree):
    cover = series_inbox.msgids[0]
    lore = ["--lore-url", series_inbox.url, "--format", "json"]
    given = reviewbot(flow_tree.parent, "review", *lore, "--tree", str(flow_tree), cover)
    assert given.returncode == 0, given.stderr
    assert _errors(given.stdout) == ERRORS
    inside = reviewbot(flow_tree / "drivers" / "usb", "review", *lore, cover)
    assert inside.returncode == 0, inside.stderr
    assert _errors(inside.stdout) == _errors(given.stdout)
    assert json.loads(inside.stdout)["series"]["base"] == git(flow_tree, "rev-parse", "base")
    # and it says which tree, in the text too
    text = reviewbot(flow_tree, "review", "--lore-url", series_inbox.url, cover)
    assert f"  tree: {flow_tree.resolve()} (from the current directory)\n" in text.stdout
    # --no-tree opts out, and says so
    alone = reviewbot(flow_tree, "review", "--no-tree", "--lore-url", series_inbox.url, cover)
    assert "  tree: none (--no-tree: reviewed from the patches alone)\n" in alone.stdout
    assert "Patch 3/8" not in alone.stdout and "Patch 4/8" not in alone.stdout


def test_check_takes_lore_url_as_review_does(series_inbox, flow_tree):
    cover = series_inbox.msgids[0]
    proc = reviewbot(flow_tree, "check", "--lore-url", series_inbox.url, "--format", "json",
                     cover)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert {f["patch"] for f in data["check"]["failing"]} == set(ERRORS)
    # one definition: every intake option of review is an option of check
    for option in ("--lore-url", "--revision", "--tree", "--no-tree", "--no-cache"):
        for command in ("review", "check"):
            helptext = reviewbot(flow_tree, command, "--help").stdout
            assert option in helptext, (command, option)


def test_shazam_then_check_fails_every_patch_with_an_error(series_inbox, flow_tree):
    """``b4 shazam`` applies the series to HEAD; each check then finds its commit."""
    git(flow_tree, "config", "b4.midmask", f"{series_inbox.url}/%s")
    git(flow_tree, "config", "b4.linkmask", f"{series_inbox.url}/%s")
    proc = b4(flow_tree, "shazam", series_inbox.msgids[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(git(flow_tree, "rev-list", "base..HEAD").split()) == 8
    # the whole series by message-id, from inside the tree
    whole = reviewbot(flow_tree, "check", "--lore-url", series_inbox.url, "--format", "json",
                      series_inbox.msgids[0])
    assert whole.returncode == 1, whole.stderr
    assert {f["patch"] for f in json.loads(whole.stdout)["check"]["failing"]} == set(ERRORS)
    # each patch mail alone, as b4's per-patch checks feed it (b4 format and checkpatch)
    mails = liblore.utils.split_mbox_as_bytes(series_inbox.mbox)[1:]
    for index, mail in enumerate(mails, 1):
        res = reviewbot(flow_tree, "check", "--format", "b4", "-", data=mail)
        (entry,) = json.loads(res.stdout)
        want = "fail" if index in ERRORS else "pass"
        assert entry["status"] == want, (index, entry)
        assert entry["summary"].startswith("in the tree as "), entry
        report = reviewbot(flow_tree, "check", "--format", "checkpatch", "-", data=mail)
        errors = [line for line in report.stdout.splitlines() if "ERROR:" in line]
        assert len(errors) == (1 if index in ERRORS else 0), (index, report.stdout)


def test_drafts_link_to_the_archive_the_series_came_from(series_inbox, flow_tree, tmp_path):
    outbox = tmp_path / "drafts"
    proc = reviewbot(flow_tree, "review", "--lore-url", series_inbox.url, "--outbox",
                     str(outbox), series_inbox.msgids[0])
    assert proc.returncode == 0, proc.stderr
    drafts = sorted(outbox.glob("*.eml"))
    assert len(drafts) == len(ERRORS), drafts
    for draft in drafts:
        text = draft.read_text()
        assert "lore.kernel.org" not in text, draft.name
        assert ", in a Linux tree at " in text and "\treviewbot review http" in text
        assert f" {series_inbox.url}/{series_inbox.msgids[0]}/" in text, draft.name
        assert f"| Closes: {series_inbox.url}/" in text, draft.name
