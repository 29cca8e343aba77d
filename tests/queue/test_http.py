"""The queue server over plain HTTP: what it serves, and what it refuses."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.queue.conftest import HOSTILE_NAME, queue_config


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def post(url: str, data: dict[str, str], headers: dict[str, str] | None = None):
    req = urllib.request.Request(
        url, data=urllib.parse.urlencode(data).encode(), headers=headers or {}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def server(watched, tmp_path, smtp, start_queue):
    _sink, port = smtp
    return start_queue(queue_config(tmp_path, watched, port))


def test_queue_lists_both_series_newest_first(server):
    status, html = get(server.url + "/")
    assert status == 200
    rows = re.findall(r'<tr id="rev-(\d+)">', html)
    assert rows == ["2", "1"], html
    assert "dma-stack: 1" in html
    assert "waiting 5" in html


def test_hostile_text_is_escaped(server):
    _status, html = get(server.url + "/")
    assert "<script" not in html and "<b>" not in html
    assert "acme: &lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt; &amp; &lt;b&gt;" in html
    _status, page = get(server.url + "/series/2")
    assert "<script" not in page and HOSTILE_NAME not in page
    assert "Mallory &lt;script&gt;alert(1)&lt;/script&gt;" in page
