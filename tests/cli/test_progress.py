"""Progress bars on a terminal, nothing on a pipe (issue 13).

The terminal is a real pseudo-terminal (``pty.openpty``) on the child's
stderr, so rich sees what it sees at a person's shell.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES

SERIES = EXAMPLES / "series.mbox"


def run_on_tty(argv: list[str], cwd: Path | None = None) -> tuple[int, str, str]:
    """Run reviewbot with stderr on a pseudo-terminal: (status, stdout, what the tty got)."""
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reviewbot", *argv],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
    )
    os.close(slave)
    tty = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            tty += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, out, tty.decode(errors="replace")


def run_on_pipe(argv: list[str]) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "reviewbot", *argv], capture_output=True, text=True, timeout=120
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_review_tree_scan_draws_a_bar_on_a_terminal_only(tmp_path):
    argv = ["review", "--tree", str(EXAMPLES / "tree"), "--cache-dir", str(tmp_path / "c"),
            str(SERIES)]
    status, out, tty = run_on_tty(argv)
    assert status == 0
    # rich drew (and erased) its bar
    assert "finding the affected drivers" in tty and "\x1b[" in tty
    assert "Affected drivers (2), core code first, then the worst:" in out
    status, out, err = run_on_pipe(argv)
    assert status == 0
    assert "finding the affected drivers" not in err and "\x1b[" not in err
    # -q on a terminal: no bar either
    status, _, tty = run_on_tty(["-q", *argv])
    assert status == 0 and "finding the affected drivers" not in tty


def test_scan_draws_a_bar_on_a_terminal_only():
    argv = ["scan", "--no-cache", str(EXAMPLES / "tree")]
    status, _, tty = run_on_tty(argv)
    assert status == 0 and "parsing" in tty
    status, _, err = run_on_pipe(argv)
    assert status == 0 and "parsing" not in err and "\x1b[" not in err
