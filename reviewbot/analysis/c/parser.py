"""Parse kernel C with tree-sitter-c, guarded against slow error recovery.

The text is first rewritten by ``preprocess`` (same length, so positions in
the tree are positions in the original text); the tree keeps the original
bytes for reading annotations the rewrite blanked.

The guard counts work, not seconds: tree-sitter calls the progress
callback every fixed number of parser operations, so the number of calls
is the same for the same text on any machine under any load. A file that
needs more than ``limits.parse_work`` of them is not analysed, and the
caller is told (``ParseBudget.unparsed``), so a CI gate can fail closed
instead of passing on a file it never read (issue 15). The largest files
of Linux 6.1 (1.7 MB) need about 16,000; error recovery on pathological
input costs about 0.5 ms a step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import tree_sitter_c
from tree_sitter import Language, Node, Parser, Point, Query, QueryCursor, Range, Tree

from reviewbot.analysis.c.preprocess import preprocess
from reviewbot.knowledge import Knowledge
from reviewbot.limits import default_limits

logger = logging.getLogger(__name__)


@dataclass
class ParseBudget:
    """Parse work allowed per file, and the files that needed more (not analysed)."""

    work: int = field(default_factory=lambda: default_limits().parse_work)
    unparsed: list[tuple[int, str]] = field(default_factory=list)  # (patch, path)

    def missed(self, patch: int, path: str) -> None:
        if (patch, path) not in self.unparsed:
            self.unparsed.append((patch, path))

@dataclass(frozen=True)
class Source:
    """One parsed text: the original bytes (for annotations) and its tree."""

    path: str
    text: bytes
    tree: Tree

    def text_of(self, node: Node) -> str:
        return self.text[node.start_byte:node.end_byte].decode("utf-8", "replace")


@lru_cache(maxsize=1)
def _language() -> Language:
    return Language(tree_sitter_c.language())


def new_parser() -> Parser:
    """A parser per caller: Parser objects are not safe to share across threads."""
    return Parser(_language())


Select = Callable[[bytes, bytes], "list[tuple[int, int]] | None"]


def parse(path: str, text: bytes, knowledge: Knowledge, parser: Parser | None = None,
          work: int | None = None, select: Select | None = None,
          clean: bytes | None = None, old_tree: Tree | None = None) -> Source | None:
    """Parse one file or fragment; None if it needs more than ``work`` progress steps.

    tree-sitter 0.26 dropped ``timeout_micros``; cancellation is a progress
    callback, which the binding only honours for callback-based reads.
    ``work`` defaults to ``limits.parse_work``. ``select(text, clean)`` may
    name the byte spans worth parsing (the rest is skipped, positions stay
    those of the whole text); ``clean`` is ``preprocess(text)`` when the
    caller has it already; ``old_tree``, a tree of the same text parsed with
    fewer spans, lets tree-sitter reuse what did not change.
    """
    parser = parser or new_parser()
    if clean is None:
        clean = preprocess(text, knowledge)
    spans = select(text, clean) if select is not None else None
    if spans:
        parser.included_ranges = _ranges(clean, spans)
    try:
        return _parse(path, text, clean, parser, work or default_limits().parse_work, old_tree)
    finally:
        if spans:
            parser.included_ranges = []


def _ranges(text: bytes, spans: list[tuple[int, int]]) -> list[Range]:
    """tree-sitter ranges (with row and column) of sorted, disjoint byte spans."""
    out = []
    row = 0
    at = 0  # row is the line number of offset ``at``

    def point(offset: int) -> Point:
        nonlocal row, at
        row += text.count(b"\n", at, offset)
        at = offset
        return Point(row, offset - (text.rfind(b"\n", 0, offset) + 1))

    for a, b in spans:
        out.append(Range(point(a), point(b), a, b))
    return out


def _parse(path: str, text: bytes, clean: bytes, parser: Parser,
           budget: int, old_tree: Tree | None = None) -> Source | None:
    steps = [0]

    # A tree parsed from a callback reads ``Node.text`` through the callback
    # again; big chunks make parsing cheap, small ones make ``.text`` cheap.
    chunk = [65536]

    def read(offset: int, _point: object) -> bytes:
        return clean[offset:offset + chunk[0]]

    def progress(_offset: int, _has_error: bool) -> bool:
        steps[0] += 1
        return steps[0] > budget

    try:
        if old_tree is None:
            tree = parser.parse(read, progress_callback=progress)
        else:
            tree = parser.parse(read, old_tree, progress_callback=progress)
    except ValueError:
        logger.warning(
            "%s: not analysed: parsing needs more than %d steps (limits.parse_work)", path, budget
        )
        parser.reset()
        return None
    chunk[0] = 256
    return Source(path, text, tree)


_FACT_QUERY = """
(function_definition) @fn
(declaration) @decl
(assignment_expression) @assign
(call_expression) @call
(initializer_list) @init
(struct_specifier body: (field_declaration_list)) @struct
(union_specifier body: (field_declaration_list)) @struct
"""


@lru_cache(maxsize=1)
def _fact_query() -> Query:
    return Query(_language(), _FACT_QUERY)


def captures(root: Node) -> dict[str, list[Node]]:
    """Nodes the fact collector needs, by kind: fn, decl, assign, call, init, struct."""
    return QueryCursor(_fact_query()).captures(root)


def walk(node: Node, skip: frozenset[str] = frozenset()) -> Iterator[Node]:
    """Pre-order traversal without recursion (kernel functions nest deeply)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if n.type in skip:
            continue
        stack.extend(reversed(n.children))


def function_name(fn: Node) -> str | None:
    """Name of a function_definition (through pointer declarators)."""
    decl = fn.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    if decl is None:
        return None
    inner = decl.child_by_field_name("declarator")
    while inner is not None and inner.type not in ("identifier", "field_identifier"):
        inner = inner.child_by_field_name("declarator")
    return inner.text.decode() if inner is not None and inner.text else None
