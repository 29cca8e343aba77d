"""Where each member of a struct sits, on one architecture: offsets, sizes, alignments.

Whether a member buffer shares a DMA line with anything is a question of
bytes: the L1 line ``____cacheline_aligned`` rounds to, the
``ARCH_DMA_MINALIGN`` an ``__aligned()`` asks for, and the sizes of the
members before and after it differ per architecture (and per tree). The
layout is computed the way the C compiler does it, for the parameters of one
architecture (``ArchLayout``); any member whose size or alignment is not
visible (an unknown type, a length that is no constant, a bit-field) ends the
known part: the members before it keep their offsets, the rest are unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reviewbot.analysis.facts.structs import Field, StructDef, Structs, base_type
from reviewbot.knowledge import Knowledge

_MAX_DEPTH = 6
_ALIGNED = re.compile(r"(?:__aligned|aligned)\s*\(\s*([^()]*(?:\([^()]*\))?[^()]*)\)")
_NUMBER = re.compile(r"^\(?\s*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\s*\)?$")


@dataclass(frozen=True)
class ArchLayout:
    """The bytes one architecture gives the alignment levels, and its pointer size."""

    pointer: int
    l1: int
    dma: int
    kmalloc: int  # ARCH_KMALLOC_MINALIGN (and so CRYPTO_MINALIGN)


@dataclass(frozen=True)
class Slot:
    """One member's place: ``offset`` and ``size`` in bytes, ``align`` it was placed at."""

    field: Field
    offset: int
    size: int
    align: int


# The bytes a member takes at most: pointers and longs are 8 on a 64-bit build, and
# 32-bit builds only shrink them (an upper bound is what bounce decisions need).
_WIDEST = ArchLayout(pointer=8, l1=64, dma=128, kmalloc=8)


def field_size(f: Field, structs: Structs, knowledge: Knowledge,
               defines: dict[str, int] | None = None) -> int | None:
    """How many bytes member ``f`` takes at most (a 64-bit build), None when not visible;
    ``defines``: the file's simple macros (``u8 buf[MAX_PACKET_SIZE]``)."""
    placed = _Layout(_WIDEST, structs, knowledge, defines or {}).place(f, 0)
    return placed[0] if placed is not None else None


def layout(sdef: StructDef, arch: ArchLayout, structs: Structs, knowledge: Knowledge,
           defines: dict[str, int] | None = None) -> list[Slot]:
    """The known prefix of ``sdef``'s members with their places (all of them when every
    size and alignment is visible)."""
    return _Layout(arch, structs, knowledge, defines or {}).slots(sdef, 0)


class _Layout:
    def __init__(self, arch: ArchLayout, structs: Structs, knowledge: Knowledge,
                 defines: dict[str, int]) -> None:
        self.arch = arch
        self.structs = structs
        self.knowledge = knowledge
        self.defines = defines

    def slots(self, sdef: StructDef, depth: int) -> list[Slot]:
        out: list[Slot] = []
        end = 0
        for f in sdef.fields:
            placed = self.place(f, depth)
            if placed is None:
                break
            size, align = placed
            offset = -(-end // align) * align
            out.append(Slot(f, offset, size, align))
            end = offset + size
        return out

    def place(self, f: Field, depth: int) -> tuple[int, int] | None:
        """(size, alignment) of a member; None when not visible."""
        if f.pointer:
            size = align = self.arch.pointer
        else:
            elem = self.type_size(f.type, depth)
            if elem is None:
                return None
            size, align = elem
            if f.array_len is not None:
                count = self.count(f.array_len)
                if count is None:
                    return None
                size *= count
        if f.starts_region and f.annotation is not None:
            wanted = self.alignment(f.annotation)
            if wanted is None:
                return None
            align = max(align, wanted)
        return size, align

    def type_size(self, type_text: str, depth: int) -> tuple[int, int] | None:
        name = base_type(type_text)
        known = self.knowledge.size_of(name)
        if known is not None:
            return known, min(known, 8) or 1
        if name == "enum" or type_text.strip().startswith("enum "):
            return 4, 4
        if depth >= _MAX_DEPTH:
            return None
        sdef = self.structs.get(name)
        if sdef is None:
            return None
        inner = self.slots(sdef, depth + 1)
        if len(inner) != len(sdef.fields) or not inner:
            return None
        align = max(s.align for s in inner)
        if type_text.strip().startswith("union"):
            size = max(s.size for s in inner)
        else:
            size = inner[-1].offset + inner[-1].size
        return -(-size // align) * align, align

    def count(self, text: str) -> int | None:
        text = text.strip()
        m = _NUMBER.match(text)
        if m:
            return int(m.group(1), 0)
        return self.defines.get(text)

    def alignment(self, annotation: str) -> int | None:
        """Bytes an isolation annotation aligns to on this architecture."""
        m = _ALIGNED.search(annotation)
        if m is None:  # ____cacheline_aligned and friends name their level
            ann = next((a for a in self.knowledge.annotations if a.name in annotation), None)
            return self.level(ann.level) if ann is not None and ann.level else None
        expr = m.group(1).strip()
        number = _NUMBER.match(expr)
        if number:
            return int(number.group(1), 0)
        for token in re.findall(r"[A-Za-z_]\w*", expr):
            macro = self.knowledge.macro(token)
            if macro is not None and macro.level:
                return self.level(macro.level)
        return self.defines.get(expr)

    def level(self, level: str) -> int | None:
        return {"dma": self.arch.dma, "l1": self.arch.l1, "kmalloc": self.arch.kmalloc}.get(level)


def alone_in_line(slots: list[Slot], member: str, line: int, fields: int) -> bool | None:
    """Whether ``member`` shares no ``line``-byte line with another member, the struct
    starting on a line boundary; None when the members around it are not all placed.

    ``fields`` is the number of members of the struct: a member that is last and
    placed may still share its last line with whatever follows the struct.
    """
    at = next((i for i, s in enumerate(slots) if s.field.name == member), None)
    if at is None:
        return None
    me = slots[at]
    first = me.offset // line
    last = (me.offset + me.size - 1) // line
    for i, other in enumerate(slots):
        if i == at or other.size == 0 or other.field.line == me.field.line:
            continue  # 'u8 rx[4], tx[4];' declared together: the buffer's own group
        lo = other.offset // line
        hi = (other.offset + other.size - 1) // line
        if hi >= first and lo <= last:
            return False
    if at + 1 < len(slots):
        return True  # the next member is placed and starts past the member's lines
    if len(slots) < fields:
        return None
    # the last member: alone when the struct ends on a line boundary (it is rounded to
    # its widest alignment), so the next object starts on a new line
    align = max(s.align for s in slots)
    end = -(-(me.offset + me.size) // align) * align
    return end % line == 0
