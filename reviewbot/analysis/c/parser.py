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

Two more bounds fail closed the same way (issue 26): a text over
``limits.PARSE_BYTES`` or holding a NUL byte is not parsed at all, and a
tree deeper than tree-sitter's queries reach (``QUERY_DEPTH``) is not
analysed, since the captures below that depth silently stop.
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
from reviewbot.limits import default_limits, parse_refusal
from reviewbot.model import Unanalysed

logger = logging.getLogger(__name__)


@dataclass
class ParseBudget:
    """Parse work allowed per file, and the files that were not analysed, with why."""

    work: int = field(default_factory=lambda: default_limits().parse_work)
    unparsed: list[Unanalysed] = field(default_factory=list)

    def missed(self, patch: int, path: str, reason: str) -> None:
        if not any(u.patch == patch and u.file == path for u in self.unparsed):
            self.unparsed.append(Unanalysed(path, reason, patch))


Refused = Callable[[str], None]  # told why a text was not analysed

# tree-sitter's query cursor keeps a match's start depth in 16 bits
# (``QueryState.start_depth``): a node deeper than this is never captured,
# without an error (a call under 70,000 ``+`` terms, issue 26).
QUERY_DEPTH = 0xFFFF


def too_deep(root: Node, limit: int = QUERY_DEPTH) -> bool:
    """Whether any node lies more than ``limit`` levels below ``root``.

    ``descendant_count`` is kept by tree-sitter (no walk), and a subtree of
    n nodes reaches at most n - 1 levels down: only subtrees big enough to
    pass the limit are entered. A file of fewer than 65,536 nodes costs one
    look at the root; a bigger one a look at each top-level child.
    """
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if depth + node.descendant_count - 1 > limit:
            stack.extend((child, depth + 1) for child in node.children)
    return False

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
          clean: bytes | None = None, old_tree: Tree | None = None,
          refused: Refused | None = None) -> Source | None:
    """Parse one file or fragment; None when it is not analysed, and ``refused`` is told why.

    Not analysed: it needs more than ``work`` progress steps, it is binary
    or too big to parse (``limits.parse_refusal``), or it nests deeper than
    the queries reach (``too_deep``).

    tree-sitter 0.26 dropped ``timeout_micros``; cancellation is a progress
    callback, which the binding only honours for callback-based reads.
    ``work`` defaults to ``limits.parse_work``. ``select(text, clean)`` may
    name the byte spans worth parsing (the rest is skipped, positions stay
    those of the whole text); ``clean`` is ``preprocess(text)`` when the
    caller has it already; ``old_tree``, a tree of the same text parsed with
    fewer spans, lets tree-sitter reuse what did not change.
    """
    why = parse_refusal(text)
    if why is not None:
        _refuse(path, why, refused)
        return None
    parser = parser or new_parser()
    if clean is None:
        clean = preprocess(text, knowledge)
    spans = select(text, clean) if select is not None else None
    if spans:
        parser.included_ranges = _ranges(clean, spans)
    budget = work or default_limits().parse_work
    try:
        src = _parse(path, text, clean, parser, budget, old_tree)
    finally:
        if spans:
            parser.included_ranges = []
    if src is None:
        _refuse(path, f"parsing needs more than {budget} steps (limits.parse_work)", refused)
        return None
    if too_deep(src.tree.root_node):
        _refuse(path, f"nested more than {QUERY_DEPTH} levels deep, beyond what "
                "tree-sitter's queries reach", refused)
        return None
    return src


def _refuse(path: str, why: str, refused: Refused | None) -> None:
    logger.warning("%s: not analysed: %s", path, why)
    if refused is not None:
        refused(why)


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
