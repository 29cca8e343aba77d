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
        # labelled on 6.1 and 6.12: spi_map_buf() takes vmalloc'd or linear-map memory
        # and refuses anything else (-EINVAL); a module's data is neither on x86_64, arm
        # or arm64 without KASLR
        return Verdict(
            "it breaks the SPI contract (buffers must be DMA-safe), and where the "
            "controller uses DMA for it the transfer fails when the driver is a module: "
            "spi_map_buf() maps only vmalloc'd or linear-map memory, and a module's data is "
            "neither on most architectures; copy it into a kmalloc'd buffer",
            (Evidence("outbound-paged-core", Confidence.HIGH,
                      f"{use.via or use.sink} is mapped by the SPI core"),),
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
