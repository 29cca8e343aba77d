"""Where the memory behind a buffer expression comes from.

A DMA hazard is a property of the memory, not of the expression handed to the
API: ``buf + 2``, ``(u8 *)p``, ``&st->rx[0]`` and a pointer assigned three
lines earlier all lead back to a stack array, a kmalloc call, a struct member
or a caller's parameter. Anything not visible in the text is "unknown", and
rules stay silent on unknown memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from tree_sitter import Node

from reviewbot.analysis.facts.functions import FileFacts, FunctionFacts, Var, call_args, call_name
from reviewbot.analysis.facts.structs import Field, base_type
from reviewbot.analysis.flow import clients, contexts, fieldflow, tails
from reviewbot.analysis.flow.neighbours import LazyNeighbours

_MAX_DEPTH = 12


@dataclass(frozen=True)
class Origin:
    """One possible origin of a buffer.

    kind: "stack", "static", "heap" (``cls`` is the allocator class), "embedded"
    (a member of a struct; ``level`` is its isolation), "param" (``param`` is
    the index) or "unknown". ``certain`` is False when the pointer may also
    point elsewhere.
    """

    kind: str
    what: str
    line: int | None = None
    cls: str | None = None
    allocator: str | None = None
    size: int | None = None
    size_text: str | None = None
    struct: str | None = None
    field: str | None = None
    level: str | None = None
    annotation: str | None = None
    param: int | None = None
    certain: bool = True
    # Where inside the allocation the buffer starts (tails.py): the offset as
    # written, its value when constant, the alignment level it is rounded to,
    # and the struct whose end it starts at (a tail buffer) or None (carving).
    offset: str | None = None
    offset_bytes: int | None = None
    offset_level: str | None = None
    tail_of: str | None = None
    # The alignment macro the containing object is guaranteed (contexts.py:
    # a crypto context is aligned to CRYPTO_MINALIGN, not ARCH_DMA_MINALIGN),
    # and the accessor or cache it came through.
    container: str | None = None
    container_via: str | None = None
    via: str | None = None  # the same-file helper whose return value it is (fieldflow.py)
    # embedded: who shares its cache lines, for an asynchronous and a synchronous sink
    neighbours: LazyNeighbours | None = None
    arch: str | None = None  # embedded: the one architecture the driver builds for
    starts_region: bool = False  # embedded: the annotation is on the member itself


UNKNOWN = Origin("unknown", "memory of unknown origin")


class Resolver:
    """Resolves expressions of one function against the facts of its file."""

    def __init__(self, facts: FileFacts, fn: FunctionFacts) -> None:
        self.facts = facts
        self.fn = fn
        self.src = facts.src

    def origins(self, node: Node) -> list[Origin]:
        """The origins of ``node``; remembered per file, since helper discovery and the
        checks ask for the same sink arguments (the answer depends only on the facts)."""
        memo = self.facts.__dict__.setdefault("_origins", {})
        key = (id(self.fn), node.start_byte, node.end_byte, node.type)
        if key not in memo:
            memo[key] = self._origins(node)
        return list(memo[key])

    def _origins(self, node: Node) -> list[Origin]:
        found = self._value(node, 0, frozenset())
        if any(o.kind == "heap" and o.cls == "vmalloc" for o in found) and \
                self._tests_vmalloc(node):
            found = [UNKNOWN]  # the code asks which memory it has and branches on it
        unique = list(dict.fromkeys(found))
        if len(unique) > 1:
            unique = [replace(o, certain=False) for o in unique]
        return unique or [UNKNOWN]

    def _tests_vmalloc(self, node: Node) -> bool:
        """Whether the file branches on ``is_vmalloc_addr(buffer)`` (kvmalloc users do)."""
        text = " ".join(self.src.text_of(node).split())
        pattern = r"\bis_vmalloc_addr\s*\(\s*(?:\([^()]*\)\s*)?" + re.escape(text) + r"\s*\)"
        return re.search(pattern, self.src.text.decode("utf-8", "replace")) is not None

    # -- values: what a pointer-valued expression points to
    def _value(self, node: Node | None, depth: int, seen: frozenset[str]) -> list[Origin]:
        if node is None or depth > _MAX_DEPTH:
            return [UNKNOWN]
        t = node.type
        text = self.src.text_of
        if t in ("parenthesized_expression", "cast_expression"):
            inner = node.child_by_field_name("value") or (node.named_children[-1]
                                                          if node.named_children else None)
            return self._value(inner, depth + 1, seen)
        if t == "pointer_expression":
            if text(node).lstrip().startswith("&"):
                return self._address(node.child_by_field_name("argument"), depth + 1, seen)
            return [UNKNOWN]
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and op.type in ("+", "-"):
                left = self._value(node.child_by_field_name("left"), depth + 1, seen)
                if left != [UNKNOWN] and op.type == "+":
                    return tails.shifted(self, node, left)
                if left != [UNKNOWN] or op.type == "-":
                    return left
                return self._value(node.child_by_field_name("right"), depth + 1, seen)
            return [UNKNOWN]
        if t == "conditional_expression":
            return (self._value(node.child_by_field_name("consequence"), depth + 1, seen)
                    + self._value(node.child_by_field_name("alternative"), depth + 1, seen))
        if t == "string_literal":
            return [Origin("static", "a string literal", node.start_point[0] + 1)]
        if t == "identifier":
            return self._identifier(text(node), depth, seen)
        if t == "field_expression":
            return self._field(node, depth, seen, address=False)
        if t == "subscript_expression":
            return [UNKNOWN]  # an element's value, e.g. bufs[i]: not followed
        if t == "call_expression":
            return self._call(node, depth, seen)
        return [UNKNOWN]

    def _identifier(self, name: str, depth: int, seen: frozenset[str]) -> list[Origin]:
        var = self.fn.var(name)
        if var is None:
            var = self.facts.globals.get(name)
            if var is None:
                return [UNKNOWN]
        if var.array_len is not None:  # an array decays to its own address
            return [self._storage_origin(var, f"array '{name}'")]
        if var.storage == "param":
            return [Origin("param", f"parameter '{name}'", var.line, param=var.index)]
        if not var.pointer or name in seen or var.storage == "global":
            return [UNKNOWN]
        out: list[Origin] = []
        for value in self.fn.assigns.get(name, []):
            out.extend(self._value(value, depth + 1, seen | {name}))
        return out or [UNKNOWN]

    def _storage_origin(self, var: Var, what: str) -> Origin:
        if var.storage == "local" or var.storage == "param":
            return Origin("stack", f"the stack {what}", var.line)
        kind = "static" if var.storage == "static" else "global"
        return Origin("static", f"the {kind} {what}", var.line)

    # -- addresses: &x, &x[i], &x->f
    def _address(self, node: Node | None, depth: int, seen: frozenset[str]) -> list[Origin]:
        if node is None:
            return [UNKNOWN]
        t = node.type
        if t == "parenthesized_expression" and node.named_children:
            return self._address(node.named_children[0], depth + 1, seen)
        if t == "identifier":
            name = self.src.text_of(node)
            var = self.fn.var(name) or self.facts.globals.get(name)
            if var is None:
                return [UNKNOWN]
            return [self._storage_origin(var, f"variable '{name}'")]
        if t == "subscript_expression":
            return self._value(node.child_by_field_name("argument"), depth + 1, seen)
        if t == "field_expression":
            return self._field(node, depth, seen, address=True)
        return [UNKNOWN]

    # -- struct members
    def _field(self, node: Node, depth: int, seen: frozenset[str],
               address: bool) -> list[Origin]:
        base = node.child_by_field_name("argument")
        fld = node.child_by_field_name("field")
        op = node.child_by_field_name("operator")
        if base is None or fld is None:
            return [UNKNOWN]
        name = self.src.text_of(fld)
        arrow = op is not None and op.type == "->"
        sdef_name = self.expr_type(base)
        sdef = self.facts.structs.get(sdef_name) if sdef_name else None
        member = sdef.field(name) if sdef is not None else None
        if (member is not None and member.pointer) or (member is None and not address):
            found = self._field_values(name, base, sdef_name, depth, seen)
            if found == [UNKNOWN]:  # a controller's transfer descriptor: its client's buffer
                return clients.client_origin(self, node) or found
            return found
        inline = member is not None and (member.array_len is not None or address)
        if not arrow:
            container = self._address(base, depth + 1, seen)
            if any(o.kind in ("stack", "static") for o in container):
                return [replace(o, what=f"{o.what} (member '{name}')")
                        for o in container if o.kind in ("stack", "static")]
        if not inline or member is None or sdef is None:
            return [UNKNOWN]
        if arrow:  # what the struct itself is: a kmalloc'd descriptor, a crypto context
            special = tails.member_of(self, base, sdef, member, depth, seen)
            if special is not None:
                return special
        return [replace(_embedded(sdef.name, member, sdef.path), arch=self.facts.only_arch,
                        neighbours=LazyNeighbours(self.facts, self.fn, base, sdef, member))]

    def _field_values(self, name: str, base: Node, struct: str | None, depth: int,
                      seen: frozenset[str]) -> list[Origin]:
        """Heap memory stored into this member anywhere in the file.

        A field name alone is not enough (``->data`` of an skb is not the
        ``->data`` of a driver's coherent block): a store counts when both
        holders have the same struct type, or, where a type is not visible,
        the same last name (``buffer_info->rx_buffer`` for ``buffer_info->rx_buffer``).
        """
        key = "->" + name
        if key in seen:
            return [UNKNOWN]
        out: list[Origin] = []
        here: list[Origin] = []  # heap memory stored by this function: what it sees
        mixed = False
        want = _last_name(self.src.text_of(base))
        for value, fn, holder in self.facts.field_values.get(name, []):
            resolver = self if fn is self.fn else Resolver(self.facts, fn)
            if holder is not None:
                theirs = resolver.expr_type(holder)
                if struct is not None and theirs is not None:
                    if theirs != struct:
                        continue
                elif _last_name(self.src.text_of(holder)) != want:
                    continue
            for o in resolver._value(value, depth + 1, seen | {key}):
                if o.kind == "heap":
                    out.append(o)
                    if fn is self.fn:
                        here.append(o)
                elif fn is self.fn and not fieldflow.no_memory(self.facts, value):
                    mixed = True  # also set here to what cannot be followed (PTR_ALIGN())
        if here and mixed:
            return [*here, UNKNOWN]
        return here or out or [UNKNOWN]

    def _call(self, node: Node, depth: int, seen: frozenset[str]) -> list[Origin]:
        name = call_name(self.src, node)
        if name is None:
            return [UNKNOWN]
        knowledge = self.facts.knowledge
        if name in knowledge.buffer_wrappers:
            args = call_args(node)
            return self._value(args[0], depth + 1, seen) if args else [UNKNOWN]
        alloc = knowledge.allocator(name)
        if alloc is None:
            found = contexts.accessor_origin(self, name, node)
            if found is None:
                found = fieldflow.returned(self, name, node, depth, seen)
            return found if found is not None else [UNKNOWN]
        args = call_args(node)
        size: int | None = None
        size_text = None
        if alloc.size_args and all(i < len(args) for i in alloc.size_args):
            size_text = " * ".join(self.src.text_of(args[i]) for i in alloc.size_args)
            size = 1
            for i in alloc.size_args:
                v = self.facts.evaluator.value(args[i], self.fn.types())
                size = None if v is None or size is None else size * v
        contiguous = alloc.cls == "coherent" and any(
            "DMA_ATTR_FORCE_CONTIGUOUS" in self.src.text_of(a) for a in args)
        heap = Origin("heap", f"{name}() memory", node.start_point[0] + 1, cls=alloc.cls,
                      allocator=name, size=size, size_text=size_text,
                      annotation="DMA_ATTR_FORCE_CONTIGUOUS" if contiguous else None)
        return [contexts.cache_object(self, heap, args) if alloc.cls == "kmem-cache" else heap]

    # -- types
    def expr_type(self, node: Node | None, depth: int = 0) -> str | None:
        """Struct (or base type) name of an expression, when visible."""
        if node is None or depth > 6:
            return None
        t = node.type
        if t == "identifier":
            name = self.src.text_of(node)
            var = self.fn.var(name) or self.facts.globals.get(name)
            return var.struct if var is not None else None
        if t in ("subscript_expression", "parenthesized_expression", "pointer_expression"):
            inner = node.child_by_field_name("argument") or (
                node.named_children[0] if node.named_children else None)
            return self.expr_type(inner, depth + 1)
        if t == "field_expression":
            sname = self.expr_type(node.child_by_field_name("argument"), depth + 1)
            sdef = self.facts.structs.get(sname) if sname else None
            fld = node.child_by_field_name("field")
            member = sdef.field(self.src.text_of(fld)) if sdef and fld is not None else None
            return base_type(member.type) if member is not None else None
        return None


def _last_name(text: str) -> str:
    """``priv->tx[i].info`` -> ``info``; ``buf[n]`` -> ``buf``."""
    names = re.findall(r"[A-Za-z_]\w*", re.sub(r"\[[^\]]*\]", "", text))
    return names[-1] if names else text


def _embedded(struct: str, member: Field, header: str | None = None) -> Origin:
    if header is not None:  # a line number alone would point into the wrong file
        return Origin("embedded", f"member '{member.name}' of struct {struct} "
                      f"({header}:{member.line})", None, struct=struct, field=member.name,
                      level=member.isolation, annotation=member.annotation,
                      starts_region=member.starts_region)
    return Origin("embedded", f"member '{member.name}' of struct {struct}", member.line,
                  struct=struct, field=member.name, level=member.isolation,
                  annotation=member.annotation, starts_region=member.starts_region)
