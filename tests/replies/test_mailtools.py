"""The outbox as maintainers' own tools take it: git send-email and mutt, for real.

``git send-email DIR/*.eml`` must send one mail per draft with the draft's
Message-Id, In-Reply-To and References (its own threading, not a new
thread of its own), to the draft's recipients only, with no in-body From:
and without Cc'ing the bot. mutt must read ``drafts.mbox`` as the same
messages. Both run against drafts of the real-tree fixtures. Debian's
git-email and mutt are installed by scripts/test.sh; without them the
tests skip, except under CI.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

from reviewbot.outbox import MBOX_NAME, body_text, write_outbox
from reviewbot.render.reply import compose_drafts
from tests.replies.conftest import fixed_clock
from tests.replies.realtree import NAMES, realtree_review
from tests.replies.test_realtree import SETTINGS

REQUIRED = bool(os.environ.get("CI"))
SENDER = SETTINGS.identity


def _have_send_email() -> bool:
    proc = subprocess.run(["git", "send-email", "-h"], capture_output=True, text=True)
    return "<file|directory>" in (proc.stdout + proc.stderr)


def _need(ok: bool, what: str) -> None:
    if not ok:
        if REQUIRED:
            pytest.fail(f"{what} is not installed (scripts/test.sh installs it as root)")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(params=NAMES)
def outbox(request, tmp_path) -> tuple[Path, list]:
    review = realtree_review(request.param)
    drafts = compose_drafts(review, SETTINGS, clock=fixed_clock)
    s = review.series
    ids = [p.msgid for p in s.patches] + ([s.cover.msgid] if s.cover else [])
    out = tmp_path / "outbox"
    write_outbox(drafts, out, ids)
    return out, drafts


def _files(out: Path) -> list[Path]:
    return sorted(out.glob("*.eml"))


def _headers(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def _send_email(out: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [
        "git",
        "send-email",
        "--confirm=never",
        f"--from={SENDER}",
        "--suppress-cc=self",
        *extra,
        *map(str, _files(out)),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=out.parent, timeout=120)


def test_git_send_email_dry_run_sends_each_draft_as_its_own_threaded_mail(outbox):
    _need(_have_send_email(), "git send-email (Debian git-email)")
    out, drafts = outbox
    proc = _send_email(out, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    blocks = proc.stdout.split("Dry-OK. Log says:")[1:]
    assert len(blocks) == len(drafts) == len(_files(out))
    for block, path in zip(blocks, _files(out), strict=True):
        head = block.split("\n\n")[0]
        sent = email.message_from_string(head[head.index("\nFrom: ") + 1 :])
        draft = _headers(path)
        for h in ("Message-Id", "In-Reply-To", "Subject", "From"):
            assert " ".join(str(sent[h]).split()) == " ".join(str(draft[h]).split()), (path, h)
        assert sent["References"].split() == str(draft["References"]).split()
        rcpt = re.findall(r"^RCPT TO:<([^>]+)>", block, re.M)
        want = [a.addr_spec for h in ("To", "Cc") for a in (draft[h].addresses if draft[h] else ())]
        assert sorted(rcpt) == sorted(want), path
        assert "reviewbot@reviewbot.example.net" not in rcpt


def test_git_send_email_delivers_the_body_as_drafted(outbox, tmp_path):
    """Through a sendmail stand-in: what git send-email really hands over, byte by byte."""
    _need(_have_send_email(), "git send-email (Debian git-email)")
    out, drafts = outbox
    caught = tmp_path / "caught"
    caught.mkdir()
    sendmail = tmp_path / "sendmail"
    sendmail.write_text(
        f"#!{sys.executable}\n"
        "import sys, time\n"
        f"open('{caught}/%d.msg' % time.time_ns(), 'wb').write(sys.stdin.buffer.read())\n"
    )
    sendmail.chmod(0o755)
    proc = _send_email(out, f"--smtp-server={sendmail}")
    assert proc.returncode == 0, proc.stderr
    got = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in sorted(caught.iterdir())
    ]
    assert len(got) == len(drafts)
    for msg, path in zip(got, _files(out), strict=True):
        draft = _headers(path)
        assert msg["Message-Id"] == draft["Message-Id"]
        assert msg["In-Reply-To"] == draft["In-Reply-To"]
        body = body_text(msg)
        assert not body.startswith("From:"), "git send-email added an in-body From:"
        assert body == body_text(draft)


def test_mutt_reads_the_mbox_as_the_same_messages(outbox, tmp_path):
    _need(shutil.which("mutt") is not None and shutil.which("script") is not None, "mutt")
    out, drafts = outbox
    saved = tmp_path / "saved.mbox"
    rc = tmp_path / "muttrc"
    rc.write_text(
        "set mbox_type=mbox\nset wait_key=no\nset confirmappend=no\nset confirmcreate=no\n"
        f'set sort=mailbox-order\nset folder="{tmp_path}"\nset spoolfile="{out / MBOX_NAME}"\n'
        f'push "<tag-pattern>~A<enter><tag-prefix><copy-message>{saved}<enter><exit>"\n'
    )
    cmd = f"mutt -n -F {rc} -R -f {out / MBOX_NAME}"
    env = dict(os.environ, TERM="xterm")
    proc = subprocess.run(
        ["script", "-qec", cmd, "/dev/null"], capture_output=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stdout[-500:]
    import mailbox

    copied = list(mailbox.mbox(saved))
    assert len(copied) == len(drafts)
    for msg, path in zip(copied, _files(out), strict=True):
        draft = _headers(path)
        for h in ("Message-Id", "In-Reply-To", "References", "Subject"):
            assert " ".join(str(msg[h]).split()) == " ".join(str(draft[h]).split()), h
        # mailbox gives compat32 messages: the text part of a reply with the list attached
        part = next(p for p in msg.walk() if p.get_content_type() == "text/plain"
                    and p.get_filename() is None)
        assert part.get_payload(decode=True).decode() == body_text(draft)
        if msg.is_multipart():  # the list travels with the reply, as written
            [listing] = [p for p in msg.walk() if p.get_filename()]
            assert listing.get_filename().startswith("affected-drivers-")


def test_the_readme_command_sends_every_draft(outbox):
    """README's git send-email line, run as written (dry run, no prompt)."""
    _need(_have_send_email(), "git send-email (Debian git-email)")
    out, drafts = outbox
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (line,) = [x for x in readme.splitlines() if x.startswith("git send-email --confirm=always")]
    cmd = line.replace("--confirm=always", "--confirm=never --dry-run").replace("DIR", str(out))
    proc = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Result: OK") == len(drafts)
    assert f"From: {SENDER}" in proc.stdout
