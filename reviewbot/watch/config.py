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
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewbot.errors import ConfigError
from reviewbot.resources import data_path
from reviewbot.settings import has_type

logger = logging.getLogger(__name__)

# Polling a public server more often than this is impolite (review-conventions.md).
MIN_REMOTE_INTERVAL = 60

_NUMBER = (int, float)

# key: (type(s), default). A default of None means "required".
_WATCH_KEYS: dict[str, tuple[Any, Any]] = {
    "state_dir": (str, None),
    "outbox": (str, ""),
    "opt_out": (list, []),
    "contact": (str, ""),
    "attempts": (int, 4),
    "backoff": (_NUMBER, 1.0),
    "max_backoff": (_NUMBER, 3600.0),
    "timeout": (_NUMBER, 30.0),
    "catchup_slack": (int, 3600),
    "catchup_pages": (int, 50),
    "review_attempts": (int, 5),
    "subscriptions": (list, None),
}

_SUB_KEYS: dict[str, tuple[Any, Any]] = {
    "name": (str, None),
    "url": (str, None),
    "query": (str, ""),
    "tree": (str, ""),
    "interval": (int, 300),
    "grace": (int, 1800),
    "send": (bool, False),
    "embargo_hours": (_NUMBER, 24),
    "always": (bool, False),
}


@dataclass(frozen=True)
class Subscription:
    """One inbox (or one search in it) to follow."""

    name: str
    url: str
    query: str = ""
    tree: Path | None = None
    interval: int = 300
    grace: int = 1800
    send: bool = False
    embargo_hours: float = 24.0
    always: bool = False

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
    opt_out: tuple[str, ...] = ()
    contact: str = ""
    attempts: int = 4
    backoff: float = 1.0
    max_backoff: float = 3600.0
    timeout: float = 30.0
    catchup_slack: int = 3600
    catchup_pages: int = 50
    review_attempts: int = 5


def is_loopback(url: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: tests may poll those as fast as they like."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _type_name(want: Any) -> str:
    wants = want if isinstance(want, tuple) else (want,)
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    names[list] = "a list of strings"
    return " or ".join(names.get(w, w.__name__) for w in wants)


def _table(
    raw: Mapping[str, Any], schema: dict[str, tuple[Any, Any]], where: str, path: Path
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in schema:
            raise ConfigError(f"{path}: unknown key {where}.{key}")
        want = schema[key][0]
        if key != "subscriptions" and not has_type(value, want):
            raise ConfigError(f"{path}: {where}.{key} must be {_type_name(want)}")
        out[key] = value
    for key, (_want, default) in schema.items():
        if key not in out:
            if default is None:
                raise ConfigError(f"{path}: {where}.{key} is required")
            out[key] = default
    return out


def _subscription(raw: Any, i: int, path: Path) -> Subscription:
    where = f"watch.subscriptions[{i}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {where} must be a table ([[watch.subscriptions]])")
    v = _table(raw, _SUB_KEYS, where, path)
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


def _known_sections() -> set[str]:
    """Top-level tables a settings file may hold: those of the bundled defaults."""
    with data_path("config/default.toml").open("rb") as fh:
        return {k for k, v in tomllib.load(fh).items() if isinstance(v, dict)}


def load_watch_config(path: Path) -> WatchConfig:
    """Read and validate the ``[watch]`` part of ``path``."""
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    known = _known_sections() | {"watch", "schema"}
    for key in doc:
        if key not in known:
            raise ConfigError(f"{path}: unknown key {key}")
    raw = doc.get("watch")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: watch is required ([watch] with state_dir and subscriptions)")
    v = _table(raw, _WATCH_KEYS, "watch", path)
    subs_raw = v["subscriptions"]
    if not isinstance(subs_raw, list) or not subs_raw:
        raise ConfigError(f"{path}: watch.subscriptions must list at least one subscription")
    subs = tuple(_subscription(s, i, path) for i, s in enumerate(subs_raw))
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
