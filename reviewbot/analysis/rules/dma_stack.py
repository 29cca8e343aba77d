"""dma-stack: a stack variable or array reaches a DMA sink that does not copy."""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin, OriginKind
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.exposure import CONTRACT, FAILS
from reviewbot.model import Confidence, Evidence, Severity

# The SPI core (spi_map_buf) maps a vmalloc'd (VMAP) stack page by page, so an
# outbound stack buffer usually works: a warning, not an error.
OUTBOUND_PAGED = (
    "the SPI core maps a vmalloc'd stack page by page, so outbound stack data usually "
    "works, but it breaks the SPI contract (buffers must be DMA-safe, not on the stack) "
    "and CONFIG_DMA_API_DEBUG reports the mapping; use a kmalloc'd buffer or "
    "spi_write_then_read(), which copies")
# Inbound, the SPI core maps the stack page by page too; what it corrupts depends on
# the controller (most move a few bytes by PIO) and on the CPU writing the stack lines
# around it while the transfer runs (the caller's own frames below it): the contract is
# broken for certain, the corruption is not visible here (labelled on 6.1 and 6.12).
INBOUND_PAGED = (
    "the SPI core maps a vmalloc'd stack page by page; where the controller moves it by "
    "DMA on a non-coherent machine, the invalidation after the transfer discards CPU writes "
    "to the stack lines around it (the waiting caller's frames), and it breaks the SPI "
    "contract (buffers must be DMA-safe, not on the stack); use a kmalloc'd buffer or "
    "spi_write_then_read(), which copies")


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    knowledge = judging.knowledge
    if o.kind is not OriginKind.STACK:
        return None
    if use.vmalloc_ok and not use.inbound:
        if use.confidence is not Confidence.HIGH:
            return None  # regmap: on I2C the bus copies; on SPI it may reach the core
        return Verdict(OUTBOUND_PAGED, (Evidence("outbound-paged-core", Confidence.HIGH,
                                                 f"{use.via or use.sink} maps vmalloc'd "
                                                 "stacks page by page"),),
                       severity=Severity.WARNING, hazard=CONTRACT)
    if use.vmalloc_ok and use.confidence is Confidence.HIGH:
        return Verdict(INBOUND_PAGED, (Evidence("inbound-paged-core", Confidence.HIGH,
                                                f"{use.via or use.sink} maps vmalloc'd "
                                                "stacks page by page"),),
                       severity=Severity.WARNING, hazard=CONTRACT)
    alt = knowledge.copying_alternative(use.via or use.sink)
    instead = " or a copying API"
    if alt is not None:
        names = " / ".join(f"{f}()" for f in alt.family)
        instead = f" or {names}, which {'copies' if len(alt.family) == 1 else 'copy'}"
    return Verdict("stack memory is not DMA-able (USB refuses it; the DMA API cannot map a "
                   "CONFIG_VMAP_STACK stack); "
                   f"use a kmalloc'd buffer{instead}", hazard=FAILS)


RULE = Rule(
    "dma-stack", Severity.ERROR,
    "a stack variable or array (or its address) reaches a DMA sink that does not copy",
    "A local variable, local array, or a member of a local struct is passed to an API "
    "that maps it for DMA (directly, through a transfer descriptor, or through a helper "
    "in the same file that does; a helper that kmemdups or memcpys it first is a copying "
    "API). Outbound stack data to the SPI core (spi_write, tx_buf) is a warning: the core "
    "maps a vmalloc'd stack page by page, so it usually works, but it breaks the SPI "
    "contract and DMA-API debug reports it. Inbound stack data to the SPI core is a warning "
    "too: it corrupts only where the controller DMAs the transfer on a non-coherent machine "
    "while the CPU writes the stack lines around it, which is not visible here. USB in "
    "either direction and the DMA API are errors (usb_hcd_map_urb_for_dma refuses stack "
    "buffers; dma_map_single() cannot map vmalloc memory).",
    "USB refuses a stack buffer where the host controller DMAs (usb_hcd_map_urb_for_dma(): "
    "\"transfer buffer is on stack\", -EAGAIN); elsewhere a CONFIG_VMAP_STACK stack is "
    "vmalloc memory, which dma_map_single() cannot map.",
    "Use a kmalloc'd buffer: one the driver already keeps, or kmalloc() for the "
    "transfer.",
    (DMA_HOWTO, "Documentation/driver-api/usb/dma.rst",
     "commit 'USB: serial: iuu_phoenix: fix DMA from stack' (v5.11) for a typical fix"),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=10,
    uses_knowledge=lambda k: bool(k.sinks) and bool(k.field_sinks),
)
