"""dma-coherent-remap: coherent memory is mapped again with ``dma_map_*``."""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.model import Confidence, Evidence, Hazard, HazardKind, Severity

# fails where the allocator remaps: the tree's architectures decide (rules/exposure.py)
REMAP = Hazard(HazardKind.REMAP)


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    if not o.allocated_by("coherent") or not use.maps:
        return None
    if o.annotation == "DMA_ATTR_FORCE_CONTIGUOUS":
        # NTB-style: contiguous memory allocated for one device and mapped for a second
        return Verdict("coherent memory is already mapped; it was allocated with "
                       "DMA_ATTR_FORCE_CONTIGUOUS, which drivers use to map it for a second "
                       "device on purpose: check that this mapping is for another device",
                       (Evidence("force-contiguous", Confidence.LOW,
                                 "DMA_ATTR_FORCE_CONTIGUOUS asks for a mapping by page"),),
                       hazard=REMAP)
    return Verdict("coherent memory is already mapped; use the dma_addr_t from the allocator "
                   "instead of mapping it again", hazard=REMAP)


RULE = Rule(
    "dma-coherent-remap", Severity.ERROR,
    "memory from a coherent allocator or pool is mapped again with dma_map_*",
    "A buffer from dma_alloc_coherent(), dmam_alloc_coherent(), dma_alloc_attrs(), "
    "usb_alloc_coherent() or dma_pool_alloc() is passed to dma_map_single()/dma_map_page().",
    "Coherent memory already has a DMA address and may not be in the linear map; mapping "
    "it again is undefined (and a bug under CONFIG_DMA_API_DEBUG).",
    "Use the dma_addr_t the allocator returned; for USB set URB_NO_TRANSFER_DMA_MAP and "
    "urb->transfer_dma.",
    (DMA_HOWTO, "Documentation/core-api/dma-api.rst (dma_alloc_coherent)"),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=40,
    uses_knowledge=lambda k: any(a.cls == "coherent" for a in k.allocators)
    and any(s.maps for s in k.sinks),
)
