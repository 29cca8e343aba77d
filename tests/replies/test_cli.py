"""``reviewbot review --outbox DIR`` end to end, through ``reviewbot.cli.main``."""

from __future__ import annotations

import json
import socket

import pytest

from reviewbot.cli import main
from reviewbot.outbox import body_text
from tests.replies.conftest import EXAMPLE_MBOX


def test_review_outbox_writes_drafts_only_inside_dir_and_lists_them(
    tmp_path, monkeypatch, capsys, bot_config
):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "outbox"
    argv = ["--config", str(bot_config), "review", "--format", "json", "--outbox", str(out)]
    status = main([*argv, str(EXAMPLE_MBOX)])
    assert status == 0
    doc = json.loads(capsys.readouterr().out)
    drafts = doc["drafts"]
    assert [d["in_reply_to"] for d in drafts] == [
        "20261102-acme-dma-v1-0@example.org",
        *(f"20261102-acme-dma-v1-{i}@example.org" for i in (1, 2, 4)),
    ]  # patch 7 only lowers ARCH_KMALLOC_MINALIGN: the series reply says it
    assert all(d["subject"].startswith("Re: [PATCH ") for d in drafts)
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p != bot_config)
    assert written == sorted(
        [out / "drafts.mbox", *(out / d["path"].split("/")[-1] for d in drafts)]
    )
    assert all(d["path"].startswith(str(out) + "/") for d in drafts)
    assert not any(work.iterdir())


def test_send_needs_an_outbox(capsys):
    assert main(["review", "--send", str(EXAMPLE_MBOX)]) == 2
    assert "--outbox" in capsys.readouterr().err


def test_dry_run_shows_what_would_go(tmp_path, capsys, bot_config):
    out = tmp_path / "outbox"
    argv = ["-q", "--config", str(bot_config), "review", "--outbox", str(out), "--dry-run"]
    assert main([*argv, str(EXAMPLE_MBOX)]) == 0
    err = capsys.readouterr().err
    assert err.count("would-send: ") == 4
    assert "0001-usb-serial-acme-report-line-status.eml to dana@example.org" in err
    assert not list(out.glob("*.sent"))


def test_send_through_the_configured_server(tmp_path, capsys):
    controller_mod = pytest.importorskip("aiosmtpd.controller")
    got = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            got.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = controller_mod.Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[reply]\nfrom = "Review Bot <bot@example.net>"\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\n'
        )
        out = tmp_path / "outbox"
        argv = [
            "-q",
            "--config",
            str(config),
            "review",
            "--outbox",
            str(out),
            "--send",
            str(EXAMPLE_MBOX),
        ]
        assert main(argv) == 0
        assert len(got) == 4 and got[0].mail_from == "bot@example.net"
        assert capsys.readouterr().err.count("sent: ") == 4
        # a second run composes fresh drafts, but the sent ones stay and go nowhere
        assert main(argv) == 0
        assert len(got) == 4
        assert capsys.readouterr().err.count("already-sent: ") == 4
    finally:
        controller.stop()


def test_with_a_tree_the_series_reply_lists_the_real_affected_drivers(tmp_path, capsys, bot_config):
    import email
    from email import policy

    tree = EXAMPLE_MBOX.parent / "tree"
    out = tmp_path / "outbox"
    argv = ["-q", "--config", str(bot_config), "review", "--tree", str(tree), "--outbox", str(out)]
    argv.append(str(EXAMPLE_MBOX))
    assert main(argv) == 0
    capsys.readouterr()
    series_reply = next(out.glob("0000-*.eml"))
    msg = email.message_from_bytes(series_reply.read_bytes(), policy=policy.default)
    body = body_text(msg)
    assert msg["In-Reply-To"] == "<20261102-acme-dma-v1-0@example.org>"
    # the series by its archive URL, the tree as the one it runs in: no local path
    url = "https://lore.kernel.org/all/20261102-acme-dma-v1-0@example.org/"
    # the commit the review was made against (the series' base, or the HEAD
    # of the repository around examples/tree), never the path
    import re

    m = re.search(
        r"^reproduce with reviewbot \S+, in a Linux tree at ([0-9a-f]{12}):\n"
        r"\treviewbot review (\S+)$", body, re.M
    )
    assert m and m.group(2) == url, body
    assert "<" not in m.group(0)  # nothing to fill in
    for path in (str(tree), str(EXAMPLE_MBOX), str(out), str(tmp_path)):
        assert path not in series_reply.read_text()
    assert "Drivers this changes, core and bus code first, then the worst" in body
    # every driver row is followed by its maintainers from MAINTAINERS
    lines = body.splitlines()
    rows = [i for i, line in enumerate(lines) if line.startswith("  drivers/")]
    assert rows
    for i in rows:
        assert lines[i + 1].startswith("      ") and "@" in lines[i + 1]
        assert ":" not in lines[i + 1]


def _git(repo, *args):
    import subprocess

    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def test_without_a_sender_no_drafts_are_written_and_the_reason_is_one_line(tmp_path, capsys):
    out = tmp_path / "outbox"
    tree = EXAMPLE_MBOX.parent / "tree"
    status = main(["review", "--tree", str(tree), "--outbox", str(out), str(EXAMPLE_MBOX)])
    err = capsys.readouterr().err
    assert status == 2
    assert "no sender for the drafts" in err and "reply.from" in err
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert not out.exists() or not list(out.iterdir())


def test_the_sender_comes_from_the_trees_git_identity(tmp_path, capsys, example_repo):
    import email
    from email import policy

    out = tmp_path / "outbox"
    argv = ["-q", "review", "--tree", str(example_repo), "--outbox", str(out), str(EXAMPLE_MBOX)]
    assert main(argv) == 0
    capsys.readouterr()
    for path in out.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert str(msg["From"]) == "Dana Developer <dana@example.org>"
        assert "Reported-by" not in body_text(msg) or "| Reported-by: Dana" in (
            body_text(msg)
        )


def test_a_git_range_gets_no_drafts_and_says_why(tmp_path, capsys, example_repo, bot_config):
    driver = example_repo / "drivers" / "usb" / "misc" / "acme_fw.c"
    driver.write_text(driver.read_text() + "\n/* a comment */\n")
    _git(example_repo, "commit", "-qam", "usb: misc: acme_fw: a comment")
    out = tmp_path / "outbox"
    argv = ["--config", str(bot_config), "review", "--tree", str(example_repo), "--always"]
    assert main([*argv, "--outbox", str(out), "HEAD~1..HEAD"]) == 0
    err = capsys.readouterr().err
    assert "no reply drafts" in err and "git range" in err and "never mailed" in err
    assert not out.exists() or not list(out.iterdir())
