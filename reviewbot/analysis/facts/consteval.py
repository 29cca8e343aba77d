"""Constant sizes: literals, ``sizeof`` of visible types, and simple #defines.

The kmalloc-small rule needs to know whether ``kmalloc(sizeof(*rx), ...)`` is
below a cache line; anything not computable here is "unknown" (None), never a
guess.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from reviewbot.analysis.c.parser import Source
from reviewbot.analysis.facts.structs import StructDef, Structs, base_type
from reviewbot.knowledge import Knowledge

_INT = re.compile(r"^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$")
# No '^' anchor: a pattern starting with '#' is searched for by its first
# byte, four times faster than trying '^' at every position; the line start
# is checked per match.
_DEFINE = re.compile(
    rb"#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+\(?([0-9][0-9a-fA-FxX]*)[uUlL]*\)?[ \t]*$",
    re.M)


def simple_defines(text: bytes) -> dict[str, int]:
    """``#define NAME 64`` style object macros of the file."""
    out = {}
    for m in _DEFINE.finditer(text):
        if text[text.rfind(b"\n", 0, m.start()) + 1:m.start()].strip(b" \t"):
            continue  # '#' not at the start of its line
        try:
            out[m.group(1).decode()] = int(m.group(2), 0)
        except ValueError:
            continue
    return out


class Evaluator:
    """Evaluates integer constant expressions against one file's definitions.

    The file's ``#define NAME 64`` macros are read when a name is first looked up
    (``simple_defines(src.text)``): most analyses never ask.
    """

    def __init__(self, src: Source, knowledge: Knowledge, structs: Structs) -> None:
        self.src = src
        self.knowledge = knowledge
        self.structs = structs
        self._defines: dict[str, int] | None = None

    @property
    def defines(self) -> dict[str, int]:
        if self._defines is None:
            self._defines = simple_defines(self.src.text)
        return self._defines

    def value(self, node: Node | None, types: dict[str, str] | None = None,
              depth: int = 0) -> int | None:
        """Integer value of an expression; ``types`` maps variable names to their types."""
        if node is None or depth > 12:
            return None
        t = node.type
        if t == "number_literal":
            m = _INT.match(self.src.text_of(node))
            return int(m.group(1), 0) if m else None
        if t == "parenthesized_expression" and node.named_child_count == 1:
            return self.value(node.named_children[0], types, depth + 1)
        if t == "identifier":
            return self.defines.get(self.src.text_of(node))
        if t == "binary_expression":
            left = self.value(node.child_by_field_name("left"), types, depth + 1)
            right = self.value(node.child_by_field_name("right"), types, depth + 1)
            op = node.child_by_field_name("operator")
            if left is None or right is None or op is None:
                return None
            return _apply(op.type, left, right)
        if t == "sizeof_expression":
            ty = node.child_by_field_name("type")
            if ty is not None:
                return self.size_of_type(self.src.text_of(ty))
            return self.size_of_expr(node.child_by_field_name("value"), types or {}, depth)
        return None

    def size_of_expr(self, node: Node | None, types: dict[str, str], depth: int) -> int | None:
        if node is None:
            return None
        if node.type == "parenthesized_expression" and node.named_child_count == 1:
            node = node.named_children[0]
        if node.type == "pointer_expression" and self.src.text_of(node).startswith("*"):
            inner = node.child_by_field_name("argument")
            if inner is not None and inner.type == "identifier":
                ty = types.get(self.src.text_of(inner), "")
                if ty.endswith("*"):
                    return self.size_of_type(ty[:-1].strip())
            return None
        if node.type == "identifier":  # a variable, or a type the parser took for one
            name = self.src.text_of(node)
            return self.size_of_type(types.get(name) or name)
        return None

    def size_of_type(self, type_text: str, depth: int = 0) -> int | None:
        """sizeof a type; arrays written ``T[N]``. None when any part is not visible."""
        type_text = type_text.strip()
        if depth > 8:
            return None
        m = re.match(r"^(.*)\[(.*)\]$", type_text)
        if m:
            elem = self.size_of_type(m.group(1), depth + 1)
            count = _int_or_define(m.group(2), self.defines)
            return elem * count if elem is not None and count is not None else None
        if type_text.endswith("*"):
            return 8
        name = base_type(type_text)
        known = self.knowledge.size_of(name)
        if known is not None:
            return known
        sdef = self.structs.get(name)
        if sdef is None:
            return None
        return self._struct_size(sdef, depth)

    def _struct_size(self, sdef: StructDef, depth: int) -> int | None:
        offset = 0
        widest = 1
        for f in sdef.fields:
            if f.pointer:
                size = align = 8
            else:
                elem = self.size_of_type(f.type, depth + 1)
                if elem is None:
                    return None
                align = min(elem, 8) or 1
                count = 1 if f.array_len is None else _int_or_define(f.array_len, self.defines)
                if count is None:
                    return None
                size = elem * count
            if f.annotation is not None:
                return None  # explicit alignment: layout depends on the architecture
            offset = (offset + align - 1) // align * align + size
            widest = max(widest, align)
        return (offset + widest - 1) // widest * widest


def _int_or_define(text: str, defines: dict[str, int]) -> int | None:
    text = text.strip()
    m = _INT.match(text)
    if m:
        return int(m.group(1), 0)
    return defines.get(text)


def _apply(op: str, a: int, b: int) -> int | None:
    if op == "*":
        return a * b
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "/" and b:
        return a // b
    if op == "<<" and 0 <= b < 64:
        return a << b
    if op == "|":
        return a | b
    return None
