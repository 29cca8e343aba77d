"""Start the queue: check the address, make the token, settle interrupted sends, serve.

The queue takes its own lock (``queue.lock``), never the watcher's: the
watcher keeps running, and only one queue settles and sends per state.

Who may act: whoever holds the token. Loopback is open to every account on
the machine, so the queue always has one: ``[queue] token``, or a secret
made at each start and printed in the address (as Jupyter does); it never
appears in the command line or on disk.

Served by waitress (Pylons; pure Python, no event loop to adopt): idle
connections are closed after CHANNEL_TIMEOUT seconds, and at most a
number of connections below the open-files limit are held, so a client
that opens sockets and sends nothing cannot make the queue stop answering
(the connections over the cap wait in the kernel's backlog, and are taken
as the idle ones are closed).
"""

from __future__ import annotations

import logging
import resource
import secrets
import signal
import socket
from pathlib import Path

from reviewbot.errors import UsageError
from reviewbot.queue import store as qstore
from reviewbot.queue.actions import Context, pause_hook, reconcile
from reviewbot.queue.config import is_loopback, queue_config
from reviewbot.settings import reply_settings, smtp_settings
from reviewbot.watch.config import load_watch_config
from reviewbot.watch.state import hold_lock

logger = logging.getLogger(__name__)

LOCK_FILE = "queue.lock"
CHANNEL_TIMEOUT = 10  # seconds a connection may stay idle (no request in progress)
CLEANUP_INTERVAL = 2  # how often idle connections are looked for
THREADS = 8  # requests served at once (a send holds one for its SMTP exchange)
RESERVED_FILES = 100  # open files kept for SQLite, drafts, SMTP and logging
MAX_CONNECTIONS = 4000
WANTED_FILES = 8192  # the soft open-files limit is raised to this, within the hard one


def connection_limit() -> int:
    """Connections held at most: the open-files limit (raised when allowed) less a reserve."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = WANTED_FILES if hard == resource.RLIM_INFINITY else min(hard, WANTED_FILES)
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        soft = WANTED_FILES
    return max(16, min(MAX_CONNECTIONS, soft - RESERVED_FILES))


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"--listen {host}:{port}: {exc.strerror or exc}") from None
    return sock


def serve(config_path: Path, host: str, port: int, *, ready=print) -> int:
    from waitress import wasyncore
    from waitress.server import create_server

    from reviewbot.queue.app import create_app
    from reviewbot.queue.drafts import MAX_BODY
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
    token = qc.token or secrets.token_urlsafe(32)
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
        sock = _listen(host, port)
        port = sock.getsockname()[1]  # the one bound, when --listen said 0
        app = create_app(
            config,
            ctx,
            state_file,
            token=token,
            host=host,
            port=port,
            loopback=loopback,
            scan_file=qc.scan,
        )
        channels: dict = {}
        server = create_server(
            app,
            map=channels,
            sockets=[sock],
            threads=THREADS,
            channel_timeout=CHANNEL_TIMEOUT,
            cleanup_interval=CLEANUP_INTERVAL,
            connection_limit=connection_limit(),
            max_request_header_size=64 * 1024,
            max_request_body_size=MAX_BODY * 4 + 65536,
            asyncore_use_poll=True,  # select() fails past file descriptor 1023
            ident="reviewbot-queue",
        )

        def on_signal(_signum, _frame) -> None:
            raise KeyboardInterrupt  # waitress's run() ends its loop and its threads on it

        saved = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        shown = f"[{host}]" if ":" in host else host
        where = f"http://{shown}:{port}/"
        opened = where if qc.token else f"{where}?token={token}"
        ready(
            f"reviewbot queue: {opened} (state {config.state_dir})"
            + ("; open it with ?token= and [queue] token" if qc.token else "")
        )
        try:
            server.run()
        finally:
            for s, h in saved.items():
                signal.signal(s, h)
            wasyncore.close_all(channels)
    finally:
        lock.close()
    return 0
