"""Exactly once across the queue's "Send now" and the watcher's own ``send = true`` delivery.

Both go through smtp_send's one send path: the draft's ``.sending`` marker
is the lock, held for the whole send, and ``.sent`` is checked again once
it is taken. Here the real queue server and the real watcher (``reviewbot
watch --once``, whose poll fails: nothing listens on port 9, but its
delivery runs) meet at a real SMTP server (aiosmtpd on 127.0.0.1) that can
hold a connection at EHLO or DATA, or take a mail's data and hang up.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time

import pytest

from tests.queue.conftest import ROOT, queue_config
from tests.queue.webform import act, flashes, form, get, post, status
from tests.watch.conftest import watch_argv

COVER = 0  # 0000-*.eml of series 1: the first draft the watcher sends


def _wait(cond, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _deliverable(tmp_path, cfg) -> None:
    """Series 1's embargo is over, and the watcher's polls fail fast."""
    cfg.write_text(cfg.read_text().replace("[watch]\n", "[watch]\nattempts = 1\nbackoff = 0.05\n"))
    with sqlite3.connect(tmp_path / "state" / "watch.sqlite3") as db:
        db.execute("UPDATE revisions SET send_after=1 WHERE id=1")


def _watcher(cfg) -> subprocess.Popen:
    return subprocess.Popen(
        watch_argv(cfg, "--once"), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )


def _finish(watcher: subprocess.Popen) -> str:
    _out, err = watcher.communicate(timeout=180)
    assert watcher.returncode == 3, err  # its poll failed, and it said so; delivery ran
    return err


def _draft(tmp_path, prefix: str):
    [eml] = (tmp_path / "state" / "outbox").glob(f"00001-*/{prefix}-*.eml")
    return eml


def _msgid(path) -> str:
    from email import policy
    from email.parser import BytesParser

    return str(BytesParser(policy=policy.default).parsebytes(path.read_bytes())["Message-Id"])


def test_send_now_while_the_watcher_connects_sends_the_draft_once(
    watched, tmp_path, smtp, start_queue
):
    """The watcher looked (not sent yet) and is connecting when the queue sends the same
    draft: once it holds the lock it sees the ``.sent`` record and leaves it."""
    sink, port = smtp
    cfg = queue_config(tmp_path, watched, port, send=True)
    _deliverable(tmp_path, cfg)
    server = start_queue(cfg)
    act(server.url, 1, COVER, "approve")
    sink.hold_ehlo.set()  # the next connection (the watcher's) waits at EHLO
    watcher = _watcher(cfg)
    try:
        _wait(sink.ehlo_held.is_set, "the watcher's connection")
        _code, page, _f = act(server.url, 1, COVER, "send")  # its own connection goes through
        assert status(page, 1, COVER) == "sent"
        assert len(sink.envelopes) == 1
    finally:
        sink.ehlo_release.set()
        err = _finish(watcher)
    cover = _draft(tmp_path, "0000")
    ids = sink.message_ids()
    assert ids.count(_msgid(cover)) == 1, err
    assert len(ids) == len(set(ids)) == 4  # the other three went out once, by the watcher
    assert "already-sent 0000-" in err
    _c, page = get(f"{server.url}/series/1")
    assert [status(page, 1, n) for n in range(4)] == ["sent"] * 4


def test_a_draft_the_watcher_is_sending_shows_as_sending_and_is_not_sent_again(
    watched, tmp_path, smtp, start_queue
):
    """While the watcher holds a draft's lock the queue says "sending", not "in doubt": no
    "It did not arrive" to press, and a Send now posted from an older page is refused."""
    sink, port = smtp
    cfg = queue_config(tmp_path, watched, port, send=True)
    _deliverable(tmp_path, cfg)
    server = start_queue(cfg)
    act(server.url, 1, COVER, "approve")
    _c, before = get(f"{server.url}/series/1")
    send_form = form(before, f"/draft/1/{COVER}/send")
    cover = _draft(tmp_path, "0000")
    sink.stall_if = _msgid(cover).encode()
    watcher = _watcher(cfg)
    try:
        _wait(sink.in_data.is_set, "the watcher's mail at the SMTP server")
        _c, page = get(f"{server.url}/series/1")
        assert status(page, 1, COVER) == "sending"
        assert f'action="/draft/1/{COVER}/not-sent"' not in page
        assert f'action="/draft/1/{COVER}/send"' not in page
        _code, page = post(f"{server.url}/draft/1/{COVER}/send", send_form)
        assert "is sending: another sender" in " ".join(flashes(page))
        assert status(page, 1, COVER) == "sending"
    finally:
        sink.release.set()
        _finish(watcher)
    ids = sink.message_ids()
    assert ids.count(_msgid(cover)) == 1
    assert len(ids) == len(set(ids)) == 4
    _c, page = get(f"{server.url}/series/1")
    assert status(page, 1, COVER) == "sent"


def _sent_at(tmp_path):
    with sqlite3.connect(tmp_path / "state" / "watch.sqlite3") as db:
        return db.execute("SELECT sent_at FROM revisions WHERE id=1").fetchone()[0]


def test_the_watcher_leaves_a_draft_the_queue_is_sending_and_looks_again_next_pass(
    watched, tmp_path, smtp, start_queue
):
    """The queue holds the lock (its mail is in DATA) when the watcher's pass comes: the
    watcher sends the others, leaves that one, and does not call the series done."""
    import threading

    sink, port = smtp
    cfg = queue_config(tmp_path, watched, port, send=True)
    _deliverable(tmp_path, cfg)
    server = start_queue(cfg)
    act(server.url, 1, COVER, "approve")
    cover = _draft(tmp_path, "0000")
    sink.stall_if = _msgid(cover).encode()
    pages: list[str] = []
    queue_send = threading.Thread(
        target=lambda: pages.append(act(server.url, 1, COVER, "send")[1]), daemon=True
    )
    queue_send.start()
    try:
        _wait(sink.in_data.is_set, "the queue's mail at the SMTP server")
        first = _finish(_watcher(cfg))
        assert "sending 0000-" in first and "looking again next cycle" in first
        assert _sent_at(tmp_path) is None
        assert len(sink.envelopes) == 3  # the other three, by the watcher
    finally:
        sink.release.set()
        queue_send.join(60)
    assert status(pages[0], 1, COVER) == "sent"
    second = _finish(_watcher(cfg))
    assert "already-sent 0000-" in second
    assert _sent_at(tmp_path) is not None
    ids = sink.message_ids()
    assert ids.count(_msgid(cover)) == 1
    assert len(ids) == len(set(ids)) == 4


@pytest.mark.parametrize("failure", ["dropped", "timed-out"])
def test_a_send_that_failed_after_data_is_in_doubt_and_never_resent(
    watched, tmp_path, smtp, start_queue, failure
):
    """The server took the mail's data and hung up (or never answered): the watcher's
    next passes leave the draft in doubt, and the queue asks a person."""
    sink, port = smtp
    cfg = queue_config(tmp_path, watched, port, send=True, smtp_timeout=2)
    _deliverable(tmp_path, cfg)
    if failure == "dropped":
        sink.drop_next_data.set()
    else:
        sink.stall.set()  # past [smtp] timeout: the watcher gives up waiting for the answer
    first = _finish(_watcher(cfg))
    sink.release.set()
    # a server that had all the data and hung up may deliver it; one whose client left
    # while it held the data (aiosmtpd, like many MTAs) drops it: either way, in doubt
    arrived = 1 if failure == "dropped" else 0
    _wait(lambda: len(sink.envelopes) == arrived, "the first mail at the server")
    time.sleep(0.3)
    assert len(sink.envelopes) == arrived
    cover = _draft(tmp_path, "0000")
    assert "it may have gone out" in first

    second = _finish(_watcher(cfg))  # the next pass: the rest go, the cover letter's does not
    third = _finish(_watcher(cfg))
    ids = sink.message_ids()
    assert ids.count(_msgid(cover)) == arrived, second + third  # never sent again
    assert len(ids) == len(set(ids)) == 3 + arrived
    assert "in-doubt 0000-" in second
    assert cover.with_suffix(".sending").exists() and not cover.with_suffix(".sent").exists()

    server = start_queue(cfg)
    _c, page = get(f"{server.url}/series/1")
    assert status(page, 1, COVER) == "in-doubt"
    assert f'action="/draft/1/{COVER}/send"' not in page
    assert f'action="/draft/1/{COVER}/mark-sent"' in page
    assert f'action="/draft/1/{COVER}/not-sent"' in page
