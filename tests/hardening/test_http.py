"""Issue 15, items 4, 6 (HTTP) and 9: a misbehaving server costs a bounded time and memory.

Every HTTP request goes through ``reviewbot.httpget``: a total deadline
(including a byte trickle), retries with backoff that honour Retry-After,
a cap on the decoded body, and a stop event. These tests run the real
command line against a real loopback server that trickles, sends HTML for
``t.mbox.gz``, serves gzip bombs, or answers 429/503.
"""

from __future__ import annotations

import gzip
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reviewbot.httpget import HttpClient, HttpError, HttpPolicy
from tests.conftest import EXAMPLES, ROOT
from tests.hardening.badserver import HTML, BadServer, zeros_gz
from tests.hardening.series import reviewbot

MSGID = "20261102-acme-dma-v1-3@example.org"
MBOX_GZ = gzip.compress((EXAMPLES / "series.mbox").read_bytes())


@pytest.fixture
def server():
    s = BadServer()
    yield s
    s.close()


def _config(tmp_path: Path, **limits) -> Path:
    lines = ["[lore]", "attempts = 3", "backoff = 0.05", "timeout = 1", "", "[limits]"]
    lines += [f"{k} = {v}" for k, v in limits.items()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _review(tmp_path, server, **limits):
    cfg = _config(tmp_path, **limits)
    start = time.monotonic()
    proc = reviewbot(
        "--config", str(cfg), "review", "--no-cache", "--format", "json",
        "--lore-url", f"{server.url}/all", MSGID, timeout=40,
    )
    return proc, time.monotonic() - start


def test_a_byte_trickle_is_cut_at_the_total_deadline(tmp_path, server):
    server.plan["t.mbox.gz"] = [("trickle", 0.2)]  # a byte well inside every timeout
    proc, elapsed = _review(tmp_path, server, http_deadline=3)
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    assert elapsed < 8
    assert err.strip().splitlines()[-1] == (
        f"reviewbot: {server.url}/all: cannot fetch <{MSGID}>: "
        "no complete answer within 3s (limits.http_deadline)"
    )
    assert "Traceback" not in err


def test_html_for_t_mbox_gz_is_a_server_error_and_is_retried(tmp_path, server):
    server.plan["t.mbox.gz"] = [("html",), ("ok", MBOX_GZ, {"Content-Type": "application/gzip"})]
    proc, _elapsed = _review(tmp_path, server)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "not a gzip mbox (text/html" in err and "retrying in" in err
    assert len(server.requests("t.mbox.gz")) == 2


def test_html_every_time_is_exit_3_not_an_internal_error(tmp_path, server):
    server.plan["t.mbox.gz"] = [("html",)]
    proc, _elapsed = _review(tmp_path, server)
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    assert err.strip().splitlines()[-1] == (
        f"reviewbot: {server.url}/all: cannot fetch <{MSGID}> after 3 attempts "
        f"(unusable answer: not a gzip mbox (text/html, {len(HTML)} bytes))"
    )


def _child_peak_rss_mib(argv: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run argv in a fresh interpreter that reports its own peak RSS (VmHWM).

    Not ``ru_maxrss``: Linux carries that over from the forked parent across exec.
    """
    code = (
        "import sys\n"
        "from reviewbot.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
        "print(hwm.split()[1], file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, timeout=60, check=False
    )
    rss = int(proc.stderr.decode().strip().splitlines()[-1]) / 1024
    return proc, rss


def test_a_gzip_bomb_as_t_mbox_gz_is_refused_with_bounded_memory(tmp_path, server):
    bomb = zeros_gz(400)  # 400 MiB of zeros in about 400 KB
    server.plan["t.mbox.gz"] = [("ok", bomb, {"Content-Type": "application/gzip"})]
    cfg = _config(tmp_path, http_body_bytes=8 * 1024 * 1024)
    proc, rss = _child_peak_rss_mib(
        ["--config", str(cfg), "review", "--no-cache", "--lore-url", f"{server.url}/all", MSGID]
    )
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    assert "the thread is larger than 8 MiB after decompression (limits.http_body_bytes)" in err
    assert rss < 250, f"peak RSS {rss:.0f} MiB"
    assert len(server.requests("t.mbox.gz")) == 1  # too large is not retried


def test_content_encoding_gzip_bomb_is_capped(server):
    server.plan["feed"] = [("bomb", zeros_gz(200))]
    policy = HttpPolicy(attempts=2, backoff=0.01, timeout=2, deadline=10, max_body=4 << 20)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with HttpClient(policy, user_agent="test") as http, pytest.raises(HttpError) as info:
        http.get(f"{server.url}/feed")
    assert info.value.kind == "too-large"
    assert "larger than 4 MiB (limits.http_body_bytes)" in str(info.value)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown < 100, f"RSS grew {grown:.0f} MiB"


def test_503_with_retry_after_is_honoured_with_an_injected_clock(server):
    server.plan["feed"] = [("status", 503, {"Retry-After": "7"}), ("status", 429, {}), ("ok", b"x")]
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> bool:
        waits.append(seconds)
        now[0] += seconds
        return False

    policy = HttpPolicy(attempts=4, backoff=1.0, timeout=2, deadline=60)
    with HttpClient(policy, user_agent="t", clock=lambda: now[0], sleep=sleep,
                    jitter=lambda: 0.0) as http:
        answer = http.get(f"{server.url}/feed")
    assert answer.status == 200 and answer.body == b"x"
    # Retry-After 7 beats the first backoff (1 s); then the doubled backoff (2 s)
    assert waits == [7.0, 2.0]


def test_a_retry_after_past_the_deadline_gives_up_at_once(server):
    server.plan["feed"] = [("status", 429, {"Retry-After": "3600"})]
    waits: list[float] = []
    policy = HttpPolicy(attempts=4, backoff=1.0, timeout=2, deadline=30)
    http = HttpClient(policy, user_agent="t", sleep=lambda s: waits.append(s) or False)
    with http, pytest.raises(HttpError) as info:
        http.get(f"{server.url}/feed")
    assert waits == []
    assert info.value.retry_after == 3600 and info.value.status == 429
    assert "would pass the 30s deadline" in str(info.value)


def test_backoff_doubles_with_jitter_within_half(server):
    server.plan["feed"] = [("status", 503)]
    waits: list[float] = []
    policy = HttpPolicy(attempts=4, backoff=0.5, timeout=2, deadline=60)
    http = HttpClient(
        policy, user_agent="t", sleep=lambda s: waits.append(s) or False, jitter=lambda: 1.0
    )
    with http, pytest.raises(HttpError) as info:
        http.get(f"{server.url}/feed")
    assert waits == [0.75, 1.5, 3.0]
    assert info.value.attempts == 4 and len(server.requests("feed")) == 4


def test_a_stop_event_ends_a_trickling_download_at_once(server):
    server.plan["feed"] = [("trickle", 0.1)]
    stop = threading.Event()
    policy = HttpPolicy(attempts=3, timeout=5, deadline=60)
    threading.Timer(0.5, stop.set).start()
    start = time.monotonic()
    with HttpClient(policy, user_agent="t", stop=stop) as http, pytest.raises(HttpError) as info:
        http.get(f"{server.url}/feed")
    assert info.value.stopped
    assert time.monotonic() - start < 2


def test_every_http_request_goes_through_the_one_helper():
    """One retry loop: no module but reviewbot/httpget.py talks HTTP itself."""
    offenders = []
    for path in sorted((ROOT / "reviewbot").rglob("*.py")):
        if path.name == "httpget.py":
            continue
        text = path.read_text()
        for needle in ("import httpx", "import requests", "urllib.request", "http.client",
                       "liblore.LoreNode("):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []
