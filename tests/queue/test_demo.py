"""README's one command: the watcher on the bundled example and the queue over it.

Runs scripts/queue_demo.py (what scripts/queue-demo.sh starts once the venv
is there), approves and sends a draft through the page it serves, sees the
mail arrive at the demo's SMTP server, and stops it all with SIGTERM.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.pubinbox import available, free_port
from tests.queue.conftest import REQUIRE_PI, ROOT
from tests.queue.webform import act, get, status


def _reader(stream, sink: list[str]) -> threading.Thread:
    def run() -> None:
        for line in iter(stream.readline, ""):
            sink.append(line)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _wait(lines: list[str], text: str, proc: subprocess.Popen, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while True:
        joined = "".join(lines)
        if text in joined:
            return joined
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} from the demo; it said:\n{joined}")
        time.sleep(0.1)


def _processes_mentioning(text: str) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if text in (d / "cmdline").read_bytes().decode("utf-8", "replace"):
                    out.append(int(d.name))
            except OSError:
                continue
    return out


def test_the_demo_serves_the_example_and_sends_an_approved_draft():
    if not available():
        if REQUIRE_PI:
            pytest.fail("public-inbox is not installed (apt-get install -y public-inbox)")
        pytest.skip("public-inbox is not installed (apt-get install -y public-inbox)")
    port = free_port()
    env = dict(os.environ, REVIEWBOT_QUEUE_LISTEN=f"127.0.0.1:{port}")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "queue_demo.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: list[str] = []
    err: list[str] = []
    _reader(proc.stdout, out)
    _reader(proc.stderr, err)
    work = ""
    try:
        said = _wait(err, "reviewbot queue: http://", proc)
        work = re.search(r"files in (\S+);", said).group(1)
        smtp_port = int(re.search(r"SMTP 127\.0\.0\.1:(\d+)", said).group(1))
        _wait(err, "reviewed acme: v1", proc)
        base = f"http://127.0.0.1:{port}"
        assert get(base + "/series/1")[0] == 403  # not without the token it printed
        login = re.search(r"reviewbot queue: (http://\S+\?token=\S+) ", said).group(1)
        assert login.startswith(base + "/?token=")
        assert get(login)[0] == 200
        code, page = get(base + "/series/1")
        assert code == 200 and page.count('class="draft"') == 4
        act(base, 1, 1, "approve")
        _code, page, _f = act(base, 1, 1, "send")
        assert status(page, 1, 1) == "sent"
        mail = _wait(out, "Subject: Re: [PATCH 1/8] usb: serial: acme: report line status", proc)
        assert mail.count("---------- MESSAGE FOLLOWS ----------") == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert proc.returncode == 0, "".join(err)
    assert work and _processes_mentioning(work) == []  # the watcher and the queue stopped
    for p in (port, smtp_port):  # and nothing listens on the queue's or the SMTP port
        with socket.socket() as s, pytest.raises(ConnectionRefusedError):
            s.connect(("127.0.0.1", p))
