"""Tree profiles as data: shipped TOML files, JSON, and the text ``reviewbot profile`` prints.

A review without a tree still needs a profile: it uses one shipped with
reviewbot (``config/profiles/6.1.toml``, ``6.12.toml``), generated from the
real tree by bench/tree_profile.py with the same reader (profile.py), and
named by the user (``--assume 6.1``); ``mainline`` is the newest shipped.

The file format is the dataclasses of profile.py, field for field: tables
for nested facts, arrays of tables for tuples of them, and a missing key for
None (TOML has no null), which is "unknown". A bad file is a one-line
ConfigError naming the file and the dotted key (tomlcheck.py), because a
typo in a profile silently changes which findings bite.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reviewbot.analysis.facts.profile_model import (
    ArchProfile,
    Definition,
    MacroFact,
    Select,
    Stated,
    TreeProfile,
)
from reviewbot.errors import ConfigError
from reviewbot.resources import data_path
from reviewbot.tomlcheck import Checker, read_toml

SCHEMA = 1
MAINLINE = "mainline"  # the newest shipped profile


# ------------------------------------------------------------------ dicts

def as_dict(profile: TreeProfile, *, nulls: bool = False) -> dict[str, Any]:
    """The profile as plain data: tables, arrays, strings, numbers, booleans.
    Unknown facts are left out, or are None with ``nulls`` (JSON)."""
    out = _plain(profile, nulls)
    assert isinstance(out, dict)
    return out


def _plain(value: Any, nulls: bool) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if v is None and not nulls:
                continue
            out[f.name] = _plain(v, nulls)
        return out
    if isinstance(value, tuple | list):
        return [_plain(v, nulls) for v in value]
    return value


def to_json(profile: TreeProfile) -> str:
    return json.dumps(as_dict(profile, nulls=True), indent=2) + "\n"


def from_dict(raw: Any, checker: Checker) -> TreeProfile:
    """A TreeProfile from plain data, every key and type checked (errors name the key)."""
    profile = _build(TreeProfile, raw, "", checker)
    assert isinstance(profile, TreeProfile)
    return profile


@functools.cache
def _schema(cls: type) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """A class's field types, their coarse types and the required fields: the same for
    every instance, and ``get_type_hints`` per instance was most of reading a profile."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    wants = {name: _coarse(hints[name]) for name in fields}
    required = [n for n, f in fields.items()
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    return {n: hints[n] for n in fields}, wants, required


def _build(cls: type, raw: Any, where: str, checker: Checker) -> Any:
    hints, wants, required = _schema(cls)
    table = checker.table(raw, where, wants, required)
    values = {name: _convert(table[name], hints[name], checker.key(where, name), checker)
              for name in hints if name in table}
    return cls(**values)


def _optional(tp: Any) -> Any:
    """``X`` of ``X | None``; ``tp`` itself otherwise."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _coarse(tp: Any) -> Any:
    """The tomlcheck type of a field: a table for a dataclass, an array for a tuple."""
    tp = _optional(tp)
    if dataclasses.is_dataclass(tp):
        return dict
    if typing.get_origin(tp) is tuple:
        item = typing.get_args(tp)[0]
        return {str: list[str], int: list[int]}.get(item, list)
    return tp


def _convert(value: Any, tp: Any, where: str, checker: Checker) -> Any:
    tp = _optional(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _build(tp, value, where, checker)
    if typing.get_origin(tp) is tuple:
        (item, _) = typing.get_args(tp)
        return tuple(_convert(v, item, f"{where}[{i}]", checker) for i, v in enumerate(value))
    if tp is int and value <= 0 and where.rsplit(".", 1)[-1].startswith(("bytes", "values")):
        raise checker.fail(where, "must be a positive number of bytes")
    return value


# ------------------------------------------------------------------ TOML

def to_toml(profile: TreeProfile, source: str) -> str:
    """The shipped-profile file for ``profile``; ``source`` says where it was read from."""
    lines = [
        "# A tree profile (reviewbot/analysis/facts/profile.py), for reviews without a tree.",
        "# Generated by bench/tree_profile.py; do not edit by hand: regenerate it.",
        f"schema = {SCHEMA}",
        f"source = {_toml_value(source)}",
    ]
    _emit(as_dict(profile), [], lines)
    return "\n".join(lines) + "\n"


def _emit(table: dict[str, Any], path: list[str], lines: list[str]) -> None:
    def nested(v: Any) -> bool:
        return isinstance(v, dict) or (isinstance(v, list) and bool(v)
                                       and all(isinstance(x, dict) for x in v))
    for key, value in table.items():
        if not nested(value):
            lines.append(f"{key} = {_toml_value(value)}")
    for key, value in table.items():
        if isinstance(value, dict):
            lines += ["", f"[{'.'.join([*path, key])}]"]
            _emit(value, [*path, key], lines)
        elif nested(value):
            for item in value:
                lines += ["", f"[[{'.'.join([*path, key])}]]"]
                _emit(item, [*path, key], lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        inline = "[" + ", ".join(_toml_value(v) for v in value) + "]"
        if len(inline) <= 100:
            return inline
        return "[\n" + "".join(f"    {_toml_value(v)},\n" for v in value) + "]"
    raise TypeError(f"no TOML value for {value!r}")


# ------------------------------------------------------------------ shipped profiles

def profiles_dir() -> Path:
    return data_path("config/profiles")


def shipped_names() -> tuple[str, ...]:
    """The shipped profiles, oldest first (``6.1``, ``6.12``)."""
    names = [p.stem for p in profiles_dir().glob("*.toml")]
    return tuple(sorted(names, key=_version_key))


def profile_names() -> tuple[str, ...]:
    """What ``--assume`` accepts: every shipped profile, and ``mainline``."""
    return (*shipped_names(), MAINLINE)


def default_profile_name() -> str:
    """The profile a review without a tree uses unless told: the newest shipped."""
    names = shipped_names()
    if not names:
        raise ConfigError(f"{profiles_dir()}: no shipped tree profiles")
    return names[-1]


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in name.split("."))


def load_profile(name: str) -> TreeProfile:
    """The shipped profile ``name`` (``mainline``: the newest); ConfigError when there is
    no such profile or its file is bad."""
    if name == MAINLINE:
        name = default_profile_name()
    if name not in shipped_names():
        raise ConfigError(f"no shipped tree profile {name!r} "
                          f"(shipped: {', '.join(profile_names())})")
    return read_profile_file(profiles_dir() / f"{name}.toml")


def read_profile_file(path: Path) -> TreeProfile:
    """A profile file, validated: unknown keys, wrong types, a bad schema fail naming the key."""
    raw = read_toml(path)
    checker = Checker(path)
    schema = raw.pop("schema", None)
    if schema is None:
        raise checker.fail("schema", "is required")
    if schema != SCHEMA:
        raise checker.fail("schema", f"is version {schema!r}, not {SCHEMA}")
    checker.value(raw.pop("source", ""), str, "source")
    profile = from_dict(raw, checker)
    names = [a.name for a in profile.arches]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise checker.fail(f"arches[{i}].name", f"repeats architecture {n!r}")
    return profile


# ------------------------------------------------------------------ text

def render_text(profile: TreeProfile) -> str:
    """The profile as ``reviewbot profile`` prints it: each fact and where the tree says it."""
    p = profile
    out = [f"Linux {p.version}" if p.version else "Linux (version unknown: no Makefile)"]
    k = p.kmalloc_minimum
    if k is None:
        out.append("kmalloc alignment: unknown")
    elif k.function:
        lowered = (f", lowered to {k.lowered_to} when {' and '.join(k.lowered_when)}"
                   if k.lowered_to else "")
        out.append(f"kmalloc alignment: at boot, {k.function}() ({k.at}): "
                   f"{k.starts_from}{lowered}")
    else:
        out.append(f"kmalloc alignment: {k.starts_from} ({k.at})")
    b = p.bounce_check
    if p.has_bounce_check is None:
        out.append("small kmalloc bounce: unknown")
    elif b is None:
        out.append("small kmalloc bounce: none (no dma_kmalloc_needs_bounce())")
    else:
        parts = [f"with {' and '.join(b.requires)}" +
                 (f" (depends on {', '.join(b.depends)})" if b.depends else "")]
        if b.skips_coherent:
            parts.append("not for a coherent device")
        parts += [f"not {d}" for d in b.skips_directions]
        if b.size_bound:
            parts.append(f"not at or above {b.size_bound}")
        if b.checks_size_class:
            parts.append("not when the kmalloc size class is aligned")
        parts.append("called in " + (", ".join(b.callers) or "nothing read"))
        out.append(f"small kmalloc bounce: dma_kmalloc_needs_bounce() ({b.at}): "
                   + "; ".join(parts))
    out.append("non-coherent DMA needs: " + (
        f"{' or '.join(p.noncoherent_symbols)} ({p.noncoherent_symbols_at})"
        if p.noncoherent_symbols else "unknown"))
    out.append("devres data: " + (f"__aligned({p.devres_align.expression}) "
                                  f"({p.devres_align.at})" if p.devres_align else "unknown"))
    for name, defs in (("IIO_DMA_MINALIGN", p.iio_dma_minalign),
                       ("CRYPTO_MINALIGN", p.crypto_minalign),
                       ("CRYPTO_DMA_ALIGN", p.crypto_dma_align)):
        out.append(f"{name}: " + ("unknown" if defs is None else _definitions(defs)
                                  if defs else "not defined"))
    out.append("crypto *_ctx_dma helpers: " + (
        "unknown" if p.ctx_dma_helpers is None else
        "none" if not p.ctx_dma_helpers else
        f"{len(p.ctx_dma_helpers)} ({', '.join(p.ctx_dma_helpers)})"))
    out.append(f"spi_map_buf() maps vmalloc pages: {_stated(p.spi_maps_vmalloc)}")
    out.append(f"USB HCD refuses stack buffers: {_stated(p.usb_hcd_refuses_stack)}")
    apis = [f"{a.name} {'yes' if a.exists else 'no' if a.exists is False else 'unknown'}"
            + (f" ({a.at})" if a.at else "") for a in p.copying_apis]
    out.append("copying APIs: " + ("; ".join(apis) or "unknown"))
    out.append("")
    out.append(f"architectures ({len(p.arches)}):")
    for a in p.arches:
        out += _arch_text(a)
    out.append("")
    out.append(f"files read: {len(p.files)}")
    return "\n".join(out) + "\n"


def _definitions(defs: Iterable[Definition]) -> str:
    return "; ".join(f"{d.expression}" + (f" if {d.when}" if d.when else "") + f" ({d.at})"
                     for d in defs)


def _stated(s: Stated | None) -> str:
    return "unknown" if s is None else f"{'yes' if s.value else 'no'} ({s.at})"


def _arch_text(a: ArchProfile) -> list[str]:
    out = [f"  {a.name}" + (f" ({a.symbol})" if a.symbol else "")]
    for m in (a.l1_cache_bytes, a.dma_minalign, a.kmalloc_minalign):
        out += _macro_text(m)
    for d in a.dma_get_cache_alignment:
        out.append(f"    dma_get_cache_alignment(): {d.expression}"
                   + (f" when {d.when}" if d.when else "") + f" ({d.at})")
    for label, sel in (("non-coherent DMA", a.noncoherent),
                       ("DMA_BOUNCE_UNALIGNED_KMALLOC", a.bounce_unaligned_kmalloc),
                       ("SWIOTLB", a.swiotlb), ("HAVE_ARCH_VMAP_STACK", a.vmap_stack)):
        out.append(f"    {label}: {_selects_text(sel)}")
    return out


def _macro_text(m: MacroFact) -> list[str]:
    values = "unknown" if m.values is None else ", ".join(map(str, m.values))
    out = [f"    {m.name}: {values}"]
    for d in m.definitions:
        bytes_ = ", ".join(map(str, d.bytes)) if d.bytes else "?"
        out.append(f"      {d.expression} = {bytes_}" + (f" when {d.when}" if d.when else "")
                   + f" ({d.at})")
    return out


def _selects_text(selects: tuple[Select, ...] | None) -> str:
    if selects is None:
        return "unknown"
    if not selects:
        return "no"
    parts = []
    for s in selects:
        what = s.symbol if s.symbol not in ("SWIOTLB", "HAVE_ARCH_VMAP_STACK",
                                            "DMA_BOUNCE_UNALIGNED_KMALLOC") else ""
        head = "yes" if s.when is None else f"when {s.when}"
        parts.append(f"{head} ({' '.join(x for x in (what, s.at) if x)})")
    return "; ".join(parts)
