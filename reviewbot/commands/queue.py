"""``reviewbot queue --config FILE [--listen 127.0.0.1:8750]``: the drafts' review queue.

A local web page over the watcher's state and outbox: read each reviewed
series and its drafts, edit a draft, approve, drop, send it (through
[smtp], or [queue] sendmail) or mark it sent by hand. Safe beside a running
watcher. Listens on loopback unless [queue] token is set; every request
needs the token (made at start and printed in the address, or [queue]
token), so other accounts on the machine cannot act. See docs/queue.md.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

HELP = "a local web page to read, edit, approve and send the watcher's drafts"

DESCRIPTION = """
Serve a web page over the watcher's state and outbox (the same config file):
the reviewed series newest first, each series with its findings, affected
drivers and drafts, a draft editor, and approve, drop, send now (through
[smtp], or [queue] sendmail) and mark as sent by hand. Safe beside a running
watcher. Loopback only unless [queue] token is set. Open the address it
prints: it holds a secret made at each start (or [queue] token), and no
page answers without it. SIGTERM or Ctrl-C stops it.
"""

EXAMPLES = (
    "reviewbot queue --config /etc/reviewbot/watch.toml",
    "reviewbot queue --config watch.toml --listen 127.0.0.1:0",
    "bash scripts/queue-demo.sh   # the bundled example, watcher and queue together",
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        dest="queue_config",
        type=Path,
        metavar="FILE",
        help="the watcher's configuration (TOML with [watch]; may also hold [smtp], [queue])",
    )
    p.add_argument(
        "--listen",
        default="127.0.0.1:8750",
        metavar="HOST:PORT",
        help="address to serve on (default 127.0.0.1:8750; port 0 picks a free one)",
    )


def run(args: argparse.Namespace) -> int:
    from reviewbot.errors import UsageError
    from reviewbot.queue.config import parse_listen
    from reviewbot.queue.server import serve

    path = args.queue_config or args.config
    if path is None:
        raise UsageError("queue needs --config FILE (the watcher's, see config/watch.example.toml)")
    host, port = parse_listen(args.listen)
    logging.getLogger("waitress").setLevel(logging.WARNING)

    def ready(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    return serve(path, host, port, ready=ready)
