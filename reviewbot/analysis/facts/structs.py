"""Struct layouts visible in one source text: fields, sizes, and DMA isolation.

Whether a buffer inside a struct may take inbound DMA depends on how the
struct isolates it (``__aligned(ARCH_DMA_MINALIGN)``, ``IIO_DMA_MINALIGN``, a
``__dma_from_device_group_begin()`` run) and on nothing else the bounce logic
could see, so the layout is read from the text the patch (or file) shows.
Annotations are read from the original bytes because the parser's copy has
them blanked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewbot.knowledge import Knowledge

if TYPE_CHECKING:
    from tree_sitter import Node

    from reviewbot.analysis.c.parser import Source

logger = logging.getLogger(__name__)

# Strength of isolation a member gets, weakest first. "kmalloc" is weaker than
# "l1": ARCH_KMALLOC_MINALIGN is 8 on arm64 since v6.5, an L1 line is 64.
ISOLATION_ORDER = ("kmalloc", "l1", "dma")

_ALIGNED_ATTR = re.compile(
    r"__attribute__\s*\(\(\s*(?:__)?aligned(?:__)?\s*\(\s*([^()]*(?:\([^()]*\))?[^()]*)\)\s*\)\)")
_NUMBER = re.compile(r"^\(?\s*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\s*\)?$")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    array_len: str | None  # the size expression as written, "" for flexible arrays
    pointer: bool
    line: int
    isolation: str | None  # "dma", "l1", "kmalloc" or None (not isolated)
    annotation: str | None  # how it is isolated, as written
    starts_region: bool = False  # its own declaration carries the annotation


@dataclass(frozen=True)
class StructDef:
    name: str
    fields: tuple[Field, ...]
    line: int
    path: str | None = None  # the header it comes from; None: the analysed text itself

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


class Structs:
    """The struct definitions a text can see: its own, then (on a miss) its headers'.

    ``own`` reads the text's own definitions, on the first lookup: most files
    analysed never look a struct up (1,533 of Linux 6.1's 2,667 candidates), and
    reading every layout of those was 1% of the analysis. ``find`` looks a name up
    in the headers the file includes (facts/headers.py); without it only the
    text's own definitions are known.
    """

    def __init__(self, own: Callable[[], dict[str, StructDef]],
                 find: Callable[[str], StructDef | None] | None = None) -> None:
        self._read_own = own
        self._own: dict[str, StructDef] | None = None
        self._find = find

    def get(self, name: str | None) -> StructDef | None:
        """The definition of struct (or typedef) ``name``, or None when not visible."""
        if not name:
            return None
        if self._own is None:
            self._own = self._read_own()
        found = self._own.get(name)
        if found is None and self._find is not None:
            found = self._find(name)
        return found


def base_type(type_text: str) -> str:
    """``const struct foo *`` -> ``foo``; ``u8`` -> ``u8``."""
    words = [w for w in re.split(r"[\s*]+", type_text) if w and w not in
             ("const", "volatile", "struct", "union", "enum", "static", "unsigned", "signed")]
    return words[-1] if words else type_text.strip()


def alignment_level(expr: str, knowledge: Knowledge) -> str | None:
    """Isolation level an alignment expression gives, or None if too weak."""
    expr = expr.strip()
    for token in re.findall(r"[A-Za-z_]\w*", expr):
        macro = knowledge.macro(token)
        if macro is not None and macro.level in ISOLATION_ORDER:
            return macro.level
    m = _NUMBER.match(expr)
    if m and int(m.group(1), 0) >= knowledge.dma_minalign_bytes:
        return "dma"
    return None


_BYTES = re.compile(r"\(\s*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\s*\)\s*\)*\s*$")


def alignment_bytes(annotation: str | None) -> int | None:
    """The number of an explicit ``__aligned(64)`` / ``__attribute__((aligned(64)))``;
    None for a macro (``__aligned(ARCH_DMA_MINALIGN)``) or no annotation."""
    m = _BYTES.search(annotation or "")
    return int(m.group(1), 0) if m else None


def annotation_of(text: str, knowledge: Knowledge) -> tuple[str | None, str | None]:
    """(level, annotation as written) for one declaration's original text."""
    best: tuple[str | None, str | None] = (None, None)
    for ann in knowledge.annotations:
        if ann.group is not None or ann.name not in text:
            continue
        if ann.takes_alignment:
            m = re.search(re.escape(ann.name) + r"\s*\(\s*([^()]*(?:\([^()]*\))?[^()]*)\)", text)
            if m:
                best = _stronger(best, (alignment_level(m.group(1), knowledge), m.group(0)))
        elif re.search(r"\b" + re.escape(ann.name) + r"\b", text):
            best = _stronger(best, (ann.level, ann.name))
    m = _ALIGNED_ATTR.search(text)
    if m:
        best = _stronger(best, (alignment_level(m.group(1), knowledge), m.group(0)))
    return best


def _rank(level: str | None) -> int:
    return ISOLATION_ORDER.index(level) + 1 if level in ISOLATION_ORDER else 0


def _stronger(a: tuple[str | None, str | None],
              b: tuple[str | None, str | None]) -> tuple[str | None, str | None]:
    def rank(level: str | None) -> int:
        return ISOLATION_ORDER.index(level) + 1 if level in ISOLATION_ORDER else 0
    if b[1] is None:
        return a
    if a[1] is None or rank(b[0]) > rank(a[0]):
        return b
    return a


def collect_structs(src: Source, knowledge: Knowledge,
                    nodes: list[Node]) -> dict[str, StructDef]:
    """Struct (and union) definitions by tag and by typedef name, from their nodes."""
    out: dict[str, StructDef] = {}
    for node in sorted(nodes, key=lambda n: n.start_byte):
        body = node.child_by_field_name("body")
        if body is None:
            continue
        names = []
        tag = node.child_by_field_name("name")
        if tag is not None:
            names.append(src.text_of(tag))
        parent = node.parent
        if parent is not None and parent.type == "type_definition":
            for d in parent.children_by_field_name("declarator"):
                names.append(src.text_of(d).strip("* "))
        if not names:
            continue
        sdef = StructDef(names[0], _fields(src, body, knowledge), node.start_point[0] + 1)
        for name in names:
            out[name] = sdef
    return out


def _group_ranges(src: Source, body: Node, knowledge: Knowledge) -> list[tuple[int, int, str]]:
    """Byte ranges covered by begin/end group markers, with the begin's level."""
    text = src.text[body.start_byte:body.end_byte].decode("utf-8", "replace")
    begins = [a for a in knowledge.annotations if a.group == "begin"]
    ends = [a.name for a in knowledge.annotations if a.group == "end"]
    out = []
    for ann in begins:
        for m in re.finditer(r"\b" + re.escape(ann.name) + r"\b", text):
            stop = len(text)
            for end in ends:
                e = text.find(end, m.end())
                if e >= 0:
                    stop = min(stop, e)
            out.append((body.start_byte + m.start(), body.start_byte + stop, ann.level or "dma"))
    return out


def _fields(src: Source, body: Node, knowledge: Knowledge) -> tuple[Field, ...]:
    groups = _group_ranges(src, body, knowledge)
    fields = []
    region: tuple[str | None, str | None] = (None, None)
    for decl in body.named_children:
        if decl.type != "field_declaration":
            continue
        type_node = decl.child_by_field_name("type")
        type_text = src.text_of(type_node) if type_node is not None else ""
        own = annotation_of(src.text_of(decl), knowledge)
        if own[1] is not None and _rank(own[0]) >= _rank(region[0]):
            # an aligned member starts a region the members after it share; a weaker one
            # (u8 rx[16] __aligned(8) after tx __aligned(IIO_DMA_MINALIGN)) stays inside it
            region = own
        level, annotation = region
        for lo, hi, glevel in groups:
            if lo <= decl.start_byte < hi:
                level, annotation = glevel, "__dma_from_device_group_begin()"
        for d in decl.children_by_field_name("declarator"):
            name, array_len, pointer = _declarator_shape(src, d)
            if name:
                fields.append(Field(name, type_text, array_len, pointer,
                                    decl.start_point[0] + 1, level, annotation,
                                    own[1] is not None))
    return tuple(fields)


def _declarator_shape(src: Source, d: Node | None) -> tuple[str | None, str | None, bool]:
    """(name, array length text or None, is pointer) of a (field) declarator."""
    array_len = None
    pointer = False
    while d is not None and d.type not in ("field_identifier", "identifier"):
        if d.type == "array_declarator" and array_len is None:
            size = d.child_by_field_name("size")
            array_len = src.text_of(size) if size is not None else ""
        elif d.type in ("pointer_declarator", "function_declarator") and array_len is None:
            pointer = True
        elif d.type == "parenthesized_declarator":  # int (*update)(void)
            d = d.named_children[0] if d.named_children else None
            continue
        d = d.child_by_field_name("declarator")
    return (src.text_of(d) if d is not None else None), array_len, pointer
