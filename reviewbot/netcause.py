"""One line on why a request failed: the kind of failure, the host, the OS's words.

httpx (the watcher) and requests/urllib3 (b4's liblore) wrap the real cause
several layers deep, and their own text ("HTTPSConnectionPool(host=...):
Max retries exceeded with url: /all/<msgid>...") buries it or, cut to a
line, loses it mid-message-id. This walks the chain of causes and names
what a person can act on: a DNS failure, a refused connection, a timeout,
a TLS failure, with the host. Any HTTP client's exception can be given.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from collections.abc import Iterator

_HOST_RE = re.compile(r"host='([^']+)'")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps (cause, context, urllib3's reason, wrapped args)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (e.__cause__, e.__context__, getattr(e, "reason", None)):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
        todo.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))


def host_of(exc: BaseException) -> str | None:
    """The host the failed request went to, when any layer of the error knows it."""
    for e in _chain(exc):
        request = getattr(e, "_request", None) or _safe_request(e)
        url = getattr(request, "url", None)
        host = getattr(url, "host", None)  # httpx.URL
        if host:
            return str(host)
        if isinstance(url, str):
            from urllib.parse import urlsplit

            if urlsplit(url).hostname:
                return urlsplit(url).hostname
        pool = getattr(e, "pool", None) or getattr(e, "conn", None)
        host = getattr(pool, "host", None)
        if isinstance(host, str) and host:
            return host
        match = _HOST_RE.search(str(e))
        if match:
            return match.group(1)
    return None


def _safe_request(e: BaseException):
    try:  # httpx raises RuntimeError from .request when none was set
        return getattr(e, "request", None)
    except RuntimeError:
        return None


def _os_words(e: BaseException) -> str:
    strerror = getattr(e, "strerror", None)
    if isinstance(strerror, str) and strerror:
        return strerror
    text = str(e)
    return re.sub(r"^\[Errno -?\d+\]\s*", "", text).strip()


def cause_of(exc: BaseException) -> str:
    """The kind of failure in a few words: 'DNS lookup failed (...)', 'connection refused'..."""
    chain = list(_chain(exc))
    names = " ".join(type(e).__name__ for e in chain)
    text = " ".join(str(e) for e in chain)
    for e in chain:
        if isinstance(e, socket.gaierror):
            return f"DNS lookup failed ({_os_words(e)})"
    if "NameResolutionError" in names or re.search(
        r"Name or service not known|Temporary failure in name resolution|"
        r"nodename nor servname|No address associated with hostname|getaddrinfo failed",
        text,
    ):
        words = re.search(
            r"(Name or service not known|Temporary failure in name resolution|"
            r"nodename nor servname[^'\")]*|No address associated with hostname)",
            text,
        )
        return "DNS lookup failed" + (f" ({words.group(1)})" if words else "")
    for e in chain:
        if isinstance(e, ConnectionRefusedError) or "Connection refused" in str(e):
            return "connection refused"
    for e in chain:
        if isinstance(e, ssl.SSLError):
            words = getattr(e, "verify_message", None) or getattr(e, "reason", None)
            return f"TLS failed ({words or _os_words(e)})"
    if re.search(r"\bSSL\b|CERTIFICATE_VERIFY_FAILED|certificate verify failed", text):
        words = re.search(r"certificate verify failed[^'\")(]*", text)
        return "TLS failed" + (f" ({words.group(0).strip()})" if words else "")
    if re.search(r"ConnectTimeout|ConnectTimeoutError", names) or "connect timeout" in text.lower():
        return "timed out connecting"
    if re.search(r"Timeout|timeout", names) or "timed out" in text.lower():
        return "timed out waiting for an answer"
    for e in chain:
        if getattr(e, "errno", None) in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return f"network unreachable ({_os_words(e)})"
    for e in chain:
        if isinstance(e, (ConnectionResetError, BrokenPipeError)):
            return "connection reset by the server"
    for e in chain:
        if isinstance(e, OSError) and getattr(e, "strerror", None):
            return _os_words(e)
    last = chain[-1]
    words = _os_words(last).splitlines()[0] if str(last) else ""
    return f"{type(last).__name__}: {words}" if words else type(last).__name__


def describe(exc: BaseException, host: str | None = None) -> str:
    """One line: the cause and the host, e.g. ``DNS lookup failed for lore.kernel.org (...)``."""
    cause = cause_of(exc)
    host = host or host_of(exc)
    if not host:
        return cause
    for kind in ("DNS lookup failed", "TLS failed", "timed out connecting", "network unreachable"):
        if cause.startswith(kind):
            return f"{kind} for {host}{cause[len(kind):]}"
    if cause == "connection refused":
        return f"connection to {host} refused"
    return f"{cause} ({host})"


_UNREACHABLE_RE = re.compile(
    r"(?:DNS lookup failed for (?P<dns>[^\s(]+)|connection to (?P<refused>[^\s(]+) refused|"
    r"timed out connecting for (?P<timeout>[^\s(]+)|network unreachable for (?P<net>[^\s(]+))"
)


def unreachable_host(message: str | None) -> str | None:
    """The host a ``describe`` line says cannot be reached at all (DNS, refused, connect timeout).

    Such a failure is the host's, not one feed's: a caller polling several
    feeds of that host can stop trying the others for a while.
    """
    match = _UNREACHABLE_RE.search(message or "")
    if not match:
        return None
    return next(host for host in match.groups() if host)
