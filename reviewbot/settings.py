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
    "limits": {  # checked again, with ranges, by reviewbot.limits
        "input_bytes": int,
        "http_body_bytes": int,
        "http_deadline": (int, float),
        "max_patches": int,
        "parse_work": int,
    },
    "reply": {
        "from": str,
        "msgid_domain": str,
        "cc_original": bool,
        "templates": str,
        "list_patterns": list,
        "exclude": list,
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
        "timeout": (int, float),
    },
}

# Tables of named entries ([reply.policy.NAME]): the keys each entry may have.
_NAMED_TABLES: dict[str, dict[str, type | tuple[type, ...]]] = {
    "reply.policy": {
        "lists": list,
        "to_author": bool,
        "cc_lists": bool,
        "cc_individuals": bool,
        "cc_maintainers_of_affected": bool,
        "exclude": list,
    },
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
            if want is not None and not has_type(subval, want):
                raise ConfigError(f"{name}: {key}.{sub} has the wrong type")
            if f"{key}.{sub}" in _NAMED_TABLES:
                _merge_named(base.setdefault(key, {}).setdefault(sub, {}), subval, key, sub, name)
                continue
            base.setdefault(key, {})[sub] = subval


def has_type(value: Any, want: type | tuple[type, ...]) -> bool:
    """isinstance, except that bool is not an int and lists hold strings."""
    wants = want if isinstance(want, tuple) else (want,)
    if isinstance(value, bool):
        return bool in wants
    if isinstance(value, list):
        return list in wants and all(isinstance(v, str) for v in value)
    return isinstance(value, wants)


def _merge_named(
    base: dict[str, Any], table: Mapping[str, Any], key: str, sub: str, name: Path
) -> None:
    """Named entries: a user's entry replaces the default entry of that name only."""
    schema = _NAMED_TABLES[f"{key}.{sub}"]
    for entry, fields in table.items():
        if not isinstance(fields, dict):
            raise ConfigError(f"{name}: {key}.{sub}.{entry} must be a table")
        for field_name, fval in fields.items():
            want = schema.get(field_name)
            if want is None:
                raise ConfigError(f"{name}: unknown key {key}.{sub}.{entry}.{field_name}")
            if not has_type(fval, want):
                raise ConfigError(f"{name}: {key}.{sub}.{entry}.{field_name} has the wrong type")
        base[entry] = dict(fields)


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


@dataclass(frozen=True)
class ReplyPolicy:
    """Who gets a reply drafted for a series on the lists matching ``lists``.

    To the author, Cc the lists; ``cc_individuals`` (True, False, or None:
    follow ``reply.cc_original``) decides whether the people the patch was
    sent to are Cc'd as well.
    """

    name: str = "default"
    lists: tuple[str, ...] = ()
    to_author: bool = True
    cc_lists: bool = True
    cc_individuals: bool | None = None
    cc_maintainers_of_affected: bool = False
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReplySettings:
    """Everything the reply drafts need from configuration (``[reply]``)."""

    identity: str = "reviewbot <reviewbot@localhost>"
    msgid_domain: str = ""
    # Reply to all, the lists' custom: Cc everyone the patch went to (To and
    # Cc), not only the lists. A policy's cc_individuals overrides it.
    cc_original: bool = True
    templates: Path | None = None
    list_patterns: tuple[str, ...] = ("*@vger.kernel.org", "*@lists.*")
    exclude: tuple[str, ...] = ()
    wrap: int = 72
    quote_before: int = 3
    max_drivers: int = 25
    min_severity: str = "info"
    signature: str = "reviewbot"
    opt_out: str = ""
    archive_url: str = "https://lore.kernel.org/all"
    policies: tuple[ReplyPolicy, ...] = ()
    default_policy: ReplyPolicy = ReplyPolicy()


@dataclass(frozen=True)
class SmtpSettings:
    """Where ``--send`` delivers (``[smtp]``); the password is never stored here."""

    host: str = ""
    port: int = 587
    starttls: bool = True
    ssl: bool = False
    user: str = ""
    envelope_from: str = ""
    timeout: float = 30.0


def reply_settings(settings: Settings) -> ReplySettings:
    """The ``[reply]`` section as a frozen object (types were checked on load)."""
    raw = dict(settings.raw.get("reply", {}))
    policies = []
    default = ReplyPolicy()
    for name, fields in raw.get("policy", {}).items():
        policy = ReplyPolicy(
            name=name,
            **{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()},
        )
        if name == "default":
            default = policy
        else:
            policies.append(policy)
    base = ReplySettings()
    templates = raw.get("templates") or ""
    severity = raw.get("min_severity", base.min_severity)
    if severity not in ("info", "warning", "error"):
        raise ConfigError(f"reply.min_severity must be info, warning or error, not {severity!r}")
    return ReplySettings(
        identity=raw.get("from", base.identity),
        msgid_domain=raw.get("msgid_domain", base.msgid_domain),
        cc_original=raw.get("cc_original", base.cc_original),
        templates=Path(templates).expanduser() if templates else None,
        list_patterns=tuple(raw.get("list_patterns", base.list_patterns)),
        exclude=tuple(raw.get("exclude", base.exclude)),
        wrap=max(40, int(raw.get("wrap", base.wrap))),
        quote_before=max(0, int(raw.get("quote_before", base.quote_before))),
        max_drivers=max(1, int(raw.get("max_drivers", base.max_drivers))),
        min_severity=severity,
        signature=raw.get("signature", base.signature),
        opt_out=raw.get("opt_out", base.opt_out),
        archive_url=raw.get("archive_url") or settings.lore_url or base.archive_url,
        policies=tuple(policies),
        default_policy=default,
    )


def smtp_settings(settings: Settings) -> SmtpSettings:
    """The ``[smtp]`` section as a frozen object."""
    raw = settings.raw.get("smtp", {})
    base = SmtpSettings()
    return SmtpSettings(
        host=raw.get("host", base.host),
        port=int(raw.get("port", base.port)),
        starttls=bool(raw.get("starttls", base.starttls)),
        ssl=bool(raw.get("ssl", base.ssl)),
        user=raw.get("user", base.user),
        envelope_from=raw.get("envelope_from", base.envelope_from),
        timeout=float(raw.get("timeout", base.timeout)),
    )
