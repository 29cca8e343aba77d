"""One-pass indexes of a file's text, for the neighbour analysis (neighbours.py).

Which members the file writes, where, and how often a name occurs: each asked
of every member and function of a struct's neighbourhood, so each is computed
once per file (cached on the facts) by one pass over the text or one literal-led
search, never by a regex per name over the whole file. tests/analysis/
test_fast_paths.py checks every one against the plain pattern it stands for.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewbot.analysis.facts.functions import FileFacts, FunctionFacts


def body_text(facts: FileFacts, fn: FunctionFacts) -> str:
    """``fn``'s text, decoded once however many neighbour pairs ask about it."""
    cache = facts.__dict__.setdefault("_bodies", {})
    if id(fn) not in cache:
        cache[id(fn)] = facts.src.text_of(fn.node)
    return cache[id(fn)]


def word_count(facts: FileFacts, name: str) -> int:
    """How often ``name`` occurs as a whole word in the file (``\\bname\\b``), by
    ``str.find`` and a look at both neighbours; remembered per name."""
    cache = facts.__dict__.setdefault("_words", {})
    if name not in cache:
        text = function_spans(facts)[0]
        n, count = len(name), 0
        i = text.find(name)
        while i >= 0:
            if (i == 0 or not is_word_char(text[i - 1])) and \
                    (i + n >= len(text) or not is_word_char(text[i + n])):
                count += 1
            i = text.find(name, i + n)
        cache[name] = count
    return cache[name]


_BIT_CALL = re.compile(r"_bit(?:_lock)?\s*\(")
_BITOPS = frozenset(p + q + r for p in ("", "__") for q in ("", "test_and_")
                    for r in ("set", "clear", "change"))
_MEMBER = re.compile(r"(?:->|\.)\s*(\w+)")


def bitop_members(facts: FileFacts) -> frozenset[str]:
    """Members named in the arguments of a bitop call (set_bit(), __clear_bit(),
    test_and_change_bit_lock(): up to the next ``;``), once per file.

    Searched from the literal ``_bit(`` and the name checked backwards: a regex led by
    ``\\b(?:__)?(?:test_and_)?...`` tries every position of the file and cost fifty
    times as much."""
    if "_bitop_members" not in facts.__dict__:
        text = function_spans(facts)[0]
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
        facts.__dict__["_bitop_members"] = frozenset(found)
    return facts.__dict__["_bitop_members"]


def is_word_char(c: str) -> bool:
    """What ``\\w`` matches in a str pattern (letters and digits of any script, '_')."""
    return c.isalnum() or c == "_"


def writers(facts: FileFacts, name: str, array: bool) -> list[FunctionFacts]:
    """Functions that write member ``name``; one pass over the file, cached."""
    cache = facts.__dict__.setdefault("_member_writers", {})
    key = (name, array)
    if key not in cache:
        text, starts, fns = function_spans(facts)
        out: list[FunctionFacts] = []
        for start, end in member_uses(facts).get(name, ()):
            if not is_write(text[max(0, start - 160):start], text[end:end + 80], array):
                continue
            i = bisect.bisect_right(starts, start) - 1
            if i >= 0 and start < fns[i].node.end_byte and fns[i] not in out:
                out.append(fns[i])
        cache[key] = out
    return cache[key]


_MEMBER_USE = re.compile(r"(?:->|\.)\s*(\w+)")


def member_uses(facts: FileFacts) -> dict[str, list[tuple[int, int]]]:
    """Every ``->name`` / ``.name`` of the file, by name, as (start, end) offsets: one pass
    over the text for all the members whose writers are asked for."""
    if "_member_uses" not in facts.__dict__:
        uses: dict[str, list[tuple[int, int]]] = {}
        for m in _MEMBER_USE.finditer(function_spans(facts)[0]):
            uses.setdefault(m.group(1), []).append((m.start(), m.end()))
        facts.__dict__["_member_uses"] = uses
    return facts.__dict__["_member_uses"]


def function_spans(facts: FileFacts) -> tuple[str, list[int], list[FunctionFacts]]:
    """The file text (bytes decoded 1:1) and its functions by start offset."""
    if "_spans" not in facts.__dict__:
        fns = sorted(facts.functions, key=lambda fn: fn.node.start_byte)
        facts.__dict__["_spans"] = (facts.src.text.decode("latin-1"),
                                    [fn.node.start_byte for fn in fns], fns)
    return facts.__dict__["_spans"]


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
