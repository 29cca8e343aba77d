"""A watcher's catch-up draws a progress bar on a terminal (issue 13)."""

from __future__ import annotations

import time

from tests import mailgen
from tests.cli.test_progress import run_on_tty
from tests.watch.conftest import received_now, watch, write_config


def test_watch_catch_up_draws_a_bar_on_a_terminal(make_inbox, tmp_path, capsys):
    inbox = make_inbox(*mailgen.unrelated_thread())
    cfg = write_config(
        tmp_path, [{"name": "busy", "url": inbox.base_url}], opt_out=["flood@example.net"]
    )
    assert watch(capsys, cfg, "--once")[0] == 0
    flood = [
        received_now(
            mailgen.message(f"flood-{i}@example.net", f"[PATCH] flood {i}", "x\n",
                            sender="Flood <flood@example.net>", minutes=i)
        )
        for i in range(27)
    ]
    inbox.deliver(*flood)
    started = time.monotonic()
    status, _, tty = run_on_tty(["watch", "--config", str(cfg), "--once"])
    assert status == 0, tty
    assert "catching up busy" in tty and "new messages" in tty
    assert "27 new messages, 27 patches, caught up" in tty  # the log line, as on a pipe
    assert time.monotonic() - started < 60
