"""Issue 15, items 8 and 10: recovery after kill -9, crash loops, and a full outbox disk.

Real watcher processes (kill -9 where the item says so), a real
public-inbox, a real SMTP server (aiosmtpd) and a real full file system
(a 64 KiB tmpfs, where mounting is allowed).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess

import pytest

from tests.watch.conftest import EXAMPLE_DRAFTS, emls, revisions, watch, watch_argv, write_config
from tests.watch.test_crash import wait_for

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


class _Sink:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 queued"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Sink()
    controller = aiosmtpd_controller.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def _kill_at(cfg, stage: str) -> str:
    """Start ``watch --once`` paused at ``stage``, kill -9 it there; what it said."""
    env = dict(os.environ, REVIEWBOT_WATCH_TEST_PAUSE=stage)
    proc = subprocess.Popen(
        watch_argv(cfg, "--once"), env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        return wait_for(proc, f"test pause at {stage}")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()


def test_drafts_recovered_after_a_kill_are_still_sent(example_inbox, tmp_path, capsys, smtp):
    sink, port = smtp
    cfg = write_config(
        tmp_path,
        [{"name": "acme", "url": example_inbox.base_url, "send": True, "embargo_hours": 0}],
    )
    with cfg.open("a") as fh:
        fh.write(f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\n')
    _kill_at(cfg, "renamed")  # drafts on disk, the database commit lost
    [rev] = revisions(tmp_path)
    assert rev["status"] == "reviewing" and sink.envelopes == []

    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert "its 4 drafts were filed before the last stop" in err
    [rev] = revisions(tmp_path)
    assert rev["status"] == "reviewed" and rev["send_after"] is not None
    assert rev["sent_at"] is not None
    assert len(sink.envelopes) == len(EXAMPLE_DRAFTS)


def test_a_review_that_kills_the_process_ends_failed(example_inbox, tmp_path, capsys):
    cfg = write_config(tmp_path, [{"name": "acme", "url": example_inbox.base_url}],
                       review_attempts=2)
    for attempt in (1, 2):
        said = _kill_at(cfg, "planned")
        assert f"(attempt {attempt})" in said
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    [rev] = revisions(tmp_path)
    assert rev["status"] == "failed" and rev["attempts"] == 2
    assert "interrupted 2 times" in rev["reason"]
    assert "review acme" not in err  # not started a third time
    assert emls(tmp_path) == []
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0 and "review acme" not in err


def test_an_orphan_temporary_draft_folder_is_removed(example_inbox, tmp_path, capsys):
    cfg = write_config(tmp_path, [{"name": "acme", "url": example_inbox.base_url}])
    orphan = tmp_path / "state" / "outbox" / ".00042-v1-gone.tmp"
    orphan.mkdir(parents=True)
    (orphan / "0001-x.eml").write_text("half a draft\n")
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert not orphan.exists()
    assert len(emls(tmp_path)) == 4


@pytest.fixture
def full_outbox(tmp_path):
    """A 64 KiB tmpfs for the outbox, filled to the last byte."""
    mnt = tmp_path / "outbox"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
        capture_output=True, check=False,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    filler = mnt / "filler"
    try:
        with filler.open("wb") as fh:
            while True:
                fh.write(b"x" * 4096)
                fh.flush()
    except OSError:
        pass
    try:
        yield mnt, filler
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_outbox_disk_neither_kills_the_daemon_nor_fails_the_series(
    example_inbox, tmp_path, full_outbox
):
    mnt, filler = full_outbox
    cfg = write_config(
        tmp_path, [{"name": "acme", "url": example_inbox.base_url}], outbox=str(mnt)
    )
    proc = subprocess.Popen(watch_argv(cfg), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        wait_for(proc, "drafts not filed")
        [rev] = revisions(tmp_path)
        assert rev["status"] == "waiting" and rev["attempts"] == 0
        assert "No space left on device" in rev["reason"]
        assert proc.poll() is None  # the daemon is still there
        assert [p.name for p in mnt.iterdir()] == ["filler"]  # no temporary left behind
        filler.unlink()  # space again
        wait_for(proc, "reviewed acme: v1")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    [rev] = revisions(tmp_path)
    assert rev["status"] == "reviewed"
    drafts = sorted(p.name for p in (mnt / rev["planned"]).glob("*.eml"))
    assert drafts == EXAMPLE_DRAFTS


def test_every_stamp_comes_from_the_injected_clock(example_inbox, tmp_path, smtp):
    """reviewed_at, written_at, send_after and sent_at read the watcher's clock, not the wall's.

    The clock runs ten days ahead: stamped from the wall clock, reviewed_at
    would be off by ten days, and the embargo (1 hour of the injected clock)
    would never be over, so nothing would be sent.
    """
    from reviewbot.settings import load_settings
    from reviewbot.watch.config import load_watch_config
    from reviewbot.watch.service import Watcher
    from tests.watch.conftest import db
    from tests.watch.test_assembly import FakeClock

    sink, port = smtp
    cfg = write_config(
        tmp_path,
        [{"name": "acme", "url": example_inbox.base_url, "send": True, "embargo_hours": 1}],
    )
    with cfg.open("a") as fh:
        fh.write(f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nstarttls = false\n')
    clock = FakeClock()
    clock.now += 10 * 86400
    reviewed = clock.now
    with Watcher(load_watch_config(cfg), load_settings(cfg), clock=clock) as watcher:
        watcher.cycle(all_subscriptions=True)
        [rev] = revisions(tmp_path)
        assert rev["status"] == "reviewed", rev["reason"]
        assert rev["reviewed_at"] == reviewed and rev["send_after"] == reviewed + 3600
        with db(tmp_path) as conn:
            written = {r[0] for r in conn.execute("SELECT written_at FROM drafts")}
        assert written == {reviewed}
        assert rev["sent_at"] is None and sink.envelopes == []

        clock.now += 3600  # the embargo is over by the watcher's clock
        watcher.cycle()
    [rev] = revisions(tmp_path)
    assert rev["sent_at"] == reviewed + 3600
    assert len(sink.envelopes) == len(EXAMPLE_DRAFTS)
