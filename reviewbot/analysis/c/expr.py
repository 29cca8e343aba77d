"""Reading C expressions off the tree: call names and arguments, member paths, roots.

Every layer above asks the same few questions of a node (which function
does this call name, what are its arguments, which variable does
``&st->xfer[1].rx_buf`` start from); they are answered here, once, instead of
by a private helper in each module that needs one.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from reviewbot.analysis.c.parser import Source

_IDENT = re.compile(r"\b[A-Za-z_]\w*")
_NAMES = re.compile(r"[A-Za-z_]\w*")
_SUBSCRIPT = re.compile(r"\[[^\]]*\]")
_WRAPPERS = ("parenthesized_expression", "cast_expression")


def call_name(src: Source, call: Node) -> str | None:
    """The function a call names (``foo`` of ``foo(x)``); None for calls through pointers."""
    fn = call.child_by_field_name("function")
    if fn is not None and fn.type == "identifier":
        return src.text_of(fn)
    return None


def call_args(call: Node) -> list[Node]:
    """The argument expressions of a call, in order."""
    args = call.child_by_field_name("arguments")
    return list(args.named_children) if args is not None else []


def unwrapped(node: Node) -> Node | None:
    """``node`` with casts and parentheses taken off (``(u8 *)(p)`` -> ``p``).

    None when a wrapper has nothing inside it (an ERROR-recovered tree).
    """
    current: Node | None = node
    while current is not None and current.type in _WRAPPERS:
        current = current.child_by_field_name("value") or (
            current.named_children[-1] if current.named_children else None)
    return current


def root_name(text: str) -> str:
    """The first identifier of an expression's text: ``st->xfer[0]`` -> ``st``."""
    m = _IDENT.search(text)
    return m.group(0) if m else text


def last_name(text: str) -> str:
    """The last identifier outside subscripts: ``priv->tx[i].info`` -> ``info``."""
    names = _NAMES.findall(_SUBSCRIPT.sub("", text))
    return names[-1] if names else text


def field_path(src: Source, lhs: Node) -> tuple[str, Node]:
    """``op.data.buf.in`` -> ("data.buf.in", op); stops after the first ``->``."""
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


def path_matches(path: str, field: str) -> bool:
    """Whether a member path ends in ``field`` (``xfer.rx_buf`` matches ``rx_buf``)."""
    return path == field or path.endswith("." + field)


def member_named(src: Source, node: Node) -> str | None:
    """The member ``&x->sg`` or ``x->sg`` names (``sg``), through ``&`` and parentheses."""
    target = node
    while target.type in ("pointer_expression", "parenthesized_expression") and \
            target.named_children:
        target = target.child_by_field_name("argument") or target.named_children[0]
    if target.type != "field_expression":
        return None
    fld = target.child_by_field_name("field")
    return src.text_of(fld) if fld is not None else None


def root_variable(src: Source, node: Node) -> str | None:
    """The variable an expression is, under ``&``, ``*``, casts and parentheses; else None."""
    while node.type in ("pointer_expression", "parenthesized_expression", "cast_expression") \
            and node.named_children:
        node = node.child_by_field_name("argument") or node.child_by_field_name("value") or \
            node.named_children[-1]
    return src.text_of(node) if node.type == "identifier" else None


def sum_left(node: Node | None) -> Node | None:
    """The left operand of ``p + n`` with casts and parentheses taken off."""
    if node is None:
        return None
    left = node.child_by_field_name("left")
    return unwrapped(left) if left is not None else None


def buffer_text(text: str) -> str:
    """The buffer as a reviewer names it: whitespace collapsed, leading casts dropped."""
    text = " ".join(text.split())
    while True:
        m = _CAST.match(text)
        if not m or m.end() == len(text):
            return text
        text = text[m.end():]


_CAST = re.compile(r"^\(\s*(?:const\s+)?(?:struct\s+)?\w+\s*\**\s*\)\s*")
