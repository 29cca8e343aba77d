"""kill -9 of the queue while it sends: the mail is neither lost nor sent twice.

Three points: after the send was claimed in the state (nothing left yet),
while the SMTP server holds the mail's DATA (in doubt: the server had all
of it but never answered; aiosmtpd, like a real MTA, then drops it), and
after the ``.sent`` record was written but before the state heard of it.
"""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from tests.queue.conftest import queue_config
from tests.queue.webform import act, flashes, form, get, post, status

DRAFT = 1  # 0001-usb-serial-acme-report-line-status.eml of series 1


def _send_in_background(base: str) -> threading.Thread:
    _code, _page, _fields = act(base, 1, DRAFT, "approve")
    t = threading.Thread(target=lambda: _quiet(act, base, 1, DRAFT, "send"), daemon=True)
    t.start()
    return t


def _quiet(fn, *args) -> None:
    with contextlib.suppress(OSError):  # the server is killed under the request: the point
        fn(*args)


def _wait(cond, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize("stage", ["claimed", "smtp-data", "delivered"])
def test_kill_9_during_send(watched, tmp_path, smtp, start_queue, stage):
    sink, port = smtp
    cfg = queue_config(tmp_path, watched, port)
    env = {"REVIEWBOT_QUEUE_TEST_PAUSE": stage} if stage != "smtp-data" else {}
    if stage == "smtp-data":
        sink.stall.set()
    server = start_queue(cfg, env)
    _send_in_background(server.url)
    if stage == "smtp-data":
        _wait(sink.in_data.is_set, "the mail's DATA at the SMTP server")
    else:
        server.wait_for(f"test pause at {stage}")
    server.kill()
    sink.release.set()  # a stalled server now accepts what it was given
    if stage == "delivered":
        _wait(lambda: len(sink.envelopes) == 1, "the mail at the SMTP server")
    else:
        time.sleep(0.5)
        assert sink.envelopes == []
    outbox = tmp_path / "state" / "outbox"
    [eml] = outbox.glob("00001-*/0001-*.eml")
    assert eml.with_suffix(".sending").exists() == (stage == "smtp-data")

    again = start_queue(cfg)
    _s, page = get(f"{again.url}/series/1")
    after_restart = {"claimed": "approved", "smtp-data": "in-doubt", "delivered": "sent"}[stage]
    assert status(page, 1, DRAFT) == after_restart
    assert "recovered:" in again.wait_for("recovered:")

    if stage == "claimed":  # nothing left: it can be sent, once
        _code, page, _f = act(again.url, 1, DRAFT, "send")
        assert status(page, 1, DRAFT) == "sent"
        assert len(sink.envelopes) == 1
    elif stage == "smtp-data":
        # in doubt: no send button, and a send posted anyway is refused
        assert 'action="/draft/1/1/send"' not in page
        fields = dict(form(page, "/draft/1/1/not-sent"), nonce="forced-send-0123456789")
        _code, page = post(f"{again.url}/draft/1/1/send", fields)
        assert "in-doubt; approve it first" in " ".join(flashes(page))
        assert sink.envelopes == []
        # a person looked on the list: it did not arrive; approved again, it goes once
        _code, page, _f = act(again.url, 1, DRAFT, "not-sent")
        assert status(page, 1, DRAFT) == "waiting"
        assert not eml.with_suffix(".sending").exists()
        act(again.url, 1, DRAFT, "approve")
        _code, page, _f = act(again.url, 1, DRAFT, "send")
        assert status(page, 1, DRAFT) == "sent"
    else:
        assert 'action="/draft/1/1/send"' not in page
    assert len(sink.envelopes) == 1
    _s, page = get(f"{again.url}/series/1")
    assert 'action="/draft/1/1/send"' not in page
    assert flashes(page) == []
