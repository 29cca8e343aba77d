"""dma-cacheline-l1: a DMA buffer isolated only with ``____cacheline_aligned`` (L1)."""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin, OriginKind
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.exposure import Aligned, Hazard, HazardKind
from reviewbot.analysis.rules.members import judged
from reviewbot.model import Confidence, Evidence, Severity


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    knowledge = judging.knowledge
    if o.kind is not OriginKind.EMBEDDED or not use.inbound or o.level != "l1":
        return None
    # labelled on 6.1 and 6.12: an L1-isolated member beside neighbours that are only
    # stored (no lock, counter or work item) was right 3 times in 5, as for
    # dma-embedded-unaligned: that evidence is low here too
    silent, evidence, tail = judged(use, o, judging, elsewhere=Confidence.LOW)
    if silent:
        return None
    dma = knowledge.level_macro("dma")
    return Verdict(
        f"it is isolated only by {o.annotation}, an L1 line, which is short of {dma.name} "
        f"where the L1 line is smaller than the DMA alignment{tail}; use "
        f"__aligned({dma.name})",
        (Evidence("annotation-l1-level", Confidence.HIGH,
                  f"{o.annotation} aligns to the L1 line"), *evidence),
        hazard=Hazard(HazardKind.LINE, Aligned.L1,
                      length=o.member.bytes if o.member is not None else None))


RULE = Rule(
    "dma-cacheline-l1", Severity.WARNING,
    "a DMA buffer is isolated only with ____cacheline_aligned (L1)",
    "A struct member used for inbound DMA relies on ____cacheline_aligned (or "
    "L1_CACHE_BYTES) for isolation. Drivers whose Kconfig builds them only for one "
    "architecture other than arm64 (depends on ARM, X86, ...) are not reported; "
    "confidence follows the neighbours as for dma-embedded-unaligned, and is low when "
    "the only written neighbours precede the member (they share its 128-byte line only "
    "at an odd 64-byte offset) unless an adjacent L1-aligned buffer is written too.",
    "____cacheline_aligned is the L1 line size (64 on arm64), short of ARCH_DMA_MINALIGN "
    "(128 on arm64, where some system caches have 128-byte lines).",
    "Use __aligned(ARCH_DMA_MINALIGN) (IIO_DMA_MINALIGN in IIO drivers).",
    ("include/linux/cache.h", "arch/arm64/include/asm/cache.h"),
    needs=(Fact.SINK_USE, Fact.ORIGIN, Fact.NEIGHBOURS, Fact.PLATFORM),
    check_use=check,
    precedence=60,
    uses_knowledge=lambda k: any(a.level == "l1" for a in k.annotations),
)
