"""dma-client-buffer: a controller driver maps a client's buffer without checking it.

An I2C host or SPI/spi-mem controller driver that DMA-maps the buffer it got
in a transfer descriptor (``msgs[i].buf``, ``xfer->rx_buf``,
``op->data.buf.in``) with ``dma_map_single()`` breaks on what clients may
legally pass: stack buffers on I2C, vmalloc'd buffers on SPI (spi-nor under
UBI). It is silent when the controller's file shows a check or a bounce
(``i2c_get_dma_safe_msg_buf``, ``is_vmalloc_addr``,
``spi_controller_dma_map_mem_op_data``...). Confidence comes from the data:
medium for I2C, whose contract makes stack buffers legal, low for SPI and
I3C, where it depends on which clients use the controller.
"""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin, OriginKind
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.exposure import CONTRACT
from reviewbot.model import Confidence, Evidence, Severity


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    knowledge = judging.knowledge
    if o.kind is not OriginKind.CLIENT or not use.maps:
        return None
    entry = next((c for c in knowledge.client_buffers if c.struct == o.annotation), None)
    where = f"{o.member.struct}.{o.member.field}" if o.member is not None else "the descriptor"
    if entry is None:
        return None
    return Verdict(
        f"{entry.why}; nothing in this file checks or bounces it "
        f"({', '.join(entry.safe_with)})",
        (Evidence("client-buffer", Confidence.parse(entry.confidence),
                  f"what clients pass in {where} is decided in other modules"),),
        hazard=CONTRACT)


RULE = Rule(
    "dma-client-buffer", Severity.WARNING,
    "a controller driver DMA-maps a client's transfer buffer without checking or bouncing it",
    "An I2C host, SPI or spi-mem controller driver maps the buffer of a transfer descriptor "
    "it received (msgs[i].buf, xfer->rx_buf, op->data.buf.in) with dma_map_single() and its "
    "file has no is_vmalloc_addr()/virt_addr_valid() check or bounce "
    "(i2c_get_dma_safe_msg_buf(), spi_controller_dma_map_mem_op_data()).",
    "Clients may legally pass memory dma_map_single() cannot map: I2C clients stack buffers, "
    "SPI and spi-mem clients vmalloc'd ones (the SPI core's spi_map_buf() maps those page by "
    "page). The mapping then points the device at the wrong memory.",
    "Bounce with i2c_get_dma_safe_msg_buf() (I2C), map through "
    "spi_controller_dma_map_mem_op_data()/the core's can_dma (SPI), or fall back to PIO "
    "when is_vmalloc_addr() or !virt_addr_valid().",
    ("Documentation/i2c/dma-considerations.rst", "drivers/spi/spi.c: spi_map_buf()", DMA_HOWTO),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=30,
    uses_knowledge=lambda k: bool(k.client_buffers) and any(s.maps for s in k.sinks),
)
