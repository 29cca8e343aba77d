"""Tiny kernel trees for the tree profile: only the files it reads, cut from Linux 6.1 / 6.12.

Each file keeps the lines that state a fact, in the shape the real file has
them (the ``#if`` around them, the Kconfig entry holding a ``select``, the
function a check lives in), with some of the surrounding text, so the reader
meets what it meets in a real tree. ``tree_61()`` follows 6.1.192,
``tree_612()`` 6.12.118; both have arm64, arm, x86, powerpc, riscv, parisc,
alpha and mips (one platform header and the generic one). This module holds the
generic files and puts the trees together; each architecture's files are in
profile_tree_arches.py.
"""

from __future__ import annotations

from pathlib import Path

from tests.analysis.profile_tree_arches import (
    ALPHA_CACHE_H,
    ALPHA_KCONFIG,
    ARM64_PLATFORMS,
    ARM_CACHE_H,
    ARM_KCONFIG,
    ARM_MM_KCONFIG,
    MIPS_CACHE_H,
    MIPS_GENERIC_KMALLOC,
    MIPS_IP32_KMALLOC,
    MIPS_IP32_PLATFORM,
    MIPS_KBUILD_PLATFORMS,
    MIPS_KCONFIG,
    MIPS_MAKEFILE,
    PARISC_CACHE_H,
    PARISC_KCONFIG,
    POWERPC_CACHE_H,
    POWERPC_CPUTYPE,
    POWERPC_KCONFIG,
    X86_CACHE_H,
    X86_KCONFIG,
    X86_KCONFIG_CPU,
    arm64_cache_h,
    arm64_kconfig,
    riscv_cache_h,
    riscv_kconfig,
)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def makefile(patchlevel: int, sublevel: int) -> str:
    return f"""# SPDX-License-Identifier: GPL-2.0
VERSION = 6
PATCHLEVEL = {patchlevel}
SUBLEVEL = {sublevel}
EXTRAVERSION =
NAME = Test Tree

# *DOCUMENTATION*
"""


GENERIC_CACHE_H = """/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LINUX_CACHE_H
#define __LINUX_CACHE_H

#include <uapi/linux/kernel.h>
#include <asm/cache.h>

#ifndef L1_CACHE_ALIGN
#define L1_CACHE_ALIGN(x) __ALIGN_KERNEL(x, L1_CACHE_BYTES)
#endif

#ifndef SMP_CACHE_BYTES
#define SMP_CACHE_BYTES L1_CACHE_BYTES
#endif

#ifdef ARCH_DMA_MINALIGN
#define ARCH_HAS_DMA_MINALIGN
#else
#define ARCH_DMA_MINALIGN __alignof__(unsigned long long)
#endif

#endif /* __LINUX_CACHE_H */
"""

SLAB_H = """/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_SLAB_H
#define	_LINUX_SLAB_H

#include <linux/cache.h>

size_t ksize(const void *objp);

/*
 * Some archs want to perform DMA into kmalloc caches and need a guaranteed
 * alignment larger than the alignment of a 64-bit integer.
 * Setting ARCH_DMA_MINALIGN in arch headers allows that.
 */
#ifdef ARCH_HAS_DMA_MINALIGN
#if ARCH_DMA_MINALIGN > 8 && !defined(ARCH_KMALLOC_MINALIGN)
#define ARCH_KMALLOC_MINALIGN ARCH_DMA_MINALIGN
#endif
#endif

#ifndef ARCH_KMALLOC_MINALIGN
#define ARCH_KMALLOC_MINALIGN __alignof__(unsigned long long)
#elif ARCH_KMALLOC_MINALIGN > 8
#define KMALLOC_MIN_SIZE ARCH_KMALLOC_MINALIGN
#define KMALLOC_SHIFT_LOW ilog2(KMALLOC_MIN_SIZE)
#endif

/*
 * Setting ARCH_SLAB_MINALIGN in arch headers allows a different alignment.
 */
#ifndef ARCH_SLAB_MINALIGN
#define ARCH_SLAB_MINALIGN __alignof__(unsigned long long)
#endif

#endif	/* _LINUX_SLAB_H */
"""

DMA_MAP_OPS_COHERENCE = """
#if defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || \\
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \\
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL)
extern bool dma_default_coherent;
static inline bool dev_is_dma_coherent(struct device *dev)
{
	return dev->dma_coherent;
}
#else
static inline bool dev_is_dma_coherent(struct device *dev)
{
	return true;
}
#endif /* CONFIG_ARCH_HAS_DMA_COHERENCE_H */
"""

DMA_MAP_OPS_BOUNCE = """
/*
 * Check whether potential kmalloc() buffers are safe for non-coherent DMA.
 */
static inline bool dma_kmalloc_safe(struct device *dev,
				    enum dma_data_direction dir)
{
	/*
	 * If DMA bouncing of kmalloc() buffers is disabled, the kmalloc()
	 * caches have already been aligned to a DMA-safe size.
	 */
	if (!IS_ENABLED(CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC))
		return true;

	/*
	 * kmalloc() buffers are DMA-safe irrespective of size if the device
	 * is coherent or the direction is DMA_TO_DEVICE (non-desctructive
	 * cache maintenance and benign cache line evictions).
	 */
	if (dev_is_dma_coherent(dev) || dir == DMA_TO_DEVICE)
		return true;

	return false;
}

/*
 * Check whether the given size, assuming it is for a kmalloc()'ed buffer, is
 * sufficiently aligned for non-coherent DMA.
 */
static inline bool dma_kmalloc_size_aligned(size_t size)
{
	/*
	 * Larger kmalloc() sizes are guaranteed to be aligned to
	 * ARCH_DMA_MINALIGN.
	 */
	if (size >= 2 * ARCH_DMA_MINALIGN ||
	    IS_ALIGNED(kmalloc_size_roundup(size), dma_get_cache_alignment()))
		return true;

	return false;
}

static inline bool dma_kmalloc_needs_bounce(struct device *dev, size_t size,
					    enum dma_data_direction dir)
{
	return !dma_kmalloc_safe(dev, dir) && !dma_kmalloc_size_aligned(size);
}
"""

DMA_KCONFIG_612 = """# SPDX-License-Identifier: GPL-2.0-only

config HAS_DMA
	bool
	depends on !NO_DMA
	default y

config ARCH_HAS_SYNC_DMA_FOR_DEVICE
	bool

config ARCH_HAS_SYNC_DMA_FOR_CPU
	bool
	select NEED_DMA_MAP_STATE

config SWIOTLB
	bool
	select NEED_DMA_MAP_STATE

config DMA_BOUNCE_UNALIGNED_KMALLOC
	bool
	depends on SWIOTLB

config DMA_NEED_SYNC
	def_bool ARCH_HAS_SYNC_DMA_FOR_DEVICE || ARCH_HAS_SYNC_DMA_FOR_CPU || \\
		 ARCH_HAS_SYNC_DMA_FOR_CPU_ALL || DMA_API_DEBUG || \\
		 ARCH_HAS_DMA_OPS || SWIOTLB
"""

DIRECT_H_612 = """static inline dma_addr_t dma_direct_map_page(struct device *dev,
		struct page *page, unsigned long offset, size_t size,
		enum dma_data_direction dir, unsigned long attrs)
{
	phys_addr_t phys = page_to_phys(page) + offset;
	dma_addr_t dma_addr = phys_to_dma(dev, phys);

	if (unlikely(!dma_capable(dev, dma_addr, size, true)) ||
	    dma_kmalloc_needs_bounce(dev, size, dir)) {
		if (is_swiotlb_active(dev))
			return swiotlb_map(dev, phys, size, dir, attrs);
	}
	return dma_addr;
}
"""

SLAB_COMMON_61 = """// SPDX-License-Identifier: GPL-2.0
#ifndef CONFIG_SLOB
/* Create a cache during boot when no slab services are available yet */
void __init create_boot_cache(struct kmem_cache *s, const char *name,
		unsigned int size, slab_flags_t flags,
		unsigned int useroffset, unsigned int usersize)
{
	int err;
	unsigned int align = ARCH_KMALLOC_MINALIGN;

	s->name = name;
	s->size = s->object_size = size;

	/*
	 * For power of two sizes, guarantee natural alignment for kmalloc
	 * caches, regardless of SL*B debugging options.
	 */
	if (is_power_of_2(size))
		align = max(align, size);
	s->align = calculate_alignment(flags, align, size);
	err = __kmem_cache_create(s, flags);
}
#endif
"""

SLAB_COMMON_612 = SLAB_COMMON_61.replace("#ifndef CONFIG_SLOB\n", "").replace(
    "#endif\n", "") + """
static unsigned int __kmalloc_minalign(void)
{
	unsigned int minalign = dma_get_cache_alignment();

	if (IS_ENABLED(CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC) &&
	    is_swiotlb_allocated())
		minalign = ARCH_KMALLOC_MINALIGN;

	return max(minalign, arch_slab_minalign());
}

static void __init
new_kmalloc_cache(int idx, enum kmalloc_cache_type type)
{
	slab_flags_t flags = 0;
	unsigned int minalign = __kmalloc_minalign();
	unsigned int aligned_size = kmalloc_info[idx].size;

	if (minalign > ARCH_KMALLOC_MINALIGN) {
		aligned_size = ALIGN(aligned_size, minalign);
	}
}
"""


def devres_c(align: str) -> str:
    return f"""// SPDX-License-Identifier: GPL-2.0
struct devres_node {{
	struct list_head		entry;
	dr_release_t			release;
	const char			*name;
	size_t				size;
}};

struct devres {{
	struct devres_node		node;
	/*
	 * Some archs want to perform DMA into kmalloc caches
	 * and need a guaranteed alignment larger than
	 * the alignment of a 64-bit integer.
	 */
	u8 __aligned({align}) data[];
}};
"""


def iio_h(align: str) -> str:
    return f"""/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _INDUSTRIAL_IO_H_
#define _INDUSTRIAL_IO_H_

/*
 * Used to ensure the iio_priv() structure is aligned to allow that structure
 * to in turn include IIO_DMA_MINALIGN'd elements such as buffers which
 * must not share  cachelines with the rest of the structure, thus making
 * them safe for use with non-coherent DMA.
 */
#define IIO_DMA_MINALIGN {align}
struct iio_dev *iio_device_alloc(struct device *parent, int sizeof_priv);

#endif /* _INDUSTRIAL_IO_H_ */
"""


CRYPTO_H = """/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _LINUX_CRYPTO_H
#define _LINUX_CRYPTO_H

/*
 * The macro CRYPTO_MINALIGN_ATTR (along with the void * type in the actual
 * declaration) is used to ensure that the crypto_tfm context structure is
 * aligned correctly for the given architecture.
 */
#define CRYPTO_MINALIGN ARCH_KMALLOC_MINALIGN

#define CRYPTO_MINALIGN_ATTR __attribute__ ((__aligned__(CRYPTO_MINALIGN)))

#endif	/* _LINUX_CRYPTO_H */
"""

ALGAPI_61 = """/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _CRYPTO_ALGAPI_H
#define _CRYPTO_ALGAPI_H

#define MAX_ALGAPI_ALIGNMASK		63

static inline void *crypto_tfm_ctx(struct crypto_tfm *tfm)
{
	return tfm->__crt_ctx;
}

#endif	/* _CRYPTO_ALGAPI_H */
"""

ALGAPI_612 = """/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef _CRYPTO_ALGAPI_H
#define _CRYPTO_ALGAPI_H

#define MAX_ALGAPI_ALIGNMASK		127

#ifdef ARCH_DMA_MINALIGN
#define CRYPTO_DMA_ALIGN ARCH_DMA_MINALIGN
#else
#define CRYPTO_DMA_ALIGN CRYPTO_MINALIGN
#endif

#define CRYPTO_DMA_PADDING ((CRYPTO_DMA_ALIGN - 1) & ~(CRYPTO_MINALIGN - 1))

static inline unsigned int crypto_dma_align(void)
{
	return CRYPTO_DMA_ALIGN;
}

static inline void *crypto_tfm_ctx_dma(struct crypto_tfm *tfm)
{
	return crypto_tfm_ctx_align(tfm, crypto_dma_align());
}

#endif	/* _CRYPTO_ALGAPI_H */
"""

SKCIPHER_INTERNAL_612 = """/* SPDX-License-Identifier: GPL-2.0-or-later */
static inline void *crypto_skcipher_ctx(struct crypto_skcipher *tfm)
{
	return crypto_tfm_ctx(&tfm->base);
}

static inline void *crypto_skcipher_ctx_dma(struct crypto_skcipher *tfm)
{
	return crypto_tfm_ctx_dma(&tfm->base);
}
"""

SPI_C = """// SPDX-License-Identifier: GPL-2.0-or-later
static int spi_map_buf_attrs(struct spi_controller *ctlr, struct device *dev,
			     struct sg_table *sgt, void *buf, size_t len,
			     enum dma_data_direction dir, unsigned long attrs)
{
	const bool vmalloced_buf = is_vmalloc_addr(buf);
	unsigned int max_seg_size = dma_get_max_seg_size(dev);
	int sgs;
	struct page *vm_page;

	if (vmalloced_buf) {
		sgs = DIV_ROUND_UP(len + offset_in_page(buf), PAGE_SIZE);
	} else if (virt_addr_valid(buf)) {
		sgs = DIV_ROUND_UP(len, max_seg_size);
	} else {
		return -EINVAL;
	}
	for (i = 0; i < sgs; i++) {
		if (vmalloced_buf)
			vm_page = vmalloc_to_page(buf);
	}
	return 0;
}

int spi_map_buf(struct spi_controller *ctlr, struct device *dev,
		struct sg_table *sgt, void *buf, size_t len,
		enum dma_data_direction dir)
{
	return spi_map_buf_attrs(ctlr, dev, sgt, buf, len, dir, 0);
}

int spi_write_then_read(struct spi_device *spi,
		const void *txbuf, unsigned n_tx,
		void *rxbuf, unsigned n_rx)
{
	return 0;
}
"""

HCD_C = """// SPDX-License-Identifier: GPL-2.0+
int usb_hcd_map_urb_for_dma(struct usb_hcd *hcd, struct urb *urb,
			    gfp_t mem_flags)
{
	enum dma_data_direction dir;
	int ret = 0;

	if (urb->transfer_buffer_length != 0
	    && !(urb->transfer_flags & URB_NO_TRANSFER_DMA_MAP)) {
		dir = usb_urb_dir_in(urb) ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
		if (hcd_uses_dma(hcd)) {
			if (urb->num_sgs) {
				ret = -EINVAL;
			} else if (object_is_on_stack(urb->transfer_buffer)) {
				WARN_ONCE(1, "transfer buffer is on stack\\n");
				ret = -EAGAIN;
			} else {
				urb->transfer_dma = dma_map_single(
						hcd->self.sysdev,
						urb->transfer_buffer,
						urb->transfer_buffer_length,
						dir);
			}
		}
	}
	return ret;
}
"""

USB_H = """/* SPDX-License-Identifier: GPL-2.0 */
extern int usb_control_msg(struct usb_device *dev, unsigned int pipe,
	__u8 request, __u8 requesttype, __u16 value, __u16 index,
	void *data, __u16 size, int timeout);
int usb_control_msg_send(struct usb_device *dev, __u8 endpoint, __u8 request,
			 __u8 requesttype, __u16 value, __u16 index,
			 const void *data, __u16 size, int timeout,
			 gfp_t memflags);
int usb_control_msg_recv(struct usb_device *dev, __u8 endpoint, __u8 request,
			 __u8 requesttype, __u16 value, __u16 index,
			 void *data, __u16 size, int timeout,
			 gfp_t memflags);
"""

SPI_H = """/* SPDX-License-Identifier: GPL-2.0-or-later */
extern int spi_write_then_read(struct spi_device *spi,
		const void *txbuf, unsigned n_tx,
		void *rxbuf, unsigned n_rx);

static inline ssize_t spi_w8r8(struct spi_device *spi, u8 cmd)
{
	ssize_t			status;
	u8			result;

	status = spi_write_then_read(spi, &cmd, 1, &result, 1);

	/* return negative errno or unsigned value */
	return (status < 0) ? status : result;
}

static inline ssize_t spi_w8r16(struct spi_device *spi, u8 cmd)
{
	return spi_write_then_read(spi, &cmd, 1, &result, 2);
}

static inline ssize_t spi_w8r16be(struct spi_device *spi, u8 cmd)
{
	return spi_write_then_read(spi, &cmd, 1, &result, 2);
}
"""


def _common(patchlevel: int, sublevel: int) -> dict[str, str]:
    return {
        "Makefile": makefile(patchlevel, sublevel),
        "include/linux/cache.h": GENERIC_CACHE_H,
        "include/linux/slab.h": SLAB_H,
        "include/linux/crypto.h": CRYPTO_H,
        "include/linux/usb.h": USB_H,
        "include/linux/spi/spi.h": SPI_H,
        "drivers/spi/spi.c": SPI_C,
        "drivers/usb/core/hcd.c": HCD_C,
        "MAINTAINERS": "THE REST\nM:\tLinus Torvalds <torvalds@linux-foundation.org>\n",
        "arch/arm/include/asm/cache.h": ARM_CACHE_H,
        "arch/arm/Kconfig": ARM_KCONFIG,
        "arch/arm/mm/Kconfig": ARM_MM_KCONFIG,
        "arch/x86/include/asm/cache.h": X86_CACHE_H,
        "arch/x86/Kconfig": X86_KCONFIG,
        "arch/x86/Kconfig.cpu": X86_KCONFIG_CPU,
        "arch/powerpc/include/asm/cache.h": POWERPC_CACHE_H,
        "arch/powerpc/Kconfig": POWERPC_KCONFIG,
        "arch/powerpc/platforms/Kconfig.cputype": POWERPC_CPUTYPE,
        "arch/parisc/include/asm/cache.h": PARISC_CACHE_H,
        "arch/parisc/Kconfig": PARISC_KCONFIG,
        "arch/alpha/include/asm/cache.h": ALPHA_CACHE_H,
        "arch/alpha/Kconfig": ALPHA_KCONFIG,
        "arch/mips/include/asm/cache.h": MIPS_CACHE_H,
        "arch/mips/include/asm/mach-generic/kmalloc.h": MIPS_GENERIC_KMALLOC,
        "arch/mips/include/asm/mach-ip32/kmalloc.h": MIPS_IP32_KMALLOC,
        "arch/mips/Kconfig": MIPS_KCONFIG,
        "arch/mips/Kbuild.platforms": MIPS_KBUILD_PLATFORMS,
        "arch/mips/sgi-ip32/Platform": MIPS_IP32_PLATFORM,
        "arch/mips/Makefile": MIPS_MAKEFILE,
        "arch/arm64/Kconfig.platforms": ARM64_PLATFORMS,
    }


def tree_61() -> dict[str, str]:
    """A 6.1.192-style tree: kmalloc aligned to ARCH_DMA_MINALIGN, no bouncing."""
    return {
        **_common(1, 192),
        "include/linux/dma-map-ops.h": DMA_MAP_OPS_COHERENCE,
        "mm/slab_common.c": SLAB_COMMON_61,
        "drivers/base/devres.c": devres_c("ARCH_KMALLOC_MINALIGN"),
        "include/linux/iio/iio.h": iio_h("ARCH_KMALLOC_MINALIGN"),
        "include/crypto/algapi.h": ALGAPI_61,
        "arch/arm64/include/asm/cache.h": arm64_cache_h(kmalloc_8=False),
        "arch/arm64/Kconfig": arm64_kconfig(bounce=False),
        "arch/riscv/include/asm/cache.h": riscv_cache_h(kmalloc_8=False),
        "arch/riscv/Kconfig": riscv_kconfig(bounce=False),
    }


def tree_612() -> dict[str, str]:
    """A 6.12.118-style tree: arm64 kmalloc at 8, small inbound kmalloc bounced."""
    return {
        **_common(12, 118),
        "include/linux/dma-map-ops.h": DMA_MAP_OPS_COHERENCE + DMA_MAP_OPS_BOUNCE,
        "kernel/dma/Kconfig": DMA_KCONFIG_612,
        "kernel/dma/direct.h": DIRECT_H_612,
        "mm/slab_common.c": SLAB_COMMON_612,
        "drivers/base/devres.c": devres_c("ARCH_DMA_MINALIGN"),
        "include/linux/iio/iio.h": iio_h("ARCH_DMA_MINALIGN"),
        "include/crypto/algapi.h": ALGAPI_612,
        "include/crypto/internal/skcipher.h": SKCIPHER_INTERNAL_612,
        "arch/arm64/include/asm/cache.h": arm64_cache_h(kmalloc_8=True),
        "arch/arm64/Kconfig": arm64_kconfig(bounce=True),
        "arch/riscv/include/asm/cache.h": riscv_cache_h(kmalloc_8=True),
        "arch/riscv/Kconfig": riscv_kconfig(bounce=True),
    }
