"""The pure parts: the chart's geometry, the [queue] table, --listen."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from reviewbot.errors import ConfigError, UsageError
from reviewbot.queue.chart import stacked
from reviewbot.queue.config import is_loopback, parse_listen, queue_config
from reviewbot.settings import load_settings


def test_bars_are_proportional_and_sorted():
    c = stacked(
        {"drivers/usb": Counter({"dma-stack": 3, "dma-vmalloc": 1}), "mm": Counter({"x": 2})},
        {"mm": "/series/1#f0"},
    )
    assert [b.label for b in c.bars] == ["drivers/usb", "mm"]
    usb, mm = c.bars
    widths = [w for _x, w, _c, _r, _n in usb.segments]
    assert widths[0] == pytest.approx(3 * widths[1])
    assert sum(widths) == pytest.approx(2 * mm.segments[0][1])
    assert usb.segments[1][0] == pytest.approx(usb.segments[0][0] + widths[0])  # stacked
    assert mm.href == "/series/1#f0" and usb.href == ""
    assert [r for r, _c, _y in c.legend] == ["dma-stack", "dma-vmalloc", "x"]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("127.0.0.1:8750", ("127.0.0.1", 8750)),
        ("[::1]:0", ("::1", 0)),
        ("localhost:80", ("localhost", 80)),
    ],
)
def test_listen(text, want):
    assert parse_listen(text) == want
    assert is_loopback(want[0])


@pytest.mark.parametrize("text", ["8750", ":8750", "host:", "host:99999", "host:x"])
def test_bad_listen_is_one_line(text):
    with pytest.raises(UsageError, match="--listen"):
        parse_listen(text)


def test_not_loopback():
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
    assert not is_loopback("example.org")


def _settings(tmp_path: Path, body: str):
    path = tmp_path / "c.toml"
    path.write_text("[queue]\n" + body)
    return queue_config(load_settings(path, env={}), path), path


def test_queue_table(tmp_path):
    qc, path = _settings(tmp_path, 'maintainer = "Ann"\nscan = "scan.json"\n')
    assert qc.maintainer == "Ann" and qc.scan == path.parent / "scan.json" and qc.token == ""
    with pytest.raises(ConfigError, match=r"unknown key queue\.tokn"):
        _settings(tmp_path, 'tokn = "x"\n')
    with pytest.raises(ConfigError, match=r"queue\.token must be at least 16"):
        _settings(tmp_path, 'token = "short"\n')
    with pytest.raises(ConfigError, match=r"queue\.sendmail must be a string, not an integer$"):
        _settings(tmp_path, "sendmail = 1\n")


def test_editing_a_reply_keeps_the_list_attached_to_it():
    """A series reply carries the affected-driver list attached: the queue's edit replaces
    the text part only (set_content on the whole message dropped the attachment)."""
    from email import message_from_bytes, policy
    from email.message import EmailMessage

    from reviewbot.outbox import body_text
    from reviewbot.queue.drafts import with_body

    msg = EmailMessage()
    msg["Subject"] = "Re: [PATCH 0/3] arm64: lower kmalloc's alignment"
    msg.set_content("Hi,\n\nthe list is attached.\n", charset="utf-8", cte="8bit")
    msg.add_attachment("# Affected drivers\n", subtype="plain", charset="utf-8", cte="8bit",
                       filename="affected-drivers-0123456789.md")
    again = message_from_bytes(with_body(msg, "Hi,\n\nedited, the list is attached.\n"),
                               policy=policy.default)
    assert isinstance(again, EmailMessage)
    assert body_text(again) == "Hi,\n\nedited, the list is attached.\n"
    [listing] = [p for p in again.iter_attachments()]
    assert listing.get_filename() == "affected-drivers-0123456789.md"
    assert listing.get_content() == "# Affected drivers\n"
