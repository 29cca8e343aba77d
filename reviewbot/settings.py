"""Settings: bundled defaults, then the user's file, then the environment.

Read once by the front end and passed down as a frozen object, so no stage
reads files or the environment behind the caller's back.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewbot.errors import ConfigError
from reviewbot.resources import data_path

_KNOWN: dict[str, dict[str, type | tuple[type, ...]]] = {
    "lore": {"url": str, "attempts": int, "backoff": (int, float), "timeout": (int, float)},
    "tree": {"path": str},
}


@dataclass(frozen=True)
class Settings:
    lore_url: str
    lore_attempts: int
    lore_backoff: float
    lore_timeout: float
    tree: Path | None
    cache_dir: Path
    raw: Mapping[str, Any]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def _merge(base: dict[str, Any], over: Mapping[str, Any], name: Path) -> None:
    for key, value in over.items():
        if key == "schema":
            continue
        if not isinstance(value, dict):
            base[key] = value
            continue
        known = _KNOWN.get(key)
        for sub, subval in value.items():
            want = known.get(sub) if known else None
            if known is not None and want is None:
                raise ConfigError(f"{name}: unknown key {key}.{sub}")
            if want is not None and (not isinstance(subval, want) or isinstance(subval, bool)):
                raise ConfigError(f"{name}: {key}.{sub} has the wrong type")
            base.setdefault(key, {})[sub] = subval


def _user_config_path(env: Mapping[str, str]) -> Path | None:
    root = env.get("XDG_CONFIG_HOME") or (
        os.path.join(env["HOME"], ".config") if env.get("HOME") else None
    )
    if not root:
        return None
    path = Path(root) / "reviewbot" / "config.toml"
    return path if path.is_file() else None


def _cache_dir(env: Mapping[str, str]) -> Path:
    root = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME", "/tmp"), ".cache")
    return Path(root) / "reviewbot"


def load_settings(
    config_file: Path | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    env = os.environ if env is None else env
    default = data_path("config/default.toml")
    merged: dict[str, Any] = {}
    _merge(merged, _read_toml(default), default)
    user = config_file or _user_config_path(env)
    if user is not None:
        _merge(merged, _read_toml(user), user)
    lore = merged.get("lore", {})
    url = env.get("REVIEWBOT_LORE_URL") or lore.get("url")
    tree = merged.get("tree", {}).get("path") or ""
    return Settings(
        lore_url=str(url),
        lore_attempts=max(1, int(lore.get("attempts", 4))),
        lore_backoff=float(lore.get("backoff", 0.5)),
        lore_timeout=float(lore.get("timeout", 20.0)),
        tree=Path(tree) if tree else None,
        cache_dir=_cache_dir(env),
        raw=merged,
    )
