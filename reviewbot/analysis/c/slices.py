"""Which parts of a file the analysis needs: the rest is never handed to tree-sitter.

A driver file that names a DMA sink typically does so in a few of its
functions; parsing, querying and collecting facts for all the others was
most of the scan's cost. Findings depend on exactly these parts of a text:

- functions that name a trigger word (a sink, a field sink, a consumer:
  without one no function has a sink use), and, transitively, functions
  that name such a function (helpers, and the callers whose arguments give a
  helper's direction);
- functions that store into a struct member those functions read
  (``priv->buf = kmalloc(...)`` in probe gives ``priv->buf`` its origin),
  transitively;
- functions that define a struct or union locally (struct layouts are per
  file);
- everything outside function bodies: struct definitions, globals,
  declarations, #defines.

So only whole function definitions are left out, and only ones found with
certainty by kernel layout (a header from column 0 ending in ``)``, the body
from a ``{`` line to the next ``}`` line, braces balanced around and inside).
Anything unusual keeps the function, or the whole file. The spans are given
to tree-sitter as included ranges, so every byte offset, line and column in
the tree is the one of the full text.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from reviewbot.analysis.c.words import is_word as _is_word
from reviewbot.knowledge import Knowledge

_EDGE = re.compile(rb"\n[{}]")
_BRACE = re.compile(rb"[{}]")
# a comment, a continued line, an initialiser or a literal: no function header
_NOT_A_HEADER = re.compile(rb"/\*|\*/|//|[\\='\"]")
_AGGREGATE = (re.compile(rb"struct\b[ \t\r\n]*(?:[A-Za-z_]\w*[ \t\r\n]*)?\{"),
              re.compile(rb"union\b[ \t\r\n]*(?:[A-Za-z_]\w*[ \t\r\n]*)?\{"))
_MAX_HEADER_LINES = 24
# Below this size parsing the whole text is as cheap as deciding what to skip and
# parsing again for what the first cut missed: 8 KiB took 2.3% off the analysis of
# Linux 6.1's candidate files and 2.4% off 6.12's against 4 KiB (16 KiB gained
# nothing; bench/ab_inprocess.py).
MIN_BYTES = 8192


@dataclass
class _Block:
    """One function definition found by layout: [start, end) in the text."""

    start: int
    end: int
    keep: bool = False


def _occurrences(text: bytes, word: bytes) -> list[int]:
    """Start offsets of ``word`` as a whole word (bytes.find is memchr-fast)."""
    out = []
    n = len(word)
    i = text.find(word)
    while i >= 0:
        if (i == 0 or not _is_word(text[i - 1])) and \
                (i + n >= len(text) or not _is_word(text[i + n])):
            out.append(i)
        i = text.find(word, i + n)
    return out


def _rest_blank(text: bytes, pos: int) -> bool:
    """Is the rest of the line after ``pos`` whitespace?"""
    end = text.find(b"\n", pos)
    return not text[pos:end if end >= 0 else len(text)].strip()


def _header_start(clean: bytes, brace: int) -> int | None:
    """Start of the function header that ends on the line before ``brace``, or None."""
    line_end = brace - 1  # the '\n' before '{'
    start = None
    for _ in range(_MAX_HEADER_LINES):
        ls = clean.rfind(b"\n", 0, line_end) + 1
        line = clean[ls:line_end].strip()
        if not line or line.startswith(b"#") or line.endswith((b"*/", b";", b"}", b"{")):
            break
        start = ls
        if ls == 0:
            break
        line_end = ls - 1
    else:
        return None
    if start is None:
        return None
    header = clean[start:brace]
    if not _is_word(header[0]) or header[0] <= 0x39 or not header.rstrip().endswith(b")"):
        return None
    if _NOT_A_HEADER.search(header):
        return None
    return start


def _ends_cleanly(clean: bytes, pos: int) -> bool:
    """Does the code before ``pos`` end a declaration (``;``, ``}``, or nothing)?

    Error recovery joins a macro invocation without ';' (``FOO(x)``) to the
    next definition; a function after one is never left out, so the parser
    sees the same neighbours as in the whole text.
    """
    end = pos
    for _ in range(2000):  # lines of directives and comments (a file's #include block)
        if end <= 0:
            return True
        ls = clean.rfind(b"\n", 0, end - 1) + 1
        line = clean[ls:end].strip()
        if not line or line.startswith((b"#", b"//")) or _continued(clean, ls):
            end = ls
            continue
        if line.endswith(b"*/"):
            opening = clean.rfind(b"/*", 0, end)
            if opening < 0:
                return False
            end = opening
            continue
        return line.endswith((b";", b"}"))
    return False


def _continued(clean: bytes, ls: int) -> bool:
    """Does the line before the one starting at ``ls`` end in a backslash?"""
    j = ls - 2
    while j >= 0 and clean[j] in b" \t\r":
        j -= 1
    return j >= 0 and clean[j] == 0x5C


def _blocks(clean: bytes) -> list[_Block] | None:
    """Function definitions by layout, or None when the braces do not add up."""
    blocks: list[_Block] = []
    opened: int | None = None
    depth_pos = 0
    depth = 0  # raw brace depth at depth_pos (strings and comments included)
    for m in _EDGE.finditer(clean):
        pos = m.start() + 1
        if clean[pos] == 0x7B:  # '{'
            opened = pos
            continue
        if opened is None:
            continue
        a, b = opened, pos
        opened = None
        depth += clean.count(b"{", depth_pos, a) - clean.count(b"}", depth_pos, a)
        depth_pos = a
        if depth != 0 or clean.count(b"{", a, b) != clean.count(b"}", a, b) + 1:
            continue
        if not (_rest_blank(clean, a + 1) and _rest_blank(clean, b + 1)):
            continue
        if clean.count(b"(", a, b) != clean.count(b")", a, b):
            continue  # a rewrite's paren matching could run past the block
        start = _header_start(clean, a)
        if start is None or (blocks and start < blocks[-1].end) or not _ends_cleanly(clean, start):
            continue
        blocks.append(_Block(start, b + 1))
        # the block is balanced, so the depth after it is the depth before it
        depth_pos = b + 1
    return blocks


def trigger_hits(text: bytes, knowledge: Knowledge) -> tuple[list[int], bool]:
    """Offsets of the trigger words (whole words), and whether one is surely a word.

    A hit next to a non-ASCII byte is a word here but not for the str regex
    of ``may_reach_device`` (a UTF-8 letter is a word character there), so
    only hits between ASCII neighbours decide on their own.

    Words sharing a long prefix (``regmap_``, ``usb_fill_``) are found by one
    search for the prefix: each search reads the whole text, and the searches were
    6% of the analysis of Linux 6.1's candidate files (35 words, 22 searches now,
    a fifth less time). The offsets come grouped by prefix: callers take them as a set.
    """
    hits = []
    certain = False
    n = len(text)
    for prefix, words in _trigger_groups(knowledge.trigger_words()):
        i = text.find(prefix)
        while i >= 0:
            if i == 0 or not _is_word(text[i - 1]):
                for word in words:  # at most one is a whole word here
                    end = i + len(word)
                    if text.startswith(word, i) and (end >= n or not _is_word(text[end])):
                        hits.append(i)
                        if not certain and (i == 0 or text[i - 1] < 0x80) and \
                                (end >= n or text[end] < 0x80):
                            certain = True
                        break
            i = text.find(prefix, i + 1)
    return hits, certain


# Trigger words sharing at least this many leading bytes are searched for together.
_SHARED_PREFIX = 6


@lru_cache(maxsize=4)
def _trigger_groups(words: tuple[str, ...]) -> tuple[tuple[bytes, tuple[bytes, ...]], ...]:
    """The words as (prefix, words starting with it): neighbours in sorted order are
    merged while they share ``_SHARED_PREFIX`` bytes or more."""
    groups: list[tuple[bytes, list[bytes]]] = []
    for word in sorted({w.encode() for w in words}):
        if groups:
            prefix, members = groups[-1]
            n = 0
            while n < min(len(prefix), len(word)) and prefix[n] == word[n]:
                n += 1
            if n >= _SHARED_PREFIX:
                groups[-1] = (prefix[:n], [*members, word])
                continue
        groups.append((word, [word]))
    return tuple((prefix, tuple(members)) for prefix, members in groups)


class _File:
    def __init__(self, text: bytes, clean: bytes, blocks: list[_Block]) -> None:
        self.text = text
        self.clean = clean
        self.blocks = blocks
        self.starts = [b.start for b in blocks]

    def block_at(self, pos: int) -> _Block | None:
        i = bisect.bisect_right(self.starts, pos) - 1
        if i >= 0 and pos < self.blocks[i].end:
            return self.blocks[i]
        return None

    def in_function_outside_blocks(self, pos: int) -> bool:
        """Could ``pos`` (outside every block) be code inside some function?

        Comments and directives hold no calls, and file scope (raw brace
        depth 0) holds no function body; anything else might be a function
        the layout test did not recognise.
        """
        clean = self.clean
        ls = clean.rfind(b"\n", 0, pos) + 1
        if clean[ls:pos].lstrip().startswith(b"#") or b"//" in clean[ls:pos]:
            return False
        if clean.rfind(b"/*", 0, pos) > clean.rfind(b"*/", 0, pos):
            return False
        i = bisect.bisect_right(self.starts, pos) - 1
        base = self.blocks[i].end if i >= 0 else 0
        outer = None  # the outermost '{' still open at pos, counted from the last block
        depth = 0
        for m in _BRACE.finditer(clean, base, pos):
            if clean[m.start()] == 0x7B:
                if depth == 0:
                    outer = m.start()
                depth += 1
            else:
                depth -= 1
                if depth < 0:
                    return True  # braces we cannot follow
        if depth == 0 or outer is None:
            return False
        # a struct, union, enum or initialiser body is no function
        j = outer - 1
        while j >= 0 and clean[j] in b" \t\r\n":
            j -= 1
        return j >= 0 and clean[j] == 0x29


class Plan:
    """The functions to parse for one text, grown until the analysis needs no more.

    The first cut keeps the functions naming a trigger word (and those
    defining a struct locally). After an analysis of that cut, ``extend``
    adds the callers of the helpers it found (and of functions whose
    direction comes from their callers), and the functions storing into the
    members whose stored values it looked up; the caller parses again until
    nothing is added. ``spans`` is None while the whole text is needed.
    """

    def __init__(self, text: bytes, knowledge: Knowledge, hits: list[int]) -> None:
        self.text = text
        self.knowledge = knowledge
        self.hits = hits  # trigger_hits(text)
        self.file: _File | None = None
        # REVIEWBOT_WHOLE_FILES=1 parses every text whole: the reference an
        # engine comparison (bench/compare_engines.py --old-env) checks against
        self.whole = len(text) < MIN_BYTES or bool(os.environ.get("REVIEWBOT_WHOLE_FILES"))
        self.followed: set[bytes] = set()
        self.fields: set[bytes] = set()
        self.members: set[bytes] = set()
        self.size = len(text)
        self.done: list[tuple[int, int]] = []

    def cut(self, cond: bytes) -> None:
        """The first cut, from ``cond`` (the text with #if branches resolved)."""
        self.size = len(cond)
        if self.whole:
            return
        blocks = _blocks(cond)
        if not blocks:
            self.whole = True
            return
        self.file = _File(self.text, cond, blocks)
        for pos in self.hits:
            if not self._keep_at(pos):
                return
        for block in blocks:
            if not block.keep and any(rx.search(cond, block.start, block.end)
                                      for rx in _AGGREGATE):
                block.keep = True

    def spans(self) -> list[tuple[int, int]] | None:
        """The spans to parse now; None for the whole text."""
        if self.whole or self.file is None:
            return None
        spans = _spans(self.file.blocks, self.size)
        if spans is None:
            self.whole = True
        return spans

    def fresh(self) -> list[tuple[int, int]]:
        """Parts of the current spans not handed out before (to finish preprocessing)."""
        need = self.spans() or [(0, self.size)]
        out = _minus(need, self.done)
        self.done = sorted(self.done + out)
        return out

    def extend(self, names: set[str], fields: set[str],
               members: Iterable[str] = ()) -> bool:
        """Keep what the last analysis asked about; True if the text must be parsed again.

        ``names``: functions whose callers matter; ``fields``: members whose
        stored values were looked up (functions storing them are kept);
        ``members``: members whose every use was asked about (functions naming
        ``->member`` or ``.member`` at all are kept).
        """
        f = self.file
        if self.whole or f is None:
            return False
        before = sum(b.keep for b in f.blocks)
        for name in {n.encode() for n in members} - self.members:
            self.members.add(name)
            for pos in _occurrences(f.clean, name):
                block = f.block_at(pos)
                if block is not None and not block.keep and _after_member_op(f.clean, pos):
                    block.keep = True
        for name in {n.encode() for n in names} - self.followed:
            self.followed.add(name)
            for pos in _occurrences(self.text, name):
                if not self._keep_at(pos):
                    return True  # whole text now
        for name in {n.encode() for n in fields} - self.fields:
            self.fields.add(name)
            for pos in _occurrences(f.clean, name):
                block = f.block_at(pos)
                if block is not None and not block.keep and _is_store(f.clean, pos, len(name)):
                    block.keep = True
        return sum(b.keep for b in f.blocks) > before

    def _keep_at(self, pos: int) -> bool:
        """Keep the function around ``pos``; False (and whole) if it is no known block."""
        assert self.file is not None
        block = self.file.block_at(pos)
        if block is None:
            if self.file.in_function_outside_blocks(pos):
                self.whole = True
                return False
            return True
        block.keep = True
        return True


def _minus(spans: list[tuple[int, int]], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` without ``taken`` (both sorted and disjoint), in one pass over each: a
    file cut into hundreds of functions made the pairwise loop 1.3% of a scan."""
    out = []
    j, n = 0, len(taken)
    for a, b in spans:
        while j < n and taken[j][1] <= a:  # ends before this span (and every later one)
            j += 1
        k = j
        while k < n and taken[k][0] < b:
            c, d = taken[k]
            if c > a:
                out.append((a, c))
            a = max(a, d)
            if a >= b:
                break
            k += 1
        if a < b:
            out.append((a, b))
    return out


def _after_member_op(clean: bytes, pos: int) -> bool:
    """Is the name at ``pos`` a member (after ``->`` or ``.``)?"""
    i = pos - 1
    while i >= 0 and clean[i] in b" \t\r\n":
        i -= 1
    return i >= 0 and (clean[i] == 0x2E or (clean[i] == 0x3E and i > 0 and clean[i - 1] == 0x2D))


def _is_store(clean: bytes, pos: int, n: int) -> bool:
    """``->name =`` or ``.name =`` (not ``==``) at ``pos``."""
    if not _after_member_op(clean, pos):
        return False
    j = pos + n
    while j < len(clean) and clean[j] in b" \t\r\n":
        j += 1
    return j + 1 < len(clean) and clean[j] == 0x3D and clean[j + 1] != 0x3D


def _spans(blocks: list[_Block], size: int) -> list[tuple[int, int]] | None:
    """The text minus the dropped blocks, as [start, end) spans."""
    out: list[tuple[int, int]] = []
    pos = 0
    for b in blocks:
        if b.keep:
            continue
        if b.start > pos:
            out.append((pos, b.start))
        pos = b.end
    if pos == 0:
        return None  # nothing dropped
    if pos < size:
        out.append((pos, size))
    return out
