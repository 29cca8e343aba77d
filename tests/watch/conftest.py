"""Watcher fixtures: fresh public-inboxes per test, config files, state queries.

Each test that delivers mail gets its own inbox, so what it delivers cannot
disturb another test; read-only tests share one inbox per module.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from reviewbot.cli import main
from tests.conftest import REQUIRE_PI, example_messages
from tests.pubinbox import PublicInbox, available

# Per-patch drafts the real pipeline writes for the bundled series (patches
# 1, 2, 4 and 7 carry the planted problems; 7 only lowers ARCH_KMALLOC_MINALIGN,
# which the reply to the cover says), plus the reply to the cover.
EXAMPLE_DRAFTS = [
    "0000-acme-status-reads-firmware-staging-arm64-kmalloc-ali.eml",
    "0001-usb-serial-acme-report-line-status.eml",
    "0002-iio-adc-acme-adc-read-the-conversion-status-over-spi.eml",
    "0004-usb-misc-acme-fw-stage-the-whole-image-before-upload.eml",
]


def _need_pi() -> None:
    if not available():
        if REQUIRE_PI:
            pytest.fail("public-inbox is not installed (apt-get install -y public-inbox)")
        pytest.skip("public-inbox is not installed (apt-get install -y public-inbox)")


@pytest.fixture
def make_inbox(tmp_path_factory):
    """Start a fresh public-inbox holding ``mails``; stopped after the test."""
    _need_pi()
    started: list[PublicInbox] = []

    def make(*mails: bytes) -> PublicInbox:
        inbox = PublicInbox(tmp_path_factory.mktemp("pi"))
        if mails:
            inbox.deliver(*mails)
        inbox.start()
        started.append(inbox)
        return inbox

    yield make
    for inbox in started:
        inbox.stop()


@pytest.fixture(scope="module")
def example_inbox(tmp_path_factory):
    """A read-only inbox with the bundled 8-patch series, shared by a module."""
    _need_pi()
    inbox = PublicInbox(tmp_path_factory.mktemp("pi-example"))
    inbox.deliver(*example_messages())
    inbox.start()
    yield inbox
    inbox.stop()


def reroll(mails: list[bytes], rev: int) -> list[bytes]:
    """The bundled series sent again as vN: new message-ids, ``[PATCH vN M/8]``."""
    out = []
    for raw in mails:
        raw = raw.replace(b"-acme-dma-v1-", b"-acme-dma-v%d-" % rev)
        raw = re.sub(rb"^Subject: \[PATCH ", b"Subject: [PATCH v%d " % rev, raw, flags=re.M)
        out.append(raw)
    return out


def received_now(raw: bytes) -> bytes:
    """Add the Received: header lore's mail has; public-inbox's rt: is read from it."""
    stamp = format_datetime(datetime.now(UTC))
    return f"Received: from mx.example.org by lists.example.org; {stamp}\n".encode() + raw


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


WATCH_FROM = "Watch Test <watch-test@example.org>"


def write_config(
    tmp_path: Path, subs: list[dict], reply_from: str | None = WATCH_FROM, **watch
) -> Path:
    """A watch config with fast test defaults (interval 0, grace 0, small backoff).

    ``reply_from`` is its [reply] from: the watcher refuses to file drafts
    with no sender, and a test must not depend on the machine's git identity.
    None leaves it out.
    """
    settings = {"state_dir": str(tmp_path / "state"), "backoff": 0.05, "attempts": 3}
    settings.update(watch)
    lines = ["[watch]"] + [f"{k} = {_toml(v)}" for k, v in settings.items()]
    for sub in subs:
        full = {"interval": 0, "grace": 0, **sub}
        lines += ["", "[[watch.subscriptions]]"] + [f"{k} = {_toml(v)}" for k, v in full.items()]
    if reply_from is not None:
        lines += ["", "[reply]", f"from = {_toml(reply_from)}"]
    path = tmp_path / "watch.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def watch(capsys, config: Path, *args: str) -> tuple[int, str, str]:
    """``reviewbot watch --config FILE ARGS`` in this process: (status, stdout, stderr)."""
    capsys.readouterr()
    rc = main(["watch", "--config", str(config), *args])
    out, err = capsys.readouterr()
    return rc, out, err


def watch_argv(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "reviewbot", "watch", "--config", str(config), *args]


def db(tmp_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "state" / "watch.sqlite3")
    conn.row_factory = sqlite3.Row
    return conn


def revisions(tmp_path: Path) -> list[sqlite3.Row]:
    with db(tmp_path) as conn:
        return conn.execute("SELECT * FROM revisions ORDER BY id").fetchall()


def emls(tmp_path: Path) -> list[str]:
    """Every draft in the outbox, as ``folder/name``; temporary folders included."""
    outbox = tmp_path / "state" / "outbox"
    return sorted(str(p.relative_to(outbox)) for p in outbox.rglob("*.eml"))
