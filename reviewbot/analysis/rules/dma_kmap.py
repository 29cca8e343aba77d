"""dma-kmap: the address kmap() (or kmap_local_page(), kmap_atomic()) returned reaches a DMA sink.

Documentation/core-api/dma-api-howto.rst says it in so many words: "you
cannot take the return of a kmap() call and DMA to/from that, similarly to
vmalloc()". On a highmem system the address lies in the pkmap or fixmap
window, outside the linear map, so ``virt_to_page()`` in the DMA API gives
the wrong page. Sinks whose core maps page by page (``vmalloc_ok`` in
config/dma.toml, e.g. the SPI core's ``spi_map_buf()``) handle it.
"""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.model import Confidence, Evidence, Severity

_CLASS = "kmap"


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    if not o.allocated_by(_CLASS) or use.vmalloc_ok:
        return None  # a core that maps page by page copes with kmap addresses
    # A mapping is short-lived: one that reaches the sink through several
    # assignments (typically a struct member set in one place and used in
    # another) has usually been unmapped, and the pointer reset, in between.
    evidence = () if o.certain else (
        Evidence("kmap-through-several-assignments", Confidence.LOW,
                 "the mapping reaches the sink through more than one assignment"),)
    return Verdict("a kmap address of a highmem page is outside the linear map, so the DMA "
                   "API finds the wrong page; map the page itself with dma_map_page() (or "
                   "sg_set_page())", evidence)


RULE = Rule(
    "dma-kmap", Severity.WARNING,
    "the address returned by kmap()/kmap_local_page()/kmap_atomic() reaches a DMA sink",
    "A pointer from kmap(), kmap_local_page(), kmap_local_folio() or kmap_atomic() (plus an "
    "offset) is handed to an API that maps it by address (dma_map_single(), sg_init_one(), "
    "a USB transfer...).",
    "On a system with highmem (32-bit arm, x86, mips, powerpc) the mapping lives in the "
    "pkmap or fixmap window, not the linear map: virt_to_page() and the cache maintenance "
    "act on the wrong page. Without highmem kmap() returns the linear address and it "
    "works, so the bug shows only on the machines nobody tests.",
    "Map the struct page you kmap'd instead: dma_map_page(dev, page, offset, len, dir), or "
    "sg_set_page() in a scatterlist; keep kmap for CPU access only.",
    (DMA_HOWTO, "Documentation/mm/highmem.rst"),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=35,
    uses_knowledge=lambda k: any(a.cls == _CLASS for a in k.allocators) and bool(k.sinks),
)
