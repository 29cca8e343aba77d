"""Start the queue: check the address and token, settle interrupted sends, serve.

The queue takes its own lock (``queue.lock``), never the watcher's: the
watcher keeps running, and only one queue settles and sends per state.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from werkzeug.serving import make_server

from reviewbot.errors import UsageError
from reviewbot.queue import store as qstore
from reviewbot.queue.actions import Context, pause_hook, reconcile
from reviewbot.queue.config import is_loopback, queue_config
from reviewbot.settings import reply_settings, smtp_settings
from reviewbot.watch.config import load_watch_config
from reviewbot.watch.state import hold_lock

logger = logging.getLogger(__name__)

LOCK_FILE = "queue.lock"


def _unready(_environ, start_response):  # replaced before the first request is served
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"starting\n"]


def serve(config_path: Path, host: str, port: int, *, ready=print) -> int:
    from reviewbot.queue.app import create_app
    from reviewbot.settings import load_settings
    from reviewbot.watch.service import state_path

    config = load_watch_config(config_path)
    settings = load_settings(config_path)
    qc = queue_config(settings, config_path)
    loopback = is_loopback(host)
    if not loopback and not qc.token:
        raise UsageError(
            f"--listen {host}:{port} is not a loopback address: set [queue] token in "
            f"{config_path} first (anyone who can reach the port could send mail)"
        )
    lock = hold_lock(config.state_dir, LOCK_FILE, "another reviewbot queue runs on this state")
    try:
        state_file = state_path(config)
        qstore.prepare(state_file)
        ctx = Context(
            outbox=config.outbox,
            smtp=smtp_settings(settings),
            sendmail=qc.sendmail,
            wrap=reply_settings(settings).wrap,
            who=qc.maintainer,
            pause=pause_hook(),
        )
        with qstore.Store(state_file) as st:
            for line in reconcile(st, config.outbox):
                logger.warning("reviewbot queue: %s", line)
        try:
            server = make_server(host, port, _unready, threaded=True)
        except OSError as exc:
            raise UsageError(f"--listen {host}:{port}: {exc.strerror or exc}") from None
        port = server.server_port  # the one bound, when --listen said 0
        server.app = create_app(
            config,
            ctx,
            state_file,
            token=qc.token,
            host=host,
            port=port,
            loopback=loopback,
            scan_file=qc.scan,
        )
        stop = threading.Event()

        def on_signal(_signum, _frame) -> None:
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

        saved = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        shown = f"[{host}]" if ":" in host else host
        ready(f"reviewbot queue: http://{shown}:{port}/ (state {config.state_dir})")
        try:
            server.serve_forever()
        finally:
            for s, h in saved.items():
                signal.signal(s, h)
            server.server_close()
    finally:
        lock.close()
    return 0
