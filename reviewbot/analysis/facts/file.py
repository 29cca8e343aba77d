"""Per-file facts: one text's functions, globals, struct layouts and member stores.

One tree-sitter query finds every node the facts need, and one walk over
the captures collects them, so the (expensive) tree is traversed once per
file however many rules run. The indexes built over the facts (who calls
whom, who writes a member, the text around them) are built on first use,
and every question asked of the whole file is recorded in its ``Demand``.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from tree_sitter import Node

from reviewbot.analysis.c.parser import Source, captures, function_name
from reviewbot.analysis.facts.calls import CallIndex
from reviewbot.analysis.facts.consteval import Evaluator
from reviewbot.analysis.facts.demand import Demand
from reviewbot.analysis.facts.functions import FunctionFacts, Var
from reviewbot.analysis.facts.structs import StructDef, Structs, annotation_of, collect_structs
from reviewbot.analysis.facts.textindex import TextIndex
from reviewbot.knowledge import Knowledge
from reviewbot.model import Platform

logger = logging.getLogger(__name__)


class Store(NamedTuple):
    """One store into a member: ``holder->name = value`` in ``fn``."""

    value: Node
    fn: FunctionFacts
    holder: Node | None  # the expression holding the member (None when not visible)


class FieldStores:
    """Every store into a struct member in the file, by member name.

    Looking a member up is a whole-file question (the functions storing it
    must be parsed too): it is recorded in the file's demand.
    """

    def __init__(self, demand: Demand) -> None:
        self._by_name: dict[str, list[Store]] = {}
        self._demand = demand

    def add(self, name: str, store: Store) -> None:
        self._by_name.setdefault(name, []).append(store)

    def of(self, name: str) -> list[Store]:
        self._demand.fields.add(name)
        return self._by_name.get(name, [])


class PlatformQuestion:
    """Where one file's driver runs (its ``Platform``): asked of the tree on first use,
    then remembered.

    Only a finding carries it (rules/judge.py), and most files analysed make none
    (2,036 of Linux 6.1's 2,667 candidates): evaluating their Kconfig entries and
    Makefiles up front was 4% of a cold scan's analysis. Without ``ask`` the answer
    is an empty ``Platform`` (no tree: nothing known).
    """

    def __init__(self, ask: Callable[[], Platform] | None = None) -> None:
        self._ask = ask
        self._answer: Platform | None = None

    def answer(self) -> Platform:
        if self._answer is None:
            self._answer = self._ask() if self._ask is not None else Platform()
        return self._answer


@dataclass
class FileFacts:
    """Everything one parsed text says, and the indexes built over it on first use."""

    src: Source
    knowledge: Knowledge
    structs: Structs
    globals: dict[str, Var]
    functions: list[FunctionFacts]
    evaluator: Evaluator
    demand: Demand
    stores: FieldStores
    calls: CallIndex
    text: TextIndex
    where: PlatformQuestion = field(default_factory=PlatformQuestion)

    @property
    def platform(self) -> Platform:
        """Where the driver runs (asked of the tree now, if nobody asked before)."""
        return self.where.answer()

    @property
    def path(self) -> str:
        return self.src.path

    def assignments(self, name: str) -> list[Node]:
        """Every value assigned to a variable ``name`` in any function of the file.

        A whole-file question: recorded in the demand (a sliced parse must then
        parse every function naming it).
        """
        self.demand.words.add(name)
        return [v for fn in self.functions for v in fn.assigns.get(name, [])]

    def member_calls(self, member: str) -> list[tuple[FunctionFacts, Node]]:
        """Every call of the file, as (function, call), for a question about what the
        calls do with ``->member``: recorded as a whole-file question about the member."""
        self.demand.members.add(member)
        return [(fn, call) for fn in self.functions for call in fn.calls]


def collect(src: Source, knowledge: Knowledge,
            find_struct: Callable[[str], StructDef | None] | None = None,
            where: PlatformQuestion | None = None) -> FileFacts:
    """All facts of one parsed text (a whole file or a reconstructed fragment).

    One tree-sitter query finds every node the facts need, in C; a Python
    walk over all nodes cost three times the parse itself.
    """
    found = captures(src.tree.root_node)
    # definitions from the headers the file includes, where a finder is given
    structs = Structs(lambda: collect_structs(src, knowledge, found.get("struct", [])),
                      find_struct)
    evaluator = Evaluator(src, knowledge, structs)
    demand = Demand()
    functions: list[FunctionFacts] = []
    facts = FileFacts(src, knowledge, structs, {}, functions, evaluator, demand,
                      FieldStores(demand), CallIndex(src, functions, demand),
                      TextIndex(src, functions, demand), where or PlatformQuestion())
    fns = sorted(found.get("fn", []), key=lambda n: n.start_byte)
    starts = [n.start_byte for n in fns]
    by_fn: dict[int, list[Node]] = {}
    for kind in ("decl", "assign", "call", "init"):
        for node in found.get(kind, []):
            i = bisect.bisect_right(starts, node.start_byte) - 1
            if i >= 0 and node.end_byte <= fns[i].end_byte:
                by_fn.setdefault(i, []).append(node)
            elif kind == "decl" and _is_file_scope(node):
                for var, _value in _declared(src, node, knowledge, "global"):
                    facts.globals[var.name] = var
    for i, node in enumerate(fns):
        members = sorted(by_fn.get(i, []), key=lambda n: n.start_byte)
        fn = _function(src, node, members, knowledge, facts)
        if fn is not None:
            facts.functions.append(fn)
    return facts


def _is_file_scope(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in ("function_definition", "compound_statement"):
            return False
        parent = parent.parent
    return True


def _storage(src: Source, decl: Node, default: str) -> str:
    for child in decl.children:
        if child.type == "storage_class_specifier":
            word = src.text_of(child)
            if word == "static":
                return "static" if default == "local" else "global"
            if word == "extern":
                return "global"
    return default


def _declared(src: Source, decl: Node, knowledge: Knowledge,
              default: str) -> list[tuple[Var, Node | None]]:
    type_node = decl.child_by_field_name("type")
    if type_node is None:
        return []
    type_text = src.text_of(type_node)
    storage = _storage(src, decl, default)
    level = annotation_of(src.text_of(decl), knowledge)[0]
    out = []
    for d in decl.children_by_field_name("declarator"):
        value = d.child_by_field_name("value") if d.type == "init_declarator" else None
        inner = d.child_by_field_name("declarator") if d.type == "init_declarator" else d
        var = _var(src, inner, type_text, storage, decl.start_point[0] + 1, level)
        if var is not None:
            out.append((var, value))
    return out


def _var(src: Source, d: Node | None, type_text: str, storage: str, line: int,
         level: str | None = None, index: int | None = None) -> Var | None:
    stars = ""
    array_len = None
    while d is not None and d.type not in ("identifier", "field_identifier"):
        if d.type == "pointer_declarator":
            if array_len is None:
                stars += "*"
        elif d.type == "array_declarator":
            size = d.child_by_field_name("size")
            if array_len is None and not stars:
                array_len = src.text_of(size) if size is not None else ""
        elif d.type in ("function_declarator", "parenthesized_declarator"):
            if d.type == "function_declarator":
                return None  # a prototype, not an object
            d = d.named_children[0] if d.named_children else None
            continue
        d = d.child_by_field_name("declarator")
    if d is None:
        return None
    full_type = f"{type_text} {stars}".strip() if stars else type_text
    return Var(src.text_of(d), full_type, array_len, bool(stars), storage, line, index, level)


def _function(src: Source, node: Node, members: list[Node], knowledge: Knowledge,
              facts: FileFacts) -> FunctionFacts | None:
    name = function_name(node)
    body = node.child_by_field_name("body")
    if name is None or body is None:
        return None
    fn = FunctionFacts(name, node, node.start_point[0] + 1, node.end_point[0] + 1)
    _params(src, node, fn)
    for n in members:
        t = n.type
        if t == "declaration":
            for var, value in _declared(src, n, knowledge, "local"):
                have = fn.vars.get(var.name)
                if have is not None and have.line != var.line:
                    fn.shadowed.add(var.name)
                fn.vars[var.name] = var
                if value is not None:
                    fn.assigns.setdefault(var.name, []).append(value)
        elif t == "assignment_expression":
            left = n.child_by_field_name("left")
            right = n.child_by_field_name("right")
            op = n.child_by_field_name("operator")
            if left is None or right is None or (op is not None and op.type != "="):
                continue  # p += n keeps p's origin
            if left.type == "identifier":
                fn.assigns.setdefault(src.text_of(left), []).append(right)
            elif left.type == "field_expression":
                fn.stores.append((left, right))
                fld = left.child_by_field_name("field")
                if fld is not None:
                    member = src.text_of(fld)
                    fn.stored_members.add(member)
                    facts.stores.add(member,
                                     Store(right, fn, left.child_by_field_name("argument")))
        elif t == "call_expression":
            fn.calls.append(n)
        elif t == "initializer_list" and (n.parent is None or n.parent.type not in
                                          ("initializer_list", "initializer_pair")):
            fn.initializers.append(n)
    return fn


def _params(src: Source, node: Node, fn: FunctionFacts) -> None:
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    if decl is None:
        return
    plist = decl.child_by_field_name("parameters")
    if plist is None:
        return
    index = 0
    for p in plist.named_children:
        if p.type != "parameter_declaration":
            continue
        type_node = p.child_by_field_name("type")
        var = _var(src, p.child_by_field_name("declarator"),
                   src.text_of(type_node) if type_node is not None else "", "param",
                   p.start_point[0] + 1, index=index)
        if var is not None:
            if var.array_len is not None:  # 'u8 buf[]' as a parameter is a pointer
                var = Var(var.name, var.type + " *", None, True, "param", var.line, index)
            fn.params.append(var)
            fn.vars[var.name] = var
        index += 1
