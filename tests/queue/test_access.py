"""Who may act in the queue, and what idle sockets can do to it, through the real server.

Loopback is open to every account on the machine. The queue's promise
(docs/queue.md): only whoever holds its token (made at each start and
printed in its address, or ``[queue] token``) reads a page or acts; and
idle connections are timed out and capped below the open-files limit, so
they cannot make it stop answering.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.request

import pytest

from tests.queue.conftest import QueueServer, queue_config
from tests.queue.webform import act, status

NOBODY = 65534

# Run as another account: everything a local user can try without the token.
INTRUDER = r"""
import http.cookiejar, json, re, sys, urllib.error, urllib.parse, urllib.request

base, pid = sys.argv[1], sys.argv[2]
jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
opener = urllib.request.build_opener(jar)

def call(url, data=None):
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

def fields(page, action):
    m = re.search(r'action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', page, re.S)
    found = dict(re.findall(r'name="(\w+)" value="([^"]*)"', m.group(1))) if m else {}
    return found or {"csrf": "", "nonce": "intruder-nonce-0123456789"}

out = {}
for action in ("approve", "send"):
    out["page-" + action], page = call(base + "/series/1")
    body = urllib.parse.urlencode(fields(page, "/draft/1/1/" + action)).encode()
    out[action], _ = call(base + "/draft/1/1/" + action, body)
out["guessed-token"], _ = call(base + "/?token=guess")
seen = ""
for name in ("cmdline", "environ"):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as fh:
            seen += fh.read().decode("utf-8", "replace")
    except OSError:
        pass
out["proc"] = seen
print(json.dumps(out))
"""


def _system_python() -> str | None:
    """A Python another account may run (the venv's may live under root's home)."""
    return shutil.which("python3", path="/usr/bin:/bin")


@pytest.mark.skipif(os.geteuid() != 0, reason="acting as another account needs root")
def test_another_local_account_cannot_read_or_act_in_the_queue(
    watched, tmp_path, smtp, start_queue
):
    sink, port = smtp
    python = _system_python()
    if python is None:
        pytest.skip("no system python3 for the other account")
    server = start_queue(queue_config(tmp_path, watched, port))
    proc = subprocess.run(
        [python, "-I", "-c", INTRUDER, server.url, str(server.proc.pid)],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    tried = json.loads(proc.stdout)
    assert {k: v for k, v in tried.items() if k != "proc"} == {
        "page-approve": 403,
        "approve": 403,
        "page-send": 403,
        "send": 403,
        "guessed-token": 403,
    }
    assert server.token and server.token not in tried["proc"]  # not in its command line
    assert sink.envelopes == []
    with sqlite3.connect(tmp_path / "state" / "watch.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM queue_actions").fetchone()[0] == 0
    # the maintainer, with the address the queue printed, can
    _code, page, _f = act(server.url, 1, 1, "approve")
    assert status(page, 1, 1) == "approved"


def _files_limit(soft: int, hard: int):
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _idle(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that send nothing; past the server's backlog, connects time out."""
    held = []
    for _ in range(count):
        s = socket.socket()
        s.settimeout(0.5)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        held.append(s)
    return held


@pytest.mark.parametrize(
    ("hard", "within"),
    [
        (1024, 30),  # the report's machine: 1,024 open files, no more to be had
        (8192, 5),  # a higher hard limit: the queue raises its own and holds them all
    ],
)
def test_idle_connections_do_not_stop_the_queue(watched, tmp_path, smtp, hard, within):
    _sink, port = smtp
    mine = resource.getrlimit(resource.RLIMIT_NOFILE)
    if mine[1] < 1300:
        pytest.skip(f"the client needs 1,300 open files; the hard limit here is {mine[1]}")
    if hard > mine[1] and os.geteuid() != 0:
        pytest.skip(f"a hard limit of {hard} for the queue needs root here")
    server = QueueServer(
        queue_config(tmp_path, watched, port), preexec_fn=_files_limit(1024, hard)
    )
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(mine[0], min(mine[1], 4096)), mine[1]))
    held: list[socket.socket] = []
    try:
        server.started()
        held = _idle(server.port, 1100)
        assert len(held) >= 1100 - 50  # nearly all connected: the server held or queued them
        started = time.monotonic()
        req = urllib.request.Request(
            server.url + "/", headers={"Authorization": f"Bearer {server.token}"}
        )
        with urllib.request.urlopen(req, timeout=within + 30) as resp:
            assert resp.status == 200
        took = time.monotonic() - started
        assert took < within, f"answered after {took:.1f}s"
    finally:
        for s in held:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, mine)
        server.stop()
