"""dma-vmalloc: vmalloc-family memory reaches a DMA sink."""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.exposure import FAILS
from reviewbot.model import Severity


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    if not o.allocated_by("vmalloc") or use.vmalloc_ok:
        return None  # a core that maps page by page is fine with vmalloc memory
    return Verdict("vmalloc memory is not physically contiguous and cannot be mapped by "
                   "address", hazard=FAILS)


RULE = Rule(
    "dma-vmalloc", Severity.ERROR,
    "vmalloc/vzalloc/vmap/kvmalloc-family memory reaches a DMA sink",
    "Memory from vmalloc(), vzalloc(), vmap() or kvmalloc()/kvzalloc() (which fall back "
    "to vmalloc for large sizes) is handed to a DMA API by address.",
    "vmalloc memory is only virtually contiguous: dma_map_single() refuses it (\"rejecting "
    "DMA map of vmalloc memory\", DMA_MAPPING_ERROR), so a USB transfer fails with "
    "-EAGAIN; only the SPI core maps it page by page.",
    "Use kmalloc()/__get_free_pages() for DMA buffers, or map vmalloc memory page by page "
    "with a scatterlist (vmalloc_to_page()) and flush with flush_kernel_vmap_range().",
    (DMA_HOWTO, "include/linux/dma-mapping.h (dma_map_single_attrs warns on vmalloc)"),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=30,
    uses_knowledge=lambda k: any(a.cls == "vmalloc" for a in k.allocators),
)
