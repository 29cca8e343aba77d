"""Issue 15, items 4 and 9 for the watcher: a broken server costs bounded time, never a series.

Real watcher processes against a real loopback server that trickles, sends
gzip bombs, or answers HTML for ``t.mbox.gz`` in front of a real
public-inbox.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from tests.hardening.badserver import BadServer, zeros_gz
from tests.watch.conftest import EXAMPLE_DRAFTS, emls, revisions, watch, watch_argv, write_config
from tests.watch.test_crash import wait_for


@pytest.fixture
def server():
    s = BadServer()
    yield s
    s.close()


def _config(tmp_path, url: str, **limits):
    cfg = write_config(tmp_path, [{"name": "acme", "url": url}], timeout=1)
    if limits:
        with cfg.open("a") as fh:
            fh.write("\n[limits]\n" + "".join(f"{k} = {v}\n" for k, v in limits.items()))
    return cfg


def test_a_trickling_feed_is_cut_at_the_deadline(server, tmp_path, capsys):
    server.plan["new.atom"] = [("trickle", 0.2)]
    cfg = _config(tmp_path, f"{server.url}/acme", http_deadline=3)
    start = time.monotonic()
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 3
    assert time.monotonic() - start < 8
    assert "no complete answer within the 3s deadline (limits.http_deadline)" in err


def test_sigterm_ends_a_trickling_poll_at_once(server, tmp_path):
    server.plan["new.atom"] = [("trickle", 0.1)]
    cfg = _config(tmp_path, f"{server.url}/acme", http_deadline=60)
    proc = subprocess.Popen(watch_argv(cfg), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        wait_for(proc, "watching 1 subscriptions")
        deadline = time.monotonic() + 10
        while not server.requests("new.atom") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # inside the trickle now
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
        assert time.monotonic() - sent < 3
        said = proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert "stopping" in said and "Traceback" not in said


def test_a_gzip_bomb_feed_is_refused(server, tmp_path, capsys):
    server.plan["new.atom"] = [("bomb", zeros_gz(200))]
    cfg = _config(tmp_path, f"{server.url}/acme", http_body_bytes=4 * 1024 * 1024)
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 3
    assert "the answer is larger than 4 MiB (limits.http_body_bytes); refused" in err


def test_html_for_t_mbox_gz_fails_one_attempt_not_the_series(
    server, example_inbox, tmp_path, capsys
):
    upstream = f"http://127.0.0.1:{example_inbox.port}"
    server.plan["t.mbox.gz"] = [("html",), ("html",), ("html",), ("proxy", upstream)]
    server.plan["/"] = [("proxy", upstream)]
    cfg = _config(tmp_path, f"{server.url}/{example_inbox.name}")
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    [rev] = revisions(tmp_path)
    assert rev["status"] == "waiting" and rev["attempts"] == 1
    assert "not a gzip mbox (text/html" in rev["reason"]
    assert "Traceback" not in err and "internal error" not in err
    time.sleep(max(0.0, rev["next_try"] - time.time()) + 0.1)
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    [rev] = revisions(tmp_path)
    assert rev["status"] == "reviewed"
    assert emls(tmp_path) == [f"{rev['planned']}/{name}" for name in EXAMPLE_DRAFTS]
