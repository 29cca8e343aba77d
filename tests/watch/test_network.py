"""Unreachable, failing and garbled servers: back off, recover, lose nothing."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from reviewbot import __version__
from tests.conftest import example_messages
from tests.watch.conftest import EXAMPLE_DRAFTS, db, emls, revisions, watch, write_config


class Proxy:
    """A loopback HTTP proxy to a public-inbox that can answer 503 or garbage instead."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")  # http://127.0.0.1:PORT
        self.fail = 0  # answer 503 to this many requests
        self.garbage = False  # answer feeds with something that is not XML
        self.requests: list[tuple[str, str]] = []  # (path, User-Agent)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.requests.append((self.path, self.headers.get("User-Agent", "")))
                if proxy.fail > 0:
                    proxy.fail -= 1
                    self._answer(503, b"busy", {"Retry-After": "0"})
                    return
                if proxy.garbage and ("new.atom" in self.path or "x=A" in self.path):
                    self._answer(200, b"<feed><entry>not closed", {})
                    return
                try:
                    with urllib.request.urlopen(proxy.upstream + self.path, timeout=20) as r:
                        self._answer(
                            r.status, r.read(), {"Content-Type": r.headers["Content-Type"]}
                        )
                except urllib.error.HTTPError as exc:
                    self._answer(exc.code, exc.read(), {})

            def _answer(self, status: int, body: bytes, headers: dict) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    if v:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, inbox) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{inbox.name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(example_inbox):
    p = Proxy(f"http://127.0.0.1:{example_inbox.port}")
    yield p
    p.close()


def test_503s_are_retried_with_backoff_and_a_named_user_agent(
    proxy, example_inbox, tmp_path, capsys
):
    cfg = write_config(tmp_path, [{"name": "acme", "url": proxy.url(example_inbox)}])
    proxy.fail = 2
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert "HTTP 503 (attempt 1 of 3), retrying in" in err
    assert "HTTP 503 (attempt 2 of 3), retrying in" in err
    [rev] = revisions(tmp_path)
    assert emls(tmp_path) == [f"{rev['planned']}/{name}" for name in EXAMPLE_DRAFTS]
    with db(tmp_path) as conn:
        install_id = conn.execute("SELECT value FROM meta WHERE key='install_id'").fetchone()[0]
    feed_agents = {ua for path, ua in proxy.requests if "new.atom" in path}
    assert feed_agents == {f"reviewbot/{__version__} (lore watcher; id={install_id})"}


def test_a_server_that_keeps_failing_then_recovers(proxy, example_inbox, tmp_path, capsys):
    cfg = write_config(tmp_path, [{"name": "acme", "url": proxy.url(example_inbox)}])
    proxy.fail = 100
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 3
    assert "error acme: " in err and "HTTP 503 after 3 attempts (failure 1, next poll in" in err
    assert revisions(tmp_path) == []
    rc, out, _err = watch(capsys, cfg, "--status")
    assert "1 failures in a row: " in out

    proxy.fail = 0
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    [rev] = revisions(tmp_path)
    assert rev["status"] == "reviewed"
    assert len(emls(tmp_path)) == 4
    with db(tmp_path) as conn:
        row = conn.execute("SELECT failures, last_error FROM subscriptions").fetchone()
    assert tuple(row) == (0, None)


def test_public_inbox_stopped_then_started(make_inbox, tmp_path, capsys):
    inbox = make_inbox(*example_messages())
    cfg = write_config(tmp_path, [{"name": "acme", "url": inbox.base_url}])
    inbox.stop()
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 3 and "connection to 127.0.0.1 refused after 3 attempts" in err
    inbox.start()
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert len(emls(tmp_path)) == 4


def test_a_malformed_feed_is_logged_and_skipped(proxy, example_inbox, tmp_path, capsys):
    """One subscription's garbage does not stop the others, nor the next cycle."""
    cfg = write_config(
        tmp_path,
        [
            {"name": "garbled", "url": proxy.url(example_inbox)},
            {"name": "acme", "url": example_inbox.base_url},
        ],
    )
    proxy.garbage = True
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 3
    assert "error garbled: " in err and "malformed feed, skipped" in err
    assert "reviewed acme: v1" in err
    assert len(emls(tmp_path)) == 4

    proxy.garbage = False
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert "poll garbled: ok, 9 new messages, 9 patches" in err
    # the same series seen through a second subscription is not reviewed twice
    assert "review " not in err
    assert len(revisions(tmp_path)) == 1 and len(emls(tmp_path)) == 4
