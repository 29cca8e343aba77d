"""Rewrite kernel idioms tree-sitter-c cannot read into C of exactly the same length.

tree-sitter-c knows C, not the kernel's macro dialect: attribute macros
(``__aligned(x)``, ``__init``), iterator macros used as loop heads
(``list_for_each_entry(...) { }``), type arguments (``container_of(p, struct
foo, m)``, ``min_t(unsigned int, a, b)``), string macros (``KERN_INFO "..."``),
GNU case ranges and ``#else`` branches that repeat an opening brace all end
in ERROR nodes that swallow whole functions. Every rewrite replaces bytes by
the same number of bytes (spaces, or a token padded with spaces), so each
byte offset and line in the tree is still true for the original text, and
facts that need an annotation read it from the original bytes. Which macros
get which treatment is data (``[parse]`` in config/dma.toml).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from reviewbot.analysis.c.words import is_word
from reviewbot.knowledge import Knowledge

# No '^' anchor: led by '#', the pattern is searched for by that byte, five times
# faster than trying '^' at every position; the line start is checked per match
# (consteval._DEFINE, headers._HASH_INCLUDE do the same).
_PP_LINE = re.compile(rb"#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b")
_STATEMENT_END = b";{})/:"
_TYPE_WORDS = rb"const|volatile|unsigned|signed|long|short|struct|union|enum"
_TYPE_ARG = re.compile(
    rb"\s*(?:(?:" + _TYPE_WORDS + rb")\s+)*[A-Za-z_]\w*(?:\s*\*+\s*(?:const)?)*\s*")
_TYPE_HINT = re.compile(rb"\*|\b(?:" + _TYPE_WORDS + rb")\b")
_MACRO_AFTER = re.compile(rb'[ \t]*([A-Z_][A-Za-z0-9_]+)\b(?![ \t]*\()')
_MACRO_BEFORE = re.compile(rb'\b([A-Z_][A-Za-z0-9_]+)[ \t]*$')
_RANGE = re.compile(rb"(?<=[ \t])\.\.\.(?=[ \t])")
# Version tokens such as 330A (dwc3): digits and one capital that is no C suffix.
# Patterns below start with a literal or a character class, not '\b', so the
# regex engine skips ahead to candidate bytes instead of trying every position;
# where a leading word boundary matters it is checked per match (_word_start).
# Each byte as the class ``_odd_numbers`` asks about: a digit (0), a letter no C
# number suffix uses (A: ``330A`` names a revision), another word byte (a), or
# anything else (space). Two ``find`` calls in the translated text replace a regex
# that tried ``[0-9]+`` from every digit of every number: over a quarter of the
# rewrites' time (hex tables are full of digits).
_ODD_CLASSES = bytes(
    0x30 if 0x30 <= c <= 0x39
    else 0x41 if chr(c) in "ABCDGHIJKMNOPQRSTVWXYZ"
    else 0x61 if c == 0x5F or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A
    else 0x20 for c in range(256))
# comments, strings and character literals (unrolled loops: no per-byte alternation)
_CODE_NOISE = re.compile(rb'/\*[^*]*\*+(?:[^/*][^*]*\*+)*/|//[^\n]*|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
                         rb"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'", re.S)


def _alternation(names: tuple[bytes, ...]) -> bytes:
    return b"|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


@lru_cache(maxsize=512)
def _pattern(kind: str, names: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """Patterns for the names a file actually contains (few), compiled once per set."""
    alt = _alternation(names)
    if kind == "word":  # and a word start, checked by _words
        return re.compile(rb"(?:" + alt + rb")\b")
    if kind == "call":  # likewise
        return re.compile(rb"(?:" + alt + rb")\s*\(")
    return re.compile(alt)  # "fragment": part of a longer name


def _words(pattern: re.Pattern[bytes], text: bytes,
           regions: Regions) -> Iterator[re.Match[bytes]]:
    """Matches of a "word" or "call" pattern that start a word (the dropped '\b').

    A match inside a word spans only word characters (and, for a call, the
    blanks and '(' after the name), so no match that starts a word can begin
    inside it: skipping it loses nothing.
    """
    for m in _scan(pattern, text, regions):
        if _word_start(text, m.start()):
            yield m


def _word_start(text: bytes | bytearray, pos: int) -> bool:
    return pos == 0 or not is_word(text[pos - 1])


def _present(names: tuple[str, ...], regioned: bytes,
             tokens: frozenset[bytes] | None = None) -> tuple[bytes, ...]:
    """The names the text's regions contain, in order; ``regioned``: the regions joined
    by NUL bytes.

    bytes.find is memchr-fast; an alternation of 60 names over every position
    is not. Names starting with ``__`` used as whole words are looked up in
    ``tokens`` (the regions' ``__`` words, found in one pass) instead.
    """
    out = []
    for n in _encoded(names):
        if tokens is not None and n.startswith(b"__"):
            if n in tokens:
                out.append(n)
        elif n in regioned:
            out.append(n)
    return tuple(out)


@lru_cache(maxsize=16)
def _encoded(names: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(x.encode() for x in names)


_DUNDER = re.compile(rb"__\w+")


Regions = list[tuple[int, int]]


def preprocess(text: bytes, knowledge: Knowledge) -> bytes:
    """Rewrite kernel idioms into plain C of exactly the same byte length."""
    buf = conditionals(text)
    rewrite(buf, text, knowledge, [(0, len(text))])
    return bytes(buf)


def conditionals(text: bytes) -> bytearray:
    """The first step alone: #if branches resolved, so braces balance as the parser sees them.

    ``rewrite`` finishes the job, for the whole text or only for the
    regions that will be parsed (see ``slices``).
    """
    buf = bytearray(text)
    if b"#if" in text or b"# if" in text:
        _conditionals(buf)
    return buf


def rewrite(buf: bytearray, text: bytes, knowledge: Knowledge, regions: Regions) -> None:
    """The remaining rewrites, for matches that start in ``regions`` (sorted, disjoint).

    Every rewrite reads only its neighbourhood, so rewriting a function alone
    gives the bytes rewriting the whole text would give it.
    """
    # whole-word and call names are tokens: a word starting '__' is one of the
    # text's '__' words (a name matched as a fragment must use `in`)
    if not regions:
        return
    dunder = frozenset(w for a, b in regions for w in _DUNDER.findall(text, a, b))
    # the regions in one string, NUL between them (no name holds one): each knowledge name
    # is one search, not one per region (700 bytes.find calls a parse were 5% of a scan)
    regioned = b"\0".join([text[a:b] for a, b in regions])
    calls = _present(knowledge.attribute_calls, regioned, dunder)
    if calls:
        _attribute_calls(buf, _pattern("call", calls), regions)
    words = _present(knowledge.attribute_words, regioned, dunder)
    if words:
        for m in _words(_pattern("word", words), bytes(buf), regions):
            _blank(buf, m.start(), m.end())
    loops = _present(knowledge.loop_macro_words, regioned)
    if loops:
        _loop_macros(buf, _pattern("fragment", loops), regions)
    types = _present(knowledge.type_argument_macros, regioned, dunder)
    if types:
        _type_arguments(buf, _pattern("call", types), regions)
    _string_macros(buf, regions)
    if b"..." in text:
        for at in _ranges(bytes(buf), regions):
            buf[at:at + 3] = b"-  "  # case 1 ... 3: -> case 1 -   3:
    for at in _odd_numbers(bytes(buf), regions):
        buf[at] = 0x5F  # DWC3_VER_IS(DWC3, 330A): 330A -> _30A, an identifier


def _scan(pattern: re.Pattern[bytes], text: bytes, regions: Regions) -> Iterator[re.Match[bytes]]:
    """Matches inside the regions, found without scanning the rest.

    A region ends where a line begins (or at a function's closing brace), and
    no match crosses a line end there: a string or '//' comment stops at the
    newline, a name or number at the non-word byte, and a block comment never
    holds a whole function the slicer left out; so the region's end as the
    text's end changes no match.
    """
    for a, b in regions:
        yield from pattern.finditer(text, a, b)


def _odd_numbers(text: bytes, regions: Regions) -> list[int]:
    """Starts of the whole words ``[0-9]+[A-DG-KM-TV-Z]`` in the regions (a match may
    start at a region's start, as ``finditer`` would: its word-start test fails there
    unless a non-word byte precedes)."""
    classes = text.translate(_ODD_CLASSES)
    out = []
    for a, b in regions:
        i = classes.find(b"0A", a, b)
        while i >= 0:
            if i + 2 == b or classes[i + 2] == 0x20:  # the letter ends the word
                start = i
                while start > a and classes[start - 1] == 0x30:
                    start -= 1
                if start == 0 or classes[start - 1] == 0x20:
                    out.append(start)
            i = classes.find(b"0A", i + 2, b)
    return out


def _ranges(text: bytes, regions: Regions) -> list[int]:
    """Where ``_RANGE`` matches in the regions: the literal ``...`` found first and its
    neighbours tested (a pattern led by a lookbehind tries every byte). The lookahead,
    like ``finditer``'s, ends at the region's end; no match can hide in a failed one."""
    out = []
    for a, b in regions:
        for m in _DOTS.finditer(text, a, b):
            s, e = m.start(), m.end()
            if s > 0 and text[s - 1] in b" \t" and e < b and text[e] in b" \t":
                out.append(s)
    return out


_DOTS = re.compile(rb"\.\.\.")


def _blank(buf: bytearray, start: int, end: int) -> None:
    for i in range(start, end):
        if buf[i] not in (0x0A, 0x0D):
            buf[i] = 0x20


def _matching_paren(text: bytes | bytearray, open_at: int) -> int:
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


def _line_is_directive(text: bytes, pos: int) -> bool:
    start = text.rfind(b"\n", 0, pos) + 1
    return text[start:pos].lstrip().startswith(b"#")


@dataclass
class _Group:
    """One #if ... #endif: directive (start, end) spans of its branches and its #endif."""

    branches: list[tuple[int, int, bool]]  # (directive start, directive end, is '#if 0')
    end: int | None = None


def _conditionals(buf: bytearray) -> None:
    """Keep every branch of an #if whose branches each balance their braces.

    Otherwise keep only the first (the #else of an #if 0): functions whose
    opening line differs between branches (``#ifdef X if (a) { #else if (b) {``)
    would leave unbalanced braces. Directive lines and dropped branches become
    blank lines.
    """
    snapshot = bytes(buf)
    groups: list[_Group] = []
    stack: list[_Group] = []
    directives = []
    for m in _PP_LINE.finditer(snapshot):
        start = snapshot.rfind(b"\n", 0, m.start()) + 1
        if snapshot[start:m.start()].strip(b" \t"):
            continue  # '#' not at the start of its line
        kind = m.group(1)
        end = snapshot.find(b"\n", start)
        while end > 0 and snapshot[end - 1] == 0x5C:  # continued directive
            end = snapshot.find(b"\n", end + 1)
        end = len(snapshot) if end < 0 else end
        directives.append((start, end))
        if kind in (b"if", b"ifdef", b"ifndef"):
            cond = snapshot[m.end():end].strip()
            group = _Group([(start, end, kind == b"if" and cond in (b"0", b"(0)"))])
            groups.append(group)
            stack.append(group)
        elif kind in (b"elif", b"else") and stack:
            stack[-1].branches.append((start, end, False))
        elif kind == b"endif" and stack:
            stack.pop().end = start
    for group in groups:
        stops = [b[0] for b in group.branches[1:]] + [
            group.end if group.end is not None else len(snapshot)]
        bodies = [(b[1], stop) for b, stop in zip(group.branches, stops, strict=True)]
        if group.branches[0][2]:  # #if 0: keep only the branch after it
            drop = [bodies[0], *bodies[2:]]
        elif all(_balanced(snapshot[a:b]) for a, b in bodies):
            drop = []
        else:
            drop = bodies[1:]
        for a, b in drop:
            _blank(buf, a, b)
    for a, b in directives:
        _blank(buf, a, b)


def _balanced(code: bytes) -> bool:
    code = _CODE_NOISE.sub(b" ", code)
    return code.count(b"{") == code.count(b"}") and code.count(b"(") == code.count(b")")


def _attribute_calls(buf: bytearray, pattern: re.Pattern[bytes], regions: Regions) -> None:
    for m in _words(pattern, bytes(buf), regions):
        end = _matching_paren(buf, m.end() - 1)
        nxt = end
        while nxt < len(buf) and buf[nxt] in b" \t":
            nxt += 1
        if nxt < len(buf) and buf[nxt] == 0x3B and _prev_significant(buf, m.start()) in b";{}":
            end = nxt + 1  # a marker used as a statement: drop its ';' too
        _blank(buf, m.start(), end)


def _loop_macros(buf: bytearray, fragment: re.Pattern[bytes], regions: Regions) -> None:
    """``list_for_each_entry(a, b, c) {`` -> ``while              (a, b, c) {``."""
    snapshot = bytes(buf)
    n = len(snapshot)
    done = -1
    for m in _scan(fragment, snapshot, regions):
        start, end = m.start(), m.end()
        if start < done:
            continue
        while start > 0 and is_word(snapshot[start - 1]):
            start -= 1
        while end < n and is_word(snapshot[end]):
            end += 1
        done = end
        nxt = end
        while nxt < n and snapshot[nxt] in b" \t":
            nxt += 1
        name_len = end - start
        if nxt >= n or snapshot[nxt] != 0x28 or name_len < 5 or \
                _line_is_directive(snapshot, start):
            continue
        if _prev_significant(snapshot, start) not in _STATEMENT_END and not \
                snapshot[max(0, start - 16):start].rstrip().endswith(b"else"):
            continue  # used as an expression: ret = device_for_each_child(...)
        buf[start:end] = b"while" + b" " * (name_len - 5)


def _type_arguments(buf: bytearray, pattern: re.Pattern[bytes], regions: Regions) -> None:
    """``min_t(unsigned int, a, b)`` -> ``min_t(0           , a, b)``."""
    snapshot = bytes(buf)
    for m in _words(pattern, snapshot, regions):
        end = _matching_paren(snapshot, m.end() - 1) - 1
        for a, b in _arguments(snapshot, m.end(), end):
            arg = snapshot[a:b]
            if _TYPE_ARG.fullmatch(arg) and _TYPE_HINT.search(arg):
                lead = len(arg) - len(arg.lstrip())
                _blank(buf, a, b)
                buf[a + lead] = 0x30  # '0'


def _arguments(text: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """Top-level comma-separated spans of text[start:end]."""
    out = []
    depth = 0
    arg_start = start
    for i in range(start, end):
        c = text[i]
        if c in b"([{":
            depth += 1
        elif c in b")]}":
            depth -= 1
        elif c == 0x2C and depth == 0:
            out.append((arg_start, i))
            arg_start = i + 1
    out.append((arg_start, end))
    return out


def _string_macros(buf: bytearray, regions: Regions) -> None:
    """``KERN_INFO "x" DRIVER_DESC`` -> string literals of the same length."""
    snapshot = bytes(buf)
    spans = []
    for m in _scan(_CODE_NOISE, snapshot, regions):
        if snapshot[m.start()] != 0x22:
            continue  # a comment or a character literal
        after = _MACRO_AFTER.match(snapshot, m.end())
        if after:
            spans.append(after.span(1))
        before = _MACRO_BEFORE.search(snapshot, max(0, m.start() - 64), m.start())
        if before:
            spans.append(before.span(1))
    for a, b in spans:
        if b - a >= 2 and not _line_is_directive(snapshot, a):
            buf[a:b] = b'"' + b" " * (b - a - 2) + b'"'
