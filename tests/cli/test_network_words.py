"""Network failures in one line: the cause and the host; an offline watcher answers fast."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import requests

from reviewbot.netcause import describe, unreachable_host

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _errors(url: str, timeout: float = 2.0) -> list[BaseException]:
    """The exception each HTTP client we use raises for ``url`` (httpx; requests for b4)."""
    out: list[BaseException] = []
    for client in (httpx, requests):
        with pytest.raises(Exception) as info:
            client.get(url, timeout=timeout)
        out.append(info.value)
    return out


def test_dns_failure_names_the_host_and_the_resolver_words():
    for exc in _errors("https://lore.invalid/linux-usb/20261102-acme-dma-v1-3@example.org/"):
        line = describe(exc)
        assert line.startswith("DNS lookup failed for lore.invalid (")
        assert "\n" not in line and unreachable_host(line) == "lore.invalid"


def test_refused_names_the_host():
    for exc in _errors(f"http://127.0.0.1:{_free_port()}/all/"):
        assert describe(exc) == "connection to 127.0.0.1 refused"


def test_a_silent_server_is_a_timeout():
    with socket.socket() as srv:  # accepts (the kernel does) but never answers
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        for exc in _errors(f"http://127.0.0.1:{srv.getsockname()[1]}/", timeout=0.3):
            assert describe(exc) == "timed out waiting for an answer (127.0.0.1)"


def test_tls_failure_says_tls(tmp_path):
    """A TLS handshake with a server that speaks plain HTTP fails as TLS, with the host."""
    import http.server
    import threading

    httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        for exc in _errors(f"https://127.0.0.1:{httpd.server_address[1]}/"):
            assert re.match(r"TLS failed for 127\.0\.0\.1( \(.+\))?$", describe(exc)), describe(exc)
    finally:
        httpd.shutdown()


def test_offline_watch_once_ends_within_30s_with_the_cause(tmp_path):
    """The example config (7 feeds, 4 attempts, backoff 2 s) against a host that never resolves."""
    example = (ROOT / "config" / "watch.example.toml").read_text()
    # its reply.from switched on: without a sender the watcher polls nothing
    example = example.replace('# from = "Your Name', 'from = "Your Name')
    config = tmp_path / "watch.toml"
    config.write_text(
        example.replace("https://lore.kernel.org", "https://lore.invalid").replace(
            "/var/lib/reviewbot", str(tmp_path / "state")
        )
    )
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "reviewbot", "watch", "--config", str(config), "--once"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 3
    assert elapsed < 30, elapsed
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error ")]
    assert len(errors) == 7
    assert errors[0].startswith(
        "error linux-usb: https://lore.invalid/linux-usb/new.atom: DNS lookup failed for "
        "lore.invalid ("
    )
    assert all(
        "not polled: lore.invalid unreachable in this cycle (see linux-usb)" in e
        for e in errors[1:]
    )
