"""Buffers that start inside an allocation: descriptor tails and carved pieces.

Two shapes put a DMA buffer at an offset into one kmalloc() block:

- a tail: ``d = kmalloc(sizeof(*d) + ivsize + ...)`` and the IV, link table
  or result after the descriptor, ``(u8 *)(d + 1) + off`` or a flexible array
  member ``d->sg[]``; the CPU-written fields in front share its cache line
  unless the offset is a multiple of ``ARCH_DMA_MINALIGN``;
- carving: one block split into per-transfer pieces, ``buf + i * PIECE``.

Origins keep the offset as written, its value when constant, and the level it
is rounded to ("dma", "kmalloc", "none" for a known non-multiple, None when not
visible). A DMA-level rounding of the offset still relies on the block's own
start being aligned, which kmalloc() only promises to ``ARCH_KMALLOC_MINALIGN``:
that is a conditional hazard, for the rules to say so.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tree_sitter import Node

from reviewbot.analysis.c.expr import sum_left
from reviewbot.analysis.facts.structs import Field, StructDef, alignment_level, base_type
from reviewbot.analysis.flow import contexts, fieldflow
from reviewbot.analysis.flow.api import Values
from reviewbot.analysis.flow.origin import UNKNOWN, Origin, OriginKind, Placement

# Blocks whose offsets are followed: kmalloc memory, and slab-cache objects
# (a descriptor with its link table and IV in one kmem_cache object).
_BLOCK_CLASSES = ("kmalloc", "devm-kmalloc", "kmem-cache")
_ROUNDING = re.compile(r"\b(?:ALIGN|PTR_ALIGN|round_up|roundup|__ALIGN_KERNEL)\s*\(")
_RUNTIME_DMA = ("dma_get_cache_alignment", "cache_line_size")


def shifted(r: Values, node: Node, left: list[Origin]) -> list[Origin]:
    """``left`` origins of ``p + n``, with the offset ``n`` (scaled by ``*p``) added."""
    lhs = node.child_by_field_name("left")
    rhs = node.child_by_field_name("right")
    if lhs is None or rhs is None:
        return left
    elem = element_type(r, lhs)
    if elem is None:
        return left
    out = []
    for o in left:
        if not o.allocated_by(*_BLOCK_CLASSES):
            out.append(o)
            continue
        out.append(_add(r, o, elem, rhs))
    return out


def _add(r: Values, o: Origin, elem: str, rhs: Node) -> Origin:
    facts = r.facts
    rhs = _only_value(r, rhs)
    text = " ".join(facts.src.text_of(rhs).split())
    count = facts.evaluator.value(rhs, r.fn.types())
    name = base_type(elem)
    sdef = facts.structs.get(name)
    is_struct = sdef is not None or elem.strip().startswith(("struct ", "union "))
    elem_size = 1 if name == "void" else facts.evaluator.size_of_type(elem)
    own = None
    if is_struct and count == 1:
        term = f"sizeof(struct {name})"
        tail_of: str | None = (o.placement.tail_of if o.placement else None) or name
    else:
        term = text if elem_size == 1 else f"{text} * sizeof({elem.strip()})"
        own = _sizeof_own_struct(r, sum_left(rhs.parent), text)
        tail_of = (o.placement.tail_of if o.placement else None) or own
    value = count * elem_size if count is not None and elem_size is not None else None
    past = None  # (void *)d + sizeof(*d) [+ more]: past the struct d points to, as d + 1
    if not (is_struct and count == 1) and value is None and own is not None:
        past = facts.structs.get(own)
    rounded = rounding_level(r, rhs) if past is not None else None
    level: str | None
    if rounded is not None:
        level = rounded  # ALIGN(sizeof(*d), ARCH_DMA_MINALIGN)
    elif past is not None:
        level = "dma" if _has_dma_member(past) else "none"
    elif value is not None:
        level = "dma" if value % facts.knowledge.dma_minalign_bytes == 0 else "none"
    elif is_struct and count == 1 and sdef is not None and _has_dma_member(sdef):
        level = "dma"  # sizeof a struct with a DMA-aligned member is a multiple of it
    elif is_struct and count == 1 and sdef is not None:
        level = "none"  # visible, nothing DMA-aligned in it: a multiple only by chance
    else:
        level = rounding_level(r, rhs) or _product_level(r, rhs, elem_size)
    had = o.placement
    total = None if had is not None and had.bytes is None else value
    if had is not None and had.bytes is not None and value is not None:
        total = had.bytes + value
    combined = _combine(had.level if had is not None else None, level, had is not None)
    if total is not None:
        combined = "dma" if total % facts.knowledge.dma_minalign_bytes == 0 else "none"
    offset = f"{had.offset} + {term}" if had is not None and had.offset else term
    return replace(o, placement=Placement(offset, total, combined, tail_of))


def _only_value(r: Values, node: Node) -> Node:
    """A local offset variable assigned once (``off = ALIGN(sizeof(*info), 128);``) stands
    for its value; anything else is itself."""
    if node.type != "identifier":
        return node
    name = r.facts.src.text_of(node)
    var = r.fn.var(name)
    values = r.fn.assigns.get(name, [])
    if var is None or var.storage != "local" or var.pointer or len(values) != 1:
        return node
    return values[0]


def _sizeof_own_struct(r: Values, left: Node | None, text: str) -> str | None:
    """``(u8 *)d + sizeof(*d)``: an offset past the struct ``d`` points to is a tail."""
    if left is None or left.type != "identifier":
        return None
    name = r.facts.src.text_of(left)
    var = r.fn.var(name)
    if var is None or not var.pointer:
        return None
    struct = base_type(var.type)
    if re.search(r"sizeof\s*\(\s*(?:\*\s*" + re.escape(name) + r"|(?:struct\s+)?"
                 + re.escape(struct) + r")\s*\)", text):
        return struct
    return None


def _combine(before: str | None, term: str | None, had: bool) -> str | None:
    """Level of a sum of offsets: the weakest term's (none < unknown < kmalloc < dma)."""
    if not had:
        return term
    order = ("none", None, "kmalloc", "l1", "dma")
    return min(before, term, key=lambda x: order.index(x) if x in order else 1)


def _has_dma_member(sdef: StructDef) -> bool:
    return any(f.isolation == "dma" for f in sdef.fields)


def _product_level(r: Values, node: Node, elem_size: int | None) -> str | None:
    """``i * PIECE`` with a constant PIECE: a multiple of the DMA alignment, or not."""
    if node.type != "binary_expression" or elem_size is None:
        return None
    op = node.child_by_field_name("operator")
    if op is None or op.type != "*":
        return None
    for side in ("left", "right"):
        value = r.facts.evaluator.value(node.child_by_field_name(side), r.fn.types())
        if value is not None and value > 0:
            return "dma" if value * elem_size % r.facts.knowledge.dma_minalign_bytes == 0 \
                else "none"
    return None


def rounding_level(r: Values, node: Node) -> str | None:
    """The level an offset expression is rounded to: ALIGN(x, ARCH_DMA_MINALIGN) is "dma"."""
    text = r.facts.src.text_of(node)
    if not _ROUNDING.search(text):
        return None
    if any(w in text for w in _RUNTIME_DMA):
        return "dma"
    m = re.search(r",\s*([^,()]*(?:\([^()]*\))?[^,()]*)\)\s*$", text.strip())
    if m is None:
        return None
    level = alignment_level(m.group(1), r.facts.knowledge)
    if level is None and node.type == "call_expression":
        # a driver's own constant (#define OTX2_CPT_DMA_MINALIGN 128): its value decides
        args = node.child_by_field_name("arguments")
        last = args.named_children[-1] if args is not None and args.named_children else None
        if last is not None and last.type == "identifier":
            # int align = OTX2_CPT_DMA_MINALIGN; ... ALIGN(len, align): a local given
            # one value, never another, is that value
            # (a name never assigned is a macro's: evaluated as it is)
            given = r.fn.assigns.get(r.facts.src.text_of(last), [])
            if given:
                last = given[0] if len(given) == 1 else None
        value = r.facts.evaluator.value(last, r.fn.types()) if last is not None else None
        dma = r.facts.knowledge.dma_minalign_bytes
        if value is not None and value > 0:
            level = "dma" if value % dma == 0 else "none"
    return level


def element_type(r: Values, node: Node, depth: int = 0) -> str | None:
    """The type a pointer expression points to, as written (``struct foo``, ``u8``)."""
    if node is None or depth > 6:
        return None
    t = node.type
    src = r.facts.src
    if t == "parenthesized_expression" and node.named_children:
        return element_type(r, node.named_children[0], depth + 1)
    if t == "cast_expression":
        ty = node.child_by_field_name("type")
        text = src.text_of(ty) if ty is not None else ""
        return text.rstrip()[:-1].strip() if text.rstrip().endswith("*") else None
    if t == "identifier":
        var = r.fn.var(src.text_of(node))
        if var is None or not var.pointer:
            return None
        return var.type.rstrip()[:-1].strip()
    if t == "field_expression":
        sname = r.expr_type(node.child_by_field_name("argument"))
        sdef = r.facts.structs.get(sname) if sname else None
        fld = node.child_by_field_name("field")
        member = sdef.field(src.text_of(fld)) if sdef is not None and fld is not None else None
        if member is None or not (member.pointer or member.array_len is not None):
            return None
        return member.type
    if t == "binary_expression":
        left = node.child_by_field_name("left")
        return element_type(r, left, depth + 1) if left is not None else None
    return None


def member_of(r: Values, base: Node, sdef: StructDef, member: Field, depth: int,
              seen: frozenset[str]) -> list[Origin] | None:
    """A member reached through ``base->``: of a crypto context, or a kmalloc'd tail.

    None leaves it an ordinary embedded member.
    """
    containers = [o for o in r.value(base, depth + 1, seen) if o != UNKNOWN]
    if len(containers) == 1 and containers[0].kind is OriginKind.PARAM \
            and containers[0].param is not None:
        # a helper: what its callers pass
        containers = fieldflow.from_callers(r, containers[0].param, depth, seen) or []
    if not containers:
        return None
    if all(o.kind is OriginKind.CONTEXT for o in containers):
        # isolated only as well as the context is, and sharing lines with its neighbours
        # as any embedded member does: the neighbour judgement applies to it too
        site = r.member_site(base, sdef, member)
        return [replace(o, site=site)
                for o in contexts.member(containers[0], sdef, member)]
    flexible = member.array_len == "" and member is sdef.fields[-1]
    if flexible and all(o.allocated_by(*_BLOCK_CLASSES) and o.placement is None
                        for o in containers):
        level = "dma" if _has_dma_member(sdef) or member.isolation == "dma" else "none"
        offset = Placement(f"offsetof(struct {sdef.name}, {member.name})", None, level,
                           sdef.name)
        return [replace(o, what=f"the tail {member.name}[] of {o.what}", placement=offset)
                for o in containers]
    return None
