"""Queue fixtures: a state made by the real watcher, the real queue server, real Chromium.

The watcher reviews the bundled series (and a hostile v2 of it) from a real
public-inbox-httpd once per module; each test gets a copy of that state, its
own queue server (a subprocess on a free loopback port), and a loopback SMTP
server (aiosmtpd) that can be told to stall in DATA, so a test can kill the
queue while a mail is being handed over.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_PI, example_messages
from tests.pubinbox import PublicInbox, available, free_port
from tests.watch.conftest import WATCH_FROM, _toml, reroll, watch_argv, write_config

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_BROWSER = os.environ.get("REVIEWBOT_REQUIRE_BROWSER") == "1"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

HOSTILE_NAME = "Mallory <script>alert(1)</script>"
HOSTILE_SUBJECT = "acme: <script>alert('subject')</script> & <b>bold</b>"
# a quoted diff line that tries to close the editor's textarea
HOSTILE_CODE = "/* </textarea><script>alert(2)</script> */"
# an encoded CR LF: a header trick that must stay one Subject line
HOSTILE_TRICK = "=?utf-8?q?x=0D=0ABcc=3A_victim=40evil=2Eexample?="


def hostile_series() -> list[bytes]:
    """The bundled series as a v2 from an attacker: markup in the name and the subject."""
    out = []
    for raw in reroll(example_messages(), 2):
        raw = raw.replace(
            b"From: Dana Developer <dana@example.org>",
            f'From: "{HOSTILE_NAME}" <mallory@example.org>'.encode(),
        )
        raw = re.sub(
            rb"^Subject: \[PATCH v2 0/8\] .*$",
            f"Subject: [PATCH v2 0/8] {HOSTILE_SUBJECT} {HOSTILE_TRICK}".encode(),
            raw,
            flags=re.M,
        )
        raw = raw.replace(b"+\tu8 status;\n", f"+\tu8 status; {HOSTILE_CODE}\n".encode())
        out.append(raw)
    return out


class Sink:
    """Collects what the SMTP server accepted, and misbehaves when told.

    ``stall`` holds every DATA until ``release``; ``stall_if`` holds only the
    DATA of a mail containing those bytes. ``hold_ehlo`` holds the next
    connection's EHLO (one connection only) until ``ehlo_release``.
    ``drop_next_data`` takes the next mail's data, keeps it (the server has
    it) and closes the connection without an answer: an ambiguous failure.
    """

    def __init__(self) -> None:
        self.envelopes: list = []
        self.stall = threading.Event()
        self.stall_if: bytes | None = None
        self.in_data = threading.Event()
        self.release = threading.Event()
        self.hold_ehlo = threading.Event()
        self.ehlo_held = threading.Event()
        self.ehlo_release = threading.Event()
        self.drop_next_data = threading.Event()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        import asyncio

        session.host_name = hostname
        if self.hold_ehlo.is_set():
            self.hold_ehlo.clear()
            self.ehlo_held.set()
            while not self.ehlo_release.is_set():
                await asyncio.sleep(0.05)
        return responses

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        stalled = self.stall.is_set() or (
            self.stall_if is not None and self.stall_if in envelope.content
        )
        self.in_data.set()
        while stalled and not self.release.is_set():
            await asyncio.sleep(0.05)
        self.envelopes.append(envelope)
        if self.drop_next_data.is_set():
            self.drop_next_data.clear()
            server.transport.abort()  # the data arrived; the answer never does
            return "250 2.0.0 never heard"
        return "250 2.0.0 queued as 4711"

    def message_ids(self) -> list[str]:
        from email import policy
        from email.parser import BytesParser

        parse = BytesParser(policy=policy.default).parsebytes
        return [str(parse(e.content)["Message-Id"]) for e in self.envelopes]


@pytest.fixture
def smtp():
    controller_mod = pytest.importorskip("aiosmtpd.controller")
    sink = Sink()
    port = free_port()
    controller = controller_mod.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        sink.release.set()
        controller.stop()


@pytest.fixture(scope="module")
def watched(tmp_path_factory) -> Path:
    """A state folder the real watcher filled from a real public-inbox: v1 and a hostile v2."""
    if not available():
        msg = "public-inbox is not installed (apt-get install -y public-inbox)"
        if REQUIRE_PI:
            pytest.fail(msg)
        pytest.skip(msg)
    inbox = PublicInbox(tmp_path_factory.mktemp("pi-queue"))
    inbox.deliver(*example_messages())
    inbox.deliver(*hostile_series())
    inbox.start()
    try:
        base = tmp_path_factory.mktemp("watched")
        cfg = write_config(
            base, [{"name": "acme", "url": inbox.base_url, "tree": str(ROOT / "examples" / "tree")}]
        )
        env = dict(os.environ, XDG_CACHE_HOME=str(base / "cache"))
        proc = subprocess.run(
            watch_argv(cfg, "--once"), capture_output=True, text=True, timeout=300, env=env
        )
        assert proc.returncode == 0, proc.stderr
        # the tree scan the scan page shows beside the reviews
        scan = subprocess.run(
            [
                sys.executable,
                "-m",
                "reviewbot",
                "scan",
                str(ROOT / "examples" / "tree"),
                "--format",
                "json",
                "--no-cache",
                # the audit before kmalloc's alignment drops: on the 6.1-era example
                # tree the LED driver's small kmalloc buffer bites only then
                "--assume",
                "kmalloc-minalign=8",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert scan.returncode in (0, 1), scan.stderr
        (base / "scan.json").write_text(scan.stdout)
    finally:
        inbox.stop()
    return base / "state"


def queue_config(
    tmp_path: Path,
    state: Path,
    smtp_port: int | None,
    *,
    send: bool = False,
    smtp_timeout: float = 20,
    **queue,
) -> Path:
    """A copy of the watched state, and a config over it with [smtp] on the test server.

    ``smtp_port`` None: no [smtp] host at all. ``send``: the watcher's own
    delivery is on (``send = true``, no embargo) for the subscription.
    """
    mine = tmp_path / "state"
    shutil.copytree(state, mine)
    lines = [
        "[watch]",
        f'state_dir = "{mine}"',
        "",
        "[[watch.subscriptions]]",
        'name = "acme"',
        'url = "http://127.0.0.1:9/acme"',
    ]
    if send:
        lines += ["send = true", "embargo_hours = 0.0"]
    lines += [
        "",
        "[reply]",  # the watcher run on this file refuses to start without a sender
        f"from = {_toml(WATCH_FROM)}",
        "",
    ]
    if smtp_port is not None:
        lines += [
            "[smtp]",
            'host = "127.0.0.1"',
            f"port = {smtp_port}",
            "starttls = false",
            f"timeout = {smtp_timeout}",
            "",
        ]
    lines += [
        "[queue]",
        'maintainer = "Maintainer Test"',
    ]
    lines += [f'{k} = "{v}"' for k, v in queue.items()]
    path = tmp_path / "queue.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


class QueueServer:
    def __init__(
        self,
        config: Path,
        env: dict[str, str] | None = None,
        listen: str | None = None,
        *,
        wrapper: list[str] | None = None,
        preexec_fn=None,
    ) -> None:
        self.port = free_port()
        argv = [
            *(wrapper or []),
            sys.executable,
            "-m",
            "reviewbot",
            "queue",
            "--config",
            str(config),
            "--listen",
            listen or f"127.0.0.1:{self.port}",
        ]
        self.proc = subprocess.Popen(
            argv,
            env=dict(os.environ, **(env or {})),
            cwd=ROOT,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            preexec_fn=preexec_fn,
        )
        self.said = ""
        self.url = f"http://127.0.0.1:{self.port}"
        self.login_url = ""  # the address it printed: with its token, unless [queue] token

    def started(self, timeout: float = 30) -> str:
        """Wait for the address the queue prints when it serves; return it."""
        said = self.wait_for("reviewbot queue: http://", timeout)
        m = re.search(r"reviewbot queue: (http://\S+) ", said)
        assert m, said
        self.login_url = m.group(1)
        return self.login_url

    @property
    def token(self) -> str:
        return self.login_url.partition("?token=")[2]

    def login(self) -> None:
        """Open the printed address once, as a person would: webform's cookie jar keeps it."""
        from tests.queue.webform import get

        assert "?token=" in self.login_url, self.login_url
        code, _page = get(self.login_url)
        assert code == 200

    def wait_for(self, text: str, timeout: float = 30) -> str:
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while text not in self.said:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {text!r} from the queue; it said:\n{self.said}")
            if sel.select(min(left, 0.5)):
                chunk = os.read(self.proc.stderr.fileno(), 65536).decode()
                if not chunk:
                    raise AssertionError(f"queue exited before {text!r}; it said:\n{self.said}")
                self.said += chunk
        return self.said

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc.stderr.close()


@pytest.fixture
def start_queue():
    started: list[QueueServer] = []

    def start(config: Path, env: dict[str, str] | None = None, **how) -> QueueServer:
        server = QueueServer(config, env, **how)
        started.append(server)
        if "?token=" in server.started():
            server.login()
        return server

    yield start
    for s in started:
        s.stop()


def artifacts() -> Path:
    path = Path(os.environ.get("REVIEWBOT_ARTIFACTS") or ROOT / "tests" / ".artifacts") / "queue"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Debian Chromium through its own chromedriver; nothing is downloaded."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (pip install -e .[test])")
    if missing:
        msg = (
            f"no browser for the queue tests: missing {', '.join(missing)} "
            "(apt-get install -y chromium chromium-driver)"
        )
        if REQUIRE_BROWSER:
            pytest.fail(msg)
        pytest.skip(msg)
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1400",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
