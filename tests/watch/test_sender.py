"""The watcher signs its drafts as review --outbox does, or refuses to start.

A draft from ``reviewbot@localhost`` is one git send-email cannot send
("unable to extract a valid address"): the sender is reply.from of the watch
config, else the git identity of the subscription's tree, else the watcher
says in one line which file and key to set, before polling anything.
"""

from __future__ import annotations

import shutil
from email import policy
from email.parser import BytesParser

from tests.conftest import EXAMPLES, example_messages
from tests.watch.conftest import revisions, watch, write_config


def _froms(tmp_path) -> set[str]:
    outbox = tmp_path / "state" / "outbox"
    found = set()
    for path in sorted(outbox.rglob("*.eml")):
        with path.open("rb") as fh:
            found.add(str(BytesParser(policy=policy.default).parse(fh)["From"]))
    return found


def test_a_watcher_with_no_sender_refuses_in_one_line_naming_file_and_key(tmp_path, capsys):
    tree = tmp_path / "tree"  # outside any git repository; the isolated HOME has no identity
    shutil.copytree(EXAMPLES / "tree", tree)
    cfg = write_config(
        tmp_path,
        [{"name": "acme", "url": "http://127.0.0.1:9/acme", "tree": str(tree)}],
        reply_from=None,
    )

    rc, out, err = watch(capsys, cfg, "--once")
    assert rc == 2
    [line] = err.strip().splitlines()
    assert str(cfg) in line and "subscription acme" in line
    assert "no sender for the drafts" in line and "set reply.from" in line
    assert "Traceback" not in err and "poll acme" not in err
    assert not (tmp_path / "state" / "outbox").exists()

    rc, out, err = watch(capsys, cfg, "--status")
    assert rc == 0, err
    problems = [p for p in out.splitlines() if "problem: no sender for the drafts" in p]
    assert len(problems) == 1 and "reply.from" in problems[0]


def test_the_drafts_come_from_the_configured_address(make_inbox, tmp_path, capsys):
    inbox = make_inbox(*example_messages())
    me = "Rita Maintainer <rita@reviews.example.org>"
    cfg = write_config(tmp_path, [{"name": "acme", "url": inbox.base_url}], reply_from=me)

    rc, out, err = watch(capsys, cfg, "--status")
    assert rc == 0 and "no sender" not in out
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    [rev] = revisions(tmp_path)
    assert rev["status"] == "reviewed"
    assert _froms(tmp_path) == {me}


def test_without_reply_from_the_drafts_come_from_the_trees_git_identity(
    make_inbox, example_repo, tmp_path, capsys
):
    inbox = make_inbox(*example_messages())
    cfg = write_config(
        tmp_path,
        [{"name": "acme", "url": inbox.base_url, "tree": str(example_repo)}],
        reply_from=None,
    )
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    [rev] = revisions(tmp_path)
    assert rev["status"] == "reviewed"
    assert _froms(tmp_path) == {"Dana Developer <dana@example.org>"}
