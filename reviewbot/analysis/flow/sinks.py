"""Places where a CPU buffer reaches a device, and which way the data goes.

Three shapes reach a device: a call with the buffer as an argument
(``usb_control_msg``), a buffer stored in a transfer descriptor
(``xfer.rx_buf = buf``, ``{ .buf = b, .flags = I2C_M_RD | I2C_M_DMA_SAFE }``),
and a buffer attached to a scatterlist that a later call hands over. A helper
in the same file that passes its parameter to any of these is a sink too; the
caller supplies its extra sinks as ``helpers``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from reviewbot.analysis.facts.functions import (
    FileFacts,
    FunctionFacts,
    call_args,
    call_name,
    call_names,
    calls_to,
)
from reviewbot.analysis.facts.structs import base_type
from reviewbot.analysis.flow import fieldflow
from reviewbot.analysis.flow.resolver import Resolver
from reviewbot.knowledge import DirectionSpec, FieldSink, Sink
from reviewbot.model import Confidence

_IDENT = re.compile(r"\b[A-Za-z_]\w*")


@dataclass(frozen=True)
class SinkUse:
    """One buffer handed to a device at one line of one function.

    ``direction_param`` is set when the direction is a parameter of the
    enclosing function, so a helper built on this use inherits it.
    """

    function: str
    line: int
    sink: str
    via: str | None
    buffer: Node
    direction: str | None
    direction_param: DirectionSpec | None
    maps: bool
    confidence: Confidence
    vmalloc_ok: bool = False
    synchronous: bool = False  # the transfer is over when the call (or spi_sync) returns

    @property
    def inbound(self) -> bool:
        return self.direction in ("from_device", "bidirectional")


@dataclass(frozen=True)
class Helper:
    """A same-file function that forwards its parameter ``sink.buffer`` to ``via``."""

    sink: Sink
    via: str


def sink_uses(facts: FileFacts, fn: FunctionFacts,
              helpers: dict[str, tuple[Helper, ...]]) -> list[SinkUse]:
    finder = _Finder(facts, fn, helpers)
    return finder.calls() + finder.stores() + finder.initializers()


def direction_from_callers(facts: FileFacts, fn: FunctionFacts,
                           spec: DirectionSpec) -> str | None:
    """The direction callers in the same file pass for ``fn``'s parameter, if they agree."""
    found: set[str | None] = set()
    for caller, call in calls_to(facts, fn.name):
        finder = _Finder(facts, caller, {})
        found.add(finder.direction(spec, call_args(call), call)[0])
    return found.pop() if len(found) == 1 else None


class _Finder:
    def __init__(self, facts: FileFacts, fn: FunctionFacts,
                 helpers: dict[str, tuple[Helper, ...]]) -> None:
        self.facts = facts
        self.fn = fn
        self.helpers = helpers
        self.src = facts.src
        self.k = facts.knowledge
        self.resolver = Resolver(facts, fn)

    # -- calls
    def calls(self) -> list[SinkUse]:
        out = []
        for call, name in zip(self.fn.calls, call_names(self.facts, self.fn), strict=True):
            if name is None:
                continue
            known = self.k.sink(name)
            specs = [(known, None)] if known is not None else \
                [(h.sink, h.via) for h in self.helpers.get(name, ())]
            args = call_args(call)
            for sink, via in specs:
                if sink.buffer >= len(args):
                    continue
                direction, param = self.direction(sink.direction, args, call)
                confidence = sink.confidence
                if direction is None and param is None and sink.direction.kind == "via_object" \
                        and sink.direction.arg is not None and sink.direction.arg < len(args):
                    found, seen = fieldflow.field_object_direction(self, args[sink.direction.arg])
                    if seen and found is not None:  # the field is mapped in another function
                        direction, confidence = found, min(confidence, Confidence.MEDIUM)
                out.append(SinkUse(self.fn.name, call.start_point[0] + 1, name, via,
                                   self._unwrap(args[sink.buffer]), direction, param,
                                   sink.maps, confidence, sink.vmalloc_ok,
                                   sink.synchronous))
        return out

    def _unwrap(self, arg: Node) -> Node:
        """``virt_to_page(buf)`` names the buffer ``buf``."""
        while arg.type == "call_expression" and call_name(self.src, arg) in \
                self.k.buffer_wrappers and call_args(arg):
            arg = call_args(arg)[0]
        return arg

    def direction(self, spec: DirectionSpec, args: list[Node],
                  call: Node) -> tuple[str | None, DirectionSpec | None]:
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
            return self._object_direction(arg, call), None
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

    def _object_direction(self, obj: Node, attach: Node) -> str | None:
        target = _root_name(self.src.text_of(obj))
        found = set()
        for call in self.fn.calls:
            consumer = self.k.consumer(call_name(self.src, call) or "")
            if consumer is None:
                continue
            args = call_args(call)
            if consumer.object < len(args) and \
                    _root_name(self.src.text_of(args[consumer.object])) == target:
                found.add(self.direction(consumer.direction, args, call)[0])
        found |= fieldflow.object_directions(self, target)  # helpers, descriptor fields
        return found.pop() if len(found) == 1 else None

    def _waits(self) -> bool:
        """Whether this function waits for its transfers (spi_sync(&msg) after filling xfers)."""
        sync = self.k.synchronous_sinks
        return any(call_name(self.src, c) in sync and self.k.sink(call_name(self.src, c) or "")
                   is None for c in self.fn.calls)

    def _consumed(self, holder: str | None, consumers: tuple[str, ...]) -> bool:
        """Whether the descriptor variable is handed to one of the consumers here."""
        if holder is None:
            return False
        for call in self.fn.calls:
            if call_name(self.src, call) in consumers and any(
                    _root_name(self.src.text_of(a)) == holder for a in call_args(call)):
                return True
        return False

    # -- transfer descriptors filled field by field
    def stores(self) -> list[SinkUse]:
        out = []
        for lhs, rhs in self.fn.stores:
            path, obj = _field_path(self.src, lhs)
            for fs in self.k.field_sinks:
                if not _path_matches(path, fs.field):
                    continue
                holder = _strip_path(self.src, obj, path, fs.field)
                if not self._typed_ok(fs, holder):
                    continue
                holder_text = holder if isinstance(holder, str) else \
                    " ".join(self.src.text_of(holder).split())
                flags = self._stored_flags(holder_text, fs)
                use = self._field_use(fs, rhs, lhs, flags, _root_name(holder_text))
                if use is not None:
                    out.append(use)
        return out

    def _stored_flags(self, holder: str, fs: FieldSink) -> str:
        if fs.flags_field is None:
            return ""
        parts = []
        for lhs, rhs in self.fn.stores:
            path, obj = _field_path(self.src, lhs)
            if path == fs.flags_field and " ".join(self.src.text_of(obj).split()) == holder:
                parts.append(self.src.text_of(rhs))
        return " ".join(parts)

    def _typed_ok(self, fs: FieldSink, holder: str | Node) -> bool:
        if isinstance(holder, str):
            return fs.untyped
        typ = self.resolver.expr_type(holder)
        return typ == fs.struct if typ is not None else fs.untyped

    # -- transfer descriptors built by designated initialisers
    def initializers(self) -> list[SinkUse]:
        out = []
        for init in self.fn.initializers:
            struct, holder = self._initializer_type(init)
            for pairs in _element_lists(init):
                out.extend(self._pairs(pairs, struct, holder))
        return out

    def _initializer_type(self, init: Node) -> tuple[str | None, str | None]:
        """(struct name, variable name) of what an initialiser builds, where visible."""
        parent = init.parent
        if parent is not None and parent.type == "compound_literal_expression":
            ty = parent.child_by_field_name("type")
            return (base_type(self.src.text_of(ty)) if ty is not None else None), None
        holder = None
        while parent is not None and parent.type not in ("declaration",):
            if parent.type == "init_declarator":
                holder = _root_name(self.src.text_of(parent))
            parent = parent.parent
        if parent is None:
            return None, holder
        ty = parent.child_by_field_name("type")
        return (base_type(self.src.text_of(ty)) if ty is not None else None), holder

    def _pairs(self, pairs: list[tuple[str, Node]], struct: str | None,
               holder: str | None) -> list[SinkUse]:
        values = dict(pairs)
        out = []
        for path, value in pairs:
            for fs in self.k.field_sinks:
                if path != fs.field:
                    continue
                if (struct != fs.struct) if struct is not None else not fs.untyped:
                    continue
                flags = self.src.text_of(values[fs.flags_field]) \
                    if fs.flags_field and fs.flags_field in values else ""
                use = self._field_use(fs, value, value, flags, holder)
                if use is not None:
                    out.append(use)
        return out

    def _field_use(self, fs: FieldSink, value: Node, at: Node, flags: str,
                   holder: str | None) -> SinkUse | None:
        tokens = set(_IDENT.findall(flags))
        if fs.only_with_flag is not None and fs.only_with_flag not in tokens:
            return None  # the core bounces it
        if fs.consumers and not self._consumed(holder, fs.consumers):
            return None  # a descriptor the driver uses for itself
        if fs.direction.kind == "flag":
            direction: str | None = "from_device" if fs.direction.value in tokens else \
                "to_device"
        else:
            direction = fs.direction.value
        return SinkUse(self.fn.name, at.start_point[0] + 1, f"{fs.struct}.{fs.field}", None,
                       value, direction, None, False, Confidence.HIGH, fs.vmalloc_ok,
                       self._waits())


def _root_name(text: str) -> str:
    m = _IDENT.search(text)
    return m.group(0) if m else text


def _field_path(src, lhs: Node) -> tuple[str, Node]:
    """``op.data.buf.in`` -> ("data.buf.in", op); stops after the first '->'."""
    names = []
    node: Node | None = lhs
    while node is not None and node.type == "field_expression":
        fld = node.child_by_field_name("field")
        names.append(src.text_of(fld) if fld is not None else "?")
        op = node.child_by_field_name("operator")
        node_arg = node.child_by_field_name("argument")
        if op is not None and op.type == "->":
            node = node_arg
            break
        node = node_arg
    return ".".join(reversed(names)), node if node is not None else lhs


def _path_matches(path: str, field: str) -> bool:
    return path == field or path.endswith("." + field)


def _strip_path(src, obj: Node, path: str, field: str) -> str | Node:
    """The expression holding ``field``: the object itself, or its text if nested."""
    if path == field:
        return obj
    prefix = path[: -len(field) - 1]
    return " ".join(f"{src.text_of(obj)}.{prefix}".split())


def _element_lists(init: Node) -> list[list[tuple[str, Node]]]:
    """Designated pairs of each struct value in an initialiser (arrays of structs too)."""
    out = []
    stack = [(init, "")]
    while stack:
        node, prefix = stack.pop()
        pairs = []
        for child in node.named_children:
            if child.type == "initializer_list":
                stack.append((child, prefix))
            elif child.type == "initializer_pair":
                value = child.child_by_field_name("value")
                names = [d.text.decode().lstrip(".") for d in
                         child.children_by_field_name("designator")
                         if d.type == "field_designator" and d.text]
                if value is None or not names:
                    continue
                path = prefix + ".".join(names)
                if value.type == "initializer_list":
                    stack.append((value, path + "."))
                else:
                    pairs.append((path, value))
        if pairs:
            out.append(pairs)
    return out
