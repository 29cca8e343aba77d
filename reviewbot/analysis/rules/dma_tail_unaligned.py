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

from reviewbot.analysis.flow.origin import Origin, OriginKind
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.offsets import KMALLOC_CLASSES, offset_verdict
from reviewbot.model import Severity


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
