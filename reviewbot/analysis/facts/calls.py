"""Who calls whom in one file: call names, the calls of a function, the callers of one.

Helper discovery, the directions callers pass, the entry points of a
function and the setup-code test all ask these of every function they look
at; each index is built once per file, on first use, and every whole-file
question is recorded in the file's ``Demand``.
"""

from __future__ import annotations

from tree_sitter import Node

from reviewbot.analysis.c.expr import call_name
from reviewbot.analysis.c.parser import Source
from reviewbot.analysis.facts.demand import Demand
from reviewbot.analysis.facts.functions import FunctionFacts


class CallIndex:
    """The calls of one file's functions, indexed on first use."""

    def __init__(self, src: Source, functions: list[FunctionFacts], demand: Demand) -> None:
        self._src = src
        self._functions = functions
        self._demand = demand
        self._names: dict[int, list[str | None]] = {}
        self._to: dict[str, list[tuple[FunctionFacts, Node]]] | None = None
        self._callers: dict[str, list[FunctionFacts]] | None = None
        self._by_name: dict[str, list[FunctionFacts]] | None = None

    def names(self, fn: FunctionFacts) -> list[str | None]:
        """``call_name`` of each of ``fn.calls``, in order."""
        key = id(fn)
        if key not in self._names:
            self._names[key] = [call_name(self._src, c) for c in fn.calls]
        return self._names[key]

    def to(self, name: str) -> list[tuple[FunctionFacts, Node]]:
        """Every call of ``name`` in the file as (calling function, call), in file order.

        Asking is a whole-file question about ``name``: it is recorded.
        """
        self._demand.words.add(name)
        if self._to is None:
            index: dict[str, list[tuple[FunctionFacts, Node]]] = {}
            for caller in self._functions:
                for call, callee in zip(caller.calls, self.names(caller), strict=True):
                    if callee:
                        index.setdefault(callee, []).append((caller, call))
            self._to = index
        return self._to.get(name, [])

    def callers(self, name: str) -> list[FunctionFacts]:
        """The other functions that call ``name`` (each once), in file order."""
        self._demand.words.add(name)
        if self._callers is None:
            out: dict[str, list[FunctionFacts]] = {}
            for other in self._functions:
                for callee in set(self.names(other)):
                    if callee and callee != other.name:
                        out.setdefault(callee, []).append(other)
            self._callers = out
        return self._callers.get(name, [])

    def named(self, name: str) -> list[FunctionFacts]:
        """The definitions of ``name`` in the file (fragments may repeat one)."""
        self._demand.words.add(name)
        if self._by_name is None:
            by_name: dict[str, list[FunctionFacts]] = {}
            for fn in self._functions:
                by_name.setdefault(fn.name, []).append(fn)
            self._by_name = by_name
        return self._by_name.get(name, [])
