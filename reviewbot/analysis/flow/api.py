"""The flow API: what a memory provider may ask of the resolver.

The resolver (flow/resolver.py) follows an expression to its memory and
calls providers for the shapes it does not know itself: descriptor tails and
carved pieces (tails.py), crypto contexts and slab caches (contexts.py), a
controller's client buffers (clients.py), values through same-file helpers
(fieldflow.py). A provider in turn needs the values of sub-expressions. It
asks through this protocol, never by importing the resolver, so the
providers sit below it and the import graph has no cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from tree_sitter import Node

if TYPE_CHECKING:
    from reviewbot.analysis.facts.file import FileFacts
    from reviewbot.analysis.facts.functions import FunctionFacts
    from reviewbot.analysis.facts.structs import Field, StructDef
    from reviewbot.analysis.flow.origin import MemberSite, Origin


class Values(Protocol):
    """The resolver of one function, as its providers see it."""

    @property
    def facts(self) -> FileFacts: ...

    @property
    def fn(self) -> FunctionFacts: ...

    def value(self, node: Node | None, depth: int, seen: frozenset[str]) -> list[Origin]:
        """The origins of a pointer-valued expression (``depth`` and ``seen`` bound
        the search: pass ``depth + 1`` and the names being followed)."""
        ...

    def expr_type(self, node: Node | None) -> str | None:
        """Struct (or base type) name of an expression, when visible."""
        ...

    def at(self, fn: FunctionFacts) -> Values:
        """The resolver of another function of the same file."""
        ...

    def member_site(self, base: Node, sdef: StructDef, member: Field) -> MemberSite:
        """The site of ``base->member``, for the neighbourhood a rule may ask about."""
        ...
