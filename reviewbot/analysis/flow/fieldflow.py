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
  mapped in a third: the field's stored values are followed by origins.py
  (``field_values``), and the direction of a scatterlist that is a struct
  field comes from the consumers of that field anywhere in the file
  (``field_object_direction``), at medium confidence because only the field
  name ties them together.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tree_sitter import Node

from reviewbot.analysis.facts.functions import FunctionFacts, ask, call_args, call_name, calls_to

if TYPE_CHECKING:
    from reviewbot.analysis.facts.functions import FileFacts
    from reviewbot.analysis.flow.resolver import Origin, Resolver

_NO_MEMORY = ("NULL", "0", "ERR_PTR", "ERR_CAST")
_MAX_RETURNS = 16


def returned(r: Resolver, name: str, node: Node, depth: int,
             seen: frozenset[str]) -> list[Origin] | None:
    """What a same-file function called ``name`` returns, or None when not visible."""
    from reviewbot.analysis.flow.resolver import UNKNOWN, Resolver

    key = "()" + name
    if key in seen:
        return None
    ask(r.facts, name)
    fns = [fn for fn in r.facts.functions if fn.name == name]
    if len(fns) != 1 or fns[0] is r.fn:
        return None
    callee = fns[0]
    values = return_values(r.facts, callee)
    if not values:
        return None
    inner = Resolver(r.facts, callee)
    args = call_args(node)
    out: list[Origin] = []
    for v in values:
        for o in inner._value(v, depth + 1, seen | {key}):
            if o.kind == "param" and o.param is not None and o.param < len(args):
                out.extend(r._value(args[o.param], depth + 1, seen | {key}))
            elif o == UNKNOWN:
                return None
            else:
                o = _sized_by_caller(r, callee, o, args)
                out.append(o if o.via else replace(o, via=name,
                                                   what=f"{o.what}, returned by {name}()"))
    return out or None


def _sized_by_caller(r: Resolver, callee: FunctionFacts, o: Origin, args: list[Node]) -> Origin:
    """``alloc_resp(int size) { return kzalloc(size, ...); }``: the caller gives the size."""
    if o.kind != "heap" or o.size is not None or not o.size_text:
        return o
    param = next((p for p in callee.params if p.name == o.size_text.strip()), None)
    if param is None or param.index is None or param.index >= len(args):
        return o
    arg = args[param.index]
    size = r.facts.evaluator.value(arg, r.fn.types())
    text = " ".join(r.facts.src.text_of(arg).split())
    return replace(o, size=size, size_text=text)


def from_callers(r: Resolver, index: int, depth: int,
                 seen: frozenset[str]) -> list[Origin] | None:
    """What same-file callers pass as parameter ``index`` of ``r.fn``; None if any is unknown."""
    from reviewbot.analysis.flow.resolver import UNKNOWN, Resolver

    key = "(" + r.fn.name
    if key in seen:
        return None
    ask(r.facts, r.fn.name)
    out: list[Origin] = []
    for caller, call in calls_to(r.facts, r.fn.name):
        if caller is r.fn:
            continue
        args = call_args(call)
        if index >= len(args):
            return None
        found = Resolver(r.facts, caller)._value(args[index], depth + 1, seen | {key})
        if not found or UNKNOWN in found or any(o.kind == "param" for o in found):
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


def field_object_direction(finder, obj: Node) -> tuple[str | None, bool]:
    """Direction of ``&x->sg`` from consumers of ``->sg`` in any function of the file.

    Returns (direction, found): found is False when no consumer names the field,
    so the caller's own answer stands.
    """
    src = finder.src
    target = obj
    while target.type in ("pointer_expression", "parenthesized_expression") and \
            target.named_children:
        target = target.child_by_field_name("argument") or target.named_children[0]
    if target.type != "field_expression":
        return None, False
    fld = target.child_by_field_name("field")
    if fld is None:
        return None, False
    field = src.text_of(fld)
    ask(finder.facts, field, member=True)
    found: set[str | None] = set()
    for fn in finder.facts.functions:
        if fn is finder.fn:
            continue
        other = type(finder)(finder.facts, fn, {})
        for call in fn.calls:
            consumer = finder.k.consumer(call_name(src, call) or "")
            if consumer is None:
                continue
            args = call_args(call)
            if consumer.object < len(args) and _names_field(src, args[consumer.object], field):
                found.add(other.direction(consumer.direction, args, call)[0])
    if not found:
        return None, False
    return (found.pop() if len(found) == 1 else None), True


def _names_field(src, arg: Node, field: str) -> bool:
    node = arg
    while node.type in ("pointer_expression", "parenthesized_expression") and \
            node.named_children:
        node = node.child_by_field_name("argument") or node.named_children[0]
    if node.type != "field_expression":
        return False
    fld = node.child_by_field_name("field")
    return fld is not None and src.text_of(fld) == field


def object_directions(finder, target: str, depth: int = 0) -> set[str | None]:
    """Directions a scatterlist variable ``target`` gets beyond the known consumers.

    Two more ways reach a device: a same-file helper taking the scatterlist
    as a parameter and handing it on (``smp_execute_task_sg(dev, &req, &resp)``),
    and a store of it into a descriptor field the data knows the direction
    of (``task->smp_task.smp_resp = *resp``, [[object_field]]).
    """
    src = finder.src
    k = finder.k
    found: set[str | None] = set()
    for lhs, rhs in finder.fn.stores:
        fo = _object_field(k, src, lhs)
        if fo is not None and _root(src, rhs) == target:
            found.add(fo.direction)
    if depth >= 3:
        return found
    for call in finder.fn.calls:
        name = call_name(src, call)
        if not name or k.consumer(name) is not None or k.sink(name) is not None:
            continue
        args = call_args(call)
        hits = [i for i, a in enumerate(args) if _root(src, a) == target]
        if not hits:
            continue
        ask(finder.facts, name)
        callee = [fn for fn in finder.facts.functions if fn.name == name]
        if len(callee) != 1 or callee[0] is finder.fn:
            continue
        inner = type(finder)(finder.facts, callee[0], {})
        for i in hits:
            param = next((p for p in callee[0].params if p.index == i), None)
            if param is not None and param.pointer:
                found |= _consumed_param(inner, param.name, depth + 1)
    return found


def _consumed_param(finder, name: str, depth: int) -> set[str | None]:
    from reviewbot.analysis.flow.sinks import _root_name

    src = finder.src
    found: set[str | None] = set()
    for call in finder.fn.calls:
        consumer = finder.k.consumer(call_name(src, call) or "")
        args = call_args(call)
        if consumer is not None and consumer.object < len(args) and \
                _root_name(src.text_of(args[consumer.object])) == name:
            direction, param = finder.direction(consumer.direction, args, call)
            found.add(direction if param is None else None)
    return found | object_directions(finder, name, depth)


def _object_field(k, src, lhs: Node):
    from reviewbot.analysis.flow.sinks import _field_path

    path, _obj = _field_path(src, lhs)
    for fo in k.object_fields:
        if path == fo.field or path.endswith("." + fo.field):
            return fo
    return None


def _root(src, node: Node) -> str | None:
    while node.type in ("pointer_expression", "parenthesized_expression", "cast_expression") \
            and node.named_children:
        node = node.child_by_field_name("argument") or node.child_by_field_name("value") or \
            node.named_children[-1]
    return src.text_of(node) if node.type == "identifier" else None
