"""Knowledge of memory whose alignment is set by its container, not by kmalloc().

Two kinds, both data in config/dma.toml:

- ``[[context]]``: accessors that return a crypto tfm or request context,
  with the macro that context is aligned to. ``crypto_skcipher_ctx()`` gives
  memory aligned to ``CRYPTO_MINALIGN`` (= ``ARCH_KMALLOC_MINALIGN``), the
  ``_dma`` variants (v6.2) round up to ``CRYPTO_DMA_ALIGN``.
- ``[[cache_creator]]``: ``kmem_cache_create(name, size, align, flags, ctor)``
  and friends, with the argument that sets the objects' alignment (or the
  struct whose ``__alignof__`` does, for ``KMEM_CACHE``) and the flags that
  align to the cache line anyway.

Kept apart from knowledge.py so each file stays small; the reader there calls
``read_contexts`` / ``read_cache_creators`` with its validating reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ContextAccessor:
    function: str
    alignment: str  # the [[macro]] the returned memory is aligned to
    what: str  # "tfm" or "request": how messages name the context
    instead: str | None = None  # the accessor that aligns for DMA, for the fix


@dataclass(frozen=True)
class CacheCreator:
    function: str
    size: int | None  # argument index of the object size
    align: int | None  # argument index of the alignment
    struct: int | None  # argument index of a struct type whose alignment is used
    aligning_flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectField:
    """A descriptor field that hands the scatterlist stored into it to a device."""

    field: str
    direction: str


def read_object_fields(reader: Any, top: dict[str, Any]) -> tuple[ObjectField, ...]:
    out = []
    for entry, raw in reader.entries(top, "object_field"):
        t = reader.entry(raw, entry, {"field": str, "direction": str})
        reader.choice(t["direction"], ("to_device", "from_device", "bidirectional"),
                      reader.key(entry, "direction"))
        out.append(ObjectField(t["field"], t["direction"]))
    return tuple(out)


@dataclass(frozen=True)
class ClientBuffer:
    """A transfer descriptor field whose buffer a controller driver receives from a client.

    ``safe_with``: words whose presence in the controller's file shows it checks
    or bounces the buffer (``is_vmalloc_addr``, ``i2c_get_dma_safe_msg_buf``).
    """

    struct: str
    fields: tuple[str, ...]
    safe_with: tuple[str, ...]
    confidence: str
    why: str


def read_client_buffers(reader: Any, top: dict[str, Any]) -> tuple[ClientBuffer, ...]:
    out = []
    for entry, raw in reader.entries(top, "client_buffer"):
        t = reader.entry(raw, entry, {"struct": str, "fields": list[str],
                                      "safe_with": list[str], "confidence": str, "why": str})
        reader.confidence(t["confidence"], entry)
        out.append(ClientBuffer(t["struct"], tuple(t["fields"]), tuple(t["safe_with"]),
                                t["confidence"], t["why"]))
    return tuple(out)


def read_contexts(reader: Any, top: dict[str, Any]) -> tuple[ContextAccessor, ...]:
    out = []
    for entry, raw in reader.entries(top, "context"):
        t = reader.entry(raw, entry, {"functions": list[str], "alignment": str, "what": str},
                         {"dma_suffix": str})
        reader.choice(t["what"], ("tfm", "request"), reader.key(entry, "what"))
        suffix = t.get("dma_suffix")
        for fn in t["functions"]:
            out.append(ContextAccessor(fn, t["alignment"], t["what"],
                                       fn + suffix if suffix else None))
    return tuple(out)


def read_cache_creators(reader: Any, top: dict[str, Any]) -> tuple[CacheCreator, ...]:
    out = []
    for entry, raw in reader.entries(top, "cache_creator"):
        t = reader.entry(raw, entry, {"functions": list[str]},
                         {"size": int, "align": int, "struct": int, "aligning_flags": list[str]})
        if ("align" in t) == ("struct" in t):
            raise reader.field(entry, "align", "expected exactly one of align, struct")
        flags = tuple(t.get("aligning_flags", []))
        for fn in t["functions"]:
            out.append(CacheCreator(fn, t.get("size"), t.get("align"), t.get("struct"), flags))
    return tuple(out)


def check_macros(reader: Any, knowledge: Any) -> None:
    """Every context names a known macro of a known level."""
    for c in knowledge.contexts:
        if knowledge.macro(c.alignment) is None:
            raise reader.field(f"context ({c.function})", "alignment",
                              f"{c.alignment} is not a [[macro]]")
