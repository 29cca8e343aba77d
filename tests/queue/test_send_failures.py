"""A send that did not go out says why on the draft and leaves it approved, never "in doubt".

Nothing went out when there is no sender configured, when the server
cannot be reached, or when the outbox cannot be written (the ``.sending``
marker, the lock of the one send path, cannot even be made): the draft
stays approved, the reason is shown on it, and no marker is left behind.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.pubinbox import free_port
from tests.queue.conftest import queue_config
from tests.queue.webform import act, flashes, form, get, post, status

DRAFT = 1  # 0001-usb-serial-acme-report-line-status.eml of series 1


def _eml(tmp_path):
    [eml] = (tmp_path / "state" / "outbox").glob("00001-*/0001-*.eml")
    return eml


def test_no_send_button_without_a_sender_and_a_forced_send_says_why(
    watched, tmp_path, start_queue
):
    server = start_queue(queue_config(tmp_path, watched, None))  # no [smtp] host, no sendmail
    _code, page, _f = act(server.url, 1, DRAFT, "approve")
    assert status(page, 1, DRAFT) == "approved"
    assert f'action="/draft/1/{DRAFT}/send"' not in page
    assert "sending is not configured: set [smtp] host" in page
    # a send posted anyway (an old page, a hand-made form) is refused with the reason
    fields = dict(form(page, f"/draft/1/{DRAFT}/drop"), nonce="forced-send-0123456789")
    _code, page = post(f"{server.url}/draft/1/{DRAFT}/send", fields)
    assert "not sent: sending is not configured" in " ".join(flashes(page))
    assert status(page, 1, DRAFT) == "approved"
    assert not _eml(tmp_path).with_suffix(".sending").exists()


def test_a_send_the_server_never_took_says_why_on_the_draft_and_stays_approved(
    watched, tmp_path, start_queue
):
    closed = free_port()  # nothing listens there: connection refused
    server = start_queue(queue_config(tmp_path, watched, closed))
    act(server.url, 1, DRAFT, "approve")
    _code, page, _f = act(server.url, 1, DRAFT, "send")
    assert "was not sent" in " ".join(flashes(page))
    assert status(page, 1, DRAFT) == "approved"
    _c, page = get(f"{server.url}/series/1")
    why = page.split(f'id="why-1-{DRAFT}">')[1].split("</p>")[0]
    assert f"127.0.0.1:{closed}" in why and "refused" in why.lower()
    assert f'action="/draft/1/{DRAFT}/send"' in page  # it can be sent again once fixed
    eml = _eml(tmp_path)
    assert not eml.with_suffix(".sending").exists() and not eml.with_suffix(".sent").exists()
    _c, editor = get(f"{server.url}/draft/1/{DRAFT}")
    assert 'id="why"' in editor and "refused" in editor.lower()


def _read_only(path) -> list[str]:
    """Run the queue in its own mount namespace, where ``path`` is a read-only bind mount."""
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        'mount --bind -o ro "$0" "$0" && exec "$@"',
        str(path),
    ]


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="a read-only bind mount needs root and unshare (util-linux)",
)
def test_a_read_only_outbox_is_an_error_on_the_page_not_a_false_in_doubt(
    watched, tmp_path, smtp, start_queue
):
    sink, port = smtp
    cfg = queue_config(tmp_path, watched, port)
    eml = _eml(tmp_path)
    before = eml.read_bytes()
    server = start_queue(cfg, wrapper=_read_only(tmp_path / "state" / "outbox"))
    _code, page, _f = act(server.url, 1, DRAFT, "approve")  # the state is writable
    assert status(page, 1, DRAFT) == "approved"

    code, page, _f = act(server.url, 1, DRAFT, "send")
    assert code == 200
    said = " ".join(flashes(page))
    assert "was not sent" in said and "Read-only file system" in said
    assert status(page, 1, DRAFT) == "approved"  # not "sending", not "in-doubt"
    assert "Read-only file system" in page.split(f'id="why-1-{DRAFT}">')[1].split("</p>")[0]
    assert sink.envelopes == []

    _c, editor = get(f"{server.url}/draft/1/{DRAFT}")
    fields = form(editor, f"/draft/1/{DRAFT}/save")
    code, page = post(f"{server.url}/draft/1/{DRAFT}/save", dict(fields, body="Hi Dana,\n\nx\n"))
    assert code == 200
    assert "was not saved" in " ".join(flashes(page)) and "Read-only" in " ".join(flashes(page))

    code, page, _f = act(server.url, 1, DRAFT, "mark-sent")
    assert code == 200
    assert "was not marked as sent" in " ".join(flashes(page))
    assert status(page, 1, DRAFT) == "approved"

    assert eml.read_bytes() == before
    assert not eml.with_suffix(".sending").exists() and not eml.with_suffix(".sent").exists()
