"""dma-vmalloc: vmalloc-family memory reaches a DMA sink."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Rule, Verdict
from reviewbot.model import Severity

if TYPE_CHECKING:
    from reviewbot.analysis.flow.resolver import Origin
    from reviewbot.analysis.flow.sinks import SinkUse
    from reviewbot.knowledge import Knowledge


def check(use: SinkUse, o: Origin, knowledge: Knowledge) -> Verdict | None:
    if o.kind != "heap" or o.cls != "vmalloc" or use.vmalloc_ok:
        return None  # a core that maps page by page is fine with vmalloc memory
    return Verdict("vmalloc memory is not physically contiguous and cannot be mapped by "
                   "address")


RULE = Rule(
    "dma-vmalloc", Severity.ERROR,
    "vmalloc/vzalloc/vmap/kvmalloc-family memory reaches a DMA sink",
    "Memory from vmalloc(), vzalloc(), vmap() or kvmalloc()/kvzalloc() (which fall back "
    "to vmalloc for large sizes) is handed to a DMA API by address.",
    "vmalloc memory is only virtually contiguous; dma_map_single() and the USB/SPI cores "
    "map one linear range, so the device reads or writes the wrong pages.",
    "Use kmalloc()/__get_free_pages() for DMA buffers, or map vmalloc memory page by page "
    "with a scatterlist (vmalloc_to_page()) and flush with flush_kernel_vmap_range().",
    (DMA_HOWTO, "include/linux/dma-mapping.h (dma_map_single_attrs warns on vmalloc)"),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=30,
    uses_knowledge=lambda k: any(a.cls == "vmalloc" for a in k.allocators),
)
