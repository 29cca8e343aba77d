"""Killed at any point of a review (kill -9), the watcher neither loses nor repeats it."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time

import pytest

from tests.watch.conftest import (
    EXAMPLE_DRAFTS,
    db,
    emls,
    revisions,
    watch,
    watch_argv,
    write_config,
)


def wait_for(proc: subprocess.Popen, text: str, timeout: float = 30) -> str:
    """Read the child's stderr until ``text`` appears; everything read so far."""
    seen = ""
    sel = selectors.DefaultSelector()
    sel.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or (proc.poll() is not None and not sel.select(0)):
            raise AssertionError(f"no {text!r} from the watcher; it said:\n{seen}")
        if sel.select(min(left, 0.5)):
            chunk = os.read(proc.stderr.fileno(), 65536).decode()
            if not chunk and proc.poll() is not None:
                raise AssertionError(f"watcher exited before {text!r}; it said:\n{seen}")
            seen += chunk
    return seen


@pytest.mark.parametrize(
    ("stage", "after_restart"),
    [
        ("planned", "was interrupted; it will be redone"),
        ("written", "was interrupted; it will be redone"),
        ("renamed", "its 4 drafts were filed before the last stop"),
    ],
)
def test_kill_9_during_a_review_then_restart(example_inbox, tmp_path, capsys, stage, after_restart):
    cfg = write_config(tmp_path, [{"name": "acme", "url": example_inbox.base_url}])
    env = dict(os.environ, REVIEWBOT_WATCH_TEST_PAUSE=stage)
    proc = subprocess.Popen(
        watch_argv(cfg, "--once"), env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        wait_for(proc, f"test pause at {stage}")
        [rev] = revisions(tmp_path)
        assert rev["status"] == "reviewing"  # what the killed process left behind
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
    outbox = tmp_path / "state" / "outbox"
    if stage == "written":
        assert any(p.name.endswith(".tmp") for p in outbox.iterdir())
    if stage == "renamed":
        assert (outbox / rev["planned"]).is_dir()  # on disk, but not in the database

    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert after_restart in err
    [rev] = revisions(tmp_path)
    assert rev["status"] == "reviewed"
    assert emls(tmp_path) == [f"{rev['planned']}/{name}" for name in EXAMPLE_DRAFTS]
    assert [p.name for p in outbox.iterdir()] == [rev["planned"]]  # no temporary left
    with db(tmp_path) as conn:
        paths = [r[0] for r in conn.execute("SELECT path FROM drafts ORDER BY path")]
    assert [os.path.basename(p) for p in paths] == EXAMPLE_DRAFTS

    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0 and "review" not in err and len(emls(tmp_path)) == 4


def test_daemon_takes_new_mail_and_sigterm_lets_the_review_finish(make_inbox, tmp_path, capsys):
    """Mail delivered while the daemon runs is reviewed; SIGTERM mid-review ends it cleanly."""
    from tests import mailgen
    from tests.conftest import example_messages

    inbox = make_inbox(*mailgen.unrelated_thread())  # an empty inbox has no new.atom
    cfg = write_config(tmp_path, [{"name": "acme", "url": inbox.base_url, "grace": 30}])
    env = dict(os.environ, REVIEWBOT_WATCH_TEST_PAUSE="planned:2")
    proc = subprocess.Popen(
        watch_argv(cfg), env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        wait_for(proc, "poll acme: ok, 2 new messages")
        inbox.deliver(*example_messages())
        wait_for(proc, "test pause at planned", timeout=60)
        proc.send_signal(signal.SIGTERM)  # in the middle of the review
        assert proc.wait(30) == 0
        said = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert "SIGTERM: stopping after the work in progress" in said
    assert said.index("reviewed acme: v1") < said.index("stopped")
    [rev] = revisions(tmp_path)
    assert rev["status"] == "reviewed"
    assert emls(tmp_path) == [f"{rev['planned']}/{name}" for name in EXAMPLE_DRAFTS]

    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0 and "review" not in err and len(emls(tmp_path)) == 4
