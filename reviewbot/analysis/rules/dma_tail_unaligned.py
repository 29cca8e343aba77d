"""dma-tail-unaligned: the tail of a kmalloc'd descriptor takes inbound DMA.

``d = kmalloc(sizeof(*d) + ivsize + sg_bytes, ...)`` puts an IV, a link table
or a result right after the descriptor; ``(u8 *)(d + 1) + off`` (or a
flexible array member ``d->sg[]``) mapped DMA_FROM_DEVICE or BIDIRECTIONAL
shares a cache line with the CPU-written fields in front of it unless the
offset is a multiple of ``ARCH_DMA_MINALIGN``. An offset rounded to
``ARCH_DMA_MINALIGN`` still relies on kmalloc() aligning the block itself to
it: a conditional hazard (``bites_when``), as the v6.2/v6.5 caam fixes that
pad the allocation show.
"""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin, OriginKind, Placement
from reviewbot.analysis.flow.sinks import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.conditions import aligned_to, kmalloc_alignment, phrase
from reviewbot.knowledge import Knowledge
from reviewbot.model import Confidence, Evidence, Severity

KMALLOC_CLASSES = ("kmalloc", "devm-kmalloc")


def offset_verdict(at: Placement, knowledge: Knowledge, what: str) -> Verdict | None:
    """The verdict on a buffer at offset ``at`` into a kmalloc block (tails and carving)."""
    dma = knowledge.level_macro("dma")
    level = at.level
    if level == "dma":
        if at.tail_of is None:
            return None  # pieces of a multiple of ARCH_DMA_MINALIGN: the block is too
        cond = kmalloc_alignment(knowledge)
        return Verdict(
            f"its offset ({at.offset}) is a multiple of {dma.name} only within the block, whose "
            f"start kmalloc() aligns to {cond.macro}; pad the allocation by "
            f"{dma.name} - {cond.macro} and PTR_ALIGN() the {what}, or allocate it apart; "
            f"{phrase(cond)}",
            (Evidence("offset-relies-on-kmalloc-alignment", Confidence.MEDIUM,
                      f"{at.offset} is rounded to {dma.name}, the block start is not"),),
            bites_when=cond)
    if level in ("kmalloc", "l1"):
        macro = knowledge.level_macro(level).name
        bites = aligned_to(knowledge, macro) if level == "kmalloc" else None
        tail = f"; {phrase(bites)}" if bites else ""
        return Verdict(
            f"its offset ({at.offset}) is rounded only to {macro}, short of {dma.name} "
            f"({dma.bytes} on {knowledge.quoted_arch}){tail}",
            (Evidence(f"offset-{level}-level", Confidence.MEDIUM,
                      f"{at.offset} is rounded to {macro}"),), bites_when=bites)
    if level == "none":
        known = at.bytes is not None
        shown = f"{at.offset} = {at.bytes} bytes" if known else str(at.offset)
        return Verdict(
            f"its offset ({shown}) is not a multiple of {dma.name} ({dma.bytes} on "
            f"{knowledge.quoted_arch}): the {what} shares a cache line with the CPU-written "
            f"data in front of it, and no bounce can see inside the block; round the offset "
            f"up to {dma.name} (PTR_ALIGN) and pad the allocation, or allocate the {what} apart",
            (Evidence("offset-known" if known else "offset-likely-unaligned",
                      Confidence.HIGH if known else Confidence.MEDIUM,
                      shown if known else f"{at.offset}: no DMA-level alignment in it"),))
    return Verdict(
        f"its offset ({at.offset}) is not known to be a multiple of {dma.name}",
        (Evidence("offset-unknown", Confidence.LOW, f"{at.offset} is not visible here"),))


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    knowledge = judging.knowledge
    at = o.placement
    if o.kind is not OriginKind.HEAP or not use.inbound or at is None or at.tail_of is None:
        return None
    if o.cls == "kmem-cache" and at.level == "none":
        pass  # a slab object's tail at a known-unaligned offset: as for kmalloc
    elif o.cls not in KMALLOC_CLASSES:
        return None  # a rounded offset in a slab object depends on the cache's alignment
    return offset_verdict(at, knowledge, f"tail after struct {at.tail_of}")


RULE = Rule(
    "dma-tail-unaligned", Severity.WARNING,
    "the tail of a kmalloc'd descriptor is used for inbound DMA at an unaligned offset",
    "A buffer placed after a descriptor in one kmalloc() block ((u8 *)(d + 1) + off, or a "
    "flexible array member) is mapped DMA_FROM_DEVICE or DMA_BIDIRECTIONAL, and its offset "
    "is not a multiple of ARCH_DMA_MINALIGN. When the offset is rounded but the block start "
    "is only kmalloc-aligned, the finding is conditional (bites_when).",
    "The invalidation after inbound DMA covers whole cache lines: CPU writes to the "
    "descriptor fields sharing the first line are lost (or the device's data is overwritten "
    "by a write-back). The swiotlb bounce of v6.5 decides by the mapping's size only and "
    "cannot see that the buffer starts inside a larger block.",
    "Round the tail's offset up with PTR_ALIGN(p, dma_get_cache_alignment()) and pad the "
    "allocation by ARCH_DMA_MINALIGN - ARCH_KMALLOC_MINALIGN (as caam does since v6.5), or "
    "allocate the tail separately.",
    ("commit 'crypto: caam - Set DMA alignment explicitly' (v6.2)", DMA_HOWTO),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=45,
    depends_on_kmalloc_alignment=False,
    uses_knowledge=lambda k: any(a.cls == "kmalloc" for a in k.allocators)
    and k.dma_minalign_bytes > 0,
)
