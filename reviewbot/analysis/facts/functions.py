"""Per-function facts: the variables, assignments, stores and calls of one function.

Facts are deliberately flow-insensitive: a pointer's origins are every value
ever assigned to it in the function, which is what a reviewer reads too.
They are collected for a whole text at once (facts/file.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from reviewbot.analysis.c.expr import call_args, call_name
from reviewbot.analysis.c.parser import Source
from reviewbot.analysis.facts.structs import base_type


@dataclass(frozen=True)
class Var:
    """A named object: ``storage`` is "local", "static", "global" or "param"."""

    name: str
    type: str  # the declared type with pointer stars, e.g. "u8 *", "struct foo"
    array_len: str | None
    pointer: bool
    storage: str
    line: int
    index: int | None = None  # parameter position
    level: str | None = None  # isolation annotation on the declaration

    @property
    def struct(self) -> str:
        return base_type(self.type)


@dataclass
class FunctionFacts:
    name: str
    node: Node
    start_line: int
    end_line: int
    params: list[Var] = field(default_factory=list)
    vars: dict[str, Var] = field(default_factory=dict)
    # locals declared more than once, in different blocks (vub300: a stack 'buf' in one
    # branch, a kmalloc'd 'buf' in another): a name alone does not say which
    shadowed: set[str] = field(default_factory=set)
    assigns: dict[str, list[Node]] = field(default_factory=dict)
    stores: list[tuple[Node, Node]] = field(default_factory=list)  # (lhs field expr, rhs)
    # the member each store names last (``x->buf.in = v``: ``in``): whether any store
    # can fill a transfer descriptor is one set test
    stored_members: set[str] = field(default_factory=set)
    calls: list[Node] = field(default_factory=list)
    initializers: list[Node] = field(default_factory=list)

    def var(self, name: str) -> Var | None:
        return self.vars.get(name)

    def types(self) -> dict[str, str]:
        """Variable types as sizeof sees them (arrays keep their length)."""
        return {name: v.type if v.array_len is None else f"{v.type}[{v.array_len}]"
                for name, v in self.vars.items()}


def copies_param(src: Source, fn: FunctionFacts, index: int,
                 copy_from: dict[str, int]) -> bool:
    """Whether ``fn`` copies its parameter ``index`` (kmemdup, memcpy into a buffer).

    Such a helper is a copying API for that argument: what reaches the device
    is the copy (repaper_spi_transfer kmemdups a stack ``tx`` first), so the
    helper is not a sink for it, even if it also passes the original on.
    """
    param = next((p for p in fn.params if p.index == index), None)
    if param is None:
        return False
    name = re.escape(param.name)
    for call in fn.calls:
        callee = call_name(src, call)
        if callee not in copy_from:
            continue
        args = call_args(call)
        at = copy_from[callee]
        source = args[at] if at < len(args) else None
        if source is not None and re.fullmatch(rf"\(?\s*(?:\([^()]*\)\s*)?{name}\s*\)?",
                                               src.text_of(source).strip()):
            return True
    return False


