"""Struct definitions from the headers a file includes (its own and ``include/``).

A driver's state struct usually lives in its own header (``#include "foo.h"``)
and shared ones in ``include/linux/...``; one file at a time, the analysis would
not see their layout and would stay silent about every member buffer in them.

The index is built lazily, once per process and tree: for a struct the file
uses but does not define, the headers it includes are searched by text for
``struct NAME {``, and only that definition is cut out and parsed (a whole
``include/linux/usb.h`` would cost more than the driver). Texts, definitions
and misses are remembered, so a scan parses each header struct once per worker.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable
from dataclasses import replace

from tree_sitter import Parser

from reviewbot.analysis.c.parser import captures, parse
from reviewbot.analysis.c.words import is_word_char
from reviewbot.analysis.facts.kconfig import KconfigWalk
from reviewbot.analysis.facts.platforms import Platforms
from reviewbot.analysis.facts.structs import StructDef, collect_structs
from reviewbot.knowledge import Knowledge

logger = logging.getLogger(__name__)

Reader = Callable[[str], "str | None"]  # tree-relative path -> text, None if absent

# what an include line is; include_lines() finds the same faster (tests/analysis/test_fast_paths.py)
_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]', re.M)
_DEFINITION = re.compile(r"(?:struct|union)\s+(\w+)\s*\{")

_MAX_HEADERS = 64  # includes followed per file; drivers name a handful


class HeaderIndex:
    """Struct definitions of one tree's headers, found on demand and remembered."""

    def __init__(self, read: Reader, knowledge: Knowledge, parser: Parser | None = None,
                 platforms: Platforms | None = None) -> None:
        """``platforms``: one already made over a reader that agrees with ``read`` on every
        Kconfig, Kbuild and Makefile (a series' patches that leave those alone share one,
        so the Kconfig tree is walked once, not twice per patch)."""
        self.read = read
        self.knowledge = knowledge
        self.parser = parser
        self._texts: dict[str, str | None] = {}
        self._defs: dict[tuple[str, str], StructDef | None] = {}
        self._heads: dict[str, dict[str, tuple[int, int]]] = {}
        # Every tree file a lookup or ``arch_of`` consulted (read, or found absent)
        # since the caller last reset it: what a file's findings depend on besides
        # its own text, so a scan cache knows to redo the file when one changes.
        self.consulted: set[str] = set()
        self._platforms = platforms

    def finder(self, path: str, text: str) -> Callable[[str], StructDef | None]:
        """Looks a struct name up in the headers ``path`` (with ``text``) includes; the
        #include lines are read on the first lookup (most files never make one)."""
        headers: list[str] = []
        misses: dict[str, StructDef | None] = {}

        def find(name: str) -> StructDef | None:
            if not misses:
                headers.extend(includes(path, text))
            if name not in misses:
                misses[name] = None
                for h in headers:
                    self.consulted.add(h)
                    if (d := self.definition(h, name)) is not None:
                        misses[name] = d
                        break
            return misses[name]
        return find

    @property
    def platforms(self) -> Platforms:
        """The architectures the tree's files build for (Makefiles and Kconfig), read
        through the same reader on first use; its answers name the files they read."""
        if self._platforms is None:
            self._platforms = tree_platforms(self.read, self.knowledge)
        return self._platforms

    def arches_of(self, path: str) -> frozenset[str] | None:
        """The architectures the file can be built for, or None (unknown: see platforms.py);
        the files that answer was read from count as consulted."""
        reach = self.platforms.reach(path)
        self.consulted |= reach.files
        return reach.arches

    def arch_of(self, path: str) -> str | None:
        """The one architecture the file can be built for, or None (several, or unknown:
        see platforms.py); the files that answer was read from count as consulted."""
        reach = self.platforms.reach(path)
        self.consulted |= reach.files
        arches = reach.arches
        return next(iter(arches)) if arches is not None and len(arches) == 1 else None

    def definition(self, header: str, name: str) -> StructDef | None:
        key = (header, name)
        if key not in self._defs:
            self._defs[key] = self._parse(header, name)
        return self._defs[key]

    def _starts(self, header: str, text: str) -> dict[str, tuple[int, int]]:
        """Where each ``struct NAME {`` of a header starts (the first one), and its brace:
        one pass per header instead of one search per name asked."""
        if header not in self._heads:
            starts: dict[str, tuple[int, int]] = {}
            for m in _DEFINITION.finditer(text):
                # the '\\b' before the keyword, tested here: a leading '\\b' makes the
                # regex try every position (3x slower); no match can hide inside one
                # that fails it, since each has one keyword, at its start
                if m.start() == 0 or not is_word_char(text[m.start() - 1]):
                    starts.setdefault(m.group(1), (m.start(), m.end() - 1))
            self._heads[header] = starts
        return self._heads[header]

    def _text(self, header: str) -> str | None:
        if header not in self._texts:
            try:
                self._texts[header] = self.read(header)
            except (OSError, ValueError):
                self._texts[header] = None
        return self._texts[header]

    def _parse(self, header: str, name: str) -> StructDef | None:
        text = self._text(header)
        if not text or name not in text:
            return None
        at = self._starts(header, text).get(name)
        if at is None:
            return None
        start, brace = at
        end = _closing_brace(text, brace)
        if end is None:
            return None
        offset = text.count("\n", 0, start)
        snippet = text[start:end + 1] + ";\n"
        src = parse(header, snippet.encode("utf-8", "surrogateescape"), self.knowledge,
                    self.parser)
        if src is None:
            return None
        sdef = collect_structs(src, self.knowledge,
                               captures(src.tree.root_node).get("struct", [])).get(name)
        if sdef is None:
            return None
        fields = tuple(replace(f, line=f.line + offset) for f in sdef.fields)
        return replace(sdef, fields=fields, line=sdef.line + offset, path=header)


def tree_platforms(read: Reader, knowledge: Knowledge, walk: KconfigWalk | None = None,
                   load_walk: Callable[[], KconfigWalk | None] | None = None) -> Platforms:
    """The platform facts of the tree ``read`` reads, for the architectures the knowledge
    file names; ``walk``: an earlier walk of its Kconfig files (a cache's), or
    ``load_walk`` to read one on the first question."""
    return Platforms(read, dict.fromkeys(a for _, a in knowledge.arch_symbols), walk,
                     load_walk)


def includes(path: str, text: str) -> list[str]:
    """Tree-relative headers a file includes: ``"x.h"`` beside it, ``<x.h>`` in include/."""
    here = posixpath.dirname(path)
    out: list[str] = []
    for kind, name in include_lines(text):
        if kind == '"':
            h = posixpath.normpath(posixpath.join(here, name))
        else:
            h = posixpath.normpath(posixpath.join("include", name))
        if h.startswith("../") or h.startswith("/") or h in out:
            continue  # never outside the tree
        out.append(h)
        if len(out) >= _MAX_HEADERS:
            break
    return out


def include_lines(text: str) -> list[tuple[str, str]]:
    """``_INCLUDE.findall(text)``, searched from each ``#`` rather than at every line start
    (a third of the cost of finding a file's headers was trying lines that hold none)."""
    out = []
    for m in _HASH_INCLUDE.finditer(text):
        line = text.rfind("\n", 0, m.start()) + 1
        if not text[line:m.start()].strip(" \t"):
            out.append((m.group(1), m.group(2)))
    return out


_HASH_INCLUDE = re.compile(r'#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]')


def _closing_brace(text: str, start: int) -> int | None:
    depth = 0
    for i in range(start, min(len(text), start + 200_000)):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
    return None
