"""The queue server over plain HTTP: what it serves, what it refuses, what it records."""

from __future__ import annotations

import fcntl
import json
import re
import sqlite3
import subprocess
import sys
from email import policy
from email.parser import BytesParser

import pytest

from reviewbot.settings import load_settings
from reviewbot.smtp_send import send_drafts
from reviewbot.watch import reviewer
from reviewbot.watch.config import load_watch_config
from reviewbot.watch.state import State
from tests.queue.conftest import HOSTILE_NAME, ROOT, queue_config
from tests.queue.webform import act, flashes, form, get, post, status


@pytest.fixture
def server(watched, tmp_path, smtp, start_queue):
    _sink, port = smtp
    return start_queue(queue_config(tmp_path, watched, port))


def actions(tmp_path, name_like: str = "%") -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "state" / "watch.sqlite3") as db:
        return db.execute(
            "SELECT action, who FROM queue_actions WHERE name LIKE ? ORDER BY id", (name_like,)
        ).fetchall()


def test_queue_lists_both_series_newest_first(server):
    code, html = get(server.url + "/")
    assert code == 200
    assert re.findall(r'<tr id="rev-(\d+)">', html) == ["2", "1"]
    assert "dma-stack: 1" in html
    assert "waiting 4" in html


def test_hostile_text_is_escaped(server):
    _code, html = get(server.url + "/")
    assert "<script" not in html and "<b>" not in html
    assert "acme: &lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt; &amp; &lt;b&gt;" in html
    _code, page = get(server.url + "/series/2")
    assert "<script" not in page and HOSTILE_NAME not in page
    assert "Mallory &lt;script&gt;alert(1)&lt;/script&gt;" in page
    _code, editor = get(server.url + "/draft/2/1")
    assert "&lt;/textarea&gt;&lt;script&gt;" in editor and "</textarea><script>" not in editor


def test_csp_forbids_scripts(server):
    import urllib.request

    bearer = {"Authorization": f"Bearer {server.token}"}
    req = urllib.request.Request(server.url + "/", headers=bearer)
    with urllib.request.urlopen(req) as resp:
        csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp


def test_a_post_needs_the_csrf_token_and_our_origin(server, tmp_path):
    _c, page = get(server.url + "/series/1")
    fields = form(page, "/draft/1/1/approve")
    code, _ = post(server.url + "/draft/1/1/approve", {"nonce": fields["nonce"]})
    assert code == 403
    code, _ = post(server.url + "/draft/1/1/approve", dict(fields, csrf="x" * 43))
    assert code == 403
    code, _ = post(
        server.url + "/draft/1/1/approve", fields, headers={"Origin": "http://evil.example"}
    )
    assert code == 403
    assert actions(tmp_path) == []
    _c, page = get(server.url + "/series/1")
    assert status(page, 1, 1) == "waiting"


def test_only_loopback_host_names_are_served(server):
    code, _ = get(server.url + "/", headers={"Host": "rebind.evil.example:8750"})
    assert code == 400


def test_a_form_posted_twice_acts_once(server, tmp_path):
    code, page, fields = act(server.url, 1, 1, "approve")
    assert code == 200 and status(page, 1, 1) == "approved"
    _code, page = post(server.url + "/draft/1/1/approve", fields)
    assert "was done once, not again" in " ".join(flashes(page))
    assert actions(tmp_path) == [("approve", "Maintainer Test")]


def test_ids_not_paths(server, tmp_path):
    for url in (
        "/draft/1/99",
        "/draft/9/0",
        "/draft/1/-1",
        "/draft/1/..%2f..%2fwatch.toml",
        "/series/99",
        "/static/../queue.toml",
    ):
        code, _ = get(server.url + url)
        assert code == 404, url
    # a database row naming a file elsewhere reaches nothing either
    with sqlite3.connect(tmp_path / "state" / "watch.sqlite3") as db:
        db.execute("INSERT INTO drafts VALUES (1, '/etc/passwd', '', '', 0)")
        db.execute("INSERT INTO drafts VALUES (1, '../../queue.toml', '', '', 0)")
    _c, page = get(server.url + "/series/1")
    assert page.count('class="draft"') == 4
    with sqlite3.connect(tmp_path / "state" / "watch.sqlite3") as db:
        db.execute("UPDATE revisions SET planned='../..' WHERE id=1")
    _c, page = get(server.url + "/series/1")
    assert 'class="draft"' not in page
    assert get(server.url + "/draft/1/0")[0] == 404


def test_an_edit_clears_the_approval_and_a_changed_file_is_not_sent(server, tmp_path, smtp):
    sink, _port = smtp
    act(server.url, 1, 2, "approve")
    _c, editor = get(server.url + "/draft/1/2")
    fields = form(editor, "/draft/1/2/save")
    _c, page = post(server.url + "/draft/1/2/save", dict(fields, body="Hi Dana,\n\nShort.\n"))
    assert "saved" in " ".join(flashes(page)) and "approve it again" in " ".join(flashes(page))
    _c, page = get(server.url + "/series/1")
    assert status(page, 1, 2) == "waiting"
    act(server.url, 1, 2, "approve")
    [eml] = (tmp_path / "state" / "outbox").glob("00001-*/0002-*.eml")
    eml.write_bytes(eml.read_bytes().replace(b"Short.", b"Changed behind the queue's back."))
    _c, page, _f = act(server.url, 1, 2, "send")
    assert "changed since it was approved" in " ".join(flashes(page))
    assert sink.envelopes == []


def test_a_dropped_draft_is_never_sent_by_the_watcher(server, tmp_path, smtp):
    sink, _port = smtp
    _c, page, _f = act(server.url, 1, 1, "drop")
    assert status(page, 1, 1) == "dropped"
    cfg_path = tmp_path / "queue.toml"
    cfg_path.write_text(
        cfg_path.read_text().replace(
            'url = "http://127.0.0.1:9/acme"', 'url = "http://127.0.0.1:9/acme"\nsend = true'
        )
    )
    config = load_watch_config(cfg_path)
    settings = load_settings(cfg_path)
    state = State(tmp_path / "state" / "watch.sqlite3")
    try:
        with state.transaction() as db:
            db.execute("UPDATE revisions SET send_after=1 WHERE id=1")
        reviewer.deliver(state, config, settings, {s.name: s for s in config.subscriptions})
    finally:
        state.close()
    subjects = [
        str(BytesParser(policy=policy.default).parsebytes(e.content)["Subject"])
        for e in sink.envelopes
    ]
    assert len(subjects) == 3 and not any("[PATCH 1/8]" in s for s in subjects)
    _c, page = get(server.url + "/series/1")
    assert [status(page, 1, n) for n in range(4)] == ["sent", "dropped", "sent", "sent"]


def test_in_doubt_left_by_another_sender_is_decided_by_a_person(server, tmp_path, smtp):
    sink, port = smtp
    [eml] = (tmp_path / "state" / "outbox").glob("00001-*/0004-*.eml")
    eml.with_suffix(".sending").touch()  # what a killed `review --send` or watcher leaves
    _c, page = get(server.url + "/series/1")
    assert status(page, 1, 3) == "in-doubt"
    _c, page, _f = act(server.url, 1, 3, "mark-sent")
    assert status(page, 1, 3) == "sent-by-hand"
    assert "by hand" in eml.with_suffix(".sent").read_text()
    from reviewbot.settings import SmtpSettings

    [result] = send_drafts(
        eml.parent,
        SmtpSettings(host="127.0.0.1", port=port, starttls=False),
        False,
        only={eml.name},
    )
    assert result.status == "already-sent" and sink.envelopes == []
    assert actions(tmp_path, eml.name) == [("mark-sent", "Maintainer Test")]


def test_sendmail_goes_through_the_same_records(watched, tmp_path, smtp, start_queue):
    _sink, port = smtp
    spool = tmp_path / "spool"
    prog = tmp_path / "fake-sendmail"
    prog.write_text(f'#!/bin/sh\necho "$@" > {spool}.args\ncat > {spool}\n')
    prog.chmod(0o755)
    server = start_queue(queue_config(tmp_path, watched, port, sendmail=str(prog)))
    act(server.url, 1, 3, "approve")
    _c, page, _f = act(server.url, 1, 3, "send")
    assert status(page, 1, 3) == "sent"
    assert b"Subject: Re: [PATCH 4/8] usb: misc: acme_fw:" in spool.read_bytes()
    [eml] = (tmp_path / "state" / "outbox").glob("00001-*/0004-*.eml")
    draft = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    rcpts = [a.addr_spec for h in ("To", "Cc") for a in draft[h].addresses]
    assert rcpts[0] == "dana@example.org" and "linux-usb@vger.kernel.org" in rcpts
    # the envelope: from the draft's sender (the watch file's reply.from),
    # to the draft's own To and Cc, in order, after "--"
    [sender] = draft["From"].addresses
    assert sender.addr_spec == "watch-test@example.org"
    assert spool.with_suffix(".args").read_text().split() == [
        "-i",
        "-f",
        sender.addr_spec,
        "--",
        *rcpts,
    ]
    assert "sendmail" in eml.with_suffix(".sent").read_text()


def test_runs_beside_the_watcher_and_never_takes_its_lock(watched, tmp_path, smtp, start_queue):
    _sink, port = smtp
    cfg = queue_config(tmp_path, watched, port)
    with open(tmp_path / "state" / "watch.lock", "a") as watcher_lock:
        fcntl.flock(watcher_lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # "the watcher runs"
        server = start_queue(cfg)
        assert get(server.url + "/")[0] == 200
    with open(tmp_path / "state" / "watch.lock", "a") as again:
        fcntl.flock(again.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # free while the queue runs


def _queue(cfg, listen: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reviewbot", "queue", "--config", str(cfg), "--listen", listen],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_another_address_needs_a_token(watched, tmp_path, smtp):
    _sink, port = smtp
    proc = _queue(queue_config(tmp_path, watched, port), "0.0.0.0:0")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "not a loopback address: set [queue] token" in proc.stderr
    assert _queue(tmp_path / "queue.toml", "nonsense").returncode == 2
    missing = _queue(tmp_path / "nowhere.toml", "127.0.0.1:0")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "nowhere.toml: cannot read" in missing.stderr


def test_a_configured_token_is_required(watched, tmp_path, smtp, start_queue):
    _sink, port = smtp
    token = "t0ken-for-the-test-0123456789"
    server = start_queue(queue_config(tmp_path, watched, port, token=token))
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server.url + "/")
    assert err.value.code == 403
    req = urllib.request.Request(server.url + "/", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200
    code, page = get(f"{server.url}/?token={token}")  # sets the cookie, then redirects
    assert code == 200 and "Review queue" in page
    assert get(server.url + "/series/1")[0] == 200


def test_port_0_serves_on_the_port_it_got(watched, tmp_path, smtp):
    from tests.queue.conftest import QueueServer

    _sink, port = smtp
    server = QueueServer(queue_config(tmp_path, watched, port), listen="127.0.0.1:0")
    try:
        said = server.wait_for("reviewbot queue: http://")
        url = re.search(r"(http://127\.0\.0\.1:\d+)/", said).group(1)
        assert not url.endswith(":0")
        code, page = get(server.started())  # the printed address, with its token
        assert code == 200 and "Review queue" in page
    finally:
        server.stop()


def test_works_while_the_real_watcher_writes_the_state(watched, tmp_path, smtp, start_queue):
    """A watcher cycle (its poll fails: the inbox is gone) beside an approve and a send."""
    from tests.watch.conftest import watch_argv

    sink, port = smtp
    cfg = queue_config(tmp_path, watched, port)
    cfg.write_text(cfg.read_text().replace("[watch]\n", "[watch]\nattempts = 2\nbackoff = 0.2\n"))
    server = start_queue(cfg)
    watcher = subprocess.Popen(watch_argv(cfg, "--once"), stderr=subprocess.PIPE, text=True)
    try:
        act(server.url, 1, 1, "approve")
        _c, page, _f = act(server.url, 1, 1, "send")
        assert status(page, 1, 1) == "sent"
    finally:
        _out, err = watcher.communicate(timeout=120)
    assert watcher.returncode == 3, err  # the poll failed, and said so
    assert len(sink.envelopes) == 1
    _c, page = get(server.url + "/")
    assert "acme: " in page and "1 failed polls" in page  # the failure shows on the queue


def test_a_failed_review_shows_with_its_reason(server, tmp_path):
    with sqlite3.connect(tmp_path / "state" / "watch.sqlite3") as db:
        db.execute(
            "UPDATE revisions SET status='failed', reason=? WHERE id=1",
            ("cannot fetch <b>thread</b> after 4 attempts",),
        )
    _c, page = get(server.url + "/")
    row = page.split('<tr id="rev-1">')[1].split("</tr>")[0]
    assert "failed" in row
    assert "cannot fetch &lt;b&gt;thread&lt;/b&gt; after 4 attempts" in row


def test_an_edit_past_the_mail_line_limit_is_refused(server, tmp_path):
    before = next((tmp_path / "state" / "outbox").glob("00001-*/0002-*.eml")).read_bytes()
    _c, editor = get(server.url + "/draft/1/2")
    fields = form(editor, "/draft/1/2/save")
    body = "Hi Dana,\n\n> " + "x" * 1000 + "\n"
    _c, page = post(server.url + "/draft/1/2/save", dict(fields, body=body))
    assert "line 3 is over 998 characters" in " ".join(flashes(page))
    assert next((tmp_path / "state" / "outbox").glob("00001-*/0002-*.eml")).read_bytes() == before
    assert actions(tmp_path) == []


HUGE = "99999999999999999999"  # past SQLite's 64-bit integers


def test_ids_beyond_64_bits_are_not_found(server):
    for url in (
        f"/series/{HUGE}",
        f"/draft/{HUGE}/0",
        f"/draft/1/{HUGE}",
        f"/scan/finding/{HUGE}",
    ):
        code, _ = get(server.url + url)
        assert code == 404, url
    _c, page = get(server.url + "/series/1")
    fields = form(page, "/draft/1/1/approve")
    for url in (f"/draft/{HUGE}/1/approve", f"/draft/1/{HUGE}/approve", f"/draft/{HUGE}/1/save"):
        code, _ = post(server.url + url, fields)
        assert code == 404, url
    assert get(server.url + "/series/1")[0] == 200  # and the queue goes on


def _bad_sites(scan: dict) -> list[tuple[str, str]]:
    out = []
    for sites in ("x", [1], [["drivers/usb/misc/acme_led.c", 27]], {"file": "x"}):
        data = json.loads(json.dumps(scan))
        data["drivers"][0]["sites"] = sites
        out.append((f"sites {json.dumps(sites)}", json.dumps(data)))
    return out


def test_a_scan_file_that_is_not_scan_json_is_a_note_not_an_error(
    watched, tmp_path, smtp, start_queue
):
    _sink, port = smtp
    scan_file = tmp_path / "scan.json"
    real = (watched.parent / "scan.json").read_text()
    scan_file.write_text(real)
    server = start_queue(queue_config(tmp_path, watched, port, scan=str(scan_file)))
    code, page = get(server.url + "/scan/finding/0")
    assert code == 200 and "acme_led.c:27" in page  # the real file is read

    cases = [("[]", "[]"), ('"x"', '"x"'), ("null", "null"), ("{}", "{}")]
    cases += [("findings [1]", json.dumps(dict(json.loads(real), findings=[1])))]
    cases += _bad_sites(json.loads(real))
    for what, text in cases:
        tmp = scan_file.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(scan_file)  # as a cron job would: a new file under the name
        code, page = get(server.url + "/scan")
        assert code == 200, what
        assert "not the JSON of reviewbot scan" in page, what
        assert get(server.url + "/scan/finding/0")[0] == 404, what
