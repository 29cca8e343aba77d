"""``[queue]`` of the watch configuration, and the ``--listen`` address."""

from __future__ import annotations

import getpass
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from reviewbot.errors import UsageError
from reviewbot.settings import Settings
from reviewbot.tomlcheck import Checker, Want

_KEYS: dict[str, Want] = {"token": str, "maintainer": str, "sendmail": str, "scan": str}


@dataclass(frozen=True)
class QueueConfig:
    token: str
    maintainer: str
    sendmail: str
    scan: Path | None = None  # a `reviewbot scan --format json` output for the scan page


def queue_config(settings: Settings, path: Path) -> QueueConfig:
    """The ``[queue]`` table, checked: unknown keys and wrong types are one-line errors."""
    check = Checker(path)
    raw = check.table(settings.raw.get("queue", {}), "queue", _KEYS)
    token = raw.get("token", "").strip()
    if token and len(token) < 16:
        raise check.fail("queue.token", "must be at least 16 characters")
    who = raw.get("maintainer", "").strip()
    if not who:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):
            who = "maintainer"
    scan = raw.get("scan", "").strip()
    return QueueConfig(
        token=token,
        maintainer=who,
        sendmail=raw.get("sendmail", "").strip(),
        scan=(path.parent / Path(scan).expanduser()) if scan else None,
    )


def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:8750`` / ``[::1]:8750`` / ``localhost:8750`` -> (host, port)."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or not host:
        raise UsageError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8750")
    port = int(port_text)
    if not 0 <= port <= 65535:
        raise UsageError(f"--listen {text!r}: port {port} is out of range")
    host = host.removeprefix("[").removesuffix("]")
    return host, port


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
