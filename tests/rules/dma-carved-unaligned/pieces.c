// SPDX-License-Identifier: GPL-2.0
/* One kmalloc block split into per-transfer buffers. */
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#define FOO_CMD_LEN	36
#define FOO_RX_LEN	512
#define FOO_SLOT	192
#define FOO_SLOT_DMA	256

struct foo {
	struct device *dev;
	u8 *block;
	u8 *cmd;
	u8 *rx;
};

static int foo_alloc(struct foo *foo)
{
	u8 *block = kmalloc(FOO_CMD_LEN + FOO_RX_LEN, GFP_KERNEL);
	dma_addr_t a;

	if (!block)
		return -ENOMEM;
	/* ok: dma-carved-unaligned (the command piece only goes out) */
	a = dma_map_single(foo->dev, block, FOO_CMD_LEN, DMA_TO_DEVICE);
	/* ruleid: dma-carved-unaligned */
	a = dma_map_single(foo->dev, block + FOO_CMD_LEN, FOO_RX_LEN, DMA_FROM_DEVICE);
	return dma_mapping_error(foo->dev, a);
}

static int foo_slots(struct foo *foo, int i)
{
	u8 *ring = kcalloc(8, FOO_SLOT, GFP_KERNEL);
	u8 *ring2 = kcalloc(8, FOO_SLOT_DMA, GFP_KERNEL);
	dma_addr_t a;

	/* ruleid: dma-carved-unaligned */
	a = dma_map_single(foo->dev, ring + i * FOO_SLOT, FOO_SLOT, DMA_FROM_DEVICE);
	/* ok: dma-carved-unaligned (slots of a multiple of ARCH_DMA_MINALIGN) */
	a = dma_map_single(foo->dev, ring2 + i * FOO_SLOT_DMA, FOO_SLOT_DMA, DMA_FROM_DEVICE);
	return dma_mapping_error(foo->dev, a);
}

static int foo_kmalloc_rounded(struct foo *foo)
{
	size_t head = ALIGN(FOO_CMD_LEN, ARCH_KMALLOC_MINALIGN);
	u8 *block = kmalloc(head + FOO_RX_LEN, GFP_KERNEL);

	/* ruleid: dma-carved-unaligned (conditional on the kmalloc minimum) */
	return dma_map_single(foo->dev, block + ALIGN(FOO_CMD_LEN, ARCH_KMALLOC_MINALIGN),
			      FOO_RX_LEN, DMA_FROM_DEVICE) ? 0 : -EIO;
}

static int foo_dma_rounded(struct foo *foo)
{
	u8 *block = kmalloc(2 * FOO_RX_LEN, GFP_KERNEL);

	/* ok: dma-carved-unaligned (512 is a multiple of ARCH_DMA_MINALIGN) */
	dma_map_single(foo->dev, block + FOO_RX_LEN, FOO_RX_LEN, DMA_FROM_DEVICE);
	/* ok: dma-carved-unaligned (rounded to the DMA alignment) */
	return dma_map_single(foo->dev, block + ALIGN(FOO_CMD_LEN, dma_get_cache_alignment()),
			      FOO_RX_LEN, DMA_FROM_DEVICE) ? 0 : -EIO;
}

static int foo_init(struct foo *foo)
{
	foo->block = kmalloc(FOO_CMD_LEN + FOO_RX_LEN, GFP_KERNEL);
	foo->cmd = foo->block;
	foo->rx = foo->block + FOO_CMD_LEN;
	return 0;
}

static int foo_read(struct foo *foo)
{
	/* ruleid: dma-carved-unaligned (the piece is carved in foo_init) */
	return dma_map_single(foo->dev, foo->rx, FOO_RX_LEN, DMA_FROM_DEVICE) ? 0 : -EIO;
}
