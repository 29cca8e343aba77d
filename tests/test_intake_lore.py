"""Intake from a real public-inbox-httpd through b4: ids, URL forms, revisions, failures."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from reviewbot.cli import main
from tests.pubinbox import free_port

EXAMPLE_P3 = "20261102-acme-dma-v1-3@example.org"


def run_json(capsys, *argv: str) -> dict:
    code = main(["review", "--format", "json", *argv])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_msgid_of_patch_3_gives_all_8_patches(public_inbox, capsys):
    data = run_json(capsys, "--lore-url", public_inbox.base_url, EXAMPLE_P3)
    series = data["series"]
    assert [p["index"] for p in series["patches"]] == list(range(1, 9))
    assert series["msgid"] == "20261102-acme-dma-v1-0@example.org"
    assert series["patches"][2]["msgid"] == EXAMPLE_P3
    assert series["patches"][0]["author"] == "Dana Developer <dana@example.org>"
    assert series["subject"].startswith("acme: status reads")
    assert series["base_commit"] == "759b225e5b3500aed4f49996e9822e33992f7a8b"
    assert data["tool"] == "reviewbot"
    for key in ("findings", "affected_drivers", "drafts"):
        assert isinstance(data[key], list)


@pytest.mark.parametrize("form", ["{id}", "<{id}>", "id:{id}"])
def test_msgid_spellings(public_inbox, capsys, form):
    data = run_json(
        capsys, "--lore-url", public_inbox.base_url, form.format(id="widget-v2-2@example.org")
    )
    assert data["series"]["revision"] == 2


@pytest.mark.parametrize("suffix", ["/", "/T/", "/t/", "/raw", "/t.mbox.gz", ""])
def test_url_forms(public_inbox, capsys, suffix):
    url = f"{public_inbox.base_url}/{EXAMPLE_P3}{suffix}"
    data = run_json(capsys, url)
    assert len(data["series"]["patches"]) == 8


def test_lore_url_from_environment(public_inbox, capsys, monkeypatch):
    monkeypatch.setenv("REVIEWBOT_LORE_URL", public_inbox.base_url)
    data = run_json(capsys, EXAMPLE_P3)
    assert len(data["series"]["patches"]) == 8


def test_latest_revision_by_default_and_replies_are_not_patches(public_inbox, capsys):
    data = run_json(capsys, "--lore-url", public_inbox.base_url, "widget-v1-2@example.org")
    series = data["series"]
    assert series["revision"] == 2
    assert [p["msgid"] for p in series["patches"]] == [
        f"widget-v2-{n}@example.org" for n in (1, 2, 3)
    ]
    assert any("also has v1" in n for n in series["notes"])


def test_revision_option_picks_v1(public_inbox, capsys):
    data = run_json(
        capsys, "--lore-url", public_inbox.base_url, "--revision", "1", "widget-v2-1@example.org"
    )
    series = data["series"]
    assert series["revision"] == 1
    assert [p["subject"] for p in series["patches"]] == [
        f"[PATCH {n}/3] widget: trick number {n}" for n in (1, 2, 3)
    ]
    assert series["cover"] == "widget-v1-0@example.org"


def test_missing_revision_is_an_input_error(public_inbox, capsys):
    code = main(
        [
            "review",
            "--lore-url",
            public_inbox.base_url,
            "--revision",
            "7",
            "widget-v2-1@example.org",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "no v7 here (have v1, v2)" in err


def test_incomplete_series_is_reported_and_reviewed(public_inbox, capsys):
    data = run_json(capsys, "--lore-url", public_inbox.base_url, "gappy-v2-2@example.org")
    series = data["series"]
    assert [p["index"] for p in series["patches"]] == [1, 2, 4]
    assert series["missing"] == [3]
    assert "v2 is incomplete: have 1, 2, 4 of 4" in series["notes"]


def test_unknown_msgid_is_exit_2_with_one_line(public_inbox, capsys):
    code = main(["review", "--lore-url", public_inbox.base_url, "nobody-sent-this@example.org"])
    err = capsys.readouterr().err
    assert code == 2
    assert (
        err
        == f"reviewbot: no thread for <nobody-sent-this@example.org> at {public_inbox.base_url}\n"
    )


def test_server_down_is_exit_3_after_retries(capsys):
    url = f"http://127.0.0.1:{free_port()}/test"
    start = time.monotonic()
    code = main(["review", "--lore-url", url, "x@example.org"])
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 3
    assert err.splitlines()[-1] == (
        f"reviewbot: {url}: cannot fetch <x@example.org> after 4 attempts "
        "(connection to 127.0.0.1 refused)"
    )
    assert err.count("retrying in") == 3
    assert elapsed < 15


class _Always503(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):
        type(self).hits += 1
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def test_5xx_is_retried_then_exit_3(capsys):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Always503)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/test"
        code = main(["review", "--lore-url", url, "x@example.org"])
    finally:
        server.shutdown()
    err = capsys.readouterr().err
    assert code == 3
    assert "(HTTP 503)" in err.splitlines()[-1]
    assert _Always503.hits == 4


def test_public_inbox_server_stopped_midway(tmp_path, capsys):
    """A server that was up and went away: exit 3, not a traceback or a hang."""
    from tests.pubinbox import PublicInbox, available

    if not available():
        pytest.skip("public-inbox is not installed")
    inbox = PublicInbox(tmp_path)
    inbox.start()
    url = inbox.base_url
    inbox.stop()
    code = main(["review", "--lore-url", url, EXAMPLE_P3])
    assert code == 3
    assert "cannot fetch" in capsys.readouterr().err


def test_check_fetches_a_msgid_from_lore_url_as_review_does(public_inbox, capsys, monkeypatch):
    # check used to build its own intake options and fetch from lore.kernel.org
    monkeypatch.setenv("REVIEWBOT_LORE_URL", public_inbox.base_url)
    code = main(["check", "--format", "json", EXAMPLE_P3])
    out = capsys.readouterr()
    assert "lore.kernel.org" not in out.err
    data = json.loads(out.out)
    assert [p["index"] for p in data["series"]["patches"]] == list(range(1, 9))
    introduced = [f for f in data["findings"] if f["introduced"] and f["severity"] == "error"]
    assert code == (1 if introduced else 0), out.err
