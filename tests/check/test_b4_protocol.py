"""``reviewbot check --format b4`` through b4's own review check runner.

b4 reads ``b4.review-perpatch-check-cmd`` from git config, feeds each patch
to the command on stdin (``b4.review.checks._run_external_cmd``) and parses
the JSON list it prints. These tests configure that key in the isolated
global git config (tests/conftest.py points GIT_CONFIG_GLOBAL at a temporary
file) and call b4's ``load_check_cmds`` and ``run_perpatch_checks`` as
``b4 review`` does, so a change in b4's parsing shows up here.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from email.message import EmailMessage

import b4
import b4.review.checks as b4checks
import pytest

from reviewbot.intake.mail import parse_one
from tests.check.conftest import KernelRepo
from tests.check.kernel import BASE, CLEAN_FUNC, DRIVER, STACK_FUNC, line_of

CHECK_CMD = f"{shlex.quote(sys.executable)} -m reviewbot check --format b4"


@pytest.fixture
def b4_configured(monkeypatch):
    """b4's main config read from a global git config naming our check command."""
    subprocess.run(
        ["git", "config", "--global", "b4.review-perpatch-check-cmd", CHECK_CMD], check=True
    )
    # b4 keeps its config in a module global; restore it after the test.
    monkeypatch.setattr(b4, "MAIN_CONFIG", dict(b4.MAIN_CONFIG))
    b4._setup_main_config()
    cmds, _series = b4checks.load_check_cmds()
    assert cmds == [CHECK_CMD]
    return cmds


def patch_message(repo: KernelRepo, rev: str = "HEAD") -> tuple[str, EmailMessage]:
    raw = repo.git("format-patch", "-1", "--stdout", "--thread", rev).encode() + b"\n"
    msg = parse_one(raw)
    return msg["Message-Id"].strip("<>"), msg


def run_b4(cmds, repo: KernelRepo, msgid: str, msg: EmailMessage) -> list[dict]:
    results = b4checks.run_perpatch_checks([(msgid, msg)], cmds, str(repo.root))
    return results[msgid]


def test_b4_fails_the_patch_with_a_stack_buffer(repo, b4_configured, needs_engine):
    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    msgid, msg = patch_message(repo)
    (res,) = run_b4(b4_configured, repo, msgid, msg)
    assert res["tool"] == "reviewbot"
    assert res["status"] == "fail", res
    line = line_of(repo.read(DRIVER), "usb_control_msg(", after="widget_read_status")
    # b4 runs checks in the repository, whose HEAD here is the patch itself: it is
    # found by patch-id and checked against its parent, as it was written
    head = repo.git("rev-parse", "HEAD")
    assert res["summary"] == (
        f"in the tree as {head[:12]}, checked against its parent; "
        f"1 error: dma-stack at {DRIVER}:{line}"
    )
    (detail,) = json.loads(res["details"])
    assert detail["status"] == "fail"
    assert detail["description"].startswith(f"{DRIVER}:{line}: error: ")


def test_b4_passes_a_clean_patch(repo, b4_configured, needs_engine):
    repo.commit(DRIVER, BASE + CLEAN_FUNC, "usb: widget: add disconnect")
    msgid, msg = patch_message(repo)
    head = repo.git("rev-parse", "HEAD")
    assert run_b4(b4_configured, repo, msgid, msg) == [
        {
            "tool": "reviewbot",
            "status": "pass",
            "summary": f"in the tree as {head[:12]}, checked against its parent; "
            "no DMA-alignment findings",
            "url": "",
            "details": "",
        }
    ]


def test_b4_on_a_message_that_is_not_a_patch(repo, b4_configured):
    msg = parse_one(
        b"From: Rev Iewer <rev@example.org>\n"
        b"To: linux-usb@vger.kernel.org\n"
        b"Subject: Re: [PATCH] usb: widget: read the status\n"
        b"Message-Id: <reply-1@example.org>\n"
        b"Date: Mon, 2 Nov 2026 10:00:00 +0000\n"
        b"\n"
        b"Looks fine to me.\n"
    )
    (res,) = run_b4(b4_configured, repo, "reply-1@example.org", msg)
    assert res["status"] == "pass"
    assert res["summary"].startswith("not a patch: nothing to check")
    assert "Traceback" not in json.dumps(res)


def test_b4_protocol_on_the_command_line(repo):
    """Without b4: garbage on stdin is a one-line error and exit 2, never a traceback."""
    proc = subprocess.run(
        shlex.split(CHECK_CMD),
        input=b"\x00\x01\x02 not mail at all \xff" * 20,
        capture_output=True,
        cwd=repo.root,
    )
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert b"Traceback" not in proc.stderr
    assert proc.stderr.decode().count("\n") == 1
