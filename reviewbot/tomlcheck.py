"""One way to read and check a TOML configuration file, for every file reviewbot reads.

The knowledge file (config/dma.toml), the settings (config/default.toml and
the user's file) and the watcher's file are all checked here, with one
vocabulary of types and one wording: an unknown key, a wrong type, a missing
key or a value outside its choices is a one-line ``ConfigError`` naming the
file and the dotted key, because a typo that is silently ignored disables a
check or polls the wrong thing for months.

Types are Python types: ``str``, ``int`` (never a bool), ``float`` (an int
is accepted), ``bool``, ``dict`` (a table), ``list`` (any array),
``list[str]`` / ``list[int]`` (an array of those), ``object`` (anything), or a
tuple of them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

from reviewbot.errors import ConfigError

Want = Any  # a type, list[T], or a tuple of those (see the module docstring)

_NAMES: dict[Any, str] = {
    str: "a string", int: "an integer", float: "a number", bool: "true or false",
    dict: "a table", list: "an array", object: "anything",
}


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file; a ConfigError naming it when it cannot be read or parsed."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def has_type(value: Any, want: Want) -> bool:
    """isinstance for the vocabulary above: bool is not an int, lists are checked inside."""
    if isinstance(want, tuple):
        return any(has_type(value, w) for w in want)
    if want is object:
        return True
    if get_origin(want) is list:
        (item,) = get_args(want)
        return isinstance(value, list) and all(has_type(v, item) for v in value)
    if isinstance(value, bool):
        return want is bool
    if want is float:
        return isinstance(value, int | float)
    return isinstance(value, want)


def type_name(want: Want) -> str:
    if isinstance(want, tuple):
        return " or ".join(dict.fromkeys(type_name(w) for w in want))
    if get_origin(want) is list:
        (item,) = get_args(want)
        return "an array of " + {str: "strings", int: "integers"}.get(item, item.__name__)
    return _NAMES.get(want, getattr(want, "__name__", str(want)))


def _actual(value: Any) -> str:
    return {bool: "a boolean", str: "a string", int: "an integer", float: "a number",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


class Checker:
    """Checks the tables of one file; every error names the file and the dotted key.

    ``about(where)`` may add a hint to a message, e.g. which function a
    ``sink[3]`` entry lists, so the user finds the entry in a long file.
    """

    def __init__(self, path: Path | str, about: Callable[[str], str] | None = None) -> None:
        self.path = path
        self.about = about or (lambda _where: "")

    @staticmethod
    def key(where: str, key: str) -> str:
        return f"{where}.{key}" if where else key

    def fail(self, where: str, why: str) -> ConfigError:
        """``{path}: {where} {why}`` with the hint for ``where``."""
        hint = self.about(where.rstrip(":"))
        return ConfigError(f"{self.path}: {where} {why}{f' ({hint})' if hint else ''}")

    def unknown(self, where: str, key: str) -> ConfigError:
        hint = self.about(where)
        return ConfigError(f"{self.path}: unknown key {self.key(where, key)}"
                           f"{f' ({hint})' if hint else ''}")

    def table(self, raw: Any, where: str, keys: Mapping[str, Want],
              required: Iterable[str] = ()) -> dict[str, Any]:
        """The keys of ``raw`` that are present, checked; unknown or missing ones fail."""
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table")
        for key, value in raw.items():
            if key not in keys:
                raise self.unknown(where, key)
            self.value(value, keys[key], self.key(where, key))
        for key in required:
            if key not in raw:
                raise self.fail(self.key(where, key), "is required")
        return dict(raw)

    def value(self, value: Any, want: Want, where: str) -> Any:
        if not has_type(value, want):
            got = _actual(value)
            if isinstance(value, list) and get_origin(want) is list:
                (item,) = get_args(want)
                bad = next(v for v in value if not has_type(v, item))
                got = f"an array holding {_actual(bad)}"
            raise self.fail(where, f"must be {type_name(want)}, not {got}")
        return value

    def choice(self, value: str, allowed: Iterable[str], where: str) -> str:
        allowed = tuple(allowed)
        if value not in allowed:
            raise self.fail(f"{where}:", f"{value!r} is not one of {', '.join(allowed)}")
        return value
