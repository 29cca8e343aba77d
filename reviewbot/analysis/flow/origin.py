"""What a buffer's memory is: the value the flow layer hands to the rules.

A DMA hazard is a property of the memory, not of the expression handed to
the API. An ``Origin`` says which kind of memory it is (``OriginKind``) and,
in a sub-record per aspect, what the rules need to judge it: the allocation
(allocator, class, size), the struct member it is (and how that member is
isolated), the object that contains it (a crypto context, a slab cache) and
where inside an allocation the buffer starts. It holds no tree-sitter node:
rules judge plain data.

A member's neighbourhood (who shares its cache lines) is not computed here:
the origin names its ``MemberSite`` and the rule that needs the
neighbourhood asks for it (flow/neighbours.py computes it then, once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewbot.analysis.facts.structs import Field


class OriginKind(StrEnum):
    """The kinds of memory a buffer can be (the ``origin`` detail of a finding)."""

    STACK = "stack"  # a local variable or array, or a member of a local struct
    STATIC = "static"  # static or global data, a string literal
    HEAP = "heap"  # an allocator's memory (``alloc`` says which)
    EMBEDDED = "embedded"  # a member of a struct reached through a pointer (``member``)
    PARAM = "param"  # a parameter of the function: the caller decides (``param``)
    CONTEXT = "context"  # a crypto context from an accessor (``container`` says its alignment)
    CLIENT = "client"  # a bus client's buffer in a transfer descriptor a controller received
    UNKNOWN = "unknown"  # not visible in the text: rules stay silent


@dataclass(frozen=True)
class Allocation:
    """Memory from an allocator: its name, its class in config/dma.toml, the size asked."""

    allocator: str
    cls: str | None = None  # "kmalloc", "devm-kmalloc", "vmalloc", "coherent", ...
    size: int | None = None  # bytes, when constant here
    size_text: str | None = None  # the size as written


@dataclass(frozen=True)
class Member:
    """A struct member: which one, and whether its isolation is its own."""

    struct: str
    field: str
    starts_region: bool = False  # the isolation annotation is on the member itself
    bytes: int | None = None  # its size at most, when visible (the most a transfer maps)


@dataclass(frozen=True)
class Container:
    """The object a buffer lies in, when that decides its alignment.

    ``macro`` is what the object is aligned to (a crypto context:
    ``CRYPTO_MINALIGN``), None when only ``via`` is known (a slab cache's
    creating call); ``via`` is the accessor or the cache creator it came through.
    """

    macro: str | None
    via: str | None


@dataclass(frozen=True)
class Placement:
    """Where inside an allocation the buffer starts (flow/tails.py).

    ``offset`` as written, ``bytes`` its value when constant, ``level`` the
    alignment level it is rounded to ("dma", "l1", "kmalloc", "none" for a
    known non-multiple, None when not visible), and ``tail_of`` the struct
    whose end it starts at (a descriptor's tail), None for carving.
    """

    offset: str
    bytes: int | None = None
    level: str | None = None
    tail_of: str | None = None


@dataclass(frozen=True)
class MemberSite:
    """Where a member buffer is reached: an index into its file's site table.

    The flow layer keeps the function, the holder expression and the struct
    behind it (flow/file.py); rules only pass the site back to ask for its
    neighbourhood.
    """

    index: int


@dataclass(frozen=True)
class Origin:
    """One possible origin of a buffer.

    ``certain`` is False when the pointer may also point elsewhere.
    ``level``/``annotation``: how well the memory is isolated or aligned, and
    how that is written (a member's ``__aligned(...)``, a cache's ``align``,
    a context's macro). Where the driver runs is no property of its memory:
    the rules' exposure reads it from the file's platform. ``site`` (members)
    does not take part in equality: two
    origins that differ only there are the same when their neighbourhoods are
    (flow/file.py decides that).
    """

    kind: OriginKind
    what: str
    line: int | None = None
    certain: bool = True
    param: int | None = None  # PARAM: the parameter's index
    via: str | None = None  # the same-file helper whose return value it is (fieldflow.py)
    alloc: Allocation | None = None
    member: Member | None = None
    level: str | None = None
    annotation: str | None = None
    container: Container | None = None
    placement: Placement | None = None
    site: MemberSite | None = field(default=None, compare=False)

    def allocated_by(self, *classes: str) -> bool:
        """Heap memory of one of the allocator ``classes``."""
        return self.kind is OriginKind.HEAP and self.alloc is not None \
            and self.alloc.cls in classes

    @property
    def cls(self) -> str | None:
        """The allocator class of heap memory (None otherwise)."""
        return self.alloc.cls if self.alloc is not None else None

    @property
    def size(self) -> int | None:
        return self.alloc.size if self.alloc is not None else None

    @property
    def size_text(self) -> str | None:
        return self.alloc.size_text if self.alloc is not None else None


UNKNOWN = Origin(OriginKind.UNKNOWN, "memory of unknown origin")


def embedded(struct: str, member: Field, header: str | None = None,
             size: int | None = None) -> Origin:
    """The origin of a struct member buffer, isolated as its declaration says; ``size``:
    the bytes the member takes, when visible."""
    info = Member(struct, member.name, member.starts_region, size)
    if header is not None:  # a line number alone would point into the wrong file
        return Origin(OriginKind.EMBEDDED, f"member '{member.name}' of struct {struct} "
                      f"({header}:{member.line})", None, member=info,
                      level=member.isolation, annotation=member.annotation)
    return Origin(OriginKind.EMBEDDED, f"member '{member.name}' of struct {struct}",
                  member.line, member=info, level=member.isolation,
                  annotation=member.annotation)
