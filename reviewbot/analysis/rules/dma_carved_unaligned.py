"""dma-carved-unaligned: a piece carved out of one kmalloc block takes inbound DMA.

``buf = kmalloc(N * PIECE)`` split into per-transfer pieces ``buf + i * PIECE``
(or ``rx = buf + TX_LEN``): unless the offsets are multiples of
``ARCH_DMA_MINALIGN``, neighbouring pieces share cache lines, and a piece the
CPU fills while another takes inbound DMA loses data. Pieces rounded to
``ARCH_KMALLOC_MINALIGN`` are safe only while that equals ``ARCH_DMA_MINALIGN``
(a conditional hazard). A block small enough for dma-kmalloc-small is left to
that rule, whatever the offset.
"""

from __future__ import annotations

from dataclasses import replace

from reviewbot.analysis.flow.origin import Origin
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.offsets import KMALLOC_CLASSES, offset_verdict
from reviewbot.model import Confidence, Evidence, Severity


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    knowledge = judging.knowledge
    at = o.placement
    if not o.allocated_by(*KMALLOC_CLASSES) or not use.inbound or at is None \
            or at.tail_of is not None:
        return None
    if o.size is not None:
        bucket = next((c for c in knowledge.kmalloc_size_classes if c >= o.size), None)
        if bucket is not None and bucket % knowledge.dma_minalign_bytes:
            return None  # a small block: dma-kmalloc-small says it, whatever the offset
        if at.level == "dma":
            return None  # its size class is naturally aligned: so are pieces at DMA steps
    verdict = offset_verdict(at, knowledge, "piece")
    if verdict is None:
        return None
    if at.level == "dma":
        # Rounded to the DMA alignment: the code itself says its pieces must not share
        # a line (a header the CPU writes before the piece, a result after it); only
        # the block's start, which kmalloc aligns, decides whether they do.
        return replace(verdict, evidence=(*verdict.evidence, Evidence(
            "rounded-for-dma", Confidence.MEDIUM,
            f"the offset {at.offset} is rounded to the DMA alignment, for lines of its own")))
    # Whether the CPU writes a neighbouring piece while this one takes DMA (the
    # only way a shared line loses data) is not visible: a command piece filled
    # before the transfer, as in most carving on 6.1, is what IIO-style tx/rx
    # pairs in one line do, and maintainers accept it. Hence low confidence.
    return replace(verdict, evidence=(*verdict.evidence, Evidence(
        "neighbour-writes-not-visible", Confidence.LOW,
        "whether the CPU writes a neighbouring piece during the DMA is not visible")))


RULE = Rule(
    "dma-carved-unaligned", Severity.WARNING,
    "a piece of one kmalloc block is used for inbound DMA at an offset not rounded to "
    "ARCH_DMA_MINALIGN",
    "One kmalloc() block is split into per-transfer buffers (buf + i * PIECE, rx = buf + "
    "TX_LEN), and a piece whose offset is not a multiple of ARCH_DMA_MINALIGN is mapped "
    "DMA_FROM_DEVICE or DMA_BIDIRECTIONAL. Offsets rounded to ARCH_KMALLOC_MINALIGN are "
    "reported as conditional (bites_when). Low confidence, as whether the CPU writes a "
    "neighbouring piece during the DMA is not visible in the code; medium for offsets rounded "
    "to ARCH_DMA_MINALIGN, where the code itself asks for lines of its own and only "
    "kmalloc's alignment of the block decides whether it gets them.",
    "Neighbouring pieces share a cache line: the invalidation after inbound DMA into one "
    "discards what the CPU wrote into the other (a TX piece filled meanwhile), and no bounce "
    "can see that the mapping starts inside a larger block.",
    "Round each piece's size up to ARCH_DMA_MINALIGN (ALIGN(len, dma_get_cache_alignment())), "
    "or allocate the pieces separately.",
    (DMA_HOWTO, "include/linux/dma-mapping.h: dma_get_cache_alignment()"),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=48,
    uses_knowledge=lambda k: any(a.cls == "kmalloc" for a in k.allocators)
    and k.dma_minalign_bytes > 0,
)
