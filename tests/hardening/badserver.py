"""A real HTTP server on 127.0.0.1 that misbehaves on purpose, one way per test.

``BadServer.plan`` maps a path fragment to a list of behaviours, used in
turn (the last one repeats): ``("ok", body, headers)``, ``("status", code,
headers)``, ``("trickle", seconds_per_byte)``, ``("html",)`` (an error page
with status 200), ``("bomb", gz_bytes)`` (a gzip body sent as
``Content-Encoding: gzip``), ``("proxy", upstream)`` (forward to a real
server, e.g. public-inbox). Every request is recorded with its time.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML = b"<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>\n"


def zeros_gz(megabytes: int) -> bytes:
    """A gzip of that many MiB of zeros (about 1000 times smaller), made in 1 MiB steps."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1 << 20)
    return b"".join(z.compress(block) for _ in range(megabytes)) + z.flush()


class BadServer:
    def __init__(self) -> None:
        self.plan: dict[str, list[tuple]] = {}
        self.hits: list[tuple[float, str, str]] = []  # (time, method, path)
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.hits.append((time.monotonic(), self.command, self.path))
                todo = server._next(self.path)
                getattr(self, f"_{todo[0]}")(*todo[1:])

            do_HEAD = do_GET

            def _ok(self, body: bytes, headers: dict | None = None) -> None:
                self._send(200, body, headers or {})

            def _status(self, code: int, headers: dict | None = None) -> None:
                self._send(code, b"no\n", headers or {})

            def _html(self) -> None:
                self._send(200, HTML, {"Content-Type": "text/html"})

            def _proxy(self, upstream: str) -> None:
                try:
                    with urllib.request.urlopen(upstream + self.path, timeout=20) as r:
                        body, code, ctype = r.read(), r.status, r.headers["Content-Type"]
                except urllib.error.HTTPError as exc:
                    body, code, ctype = exc.read(), exc.code, exc.headers["Content-Type"]
                self._send(code, body, {"Content-Type": ctype} if ctype else {})

            def _bomb(self, gz: bytes) -> None:
                self._send(200, gz, {"Content-Encoding": "gzip", "Content-Type": "text/xml"})

            def _trickle(self, per_byte: float) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                end = time.monotonic() + 60  # bounded, even if the client never leaves
                try:
                    while time.monotonic() < end and not server.stop.is_set():
                        self.wfile.write(b"<")
                        self.wfile.flush()
                        time.sleep(per_byte)
                except OSError:
                    pass  # the client hung up: what the deadline should do
                self.close_connection = True

            def _send(self, code: int, body: bytes, headers: dict) -> None:
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # a client hanging up on a bomb or a trickle is the point

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _next(self, path: str) -> tuple:
        for fragment, todo in self.plan.items():
            if fragment in path:
                return todo.pop(0) if len(todo) > 1 else todo[0]
        return ("status", 404)

    def requests(self, fragment: str) -> list[tuple[float, str, str]]:
        return [h for h in self.hits if fragment in h[2]]

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
