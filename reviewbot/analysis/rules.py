"""The rules: each one's id, severity and documentation, defined once.

``reviewbot explain RULE`` prints a rule's documentation, findings carry its
id and severity, and the rule tests check every id here has positive and
negative cases, so nothing about a rule is repeated elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewbot.errors import UsageError
from reviewbot.model import Severity


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    meaning: str
    why: str
    fix: str
    read: tuple[str, ...]

    def explain(self) -> str:
        reading = "\n".join(f"  - {r}" for r in self.read)
        return (f"{self.id} ({self.severity.value}): {self.summary}\n\n"
                f"What it means\n  {self.meaning}\n\n"
                f"Why it matters\n  {self.why}\n\n"
                f"How to fix\n  {self.fix}\n\n"
                f"Read\n{reading}\n")


_DMA_HOWTO = "Documentation/core-api/dma-api-howto.rst (\"What memory is DMA'able?\")"

RULES: tuple[Rule, ...] = (
    Rule(
        "dma-stack", Severity.ERROR,
        "a stack variable or array (or its address) reaches a DMA sink that does not copy",
        "A local variable, local array, or a member of a local struct is passed to an API "
        "that maps it for DMA (directly, through a transfer descriptor, or through a helper "
        "in the same file that does).",
        "With CONFIG_VMAP_STACK the stack is vmalloc memory, which has no linear mapping: "
        "dma_map_single() returns a bogus address or warns, and on non-coherent CPUs the "
        "cache maintenance corrupts neighbouring stack data.",
        "Allocate the buffer with kmalloc()/kzalloc() (free it after the transfer), use a "
        "DMA-safe buffer in the driver's private struct, or switch to a copying API "
        "(usb_control_msg_recv/send, spi_write_then_read, i2c_transfer).",
        (_DMA_HOWTO, "Documentation/driver-api/usb/dma.rst",
         "commit 'USB: serial: iuu_phoenix: fix DMA from stack' (v5.11) for a typical fix")),
    Rule(
        "dma-vmalloc", Severity.ERROR,
        "vmalloc/vzalloc/vmap/kvmalloc-family memory reaches a DMA sink",
        "Memory from vmalloc(), vzalloc(), vmap() or kvmalloc()/kvzalloc() (which fall back "
        "to vmalloc for large sizes) is handed to a DMA API by address.",
        "vmalloc memory is only virtually contiguous; dma_map_single() and the USB/SPI cores "
        "map one linear range, so the device reads or writes the wrong pages.",
        "Use kmalloc()/__get_free_pages() for DMA buffers, or map vmalloc memory page by page "
        "with a scatterlist (vmalloc_to_page()) and flush with flush_kernel_vmap_range().",
        (_DMA_HOWTO, "include/linux/dma-mapping.h (dma_map_single_attrs warns on vmalloc)")),
    Rule(
        "dma-static", Severity.WARNING,
        "static or global data reaches a DMA sink",
        "A static or global variable or array, or a string literal, is passed to a DMA API.",
        "Kernel image and module addresses are excluded from DMA by the DMA API documentation: "
        "module data is vmalloc memory, and cache maintenance on a static buffer can corrupt "
        "neighbouring variables.",
        "Copy the data into a kmalloc()'d buffer (kmemdup()) before the transfer.",
        (_DMA_HOWTO,)),
    Rule(
        "dma-coherent-remap", Severity.ERROR,
        "memory from a coherent allocator or pool is mapped again with dma_map_*",
        "A buffer from dma_alloc_coherent(), dmam_alloc_coherent(), dma_alloc_attrs(), "
        "usb_alloc_coherent() or dma_pool_alloc() is passed to dma_map_single()/dma_map_page().",
        "Coherent memory already has a DMA address and may not be in the linear map; mapping "
        "it again is undefined (and a bug under CONFIG_DMA_API_DEBUG).",
        "Use the dma_addr_t the allocator returned; for USB set URB_NO_TRANSFER_DMA_MAP and "
        "urb->transfer_dma.",
        (_DMA_HOWTO, "Documentation/core-api/dma-api.rst (dma_alloc_coherent)")),
    Rule(
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
         "kernel/dma/direct.h: dma_kmalloc_needs_bounce()")),
    Rule(
        "dma-embedded-unaligned", Severity.WARNING,
        "a struct member is used for inbound DMA without ARCH_DMA_MINALIGN isolation",
        "A buffer inside a struct (st->rx, &st->data[0]) takes inbound DMA, and neither it "
        "nor an earlier member carries __aligned(ARCH_DMA_MINALIGN), IIO_DMA_MINALIGN or "
        "__dma_from_device_group_begin().",
        "The invalidation after inbound DMA discards CPU writes to any other member sharing "
        "the cache line; the swiotlb bounce cannot see inside a struct, so nothing protects it.",
        "Move the DMA buffers to the end of the struct and mark the first one "
        "__aligned(ARCH_DMA_MINALIGN) (IIO: __aligned(IIO_DMA_MINALIGN)), or allocate the "
        "buffer separately.",
        ("the IIO series 'Fix alignment for DMA safety' (v6.0)",
         "commit 'usb: dwc2: fix DMA alignment' (v5.2)", _DMA_HOWTO)),
    Rule(
        "dma-cacheline-l1", Severity.WARNING,
        "a DMA buffer is isolated only with ____cacheline_aligned (L1)",
        "A struct member used for inbound DMA relies on ____cacheline_aligned (or "
        "L1_CACHE_BYTES) for isolation.",
        "____cacheline_aligned is the L1 line size (64 on arm64), short of ARCH_DMA_MINALIGN "
        "(128 on arm64, where some system caches have 128-byte lines).",
        "Use __aligned(ARCH_DMA_MINALIGN) (IIO_DMA_MINALIGN in IIO drivers).",
        ("include/linux/cache.h", "arch/arm64/include/asm/cache.h")),
    Rule(
        "minalign-definition", Severity.INFO,
        "the definition of a minimum-alignment macro changes",
        "A patch changes ARCH_DMA_MINALIGN, ARCH_KMALLOC_MINALIGN, ARCH_SLAB_MINALIGN, "
        "KMALLOC_MIN_SIZE or dma_get_cache_alignment(); the finding gives the values before "
        "and after and the architecture.",
        "Every driver that relies on kmalloc alignment for DMA safety changes behaviour with "
        "it; the change needs the tree-wide audit (reviewbot scan).",
        "Nothing to fix in the patch itself: check the affected drivers list and that the "
        "bounce path (CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC) covers the architecture.",
        ("include/linux/slab.h", "include/linux/cache.h",
         "the series 'mm, dma, arm64: Reduce ARCH_KMALLOC_MINALIGN to 8' (v6.5)")),
    Rule(
        "minalign-usage", Severity.WARNING,
        "code switches between ARCH_KMALLOC_MINALIGN and ARCH_DMA_MINALIGN, or aligns a DMA "
        "buffer with the kmalloc minimum",
        "A patch replaces ARCH_KMALLOC_MINALIGN-level alignment (ARCH_KMALLOC_MINALIGN, "
        "CRYPTO_MINALIGN, ...) by ARCH_DMA_MINALIGN-level alignment or back, or a buffer used "
        "for inbound DMA is aligned with a kmalloc-level macro.",
        "The two were equal on arm64 until v6.5; now ARCH_KMALLOC_MINALIGN is 8, so a buffer "
        "aligned with it is no longer isolated, and a switch changes struct layouts and "
        "memory use.",
        "Align DMA buffers with ARCH_DMA_MINALIGN (or the subsystem's DMA macro such as "
        "IIO_DMA_MINALIGN, crypto_*_ctx_dma()); keep ARCH_KMALLOC_MINALIGN for allocator "
        "metadata.",
        ("the series 'mm, dma, arm64: Reduce ARCH_KMALLOC_MINALIGN to 8' (v6.5)",
         "the crypto 'Set DMA alignment explicitly' patches (v6.2)")),
)


def rule(rule_id: str) -> Rule:
    for r in RULES:
        if r.id == rule_id:
            return r
    raise UsageError(f"unknown rule {rule_id!r}; known: {', '.join(r.id for r in RULES)}")


def explain(rule_id: str) -> str:
    """The documentation ``reviewbot explain RULE`` prints."""
    return rule(rule_id).explain()
