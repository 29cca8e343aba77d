"""Which way the data of a transfer goes: to the device, from it, or both.

A sink's entry in config/dma.toml says where its direction is written
(``DirectionSpec``): fixed, a ``DMA_*`` argument, a USB pipe, a request
type, or the object the buffer is attached to (a scatterlist handed to a
consumer later). The last one is followed through the function, through
same-file helpers that take the scatterlist as a parameter, through stores
of it into descriptor fields whose direction the data knows, and, for a
scatterlist that is a struct member, through the consumers of that member in
any function of the file. Unknown stays None: rules stay silent on it.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from reviewbot.analysis.c.expr import (
    call_args,
    call_name,
    field_path,
    member_named,
    path_matches,
    root_name,
    root_variable,
)
from reviewbot.analysis.facts.file import FileFacts
from reviewbot.analysis.facts.functions import FunctionFacts
from reviewbot.knowledge import DirectionSpec, ObjectField

_IDENT = re.compile(r"\b[A-Za-z_]\w*")
_MAX_HELPER_DEPTH = 3


class Directions:
    """Directions of the transfers of one function."""

    def __init__(self, facts: FileFacts, fn: FunctionFacts) -> None:
        self.facts = facts
        self.fn = fn
        self.src = facts.src
        self.k = facts.knowledge

    def of(self, spec: DirectionSpec, args: list[Node],
           call: Node) -> tuple[str | None, DirectionSpec | None]:
        """(direction, None), or (None, spec of the enclosing function's parameter) when the
        direction is a parameter of this function: a helper built on it inherits it."""
        if spec.kind == "fixed":
            return spec.value, None
        if spec.arg is None or spec.arg >= len(args):
            return None, None
        arg = args[spec.arg]
        text = self.src.text_of(arg)
        param = self.fn.var(text.strip())
        if param is not None and param.storage == "param" and spec.kind != "via_object":
            return None, DirectionSpec(spec.kind, arg=param.index)
        if spec.kind == "dma_dir_arg":
            return dict(self.k.directions.dma_dir).get(text.strip()), None
        if spec.kind == "pipe_arg":
            return self._pipe(arg), None
        if spec.kind == "request_type_arg":
            return self._request_type(text), None
        if spec.kind == "via_object":
            return self._object_direction(arg), None
        return None, None

    def _pipe(self, arg: Node) -> str | None:
        pipes = dict(self.k.directions.pipe)
        values = [arg]
        if arg.type == "identifier":
            values = self.fn.assigns.get(self.src.text_of(arg), [])
        found = {pipes.get(call_name(self.src, v) or "") for v in values
                 if v.type == "call_expression"}
        return found.pop() if len(found) == 1 else None

    def _request_type(self, text: str) -> str | None:
        d = self.k.directions
        tokens = _IDENT.findall(text)
        if any(t in d.request_type_in for t in tokens):
            return "from_device"
        if any(t in d.request_type_out for t in tokens) or (
                tokens and all(t.startswith(d.request_type_prefix) for t in tokens)):
            return "to_device"  # USB_DIR_OUT is 0: a request type without USB_DIR_IN
        if not tokens:
            try:
                return "from_device" if int(text.strip(), 0) & d.request_type_in_bit \
                    else "to_device"
            except ValueError:
                return None
        return None

    def _object_direction(self, obj: Node) -> str | None:
        target = root_name(self.src.text_of(obj))
        found = set()
        for call in self.fn.calls:
            consumer = self.k.consumer(call_name(self.src, call) or "")
            if consumer is None:
                continue
            args = call_args(call)
            if consumer.object < len(args) and \
                    root_name(self.src.text_of(args[consumer.object])) == target:
                found.add(self.of(consumer.direction, args, call)[0])
        found |= self._object_directions(target)  # helpers, descriptor fields
        return found.pop() if len(found) == 1 else None

    def field_object(self, obj: Node) -> tuple[str | None, bool]:
        """Direction of ``&x->sg`` from consumers of ``->sg`` in any function of the file.

        Returns (direction, found): found is False when no consumer names the field,
        so the caller's own answer stands.
        """
        field = member_named(self.src, obj)
        if field is None:
            return None, False
        found: set[str | None] = set()
        for fn, call in self.facts.member_calls(field):
            if fn is self.fn:
                continue
            consumer = self.k.consumer(call_name(self.src, call) or "")
            if consumer is None:
                continue
            args = call_args(call)
            if consumer.object < len(args) and \
                    member_named(self.src, args[consumer.object]) == field:
                found.add(Directions(self.facts, fn).of(consumer.direction, args, call)[0])
        if not found:
            return None, False
        return (found.pop() if len(found) == 1 else None), True

    def _object_directions(self, target: str, depth: int = 0) -> set[str | None]:
        """Directions a scatterlist variable ``target`` gets beyond the known consumers.

        Two more ways reach a device: a same-file helper taking the scatterlist
        as a parameter and handing it on (``smp_execute_task_sg(dev, &req, &resp)``),
        and a store of it into a descriptor field the data knows the direction
        of (``task->smp_task.smp_resp = *resp``, [[object_field]]).
        """
        src = self.src
        k = self.k
        found: set[str | None] = set()
        for lhs, rhs in self.fn.stores:
            fo = _object_field(self, lhs)
            if fo is not None and root_variable(src, rhs) == target:
                found.add(fo.direction)
        if depth >= _MAX_HELPER_DEPTH:
            return found
        for call in self.fn.calls:
            name = call_name(src, call)
            if not name or k.consumer(name) is not None or k.sink(name) is not None:
                continue
            args = call_args(call)
            hits = [i for i, a in enumerate(args) if root_variable(src, a) == target]
            if not hits:
                continue
            callee = self.facts.calls.named(name)
            if len(callee) != 1 or callee[0] is self.fn:
                continue
            inner = Directions(self.facts, callee[0])
            for i in hits:
                param = next((p for p in callee[0].params if p.index == i), None)
                if param is not None and param.pointer:
                    found |= inner._consumed_param(param.name, depth + 1)
        return found

    def _consumed_param(self, name: str, depth: int) -> set[str | None]:
        src = self.src
        found: set[str | None] = set()
        for call in self.fn.calls:
            consumer = self.k.consumer(call_name(src, call) or "")
            args = call_args(call)
            if consumer is not None and consumer.object < len(args) and \
                    root_name(src.text_of(args[consumer.object])) == name:
                direction, param = self.of(consumer.direction, args, call)
                found.add(direction if param is None else None)
        return found | self._object_directions(name, depth)


def from_callers(facts: FileFacts, fn: FunctionFacts, spec: DirectionSpec) -> str | None:
    """The direction callers in the same file pass for ``fn``'s parameter, if they agree."""
    found: set[str | None] = set()
    for caller, call in facts.calls.to(fn.name):
        found.add(Directions(facts, caller).of(spec, call_args(call), call)[0])
    return found.pop() if len(found) == 1 else None


def _object_field(d: Directions, lhs: Node) -> ObjectField | None:
    path, _obj = field_path(d.src, lhs)
    for fo in d.k.object_fields:
        if path_matches(path, fo.field):
            return fo
    return None
