"""dma-static: static or global data (or a string literal) reaches a DMA sink."""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin, OriginKind
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.exposure import CONTRACT, FAILS
from reviewbot.model import Confidence, Evidence, Severity


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    if o.kind is not OriginKind.STATIC:
        return None
    if use.vmalloc_ok and not use.inbound:
        if use.confidence is not Confidence.HIGH:
            return None  # regmap: on I2C the bus copies; on SPI it may reach the core
        return Verdict(
            "the SPI core maps module data page by page, so outbound static data usually "
            "works, but it breaks the SPI contract (buffers must be DMA-safe) and "
            "CONFIG_DMA_API_DEBUG reports the mapping; copy it into a kmalloc'd buffer",
            (Evidence("outbound-paged-core", Confidence.HIGH,
                      f"{use.via or use.sink} maps vmalloc'd memory page by page"),),
            hazard=CONTRACT)
    return Verdict("static data in the kernel image or a module is not DMA-able; "
                   "copy it into a kmalloc'd buffer", hazard=FAILS if use.inbound else CONTRACT)


RULE = Rule(
    "dma-static", Severity.WARNING,
    "static or global data reaches a DMA sink",
    "A static or global variable or array, or a string literal, is passed to a DMA API.",
    "Kernel image and module addresses are excluded from DMA by the DMA API documentation: "
    "module data is vmalloc memory, and cache maintenance on a static buffer can corrupt "
    "neighbouring variables.",
    "Copy the data into a kmalloc()'d buffer (kmemdup()) before the transfer.",
    (DMA_HOWTO,),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=20,
    uses_knowledge=lambda k: bool(k.sinks),
)
