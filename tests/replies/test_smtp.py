"""Delivery to a real SMTP server on loopback (aiosmtpd), at most once per draft."""

from __future__ import annotations

import socket

import pytest

from reviewbot.errors import ConfigError
from reviewbot.outbox import draft_name, sent_record, write_outbox
from reviewbot.render.reply import compose_drafts
from reviewbot.settings import SmtpSettings
from reviewbot.smtp_send import send_drafts, sending_marker, smtp_password
from tests.replies.conftest import fixed_clock, fixed_msgid
from tests.replies.planted import planted_review

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


class _Sink:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 queued as 4711"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    sink = _Sink()
    port = _free_port()
    controller = aiosmtpd_controller.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, SmtpSettings(host="127.0.0.1", port=port, starttls=False, timeout=10)
    finally:
        controller.stop()


@pytest.fixture
def outbox(tmp_path, example_series, reply_settings):
    drafts = compose_drafts(
        planted_review(example_series),
        reply_settings,
        clock=fixed_clock,
        msgid_factory=fixed_msgid,
    )
    write_outbox(drafts, tmp_path)
    return tmp_path, drafts


def test_sends_each_draft_once_and_records_the_answer(smtp_server, outbox):
    sink, smtp = smtp_server
    folder, drafts = outbox
    results = send_drafts(folder, smtp, dry_run=False)
    assert [r.status for r in results] == ["sent"] * len(drafts)
    assert len(sink.envelopes) == len(drafts)
    env = sink.envelopes[1]
    assert env.mail_from == "reviewbot@reviewbot.example.net"
    assert env.rcpt_tos == [
        "dana@example.org",
        "linux-usb@vger.kernel.org",
        "linux-iio@vger.kernel.org",
        "linux-arm-kernel@lists.infradead.org",
        "linus@example.org",  # reply to all: the people the patch went to as well
    ]
    assert b"In-Reply-To: <20261102-acme-dma-v1-1@example.org>" in env.original_content
    record = sent_record(folder / draft_name(drafts[1])).read_text()
    assert "answer: 250 2.0.0 queued as 4711" in record
    assert f"message-id: <{fixed_msgid(1)}>" in record
    assert not list(folder.glob("*.sending"))

    again = send_drafts(folder, smtp, dry_run=False)
    assert [r.status for r in again] == ["already-sent"] * len(drafts)
    assert len(sink.envelopes) == len(drafts)


def test_dry_run_sends_nothing(smtp_server, outbox):
    sink, smtp = smtp_server
    folder, drafts = outbox
    results = send_drafts(folder, smtp, dry_run=True)
    assert [r.status for r in results] == ["would-send"] * len(drafts)
    assert "dana@example.org" in results[0].recipients
    assert sink.envelopes == []
    assert not list(folder.glob("*.sent"))


def test_a_draft_in_doubt_is_left_alone_and_only_selects_files(smtp_server, outbox):
    sink, smtp = smtp_server
    folder, drafts = outbox
    sending_marker(folder / draft_name(drafts[0])).touch()
    only = {draft_name(d) for d in drafts[:2]}
    results = send_drafts(folder, smtp, dry_run=False, only=only)
    assert [r.status for r in results] == ["in-doubt", "sent"]
    assert len(sink.envelopes) == 1


def test_starttls_is_required_unless_switched_off(smtp_server, outbox):
    from dataclasses import replace

    sink, smtp = smtp_server
    folder, _ = outbox
    with pytest.raises(ConfigError, match="STARTTLS"):
        send_drafts(folder, replace(smtp, starttls=True), dry_run=False)
    assert sink.envelopes == []


def test_no_server_configured_is_a_config_error(outbox):
    folder, _ = outbox
    with pytest.raises(ConfigError, match=r"\[smtp\] host"):
        send_drafts(folder, SmtpSettings(), dry_run=False)
    # a dry run needs no server
    assert send_drafts(folder, SmtpSettings(), dry_run=True)


def test_password_comes_from_env_or_netrc_only(tmp_path):
    smtp = SmtpSettings(host="smtp.example.net", user="bot")
    assert smtp_password(smtp, {"REVIEWBOT_SMTP_PASSWORD": "s3cret", "HOME": str(tmp_path)}) == (
        "s3cret"
    )
    assert smtp_password(smtp, {"HOME": str(tmp_path)}) is None
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine smtp.example.net login bot password fromnetrc\n")
    netrc.chmod(0o600)
    assert smtp_password(smtp, {"HOME": str(tmp_path)}) == "fromnetrc"
    other = SmtpSettings(host="smtp.example.net", user="someone-else")
    assert smtp_password(other, {"HOME": str(tmp_path)}) is None


_HOLD = """
import sys
from pathlib import Path
from reviewbot.smtp_send import claim
taken = claim(Path(sys.argv[1]))
print("claimed" if not isinstance(taken, str) else taken, flush=True)
sys.stdin.read()  # hold the lock until told (or killed)
"""


def test_a_draft_another_process_is_sending_is_left_to_it_and_in_doubt_once_it_dies(
    smtp_server, outbox
):
    import signal
    import subprocess
    import sys

    from reviewbot.smtp_send import Marker, marker_state

    sink, smtp = smtp_server
    folder, drafts = outbox
    first = folder / draft_name(drafts[0])
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(first)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "claimed"
        assert marker_state(first) is Marker.HELD
        results = send_drafts(folder, smtp, dry_run=False)
        assert [r.status for r in results] == ["sending"] + ["sent"] * (len(drafts) - 1)
    finally:
        holder.send_signal(signal.SIGKILL)  # killed mid-send: nobody holds it now
        holder.wait()
    assert marker_state(first) is Marker.LEFT
    again = send_drafts(folder, smtp, dry_run=False)
    assert [r.status for r in again] == ["in-doubt"] + ["already-sent"] * (len(drafts) - 1)
    assert len(sink.envelopes) == len(drafts) - 1


def test_a_claim_works_where_the_outbox_has_no_hard_links(smtp_server, outbox, monkeypatch):
    import errno
    import os

    sink, smtp = smtp_server
    folder, drafts = outbox

    def no_links(*_args, **_kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)  # as on vfat
    results = send_drafts(folder, smtp, dry_run=False)
    assert [r.status for r in results] == ["sent"] * len(drafts)
    assert len(sink.envelopes) == len(drafts)
    assert not [p for p in folder.iterdir() if ".sending" in p.name]
