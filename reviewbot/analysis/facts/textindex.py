"""One-pass indexes of a file's text, for the neighbour analysis (flow/neighbours.py).

Which members the file writes, where, and how often a name occurs: each asked
of every member and function of a struct's neighbourhood, so each is computed
once per file by one pass over the text or one literal-led search, never by a
regex per name over the whole file. tests/analysis/test_fast_paths.py checks
every one against the plain pattern it stands for.
"""

from __future__ import annotations

import bisect
import re

from reviewbot.analysis.c.parser import Source
from reviewbot.analysis.c.words import is_word_char
from reviewbot.analysis.facts.demand import Demand
from reviewbot.analysis.facts.functions import FunctionFacts

_BIT_CALL = re.compile(r"_bit(?:_lock)?\s*\(")
_BITOPS = frozenset(p + q + r for p in ("", "__") for q in ("", "test_and_")
                    for r in ("set", "clear", "change"))
_MEMBER = re.compile(r"(?:->|\.)\s*(\w+)")  # a member use: ->name or .name


class TextIndex:
    """Indexes of one parsed text (its parsed functions), each built on first use.

    Whole-file questions are recorded in ``demand``: asking who writes a
    member makes every use of it matter to the slicer.
    """

    def __init__(self, src: Source, functions: list[FunctionFacts], demand: Demand) -> None:
        self._src = src
        self._functions = functions
        self._demand = demand
        self._bodies: dict[int, str] = {}
        self._words: dict[str, int] = {}
        self._bitops: frozenset[str] | None = None
        self._writers: dict[tuple[str, bool], list[FunctionFacts]] = {}
        self._member_uses: dict[str, list[tuple[int, int]]] | None = None
        self._spans: tuple[str, list[int], list[FunctionFacts]] | None = None
        self._started: dict[tuple[str, ...], frozenset[str]] = {}

    def body(self, fn: FunctionFacts) -> str:
        """``fn``'s text, decoded once however many neighbour pairs ask about it."""
        key = id(fn)
        if key not in self._bodies:
            self._bodies[key] = self._src.text_of(fn.node)
        return self._bodies[key]

    def word_count(self, name: str) -> int:
        """How often ``name`` occurs as a whole word in the file (``\\bname\\b``), by
        ``str.find`` and a look at both neighbours; remembered per name."""
        if name not in self._words:
            text = self.spans()[0]
            n, count = len(name), 0
            i = text.find(name)
            while i >= 0:
                if (i == 0 or not is_word_char(text[i - 1])) and \
                        (i + n >= len(text) or not is_word_char(text[i + n])):
                    count += 1
                i = text.find(name, i + n)
            self._words[name] = count
        return self._words[name]

    def bitop_members(self) -> frozenset[str]:
        """Members named in the arguments of a bitop call (set_bit(), __clear_bit(),
        test_and_change_bit_lock(): up to the next ``;``), once per file.

        Searched from the literal ``_bit(`` and the name checked backwards: a regex led by
        ``\\b(?:__)?(?:test_and_)?...`` tries every position of the file and cost fifty
        times as much."""
        if self._bitops is None:
            text = self.spans()[0]
            found: set[str] = set()
            for m in _BIT_CALL.finditer(text):
                start = m.start()
                while start > 0 and start > m.start() - 20 and is_word_char(text[start - 1]):
                    start -= 1
                if text[start:m.start()] not in _BITOPS or \
                        (start > 0 and is_word_char(text[start - 1])):
                    continue
                end = text.find(";", m.end())
                found.update(_MEMBER.findall(text, m.end(), end if end >= 0 else len(text)))
            self._bitops = frozenset(found)
        return self._bitops

    def writers(self, name: str, array: bool) -> list[FunctionFacts]:
        """Functions that write member ``name``; one pass over the file, remembered.

        A whole-file question about ``->name``: recorded in the demand."""
        self._demand.members.add(name)
        key = (name, array)
        if key not in self._writers:
            text, starts, fns = self.spans()
            out: list[FunctionFacts] = []
            for start, end in self.member_uses().get(name, ()):
                if not is_write(text[max(0, start - 160):start], text[end:end + 80], array):
                    continue
                i = bisect.bisect_right(starts, start) - 1
                if i >= 0 and start < fns[i].node.end_byte and fns[i] not in out:
                    out.append(fns[i])
            self._writers[key] = out
        return self._writers[key]

    def member_uses(self) -> dict[str, list[tuple[int, int]]]:
        """Every ``->name`` / ``.name`` of the file, by name, as (start, end) offsets: one
        pass over the text for all the members whose writers are asked for."""
        if self._member_uses is None:
            uses: dict[str, list[tuple[int, int]]] = {}
            for m in _MEMBER.finditer(self.spans()[0]):
                uses.setdefault(m.group(1), []).append((m.start(), m.end()))
            self._member_uses = uses
        return self._member_uses

    def spans(self) -> tuple[str, list[int], list[FunctionFacts]]:
        """The file text (bytes decoded 1:1) and its functions by start offset."""
        if self._spans is None:
            fns = sorted(self._functions, key=lambda fn: fn.node.start_byte)
            self._spans = (self._src.text.decode("latin-1"),
                           [fn.node.start_byte for fn in fns], fns)
        return self._spans

    def started(self, starters: tuple[str, ...]) -> frozenset[str]:
        """Functions the file passes first to one of ``starters``: ``kthread_run(fn, ...)``
        starts ``fn`` as a kernel thread."""
        if starters not in self._started:
            text = self.spans()[0]
            self._started[starters] = frozenset(re.findall(
                rf"\b(?:{'|'.join(map(re.escape, starters))})\s*\(\s*(\w+)\s*,", text)) \
                if starters else frozenset()
        return self._started[starters]


_INDEX = r"(?:\s*\[[^\]\n]*\])*"
_PATH = r"[\w\[\]().>-]*"  # what leads up to the member: st->a.b[i]
_STORE = re.compile(rf"{_INDEX}\s*(?:(?:[-+*/%|&^]|<<|>>)?=(?!=)|\+\+|--)")  # x->n[i] |= v
_PRE_STEP = re.compile(rf"(?:\+\+|--)\s*{_PATH}$")
_ADDRESS = re.compile(rf"&\s*\(?\s*{_PATH}$")
_ITSELF = re.compile(rf"{_INDEX}\s*(?:->|\.|\()")  # &x->n->m is not the address of n
_ARG_END = re.compile(rf"{_INDEX}\s*[,)]")
_FILLER_FIRST = re.compile(rf"\b\w*(?:cpy|set|printf|copy|fill|get)\w*\s*\(\s*{_PATH}$")
_IO_ANY = re.compile(r"\b\w*(?:read|recv|xfer|transfer|_msg|_urb|sync|map)\w*\s*\([^;{}]*$")
_ALIAS = (re.compile(rf"[^=!<>]=\s*{_PATH}$"), re.compile(rf"{_INDEX}\s*;"))


def is_write(head: str, tail: str, array: bool) -> bool:
    """Whether one ``->member`` occurrence (text around it) writes the member.

    Stores, ++/--, and its address taken (set_bit(), a helper, memcpy()); an
    array member also when a call fills it (first argument of memcpy/snprintf,
    any argument of an I/O or DMA call) or a pointer aliases it (p = x->n;).
    """
    if _STORE.match(tail) or _PRE_STEP.search(head):
        return True
    if _ADDRESS.search(head) and not _ITSELF.match(tail):
        return True
    if not array:
        return False
    if _ARG_END.match(tail) and (_FILLER_FIRST.search(head) or _IO_ANY.search(head)):
        return True
    return bool(_ALIAS[0].search(head) and _ALIAS[1].match(tail))
