"""Parse kernel C with tree-sitter-c, after neutralising the idioms it cannot read.

tree-sitter-c knows C, not the kernel's macro dialect: attribute macros
(``__aligned(x)``, ``__init``), iterator macros used as loop heads
(``list_for_each_entry(...) { }``), type arguments (``container_of(p, struct
foo, m)``) and ``#else`` branches that duplicate an opening brace all end in
ERROR nodes that swallow whole functions. We rewrite the text before parsing,
always replacing bytes by the same number of bytes (spaces, or a keyword padded
with spaces) so that every byte offset and line number in the tree is still
true for the original text; facts that need an annotation (``__aligned(...)``)
read it from the original bytes.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter_c
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from reviewbot.knowledge import Knowledge

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.0  # seconds of error recovery we accept for one file

_LOOP_MACRO = re.compile(rb"\b([A-Za-z_]\w*for_each\w*)(\s*\()")
_TYPE_ARG = re.compile(rb"([(,])(\s*)(struct|union|enum)(\s+[A-Za-z_]\w*\s*)(?=[,)])")
_NO_TYPE_BLANK = {b"sizeof", b"offsetof", b"typeof", b"__typeof__", b"_Alignof",
                  b"__alignof__", b"alignof"}
_PP_LINE = re.compile(rb"^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b", re.M)
_STATEMENT_END = b";{})/:"


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


@dataclass(frozen=True)
class _Patterns:
    words: re.Pattern[bytes]
    calls: re.Pattern[bytes]


@lru_cache(maxsize=8)
def _patterns(words: tuple[str, ...], calls: tuple[str, ...]) -> _Patterns:
    alt = b"|".join(re.escape(w.encode()) for w in sorted(words, key=len, reverse=True))
    calt = b"|".join(re.escape(c.encode()) for c in sorted(calls, key=len, reverse=True))
    return _Patterns(re.compile(rb"\b(?:" + alt + rb")\b"),
                     re.compile(rb"\b(?:" + calt + rb")\s*\("))


def _blank(buf: bytearray, start: int, end: int) -> None:
    for i in range(start, end):
        if buf[i] not in (0x0A, 0x0D):
            buf[i] = 0x20


def _matching_paren(text: bytes, open_at: int) -> int:
    """Index just past the ')' matching text[open_at] == '(' (or len on imbalance)."""
    depth = 0
    for i in range(open_at, len(text)):
        c = text[i]
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _prev_significant(text: bytes | bytearray, pos: int) -> int:
    i = pos - 1
    while i >= 0 and text[i] in b" \t\r\n":
        i -= 1
    return text[i] if i >= 0 else ord(";")


def _blank_conditionals(buf: bytearray) -> None:
    """Keep one configuration: the first branch of each #if, minus #if 0 blocks.

    Functions whose braces differ between branches are common in drivers
    (``#ifdef CONFIG_PM ... {`` / ``#else ... {``); parsing both branches at
    once yields unbalanced braces. The dropped branches are blank lines.
    """
    stack: list[tuple[bool, bool]] = []  # (enclosing region dropped, first branch was #if 0)
    drop = False
    pos = 0
    for m in _PP_LINE.finditer(bytes(buf)):
        kind = m.group(1)
        line_end = buf.find(b"\n", m.start())
        while line_end > 0 and buf[line_end - 1] == 0x5C:  # continued directive
            line_end = buf.find(b"\n", line_end + 1)
        if line_end < 0:
            line_end = len(buf)
        if drop:
            _blank(buf, pos, m.start())
        if kind in (b"if", b"ifdef", b"ifndef"):
            cond = bytes(buf[m.end():line_end]).strip()
            dead = kind == b"if" and cond in (b"0", b"(0)")
            stack.append((drop, dead))
            drop = drop or dead
        elif kind in (b"elif", b"else") and stack:
            outer, first_dead = stack[-1]
            stack[-1] = (outer, False)  # later branches of an #if 0 are dropped again
            drop = outer or not first_dead
        elif kind == b"endif" and stack:
            drop = stack.pop()[0]
        _blank(buf, m.start(), line_end)
        pos = line_end
    if drop:
        _blank(buf, pos, len(buf))


def preprocess(text: bytes, knowledge: Knowledge) -> bytes:
    """Rewrite kernel idioms into plain C of exactly the same byte length."""
    buf = bytearray(text)
    pats = _patterns(knowledge.attribute_words, knowledge.attribute_calls)
    if b"#" in text:
        _blank_conditionals(buf)
    for m in pats.calls.finditer(bytes(buf)):
        end = _matching_paren(buf, m.end() - 1)
        nxt = end
        while nxt < len(buf) and buf[nxt] in b" \t":
            nxt += 1
        if nxt < len(buf) and buf[nxt] == 0x3B and _prev_significant(buf, m.start()) in b";{}":
            end = nxt + 1  # a marker used as a statement: drop its ';' too
        _blank(buf, m.start(), end)
    for m in pats.words.finditer(bytes(buf)):
        _blank(buf, m.start(), m.end())
    snapshot = bytes(buf)
    for m in _LOOP_MACRO.finditer(snapshot):
        if _prev_significant(snapshot, m.start()) not in _STATEMENT_END and not \
                snapshot[max(0, m.start() - 5):m.start()].rstrip().endswith(b"else"):
            continue
        if _line_is_directive(snapshot, m.start()):
            continue
        name_len = len(m.group(1))
        buf[m.start():m.start() + name_len] = b"while" + b" " * (name_len - 5)
    snapshot = bytes(buf)
    for m in _TYPE_ARG.finditer(snapshot):
        if m.group(1) == b"(":
            ident = re.search(rb"([A-Za-z_]\w*)\s*$", snapshot[max(0, m.start() - 40):m.start()])
            if ident is None or ident.group(1) in _NO_TYPE_BLANK:
                continue
        kw = m.start(3)
        _blank(buf, kw, kw + len(m.group(3)))
    return bytes(buf)


def _line_is_directive(text: bytes, pos: int) -> bool:
    start = text.rfind(b"\n", 0, pos) + 1
    return text[start:pos].lstrip().startswith(b"#")


def parse(path: str, text: bytes, knowledge: Knowledge, parser: Parser | None = None,
          timeout: float = DEFAULT_TIMEOUT) -> Source | None:
    """Parse one file or fragment; None if error recovery takes longer than timeout.

    tree-sitter 0.26 dropped ``timeout_micros``; cancellation is a progress
    callback, which the binding only honours for callback-based reads.
    """
    parser = parser or new_parser()
    clean = preprocess(text, knowledge)
    deadline = time.perf_counter() + timeout

    def read(offset: int, _point: object) -> bytes:
        return clean[offset:offset + 65536]

    def progress(_offset: int, _has_error: bool) -> bool:
        return time.perf_counter() > deadline

    try:
        tree = parser.parse(read, progress_callback=progress)
    except ValueError:
        logger.warning("%s: parsing gave up after %.1fs of error recovery", path, timeout)
        parser.reset()
        return None
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
