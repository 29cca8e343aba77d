"""Tiny kernel trees for the tree profile: only the files it reads, cut from Linux 6.1 / 6.12.

Each file keeps the lines that state a fact, in the shape the real file has
them (the ``#if`` around them, the Kconfig entry holding a ``select``, the
function a check lives in), with some of the surrounding text, so the reader
meets what it meets in a real tree. ``tree_61()`` follows 6.1.192,
``tree_612()`` 6.12.118; both have arm64, arm, x86, powerpc, riscv, parisc,
alpha and mips (one platform header and the generic one).
"""

from __future__ import annotations

from pathlib import Path


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


def arm64_cache_h(kmalloc_8: bool) -> str:
    kmalloc = "#define ARCH_KMALLOC_MINALIGN\t(8)\n" if kmalloc_8 else ""
    getter = ("\n#define dma_get_cache_alignment\tcache_line_size\n" if kmalloc_8 else "")
    return f"""/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2012 ARM Ltd.
 */
#ifndef __ASM_CACHE_H
#define __ASM_CACHE_H

#define L1_CACHE_SHIFT		(6)
#define L1_CACHE_BYTES		(1 << L1_CACHE_SHIFT)

/*
 * Memory returned by kmalloc() may be used for DMA, so we must make
 * sure that all such allocations are cache aligned. Otherwise,
 * unrelated code may cause parts of the buffer to be read into the
 * cache before the transfer is done, causing old data to be seen by
 * the CPU.
 */
#define ARCH_DMA_MINALIGN	(128)
{kmalloc}
#ifndef __ASSEMBLY__

static inline u32 cache_type_cwg(void)
{{
	return SYS_FIELD_GET(CTR_EL0, CWG, read_cpuid_cachetype());
}}

static inline int cache_line_size_of_cpu(void)
{{
	u32 cwg = cache_type_cwg();

	return cwg ? 4 << cwg : ARCH_DMA_MINALIGN;
}}

int cache_line_size(void);
{getter}
#endif	/* __ASSEMBLY__ */

#endif
"""


def arm64_kconfig(bounce: bool) -> str:
    line = "\tselect DMA_BOUNCE_UNALIGNED_KMALLOC\n" if bounce else ""
    return f"""# SPDX-License-Identifier: GPL-2.0-only
config ARM64
	def_bool y
	select ACPI_CCA_REQUIRED if ACPI
	select ARCH_HAS_DMA_PREP_COHERENT
	select ARCH_HAS_SYNC_DMA_FOR_DEVICE
	select ARCH_HAS_SYNC_DMA_FOR_CPU
{line}	select DMA_DIRECT_REMAP
	select HAVE_ARCH_VMAP_STACK
	select SWIOTLB
	help
	  ARM 64-bit (AArch64) Linux support.

source "arch/arm64/Kconfig.platforms"
"""


ARM64_PLATFORMS = """# SPDX-License-Identifier: GPL-2.0-only
menu "Platform selection"

config ARCH_ACTIONS
	bool "Actions Semi Platforms"
	select OWL_TIMER
	help
	  This enables support for the Actions Semiconductor S900 SoC family.

endmenu
"""

ARM_CACHE_H = """/* SPDX-License-Identifier: GPL-2.0 */
/*
 *  arch/arm/include/asm/cache.h
 */
#ifndef __ASMARM_CACHE_H
#define __ASMARM_CACHE_H

#define L1_CACHE_SHIFT		CONFIG_ARM_L1_CACHE_SHIFT
#define L1_CACHE_BYTES		(1 << L1_CACHE_SHIFT)

/*
 * Memory returned by kmalloc() may be used for DMA, so we must make
 * sure that all such allocations are cache aligned. Otherwise,
 * unrelated code may cause parts of the buffer to be read into the
 * cache before the transfer is done, causing old data to be seen by
 * the CPU.
 */
#define ARCH_DMA_MINALIGN	L1_CACHE_BYTES

/*
 * With EABI on ARMv5 and above we must have 64-bit aligned slab pointers.
 */
#if defined(CONFIG_AEABI) && (__LINUX_ARM_ARCH__ >= 5)
#define ARCH_SLAB_MINALIGN 8
#endif

#define __read_mostly __section(".data..read_mostly")

#endif
"""

ARM_KCONFIG = """# SPDX-License-Identifier: GPL-2.0
config ARM
	bool
	default y
	select ARCH_HAS_SYNC_DMA_FOR_DEVICE
	select ARCH_HAS_SYNC_DMA_FOR_CPU
	select DMA_NONCOHERENT_MMAP if MMU
	select HAVE_ARCH_VMAP_STACK if MMU && ARM_HAS_GROUP_RELOCS
	help
	  The ARM series is a line of low-power-consumption RISC chip designs
	  licensed by ARM Ltd and targeted at embedded applications and
	  handhelds such as the Compaq IPAQ.

config ARM_HAS_GROUP_RELOCS
	def_bool y
	depends on !LD_IS_LLD || LLD_VERSION >= 140000

source "arch/arm/mm/Kconfig"
"""

ARM_MM_KCONFIG = """# SPDX-License-Identifier: GPL-2.0
config CPU_V7
	bool
	select CPU_32v7

config ARM_L1_CACHE_SHIFT_6
	bool
	default y if CPU_V7
	help
	  Setting ARM L1 cache line size to 64 Bytes.

config ARM_L1_CACHE_SHIFT
	int
	default 6 if ARM_L1_CACHE_SHIFT_6
	default 5

config ARM_DMA_MEM_BUFFERABLE
	bool "Use non-cacheable memory for DMA" if (CPU_V6 || CPU_V6K || CPU_V7M) && !CPU_V7
	default y if CPU_V6 || CPU_V6K || CPU_V7 || CPU_V7M
"""

X86_CACHE_H = """/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_X86_CACHE_H
#define _ASM_X86_CACHE_H

#include <linux/linkage.h>

/* L1 cache line size */
#define L1_CACHE_SHIFT	(CONFIG_X86_L1_CACHE_SHIFT)
#define L1_CACHE_BYTES	(1 << L1_CACHE_SHIFT)

#define __read_mostly __section(".data..read_mostly")

#endif /* _ASM_X86_CACHE_H */
"""

X86_KCONFIG = """# SPDX-License-Identifier: GPL-2.0
# Select 32 or 64 bit
config 64BIT
	bool "64-bit kernel" if "$(ARCH)" = "x86"
	default "$(ARCH)" != "i386"

config X86_64
	def_bool y
	depends on 64BIT
	select SWIOTLB

config X86
	def_bool y
	select ARCH_HAS_CACHE_LINE_SIZE
	select HAVE_ARCH_VMAP_STACK		if X86_64
	select HAVE_DMA_CONTIGUOUS

source "arch/x86/Kconfig.cpu"
"""

X86_KCONFIG_CPU = """# SPDX-License-Identifier: GPL-2.0
config X86_L1_CACHE_SHIFT
	int
	default "7" if MPENTIUM4 || MPSC
	default "6" if MK7 || MK8 || MPENTIUMM || MCORE2 || MATOM || MVIAC7 || X86_GENERIC || GENERIC_CPU
	default "4" if MELAN || M486SX || M486 || MGEODEGX1
	default "5" if MWINCHIP3D || MWINCHIPC6 || MCRUSOE || MEFFICEON || MCYRIXIII || MK6 || MPENTIUMIII || MPENTIUMII || M686 || M586MMX || M586TSC || M586 || MVIAC3_2 || MGEODE_LX

config X86_F00F_BUG
	def_bool y
	depends on M586MMX || M586TSC || M586 || M486SX || M486
"""

POWERPC_CACHE_H = """/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_POWERPC_CACHE_H
#define _ASM_POWERPC_CACHE_H

#ifdef __KERNEL__


/* bytes per L1 cache line */
#if defined(CONFIG_PPC_8xx)
#define L1_CACHE_SHIFT		4
#define MAX_COPY_PREFETCH	1
#define IFETCH_ALIGN_SHIFT	2
#elif defined(CONFIG_PPC_E500MC)
#define L1_CACHE_SHIFT		6
#define MAX_COPY_PREFETCH	4
#define IFETCH_ALIGN_SHIFT	3
#elif defined(CONFIG_PPC32)
#define MAX_COPY_PREFETCH	4
#define IFETCH_ALIGN_SHIFT	3	/* 603 fetches 2 insn at a time */
#if defined(CONFIG_PPC_47x)
#define L1_CACHE_SHIFT		7
#else
#define L1_CACHE_SHIFT		5
#endif
#else /* CONFIG_PPC64 */
#define L1_CACHE_SHIFT		7
#define IFETCH_ALIGN_SHIFT	4 /* POWER8,9 */
#endif

#define	L1_CACHE_BYTES		(1 << L1_CACHE_SHIFT)

#define	SMP_CACHE_BYTES		L1_CACHE_BYTES

#ifdef CONFIG_NOT_COHERENT_CACHE
#define ARCH_DMA_MINALIGN	L1_CACHE_BYTES
#endif

#endif /* __KERNEL__ */
#endif /* _ASM_POWERPC_CACHE_H */
"""

POWERPC_KCONFIG = """# SPDX-License-Identifier: GPL-2.0
source "arch/powerpc/platforms/Kconfig.cputype"

config PPC
	bool
	default y
	select ARCH_HAS_DMA_MAP_DIRECT		if PPC_PSERIES
	select HAVE_ARCH_KGDB
	select IOMMU_HELPER			if PPC64
"""

POWERPC_CPUTYPE = """# SPDX-License-Identifier: GPL-2.0
config PPC_BOOK3S_32
	bool "512x/52xx/6xx/7xx/74xx/82xx/83xx/86xx"
	select HAVE_ARCH_VMAP_STACK

config NOT_COHERENT_CACHE
	bool
	depends on 4xx || PPC_8xx || PPC_MPC512x || \\
		GAMECUBE_COMMON || AMIGAONE
	select ARCH_HAS_DMA_PREP_COHERENT
	select ARCH_HAS_SYNC_DMA_FOR_DEVICE
	select ARCH_HAS_SYNC_DMA_FOR_CPU
	select DMA_DIRECT_REMAP
	default n if PPC_47x
	default y
"""


def riscv_cache_h(kmalloc_8: bool) -> str:
    kmalloc = "#define ARCH_KMALLOC_MINALIGN\t(8)\n" if kmalloc_8 else ""
    return f"""/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2017 Chen Liqin <liqin.chen@sunplusct.com>
 */

#ifndef _ASM_RISCV_CACHE_H
#define _ASM_RISCV_CACHE_H

#define L1_CACHE_SHIFT		6

#define L1_CACHE_BYTES		(1 << L1_CACHE_SHIFT)

#ifdef CONFIG_RISCV_DMA_NONCOHERENT
#define ARCH_DMA_MINALIGN L1_CACHE_BYTES
{kmalloc}#endif

/*
 * RISC-V requires the stack pointer to be 16-byte aligned, so ensure that
 * the flat loader aligns it accordingly.
 */
#ifndef CONFIG_MMU
#define ARCH_SLAB_MINALIGN	16
#endif

#endif /* _ASM_RISCV_CACHE_H */
"""


def riscv_kconfig(bounce: bool) -> str:
    line = "\tselect DMA_BOUNCE_UNALIGNED_KMALLOC if SWIOTLB\n" if bounce else ""
    return f"""# SPDX-License-Identifier: GPL-2.0-only
config 64BIT
	bool

config RISCV
	def_bool y
	select HAVE_ARCH_VMAP_STACK if MMU && 64BIT
	select RISCV_DMA_NONCOHERENT if ERRATA_THEAD_CMO

config RISCV_DMA_NONCOHERENT
	bool
	select ARCH_HAS_DMA_PREP_COHERENT
	select ARCH_HAS_SYNC_DMA_FOR_DEVICE
	select ARCH_HAS_SYNC_DMA_FOR_CPU
{line}	select DMA_DIRECT_REMAP
"""


PARISC_CACHE_H = """/* SPDX-License-Identifier: GPL-2.0 */
/*
 * include/asm-parisc/cache.h
 */

#ifndef __ARCH_PARISC_CACHE_H
#define __ARCH_PARISC_CACHE_H

/*
 * PA 2.0 processors have 64 and 128-byte L2 cachelines; PA 1.1 processors
 * have 32-byte cachelines.  The L1 length appears to be 16 bytes but this
 * is not clearly documented.
 */
#define L1_CACHE_BYTES 16
#define L1_CACHE_SHIFT 4

#ifndef __ASSEMBLY__

#define SMP_CACHE_BYTES L1_CACHE_BYTES

#ifdef CONFIG_PA20
#define ARCH_DMA_MINALIGN	128
#else
#define ARCH_DMA_MINALIGN	32
#endif
#define ARCH_KMALLOC_MINALIGN	16	/* ldcw requires 16-byte alignment */

#define arch_slab_minalign()	((unsigned)dcache_stride)
#define cache_line_size()	dcache_stride
#define dma_get_cache_alignment cache_line_size

#endif /* ! __ASSEMBLY__ */

#endif
"""

PARISC_KCONFIG = """# SPDX-License-Identifier: GPL-2.0
config PARISC
	def_bool y
	select ALTERNATE_USER_ADDRESS_SPACE
	select ARCH_32BIT_OFF_T if !64BIT

config PA20
	def_bool y
	depends on PA8X00

config PA11
	def_bool y
	depends on PA7000 || PA7100LC || PA7200 || PA7300LC
	select ARCH_HAS_SYNC_DMA_FOR_CPU
	select ARCH_HAS_SYNC_DMA_FOR_DEVICE
"""

ALPHA_CACHE_H = """/* SPDX-License-Identifier: GPL-2.0 */
/*
 * include/asm-alpha/cache.h
 */
#ifndef __ARCH_ALPHA_CACHE_H
#define __ARCH_ALPHA_CACHE_H


/* Bytes per L1 (data) cache line. */
#if defined(CONFIG_ALPHA_GENERIC) || defined(CONFIG_ALPHA_EV6)
# define L1_CACHE_BYTES     64
# define L1_CACHE_SHIFT     6
#else
/* Both EV4 and EV5 are write-through, read-allocate,
   direct-mapped, physical.
*/
# define L1_CACHE_BYTES     32
# define L1_CACHE_SHIFT     5
#endif

#define SMP_CACHE_BYTES    L1_CACHE_BYTES

#endif
"""

ALPHA_KCONFIG = """# SPDX-License-Identifier: GPL-2.0
config ALPHA
	bool
	default y
	select ARCH_32BIT_USTAT_F_TINO
	select ARCH_MIGHT_HAVE_PC_PARPORT
"""

MIPS_CACHE_H = """/*
 * This file is subject to the terms and conditions of the GNU General Public
 * License.  See the file "COPYING" in the main directory of this archive
 * for more details.
 */
#ifndef _ASM_CACHE_H
#define _ASM_CACHE_H

#include <kmalloc.h>

#define L1_CACHE_SHIFT		CONFIG_MIPS_L1_CACHE_SHIFT
#define L1_CACHE_BYTES		(1 << L1_CACHE_SHIFT)

#define __read_mostly __section(".data..read_mostly")

#endif /* _ASM_CACHE_H */
"""

MIPS_GENERIC_KMALLOC = """/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __ASM_MACH_GENERIC_KMALLOC_H
#define __ASM_MACH_GENERIC_KMALLOC_H

#ifdef CONFIG_DMA_NONCOHERENT
/*
 * Total overkill for most systems but need as a safe default.
 * Set this one if any device in the system might do non-coherent DMA.
 */
#define ARCH_DMA_MINALIGN	128
#endif

#endif /* __ASM_MACH_GENERIC_KMALLOC_H */
"""

MIPS_IP32_KMALLOC = """/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __ASM_MACH_IP32_KMALLOC_H
#define __ASM_MACH_IP32_KMALLOC_H


#if defined(CONFIG_CPU_R5000) || defined(CONFIG_CPU_RM7000)
#define ARCH_DMA_MINALIGN	32
#else
#define ARCH_DMA_MINALIGN	128
#endif

#endif /* __ASM_MACH_IP32_KMALLOC_H */
"""

MIPS_KCONFIG = """# SPDX-License-Identifier: GPL-2.0
config MIPS
	bool
	default y
	select ARCH_HAS_CPU_FINALIZE_INIT
	select ARCH_USE_QUEUED_RWLOCKS

config DMA_NONCOHERENT
	bool
	select ARCH_HAS_DMA_PREP_COHERENT
	select ARCH_HAS_SYNC_DMA_FOR_CPU
	select ARCH_HAS_SYNC_DMA_FOR_DEVICE

config MIPS_L1_CACHE_SHIFT_7
	bool

config MIPS_L1_CACHE_SHIFT
	int
	default "7" if MIPS_L1_CACHE_SHIFT_7
	default "5"
"""

MIPS_KBUILD_PLATFORMS = """# SPDX-License-Identifier: GPL-2.0
# All platforms listed in alphabetic order

platform-$(CONFIG_SGI_IP32)		+= sgi-ip32/

# include the platform specific files
include $(patsubst %/, $(srctree)/arch/mips/%/Platform, $(platform-y))
"""

MIPS_IP32_PLATFORM = """#
# SGI-O2
#
cflags-$(CONFIG_SGI_IP32)	+= -I$(srctree)/arch/mips/include/asm/mach-ip32
load-$(CONFIG_SGI_IP32)		+= 0xffffffff80004000
"""

MIPS_MAKEFILE = """#
# Makefile for the MIPS architecture
#
include $(srctree)/arch/mips/Kbuild.platforms

cflags-y			+= -I$(srctree)/arch/mips/include/asm/mach-generic
drivers-$(CONFIG_PCI)		+= arch/mips/pci/
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
