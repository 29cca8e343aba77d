"""The watcher's configuration: ``[watch]`` and its ``[[watch.subscriptions]]``.

The watch file is also an ordinary settings file (``[lore]``, ``[reply]``,
``[smtp]`` may sit beside ``[watch]``), so one file configures a service.
A daemon that silently ignores a misspelt key polls the wrong thing for
months, so every key is checked here: an unknown key or a wrong type is a
one-line ``ConfigError`` naming the file and the key.
"""

from __future__ import annotations

import ipaddress
import logging
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewbot.errors import ConfigError
from reviewbot.settings import bundled_default, bundled_defaults
from reviewbot.tomlcheck import Checker, Want, read_toml

logger = logging.getLogger(__name__)

# Polling a public server more often than this is impolite (review-conventions.md).
MIN_REMOTE_INTERVAL = 60

# Types of the keys; the defaults are in config/default.toml ([watch] and
# [watch.subscription_defaults]), and state_dir, subscriptions, name and url
# have none.
_WATCH_KEYS: dict[str, Want] = {
    "state_dir": str,
    "outbox": str,
    "opt_out": list[str],
    "contact": str,
    "attempts": int,
    "backoff": float,
    "max_backoff": float,
    "timeout": float,
    "catchup_slack": int,
    "catchup_pages": int,
    "review_attempts": int,
    "subscriptions": list,
    "subscription_defaults": dict,
}
_WATCH_REQUIRED = ("state_dir", "subscriptions")

_SUB_KEYS: dict[str, Want] = {
    "name": str,
    "url": str,
    "query": str,
    "tree": str,
    "interval": int,
    "grace": int,
    "send": bool,
    "embargo_hours": float,
    "always": bool,
}
_SUB_REQUIRED = ("name", "url")


def _default(key: str) -> Any:
    return bundled_default("watch", key)


def _sub_default(key: str) -> Any:
    return bundled_default("watch.subscription_defaults", key)


@dataclass(frozen=True)
class Subscription:
    """One inbox (or one search in it) to follow."""

    name: str
    url: str
    query: str = _sub_default("query")
    tree: Path | None = None
    interval: int = _sub_default("interval")
    grace: int = _sub_default("grace")
    send: bool = _sub_default("send")
    embargo_hours: float = float(_sub_default("embargo_hours"))
    always: bool = _sub_default("always")

    @property
    def loopback(self) -> bool:
        return is_loopback(self.url)

    @property
    def poll_interval(self) -> int:
        """The interval actually used: never below a minute for a real server."""
        return self.interval if self.loopback else max(self.interval, MIN_REMOTE_INTERVAL)


@dataclass(frozen=True)
class WatchConfig:
    path: Path
    state_dir: Path
    outbox: Path
    subscriptions: tuple[Subscription, ...]
    opt_out: tuple[str, ...] = tuple(_default("opt_out"))
    contact: str = _default("contact")
    attempts: int = _default("attempts")
    backoff: float = float(_default("backoff"))
    max_backoff: float = float(_default("max_backoff"))
    timeout: float = float(_default("timeout"))
    catchup_slack: int = _default("catchup_slack")
    catchup_pages: int = _default("catchup_pages")
    review_attempts: int = _default("review_attempts")


def is_loopback(url: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: tests may poll those as fast as they like."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _subscription(
    raw: Any, i: int, path: Path, defaults: Mapping[str, Any], check: Checker
) -> Subscription:
    where = f"watch.subscriptions[{i}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {where} must be a table ([[watch.subscriptions]])")
    v = {**defaults, **check.table(raw, where, _SUB_KEYS, _SUB_REQUIRED)}
    url = v["url"].rstrip("/")
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{path}: {where}.url must be an http(s) URL of an inbox")
    for key in ("interval", "grace", "embargo_hours"):
        if v[key] < 0:
            raise ConfigError(f"{path}: {where}.{key} must not be negative")
    if not v["name"].strip():
        raise ConfigError(f"{path}: {where}.name must not be empty")
    if v["interval"] < MIN_REMOTE_INTERVAL and not is_loopback(url):
        logger.warning(
            "%s: %s.interval %ds is raised to %ds for a remote server",
            path,
            where,
            v["interval"],
            MIN_REMOTE_INTERVAL,
        )
    return Subscription(
        name=v["name"],
        url=url,
        query=v["query"].strip(),
        tree=Path(v["tree"]).expanduser() if v["tree"] else None,
        interval=v["interval"],
        grace=v["grace"],
        send=v["send"],
        embargo_hours=float(v["embargo_hours"]),
        always=v["always"],
    )


def load_watch_config(path: Path) -> WatchConfig:
    """Read and validate the ``[watch]`` part of ``path``."""
    doc = read_toml(path)
    check = Checker(path)
    known = {k for k, v in bundled_defaults().items() if isinstance(v, dict)} | {"schema"}
    for key in doc:
        if key not in known:
            raise check.unknown("", key)
    raw = doc.get("watch")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: watch is required ([watch] with state_dir and subscriptions)")
    defaults = bundled_defaults()["watch"]
    v = {**defaults, **check.table(raw, "watch", _WATCH_KEYS, _WATCH_REQUIRED)}
    sub_defaults = {**defaults["subscription_defaults"],
                    **check.table(v["subscription_defaults"], "watch.subscription_defaults",
                                  _SUB_KEYS)}
    subs_raw = v["subscriptions"]
    if not isinstance(subs_raw, list) or not subs_raw:
        raise ConfigError(f"{path}: watch.subscriptions must list at least one subscription")
    subs = tuple(_subscription(s, i, path, sub_defaults, check) for i, s in enumerate(subs_raw))
    names = [s.name for s in subs]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{path}: watch.subscriptions: name {name!r} is used twice")
    for key in ("attempts", "review_attempts", "catchup_pages"):
        if v[key] < 1:
            raise ConfigError(f"{path}: watch.{key} must be at least 1")
    for key in ("backoff", "max_backoff", "timeout", "catchup_slack"):
        if v[key] < 0:
            raise ConfigError(f"{path}: watch.{key} must not be negative")
    state_dir = Path(v["state_dir"]).expanduser()
    return WatchConfig(
        path=path,
        state_dir=state_dir,
        outbox=Path(v["outbox"]).expanduser() if v["outbox"] else state_dir / "outbox",
        subscriptions=subs,
        opt_out=tuple(a.strip().lower() for a in v["opt_out"] if a.strip()),
        contact=v["contact"],
        attempts=v["attempts"],
        backoff=float(v["backoff"]),
        max_backoff=float(v["max_backoff"]),
        timeout=float(v["timeout"]),
        catchup_slack=v["catchup_slack"],
        catchup_pages=v["catchup_pages"],
        review_attempts=v["review_attempts"],
    )
