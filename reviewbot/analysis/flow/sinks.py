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
from functools import lru_cache

from tree_sitter import Node

from reviewbot.analysis.c.expr import (
    call_args,
    call_name,
    field_path,
    path_matches,
    root_name,
)
from reviewbot.analysis.c.parser import Source
from reviewbot.analysis.facts.functions import FunctionFacts
from reviewbot.analysis.facts.structs import base_type
from reviewbot.analysis.flow.directions import Directions
from reviewbot.analysis.flow.resolver import FileFlow
from reviewbot.analysis.flow.transfer import Transfer
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

    def transfer(self, buffer: str, direction: str | None) -> Transfer:
        """What the rules see of this use: plain data, the buffer named as a reviewer
        names it, the direction decided (from the callers, where it is a parameter)."""
        return Transfer(self.function, self.line, self.sink, self.via, buffer, direction,
                        self.maps, self.confidence, self.vmalloc_ok, self.synchronous)


@dataclass(frozen=True)
class Helper:
    """A same-file function that forwards its parameter ``sink.buffer`` to ``via``."""

    sink: Sink
    via: str


def sink_uses(flow: FileFlow, fn: FunctionFacts,
              helpers: dict[str, tuple[Helper, ...]]) -> list[SinkUse]:
    """Every buffer ``fn`` hands to a device: calls of sinks and of same-file helpers,
    stores into transfer descriptors, and designated initialisers of them."""
    finder = _Finder(flow, fn, helpers)
    return finder.calls() + finder.stores() + finder.initializers()


class _Finder:
    def __init__(self, flow: FileFlow, fn: FunctionFacts,
                 helpers: dict[str, tuple[Helper, ...]]) -> None:
        self.facts = flow.facts
        self.fn = fn
        self.helpers = helpers
        self.src = flow.facts.src
        self.k = flow.facts.knowledge
        self.resolver = flow.resolver(fn)
        self.directions = Directions(flow.facts, fn)

    # -- calls
    def calls(self) -> list[SinkUse]:
        out: list[SinkUse] = []
        names = self.facts.calls.names(self.fn)
        if self.k.sink_names().isdisjoint(names) and self.helpers.keys().isdisjoint(names):
            return out  # most functions call no sink and no helper: one test in C
        for call, name in zip(self.fn.calls, names, strict=True):
            if name is None:
                continue
            known = self.k.sink(name)
            specs = [(known, None)] if known is not None else \
                [(h.sink, h.via) for h in self.helpers.get(name, ())]
            if not specs:
                continue
            args = call_args(call)
            for sink, via in specs:
                if sink.buffer >= len(args):
                    continue
                direction, param = self.directions.of(sink.direction, args, call)
                confidence = sink.confidence
                if direction is None and param is None and sink.direction.kind == "via_object" \
                        and sink.direction.arg is not None and sink.direction.arg < len(args):
                    found, seen = self.directions.field_object(args[sink.direction.arg])
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
                    root_name(self.src.text_of(a)) == holder for a in call_args(call)):
                return True
        return False

    # -- transfer descriptors filled field by field
    def stores(self) -> list[SinkUse]:
        out: list[SinkUse] = []
        if _last_members(self.k.field_sinks).isdisjoint(self.fn.stored_members):
            return out  # no store names a descriptor's field: one test in C
        for lhs, rhs in self.fn.stores:
            path, obj = field_path(self.src, lhs)
            for fs in self.k.field_sinks:
                if not path_matches(path, fs.field):
                    continue
                holder = _strip_path(self.src, obj, path, fs.field)
                if not self._typed_ok(fs, holder):
                    continue
                holder_text = holder if isinstance(holder, str) else \
                    " ".join(self.src.text_of(holder).split())
                flags = self._stored_flags(holder_text, fs)
                use = self._field_use(fs, rhs, lhs, flags, root_name(holder_text))
                if use is not None:
                    out.append(use)
        return out

    def _stored_flags(self, holder: str, fs: FieldSink) -> str:
        if fs.flags_field is None:
            return ""
        parts = []
        for lhs, rhs in self.fn.stores:
            path, obj = field_path(self.src, lhs)
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
                holder = root_name(self.src.text_of(parent))
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


def _strip_path(src: Source, obj: Node, path: str, field: str) -> str | Node:
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


@lru_cache(maxsize=4)
def _last_members(field_sinks: tuple[FieldSink, ...]) -> frozenset[str]:
    """The member each field sink's path ends in (``buf.in``: ``in``): a store that
    fills one names it last."""
    return frozenset(fs.field.rsplit(".", 1)[-1] for fs in field_sinks)
