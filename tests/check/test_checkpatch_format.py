"""``check --format checkpatch`` through b4's own code for local check commands.

``b4 am``/``b4 shazam`` (``b4.am-perpatch-check-cmd``) and ``b4 prep
--check`` run each patch through ``b4.LoreMessage.run_local_check``: the
message on stdin, every output line a report (``fail`` if it holds
``ERROR:``, a warning otherwise), no output a pass. These tests call that
function with reviewbot as the command, in the repository as b4 does, so
a change in b4's reading shows up here.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import b4
import pytest

from reviewbot.intake.mail import parse_one
from tests.check.conftest import KernelRepo
from tests.check.kernel import BASE, CLEAN_FUNC, DRIVER, STACK_FUNC


def _command() -> list[str]:
    script = Path(sys.executable).with_name("reviewbot")
    if script.exists():
        return [str(script), "check", "--format", "checkpatch"]
    return [sys.executable, "-m", "reviewbot", "check", "--format", "checkpatch"]


def _message(repo: KernelRepo):
    raw = repo.git("format-patch", "-1", "--stdout", "--thread", "HEAD").encode() + b"\n"
    msg = parse_one(raw)
    return msg["Message-Id"].strip("<>"), msg


@pytest.fixture
def in_repo(repo, monkeypatch):
    monkeypatch.chdir(repo.root)  # b4 runs check commands at the repository's top level
    # b4 keeps its config in a module global (its cache needs it); restore it afterwards
    monkeypatch.setattr(b4, "MAIN_CONFIG", dict(b4.MAIN_CONFIG))
    b4._setup_main_config()
    return repo


def test_b4_fails_the_stack_buffer_patch_and_points_at_its_line(in_repo, needs_engine):
    in_repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    ident, msg = _message(in_repo)
    report = b4.LoreMessage.run_local_check(_command(), ident, msg, nocache=True)
    name = Path(_command()[0]).name
    # one line, one report: no checkpatch "total:" line for b4 to count as a warning
    # (b4 runs checkpatch itself with --no-summary)
    flags = [flag for flag, _ in report]
    assert flags == ["fail"], report
    ((_, error),) = report
    m = re.fullmatch(rf"{re.escape(name)}: (\d+): ERROR: (.*) \[dma-stack\]", error)
    assert m, error
    # the line number counts lines of what b4 fed us, and lands on the added call
    fed = b4.LoreMessage.get_msg_as_bytes(msg).decode().split("\n")
    assert fed[int(m.group(1)) - 1].startswith("+\tret = usb_control_msg(udev,")


def test_b4_passes_a_clean_patch_because_nothing_is_printed(in_repo, needs_engine):
    in_repo.commit(DRIVER, BASE + CLEAN_FUNC, "usb: widget: add disconnect")
    ident, msg = _message(in_repo)
    report = b4.LoreMessage.run_local_check(_command(), ident, msg, nocache=True)
    assert report == [("success", f"{Path(_command()[0]).name}: passed all checks")]


def test_a_mail_without_a_patch_passes(in_repo):
    msg = parse_one(
        b"From: Rev Iewer <rev@example.org>\nSubject: Re: [PATCH] usb: widget\n"
        b"Message-Id: <reply-7@example.org>\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nLGTM\n"
    )
    report = b4.LoreMessage.run_local_check(_command(), "reply-7", msg, nocache=True)
    assert [flag for flag, _ in report] == ["success"], report


def test_checkpatch_format_on_a_patch_file_and_on_a_range(repo, check, needs_engine, tmp_path):
    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    patch = tmp_path / "0001.patch"
    patch.write_text(repo.git("format-patch", "-1", "--stdout", "HEAD") + "\n")
    status, out, _ = check("check", "--format", "checkpatch", str(patch), cwd=repo.root)
    assert status == 1
    lines = out.splitlines()
    assert re.fullmatch(r"-:\d+: ERROR: .* \[dma-stack\]", lines[0])
    at = int(lines[0].split(":")[1])
    assert patch.read_text().split("\n")[at - 1].startswith("+\tret = usb_control_msg(")
    assert len(lines) == 1 and not any(line.startswith("total:") for line in lines)
    # a range has no single input to count lines in: file:line, as --showfile prints
    status, out, _ = check("check", "--format", "checkpatch", "base..HEAD", cwd=repo.root)
    assert status == 1
    assert re.match(rf"{re.escape(DRIVER)}:\d+: ERROR: ", out.splitlines()[0])


def test_the_b4_am_config_key_names_the_command(repo, monkeypatch):
    """What README tells maintainers to set is what b4 reads and splits into argv."""
    import shlex
    import subprocess

    cmd = shlex.join(_command())
    subprocess.run(["git", "config", "--global", "b4.am-perpatch-check-cmd", cmd], check=True)
    monkeypatch.setattr(b4, "MAIN_CONFIG", dict(b4.MAIN_CONFIG))
    b4._setup_main_config()
    assert b4.get_main_config().get("am-perpatch-check-cmd") in (cmd, [cmd])
    assert shutil.which(_command()[0]) or Path(_command()[0]).exists()


def test_in_an_mbox_each_finding_points_into_its_own_patch(repo, check, needs_engine, tmp_path):
    """Two patches touch the same file: line numbers land in the mail of the right one."""
    from tests.check.kernel import STACK_FUNC_2

    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    repo.commit(DRIVER, BASE + STACK_FUNC + STACK_FUNC_2, "usb: widget: read the mode")
    mbox = tmp_path / "series.mbox"
    mbox.write_text(repo.git("format-patch", "--stdout", "--thread", "base..HEAD") + "\n")
    status, out, _ = check("check", "--format", "checkpatch", str(mbox), cwd=repo.root)
    assert status == 1
    text = mbox.read_text().split("\n")
    errors = [line for line in out.splitlines() if ": ERROR: " in line]
    assert len(errors) == 2
    at = [int(e.split(":")[1]) for e in errors]
    assert text[at[0] - 1].startswith("+\tret = usb_control_msg(udev,")
    assert text[at[1] - 1].startswith("+\treturn usb_control_msg(udev,")
    second_mail = next(n for n, row in enumerate(text) if "[PATCH 2/2]" in row)
    assert at[0] < second_mail < at[1]
