"""Memory aligned by its container: crypto contexts and slab-cache objects.

A crypto driver's context comes from ``crypto_skcipher_ctx(tfm)`` or
``skcipher_request_ctx(req)``: it sits at the end of a kmalloc'd tfm or
request, aligned to ``CRYPTO_MINALIGN`` (= ``ARCH_KMALLOC_MINALIGN``). A member
marked ``__aligned(ARCH_DMA_MINALIGN)`` inside it is aligned only relative to
the context's start, so the whole context, and every member of it, takes
inbound DMA safely only while kmalloc aligns to ``ARCH_DMA_MINALIGN``.

An object of ``kmem_cache_create(name, size, align, flags, ctor)`` is aligned
to ``align`` (at least ``ARCH_SLAB_MINALIGN``), never to kmalloc's minimum, so
``align`` below ``ARCH_DMA_MINALIGN`` is a hazard for objects that take
inbound DMA today, on any tree. Which cache an allocation uses is found by
following the cache argument to the ``kmem_cache_create`` stored into the
same variable or field in this file.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tree_sitter import Node

from reviewbot.analysis.c.expr import call_args, call_name, unwrapped
from reviewbot.analysis.facts.structs import Field, StructDef, alignment_level
from reviewbot.analysis.flow.api import Values
from reviewbot.analysis.flow.origin import (
    Allocation,
    Container,
    Origin,
    OriginKind,
    embedded,
)
from reviewbot.knowledge import CacheCreator

_RUNTIME_DMA = ("dma_get_cache_alignment", "cache_line_size")
_KMEM_CACHE = re.compile(r"^\s*\w+\s*\(\s*(?:struct\s+)?(\w+)")


def accessor_origin(r: Values, name: str, node: Node) -> list[Origin] | None:
    """A crypto context returned by a known accessor, with the alignment it guarantees."""
    acc = r.facts.knowledge.context(name)
    if acc is None:
        return None
    macro = r.facts.knowledge.macro(acc.alignment)
    return [Origin(OriginKind.CONTEXT, f"the crypto {acc.what} context from {name}()",
                   node.start_point[0] + 1, alloc=Allocation(name),
                   level=macro.level if macro is not None else None,
                   container=Container(acc.alignment, name))]


def member(ctx: Origin, sdef: StructDef, fld: Field) -> list[Origin]:
    """A member of a crypto context: isolated inside it, but only as aligned as it."""
    via = ctx.container.via if ctx.container is not None else None
    return [replace(embedded(sdef.name, fld, sdef.path), container=ctx.container,
                    what=f"member '{fld.name}' of struct {sdef.name}, the crypto context "
                         f"from {via}()")]


def cache_object(r: Values, heap: Origin, args: list[Node]) -> Origin:
    """A kmem_cache_alloc() object, with its cache's alignment when this file creates it."""
    if not args:
        return heap
    created = _creation(r, args[0])
    if created is None:
        return heap
    call, creator = created
    cargs = call_args(call)
    src = r.facts.src
    # The flags are searched in the whole call: KMEM_CACHE's type argument
    # (``struct foo``) does not parse as an expression, so indexes may shift.
    text = src.text_of(call)
    aligning = [f for f in creator.aligning_flags if re.search(r"\b" + re.escape(f) + r"\b",
                                                               text)]
    if aligning:
        level: str | None = "dma"
        align = aligning[0]
    elif creator.align is not None and creator.align < len(cargs):
        align = " ".join(src.text_of(cargs[creator.align]).split())
        level = _align_level(r, cargs[creator.align], align)
    else:
        m = _KMEM_CACHE.match(src.text_of(call))
        sdef = r.facts.structs.get(m.group(1)) if m else None
        align = f"__alignof__(struct {m.group(1)})" if m else "the struct's alignment"
        level = "dma" if sdef is not None and any(f.isolation == "dma" for f in sdef.fields) \
            else (None if sdef is None else "none")
    size = None
    size_text = heap.size_text
    if creator.size is not None and creator.size < len(cargs):
        size_text = " ".join(src.text_of(cargs[creator.size]).split())
        size = r.facts.evaluator.value(cargs[creator.size], r.fn.types())
    assert heap.alloc is not None
    return replace(heap, what=f"an object of the slab cache created at line "
                              f"{call.start_point[0] + 1}",
                   level=level, annotation=f"{call_name(src, call)}(..., {align}, ...)",
                   alloc=replace(heap.alloc, size=size, size_text=size_text),
                   container=Container(None, call_name(src, call)))


def _align_level(r: Values, node: Node, text: str) -> str | None:
    if any(w in text for w in _RUNTIME_DMA):
        return "dma"
    level = alignment_level(text, r.facts.knowledge)
    if level is not None:
        return level
    value = r.facts.evaluator.value(node, r.fn.types())
    if value is not None:
        return "dma" if value >= r.facts.knowledge.dma_minalign_bytes else "none"
    return None


def _creation(r: Values, cache: Node) -> tuple[Node, CacheCreator] | None:
    """(the kmem_cache_create call, its creator) stored into ``cache``'s variable or field."""
    src = r.facts.src
    k = r.facts.knowledge
    values: list[Node] = []
    if cache.type == "identifier":
        values.extend(r.facts.assignments(src.text_of(cache)))
    elif cache.type == "field_expression":
        fld = cache.child_by_field_name("field")
        if fld is not None:
            values.extend(store.value for store in r.facts.stores.of(src.text_of(fld)))
    found = []
    for value in values:
        v = unwrapped(value)
        if v is None or v.type != "call_expression":
            continue
        called = call_name(src, v)
        creator = k.cache_creator(called) if called else None
        if creator is not None:
            found.append((v, creator))
    return found[0] if len(found) == 1 else None
