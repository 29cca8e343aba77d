"""A real public-inbox (the software lore runs) on loopback, for tests.

``PublicInbox`` creates a v2 inbox, delivers mail with public-inbox-mda
and serves it with public-inbox-httpd on a free 127.0.0.1 port. Tests and
b4 talk to it over HTTP exactly as they would talk to lore.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

TOOLS = ("public-inbox-init", "public-inbox-mda", "public-inbox-httpd")


def available() -> bool:
    return all(shutil.which(t) for t in TOOLS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PublicInbox:
    def __init__(self, root: Path, name: str = "test") -> None:
        self.root = root
        self.name = name
        self.address = f"{name}@example.org"
        self.port = free_port()
        self.env = dict(os.environ, PI_CONFIG=str(root / "pi-config"), HOME=str(root))
        self.proc: subprocess.Popen | None = None
        subprocess.run(
            ["public-inbox-init", "-V2", name, str(root / name), self.base_url, self.address],
            env=self.env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["git", "config", "-f", self.env["PI_CONFIG"], "publicinboxmda.spamcheck", "none"],
            check=True,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.name}"

    def deliver(self, *messages: bytes) -> None:
        env = dict(self.env, ORIGINAL_RECIPIENT=self.address)
        for raw in messages:
            proc = subprocess.run(
                ["public-inbox-mda", "--no-precheck"], input=raw, env=env, capture_output=True
            )
            if proc.returncode != 0:
                raise RuntimeError(f"public-inbox-mda failed: {proc.stderr.decode()}")

    def start(self) -> None:
        log = open(self.root / "httpd.log", "ab")  # noqa: SIM115 - kept open for the server
        self.proc = subprocess.Popen(
            ["public-inbox-httpd", "-l", f"http://127.0.0.1:{self.port}"],
            env=self.env,
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.base_url}/new.atom", timeout=2).read()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"public-inbox-httpd did not start: {(self.root / 'httpd.log').read_text()}"
        )

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
