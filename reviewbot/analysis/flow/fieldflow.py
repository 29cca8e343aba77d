"""Buffers that travel through same-file helpers and struct fields.

Drivers rarely allocate a DMA buffer where they map it. The usual shapes:

- an allocation helper, ``static void *foo_alloc_buf(...) { return kzalloc(16, ...); }``,
  whose result is stored or mapped elsewhere: a call to a same-file function
  resolves to what all of its ``return`` statements give (``NULL``,
  ``ERR_PTR()`` and ``0`` returns aside); a returned parameter resolves to the
  caller's argument, so ``to_ctx(tfm) { return crypto_tfm_ctx(tfm); }`` is
  seen through;
- ``req->buf = kzalloc(16, ...)`` in an init function and
  ``sg_init_one(&req->sg, req->buf, 16)`` in another, with the scatterlist
  mapped in a third: the field's stored values are followed by the resolver
  (``FileFacts.stores``); the direction of such a scatterlist comes from the
  consumers of that field anywhere in the file (sinks.py).
"""

from __future__ import annotations

from dataclasses import replace

from tree_sitter import Node

from reviewbot.analysis.c.expr import call_args, call_name
from reviewbot.analysis.facts.file import FileFacts
from reviewbot.analysis.facts.functions import FunctionFacts
from reviewbot.analysis.flow.api import Values
from reviewbot.analysis.flow.origin import UNKNOWN, Origin, OriginKind

_NO_MEMORY = ("NULL", "0", "ERR_PTR", "ERR_CAST")
_MAX_RETURNS = 16


def returned(r: Values, name: str, node: Node, depth: int,
             seen: frozenset[str]) -> list[Origin] | None:
    """What a same-file function called ``name`` returns, or None when not visible."""
    key = "()" + name
    if key in seen:
        return None
    fns = r.facts.calls.named(name)
    if len(fns) != 1 or fns[0] is r.fn:
        return None
    callee = fns[0]
    values = return_values(r.facts, callee)
    if not values:
        return None
    inner = r.at(callee)
    args = call_args(node)
    out: list[Origin] = []
    for v in values:
        for o in inner.value(v, depth + 1, seen | {key}):
            if o.kind is OriginKind.PARAM and o.param is not None and o.param < len(args):
                out.extend(r.value(args[o.param], depth + 1, seen | {key}))
            elif o == UNKNOWN:
                return None
            else:
                o = _sized_by_caller(r, callee, o, args)
                out.append(o if o.via else replace(o, via=name,
                                                   what=f"{o.what}, returned by {name}()"))
    return out or None


def _sized_by_caller(r: Values, callee: FunctionFacts, o: Origin, args: list[Node]) -> Origin:
    """``alloc_resp(int size) { return kzalloc(size, ...); }``: the caller gives the size."""
    if o.kind is not OriginKind.HEAP or o.alloc is None or o.alloc.size is not None \
            or not o.alloc.size_text:
        return o
    param = next((p for p in callee.params if p.name == o.alloc.size_text.strip()), None)
    if param is None or param.index is None or param.index >= len(args):
        return o
    arg = args[param.index]
    size = r.facts.evaluator.value(arg, r.fn.types())
    text = " ".join(r.facts.src.text_of(arg).split())
    return replace(o, alloc=replace(o.alloc, size=size, size_text=text))


def from_callers(r: Values, index: int, depth: int,
                 seen: frozenset[str]) -> list[Origin] | None:
    """What same-file callers pass as parameter ``index`` of ``r.fn``; None if any is unknown."""
    key = "(" + r.fn.name
    if key in seen:
        return None
    out: list[Origin] = []
    for caller, call in r.facts.calls.to(r.fn.name):
        if caller is r.fn:
            continue
        args = call_args(call)
        if index >= len(args):
            return None
        found = r.at(caller).value(args[index], depth + 1, seen | {key})
        if not found or UNKNOWN in found or any(o.kind is OriginKind.PARAM for o in found):
            return None
        out.extend(found)
    return out or None


def return_values(facts: FileFacts, fn: FunctionFacts) -> list[Node]:
    """The expressions ``fn`` returns, without the ones that carry no memory."""
    out: list[Node] = []
    stack = [fn.node.child_by_field_name("body")]
    while stack and len(out) <= _MAX_RETURNS:
        node = stack.pop()
        if node is None:
            continue
        if node.type == "return_statement":
            if node.named_children:
                value = node.named_children[0]
                if not no_memory(facts, value):
                    out.append(value)
            continue
        if node.type in ("function_definition",):
            continue
        stack.extend(node.named_children)
    return out if len(out) <= _MAX_RETURNS else []


def no_memory(facts: FileFacts, value: Node) -> bool:
    """``NULL``, ``0``, ``ERR_PTR(...)``: a value that carries no memory."""
    text = facts.src.text_of(value).strip()
    if text in _NO_MEMORY:
        return True
    return value.type == "call_expression" and call_name(facts.src, value) in _NO_MEMORY
