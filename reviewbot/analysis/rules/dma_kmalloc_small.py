"""dma-kmalloc-small: a small kmalloc buffer (or one of unknown size) takes inbound DMA."""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.conditions import kmalloc_alignment
from reviewbot.analysis.rules.exposure import Aligned, Hazard, HazardKind
from reviewbot.analysis.rules.offsets import KMALLOC_CLASSES
from reviewbot.model import Confidence, Evidence, Severity

# a whole kmalloc buffer: aligned only as kmalloc aligns, and small enough to bounce
SMALL_KMALLOC = Hazard(HazardKind.LINE, Aligned.KMALLOC, bounced=True)


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    knowledge = judging.knowledge
    if not o.allocated_by(*KMALLOC_CLASSES) or not use.inbound:
        return None
    dma = knowledge.level_macro("dma")
    minalign = knowledge.dma_minalign_bytes
    kernels = (f"where kmalloc aligns below {dma.name}, it shares its last cache line with "
               "the next object: inbound DMA into it is bounced where the DMA core bounces "
               "small kmalloc buffers (slower), and corrupts that line where nothing does")
    if o.size is None:
        return Verdict(
            f"its size ({o.size_text or 'unknown'}) is not known here; below {minalign} bytes, "
            f"{kernels}",
            (Evidence("size-unknown", Confidence.LOW,
                      f"the size ({o.size_text or 'unknown'}) is not a constant here"),),
            bites_when=kmalloc_alignment(knowledge), hazard=SMALL_KMALLOC)
    if o.cls == "devm-kmalloc":
        # devres puts the data after its header: the object is header + size, whatever
        # the header's own alignment (kmalloc's or the DMA alignment, by tree)
        total = o.size + minalign
        bucket = next((c for c in knowledge.kmalloc_size_classes if c >= total), None)
        if bucket is None or bucket % minalign == 0:
            return None  # the data starts DMA-aligned and its tail is the object's own
        where = f"a {o.size}-byte devm buffer (after its devres header)"
    else:
        bucket = next((c for c in knowledge.kmalloc_size_classes if c >= o.size), None)
        if bucket is None or bucket % minalign == 0:
            return None
        where = f"a {o.size}-byte kmalloc buffer"
    return Verdict(
        f"{where} is smaller than {dma.name} ({minalign} bytes on {knowledge.quoted_arch}): "
        f"{kernels}",
        (Evidence("size-known", Confidence.HIGH, f"{o.size_text} = {o.size} bytes"),),
        bites_when=kmalloc_alignment(knowledge), hazard=SMALL_KMALLOC)


RULE = Rule(
    "dma-kmalloc-small", Severity.WARNING,
    "a small kmalloc buffer (or one of unknown size) is used for inbound DMA",
    "A kmalloc-family buffer whose size class is not a multiple of ARCH_DMA_MINALIGN "
    "(128 bytes on arm64) is used for DMA_FROM_DEVICE or DMA_BIDIRECTIONAL. Buffers of "
    "unknown size are reported at low confidence.",
    "Since v6.5 (arm64) and v6.6 (riscv) kmalloc only guarantees 8-byte alignment: such "
    "buffers are bounced through swiotlb on non-coherent devices (slower, and only where "
    "swiotlb exists); where nothing bounces, the cache line is shared with other data.",
    "Allocate at least ARCH_DMA_MINALIGN bytes rounded to it (or use a devm/dma helper "
    "that aligns), or use the buffer only DMA_TO_DEVICE.",
    ("commit 'mm, dma, arm64: Reduce ARCH_KMALLOC_MINALIGN to 8' series (v6.5)",
     "kernel/dma/direct.h: dma_kmalloc_needs_bounce()"),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=50,
    depends_on_kmalloc_alignment=True,
    uses_knowledge=lambda k: any(a.cls == "kmalloc" for a in k.allocators)
    and bool(k.kmalloc_size_classes) and k.dma_minalign_bytes > 0,
)
