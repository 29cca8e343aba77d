"""``main()`` leaves the process's logging as it found it (issue 25).

A run binds a handler to the ``sys.stderr`` of that moment. When it stayed
on the root logger after ``main()`` returned, a thread that logged later
(aiosmtpd's server thread in the test suite) wrote into a stream that had
been closed since: "--- Logging error --- ... I/O operation on closed file"
at the end of the test run.
"""

from __future__ import annotations

import io
import logging
import sys
import threading

from reviewbot.cli import main


def test_main_restores_the_root_logger_and_the_levels_it_changed():
    root = logging.getLogger()
    before = (root.handlers[:], root.level, logging.getLogger("b4").level)
    assert main(["-q", "explain", "--list"]) == 0
    assert (root.handlers[:], root.level, logging.getLogger("b4").level) == before


def test_a_thread_logging_after_main_does_not_write_to_its_closed_stderr(monkeypatch, capsys):
    run_stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", run_stderr)
    assert main(["explain", "--list"]) == 0
    monkeypatch.setattr(sys, "stderr", sys.__stderr__)
    run_stderr.close()  # the run is over, and so is its stream (a test's capture, say)
    errors = io.StringIO()
    monkeypatch.setattr(sys, "stderr", errors)  # where logging reports its own errors
    later = threading.Thread(target=logging.getLogger("mail.log").warning, args=("EOF received",))
    later.start()
    later.join()
    assert "Logging error" not in errors.getvalue()
