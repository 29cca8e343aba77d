"""The architecture files of the tiny profile trees (profile_trees.py): each
architecture's cache.h and Kconfig files, cut from Linux 6.1 / 6.12 with the lines
that state its L1 size, ARCH_DMA_MINALIGN, ARCH_KMALLOC_MINALIGN, non-coherent DMA
and bouncing."""

from __future__ import annotations


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
