"""Settings: bundled defaults, then the user's file, then the environment.

Read once by the front end and passed down as a frozen object, so no stage
reads files or the environment behind the caller's back.

Every default lives in ``config/default.toml`` and nowhere else: the
dataclasses below take their defaults from it (``bundled_default``), and the
loaders read the merged tables, which always hold the bundled values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from reviewbot.errors import ConfigError
from reviewbot.limits import KEYS as LIMIT_KEYS
from reviewbot.limits import check_limits
from reviewbot.resources import data_path
from reviewbot.tomlcheck import Checker, Want, read_toml

_KNOWN: dict[str, dict[str, Want]] = {
    "lore": {"url": str, "attempts": int, "backoff": float, "timeout": float},
    "tree": {"path": str},
    "limits": LIMIT_KEYS,  # and for range, by reviewbot.limits.check_limits
    "reply": {
        "from": str,
        "msgid_domain": str,
        "cc_original": bool,
        "templates": str,
        "list_patterns": list[str],
        "exclude": list[str],
        "wrap": int,
        "quote_before": int,
        "max_drivers": int,
        "min_severity": str,
        "signature": str,
        "opt_out": str,
        "archive_url": str,
        "policy": dict,
    },
    "smtp": {
        "host": str,
        "port": int,
        "starttls": bool,
        "ssl": bool,
        "user": str,
        "envelope_from": str,
        "timeout": float,
    },
}

# Tables of named entries ([reply.policy.NAME]): the keys each entry may have.
_NAMED_TABLES: dict[str, dict[str, Want]] = {
    "reply.policy": {
        "lists": list[str],
        "to_author": bool,
        "cc_lists": bool,
        "cc_individuals": bool,
        "cc_maintainers_of_affected": bool,
        "exclude": list[str],
    },
}


@lru_cache(maxsize=1)
def bundled_defaults() -> Mapping[str, Any]:
    """The bundled ``config/default.toml``: the one place every default is written."""
    return read_toml(data_path("config/default.toml"))


def bundled_default(section: str, key: str) -> Any:
    """One default, e.g. ``bundled_default("lore", "url")``."""
    table: Any = bundled_defaults()
    for part in section.split("."):
        table = table[part]
    return table[key]


@dataclass(frozen=True)
class Settings:
    lore_url: str
    lore_attempts: int
    lore_backoff: float
    lore_timeout: float
    tree: Path | None
    cache_dir: Path
    raw: Mapping[str, Any]


def _merge(base: dict[str, Any], over: Mapping[str, Any], name: Path) -> None:
    check = Checker(name)
    for key, value in over.items():
        if key == "schema":
            continue
        if not isinstance(value, dict):
            base[key] = value
            continue
        known = _KNOWN.get(key)
        if key == "limits":
            check_limits(value, check)
        elif known is not None:  # other tables ([watch]) are checked by their own reader
            check.table(value, key, known)
        for sub, subval in value.items():
            if f"{key}.{sub}" in _NAMED_TABLES:
                _merge_named(base.setdefault(key, {}).setdefault(sub, {}), subval, key, sub, check)
                continue
            base.setdefault(key, {})[sub] = subval


def _merge_named(
    base: dict[str, Any], table: Mapping[str, Any], key: str, sub: str, check: Checker
) -> None:
    """Named entries: a user's entry replaces the default entry of that name only."""
    schema = _NAMED_TABLES[f"{key}.{sub}"]
    for entry, fields in table.items():
        base[entry] = check.table(fields, f"{key}.{sub}.{entry}", schema)


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
    _merge(merged, bundled_defaults(), default)
    user = config_file or _user_config_path(env)
    if user is not None:
        _merge(merged, read_toml(user), user)
    lore = merged["lore"]
    url = env.get("REVIEWBOT_LORE_URL") or lore["url"]
    tree = merged["tree"]["path"]
    return Settings(
        lore_url=str(url),
        lore_attempts=max(1, int(lore["attempts"])),
        lore_backoff=float(lore["backoff"]),
        lore_timeout=float(lore["timeout"]),
        tree=Path(tree) if tree else None,
        cache_dir=_cache_dir(env),
        raw=merged,
    )


def _policy_default(key: str) -> Any:
    return bundled_default("reply.policy.default", key)


@dataclass(frozen=True)
class ReplyPolicy:
    """Who gets a reply drafted for a series on the lists matching ``lists``.

    To the author, Cc the lists; ``cc_individuals`` (True, False, or None:
    follow ``reply.cc_original``) decides whether the people the patch was
    sent to are Cc'd as well.
    """

    name: str = "default"
    lists: tuple[str, ...] = ()
    to_author: bool = _policy_default("to_author")
    cc_lists: bool = _policy_default("cc_lists")
    # None: not set, follow reply.cc_original (a policy may set it either way).
    cc_individuals: bool | None = None
    cc_maintainers_of_affected: bool = _policy_default("cc_maintainers_of_affected")
    exclude: tuple[str, ...] = tuple(_policy_default("exclude"))


def _reply_default(key: str) -> Any:
    return bundled_default("reply", key)


@dataclass(frozen=True)
class ReplySettings:
    """Everything the reply drafts need from configuration (``[reply]``)."""

    identity: str = _reply_default("from")
    msgid_domain: str = _reply_default("msgid_domain")
    # Reply to all, the lists' custom: Cc everyone the patch went to (To and
    # Cc), not only the lists. A policy's cc_individuals overrides it.
    cc_original: bool = _reply_default("cc_original")
    templates: Path | None = None
    list_patterns: tuple[str, ...] = tuple(_reply_default("list_patterns"))
    exclude: tuple[str, ...] = tuple(_reply_default("exclude"))
    wrap: int = _reply_default("wrap")
    quote_before: int = _reply_default("quote_before")
    max_drivers: int = _reply_default("max_drivers")
    min_severity: str = _reply_default("min_severity")
    signature: str = _reply_default("signature")
    opt_out: str = _reply_default("opt_out")
    archive_url: str = _reply_default("archive_url") or bundled_default("lore", "url")
    # reply.archive_url was set: it wins over the archive a series came from.
    archive_fixed: bool = False
    policies: tuple[ReplyPolicy, ...] = ()
    default_policy: ReplyPolicy = field(default_factory=ReplyPolicy)


def _smtp_default(key: str) -> Any:
    return bundled_default("smtp", key)


@dataclass(frozen=True)
class SmtpSettings:
    """Where ``--send`` delivers (``[smtp]``); the password is never stored here."""

    host: str = _smtp_default("host")
    port: int = _smtp_default("port")
    starttls: bool = _smtp_default("starttls")
    ssl: bool = _smtp_default("ssl")
    user: str = _smtp_default("user")
    envelope_from: str = _smtp_default("envelope_from")
    timeout: float = float(_smtp_default("timeout"))


def reply_settings(settings: Settings) -> ReplySettings:
    """The ``[reply]`` section as a frozen object (types were checked on load)."""
    raw = dict(settings.raw["reply"])
    policies = []
    default = ReplyPolicy()
    for name, fields in raw.get("policy", {}).items():
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()
        }
        policy = ReplyPolicy(name=name, **values)
        if name == "default":
            default = policy
        else:
            policies.append(policy)
    templates = raw["templates"]
    severity = raw["min_severity"]
    if severity not in ("info", "warning", "error"):
        raise ConfigError(f"reply.min_severity must be info, warning or error, not {severity!r}")
    return ReplySettings(
        identity=raw["from"],
        msgid_domain=raw["msgid_domain"],
        cc_original=raw["cc_original"],
        templates=Path(templates).expanduser() if templates else None,
        list_patterns=tuple(raw["list_patterns"]),
        exclude=tuple(raw["exclude"]),
        wrap=max(40, int(raw["wrap"])),
        quote_before=max(0, int(raw["quote_before"])),
        max_drivers=max(1, int(raw["max_drivers"])),
        min_severity=severity,
        signature=raw["signature"],
        opt_out=raw["opt_out"],
        archive_url=raw["archive_url"] or settings.lore_url,
        archive_fixed=bool(raw["archive_url"]),
        policies=tuple(policies),
        default_policy=default,
    )


def smtp_settings(settings: Settings) -> SmtpSettings:
    """The ``[smtp]`` section as a frozen object."""
    raw = settings.raw["smtp"]
    return SmtpSettings(
        host=raw["host"],
        port=int(raw["port"]),
        starttls=bool(raw["starttls"]),
        ssl=bool(raw["ssl"]),
        user=raw["user"],
        envelope_from=raw["envelope_from"],
        timeout=float(raw["timeout"]),
    )
