"""Where the memory behind a buffer expression comes from.

A DMA hazard is a property of the memory, not of the expression handed to the
API: ``buf + 2``, ``(u8 *)p``, ``&st->rx[0]`` and a pointer assigned three
lines earlier all lead back to a stack array, a kmalloc call, a struct member
or a caller's parameter. Anything not visible in the text is "unknown", and
rules stay silent on unknown memory.

The resolver knows the plain shapes itself and asks the providers for the
rest (tails.py, contexts.py, clients.py, fieldflow.py), handing itself to
them as the flow API (api.py). ``FileFlow`` is the per-file state: the
resolvers, the memo of answers, and the member sites whose neighbourhoods a
rule may ask for.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tree_sitter import Node

from reviewbot.analysis.c.expr import call_args, call_name, last_name
from reviewbot.analysis.facts.file import FileFacts
from reviewbot.analysis.facts.functions import FunctionFacts, Var
from reviewbot.analysis.facts.layout import field_size
from reviewbot.analysis.facts.structs import Field, StructDef, base_type
from reviewbot.analysis.flow import clients, contexts, fieldflow, tails
from reviewbot.analysis.flow.neighbours import Neighbours
from reviewbot.analysis.flow.origin import (
    UNKNOWN,
    Allocation,
    MemberSite,
    Origin,
    OriginKind,
    embedded,
)
from reviewbot.analysis.flow.sharing import Neighbourhood

_MAX_DEPTH = 12

_SiteKey = tuple[int, int, int, int, str]


class FileFlow:
    """The flow state of one file's facts: resolvers, answers, member sites.

    Built once per ``FileFacts`` (a new parse round builds a new one), so
    nothing outlives the facts it was computed from.
    """

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self.neighbours = Neighbours(facts)
        self._resolvers: dict[int, Resolver] = {}
        self._origins: dict[tuple[int, int, int, str], list[Origin]] = {}
        self._site_keys: dict[_SiteKey, MemberSite] = {}
        self._sites: list[tuple[FunctionFacts, Node, StructDef, Field]] = []

    def resolver(self, fn: FunctionFacts) -> Resolver:
        """The resolver of one function (one per function and file)."""
        found = self._resolvers.get(id(fn))
        if found is None:
            found = self._resolvers[id(fn)] = Resolver(self, fn)
        return found

    def origins(self, fn: FunctionFacts, node: Node) -> list[Origin]:
        """The origins of ``node`` in ``fn``; remembered, since helper discovery and the
        checks ask for the same sink arguments (the answer depends only on the facts)."""
        key = (id(fn), node.start_byte, node.end_byte, node.type)
        if key not in self._origins:
            self._origins[key] = self.resolver(fn).resolve(node)
        return list(self._origins[key])

    def site(self, fn: FunctionFacts, base: Node, sdef: StructDef, member: Field) -> MemberSite:
        key = (id(fn), base.start_byte, base.end_byte, id(sdef), member.name)
        found = self._site_keys.get(key)
        if found is None:
            found = self._site_keys[key] = MemberSite(len(self._sites))
            self._sites.append((fn, base, sdef, member))
        return found

    def neighbourhood(self, site: MemberSite, synchronous: bool) -> Neighbourhood:
        """Who shares the site's cache lines, for an asynchronous or synchronous sink."""
        fn, base, sdef, member = self._sites[site.index]
        return self.neighbours.of(fn, base, sdef, member, synchronous)

    def same(self, a: Origin, b: Origin) -> bool:
        """Whether two origins are one: equal, and at sites with the same neighbourhoods."""
        if a != b or (a.site is None) != (b.site is None):
            return False
        if a.site is None or b.site is None or a.site == b.site:
            return True
        return all(self.neighbourhood(a.site, s) == self.neighbourhood(b.site, s)
                   for s in (False, True))


class Resolver:
    """Resolves expressions of one function against the facts of its file."""

    def __init__(self, flow: FileFlow, fn: FunctionFacts) -> None:
        self.flow = flow
        self.facts = flow.facts
        self.fn = fn
        self.src = flow.facts.src

    def origins(self, node: Node) -> list[Origin]:
        """The origins of ``node`` (remembered per file)."""
        return self.flow.origins(self.fn, node)

    def resolve(self, node: Node) -> list[Origin]:
        found = self.value(node, 0, frozenset())
        if any(o.allocated_by("vmalloc") for o in found) and self._tests_vmalloc(node):
            found = [UNKNOWN]  # the code asks which memory it has and branches on it
        unique: list[Origin] = []
        for o in found:
            if not any(self.flow.same(o, u) for u in unique):
                unique.append(o)
        if len(unique) > 1:
            unique = [replace(o, certain=False) for o in unique]
        return unique or [UNKNOWN]

    def _tests_vmalloc(self, node: Node) -> bool:
        """Whether the file branches on ``is_vmalloc_addr(buffer)`` (kvmalloc users do)."""
        text = " ".join(self.src.text_of(node).split())
        pattern = r"\bis_vmalloc_addr\s*\(\s*(?:\([^()]*\)\s*)?" + re.escape(text) + r"\s*\)"
        return re.search(pattern, self.src.text.decode("utf-8", "replace")) is not None

    # -- the flow API (api.Values) for the providers
    def at(self, fn: FunctionFacts) -> Resolver:
        return self if fn is self.fn else self.flow.resolver(fn)

    def member_site(self, base: Node, sdef: StructDef, member: Field) -> MemberSite:
        return self.flow.site(self.fn, base, sdef, member)

    # -- values: what a pointer-valued expression points to
    def value(self, node: Node | None, depth: int, seen: frozenset[str]) -> list[Origin]:
        if node is None or depth > _MAX_DEPTH:
            return [UNKNOWN]
        t = node.type
        text = self.src.text_of
        if t in ("parenthesized_expression", "cast_expression"):
            inner = node.child_by_field_name("value") or (node.named_children[-1]
                                                          if node.named_children else None)
            return self.value(inner, depth + 1, seen)
        if t == "pointer_expression":
            if text(node).lstrip().startswith("&"):
                return self._address(node.child_by_field_name("argument"), depth + 1, seen)
            return [UNKNOWN]
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and op.type in ("+", "-"):
                left = self.value(node.child_by_field_name("left"), depth + 1, seen)
                if left != [UNKNOWN] and op.type == "+":
                    return tails.shifted(self, node, left)
                if left != [UNKNOWN] or op.type == "-":
                    return left
                return self.value(node.child_by_field_name("right"), depth + 1, seen)
            return [UNKNOWN]
        if t == "conditional_expression":
            return (self.value(node.child_by_field_name("consequence"), depth + 1, seen)
                    + self.value(node.child_by_field_name("alternative"), depth + 1, seen))
        if t == "string_literal":
            return [Origin(OriginKind.STATIC, "a string literal", node.start_point[0] + 1)]
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
        if name in self.fn.shadowed:
            return [UNKNOWN]  # declared again in another block: which one is not read
        var = self.fn.var(name)
        if var is None:
            var = self.facts.globals.get(name)
            if var is None:
                return [UNKNOWN]
        if var.array_len is not None:  # an array decays to its own address
            return [_storage_origin(var, f"array '{name}'")]
        if var.storage == "param":
            return [Origin(OriginKind.PARAM, f"parameter '{name}'", var.line, param=var.index)]
        if not var.pointer or name in seen or var.storage == "global":
            return [UNKNOWN]
        out: list[Origin] = []
        for value in self.fn.assigns.get(name, []):
            out.extend(self.value(value, depth + 1, seen | {name}))
        return out or [UNKNOWN]

    # -- addresses: &x, &x[i], &x->f
    def _address(self, node: Node | None, depth: int, seen: frozenset[str]) -> list[Origin]:
        if node is None:
            return [UNKNOWN]
        t = node.type
        if t == "parenthesized_expression" and node.named_children:
            return self._address(node.named_children[0], depth + 1, seen)
        if t == "identifier":
            name = self.src.text_of(node)
            if name in self.fn.shadowed:
                return [UNKNOWN]
            var = self.fn.var(name) or self.facts.globals.get(name)
            if var is None:
                return [UNKNOWN]
            return [_storage_origin(var, f"variable '{name}'")]
        if t == "subscript_expression":
            return self.value(node.child_by_field_name("argument"), depth + 1, seen)
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
        sdef = self.facts.structs.get(sdef_name)
        member = sdef.field(name) if sdef is not None else None
        if (member is not None and member.pointer) or (member is None and not address):
            found = self._field_values(name, base, sdef_name, depth, seen)
            if found == [UNKNOWN]:  # a controller's transfer descriptor: its client's buffer
                return clients.client_origin(self, node) or found
            return found
        inline = member is not None and (member.array_len is not None or address)
        # a scalar member's value (attr.ihs) is no memory of attr; its address, or an array
        # member, is
        if not arrow and (inline or address):
            container = self._address(base, depth + 1, seen)
            local = (OriginKind.STACK, OriginKind.STATIC)
            if any(o.kind in local for o in container):
                return [replace(o, what=f"{o.what} (member '{name}')")
                        for o in container if o.kind in local]
        if not inline or member is None or sdef is None:
            return [UNKNOWN]
        if arrow:  # what the struct itself is: a kmalloc'd descriptor, a crypto context
            special = tails.member_of(self, base, sdef, member, depth, seen)
            if special is not None:
                return special
        size = field_size(member, self.facts.structs, self.facts.knowledge,
                          self.facts.evaluator.defines)
        return [replace(embedded(sdef.name, member, sdef.path, size),
                        site=self.member_site(base, sdef, member))]

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
        want = last_name(self.src.text_of(base))
        for value, fn, holder in self.facts.stores.of(name):
            resolver = self.at(fn)
            if holder is not None:
                theirs = resolver.expr_type(holder)
                if struct is not None and theirs is not None:
                    if theirs != struct:
                        continue
                elif last_name(self.src.text_of(holder)) != want:
                    continue
            for o in resolver.value(value, depth + 1, seen | {key}):
                if o.kind is OriginKind.HEAP:
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
            return self.value(args[0], depth + 1, seen) if args else [UNKNOWN]
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
        heap = Origin(OriginKind.HEAP, f"{name}() memory", node.start_point[0] + 1,
                      alloc=Allocation(name, alloc.cls, size, size_text),
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
            sdef = self.facts.structs.get(sname)
            fld = node.child_by_field_name("field")
            member = sdef.field(self.src.text_of(fld)) if sdef and fld is not None else None
            return base_type(member.type) if member is not None else None
        return None


def _storage_origin(var: Var, what: str) -> Origin:
    if var.storage == "local" or var.storage == "param":
        return Origin(OriginKind.STACK, f"the stack {what}", var.line)
    kind = "static" if var.storage == "static" else "global"
    return Origin(OriginKind.STATIC, f"the {kind} {what}", var.line)
