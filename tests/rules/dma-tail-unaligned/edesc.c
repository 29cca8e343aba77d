// SPDX-License-Identifier: GPL-2.0
/* Extended descriptors: an IV, link table or result after the descriptor in one block. */
#include <linux/dma-mapping.h>
#include <linux/slab.h>

struct foo_edesc {
	int src_nents;
	int dst_nents;
	u32 flags;
	u32 hw_desc[16];
};

struct foo_res {
	struct list_head node;
	u32 status;
	u8 out[];
};

struct foo_aligned {
	u32 flags;
	u8 iv[16] __aligned(ARCH_DMA_MINALIGN);
};

static struct foo_edesc *foo_edesc_alloc(struct device *dev, int ivsize, int sg_bytes)
{
	struct foo_edesc *edesc;
	u8 *iv;
	dma_addr_t iv_dma;

	edesc = kzalloc(sizeof(*edesc) + sg_bytes + ivsize, GFP_DMA | GFP_KERNEL);
	if (!edesc)
		return NULL;

	iv = (u8 *)(edesc + 1) + sg_bytes;
	/* ruleid: dma-tail-unaligned */
	iv_dma = dma_map_single(dev, iv, ivsize, DMA_BIDIRECTIONAL);
	/* ok: dma-tail-unaligned (the device only reads the link table) */
	dma_map_single(dev, edesc + 1, sg_bytes, DMA_TO_DEVICE);
	return edesc;
}

static int foo_result(struct device *dev, size_t len)
{
	struct foo_res *res = kmalloc(sizeof(*res) + len, GFP_KERNEL);
	dma_addr_t a;

	/* ruleid: dma-tail-unaligned */
	a = dma_map_single(dev, res->out, len, DMA_FROM_DEVICE);
	return dma_mapping_error(dev, a);
}

static int foo_result_aligned(struct device *dev, size_t len)
{
	struct foo_edesc *d = kmalloc(ALIGN(sizeof(*d), dma_get_cache_alignment()) + len,
				      GFP_KERNEL);
	u8 *buf = PTR_ALIGN((u8 *)(d + 1), dma_get_cache_alignment());

	/* ok: dma-tail-unaligned (PTR_ALIGN rounds the address itself) */
	return dma_mapping_error(dev, dma_map_single(dev, buf, len, DMA_FROM_DEVICE));
}

static int foo_result_offset(struct device *dev, size_t len)
{
	struct foo_edesc *d = kmalloc(ALIGN(sizeof(*d), ARCH_DMA_MINALIGN) + len, GFP_KERNEL);
	u8 *buf = (u8 *)d + ALIGN(sizeof(*d), ARCH_DMA_MINALIGN);

	/* ruleid: dma-tail-unaligned (conditional: the block start is only kmalloc-aligned) */
	return dma_mapping_error(dev, dma_map_single(dev, buf, len, DMA_FROM_DEVICE));
}

static int foo_whole(struct device *dev, struct foo_aligned *fa)
{
	struct foo_edesc *d = kmalloc(sizeof(*d), GFP_KERNEL);

	/* ok: dma-tail-unaligned (the descriptor itself, not a tail) */
	dma_map_single(dev, d->hw_desc, sizeof(d->hw_desc), DMA_TO_DEVICE);
	/* ok: dma-tail-unaligned (an isolated member, not a tail) */
	return dma_map_single(dev, fa->iv, 16, DMA_FROM_DEVICE) ? 0 : -EIO;
}

static struct kmem_cache *foo_qi_cache;

static void *foo_qi_cache_zalloc(gfp_t flags)
{
	return kmem_cache_zalloc(foo_qi_cache, flags);
}

static int foo_qi_edesc(struct device *dev, int nents, int ivsize)
{
	struct foo_res *edesc = foo_qi_cache_zalloc(GFP_DMA | GFP_KERNEL);
	u8 *iv = (u8 *)(edesc->out + nents * 16);

	/* ruleid: dma-tail-unaligned (a slab object's tail, through the allocation helper) */
	return dma_map_single(dev, iv, ivsize, DMA_BIDIRECTIONAL) ? 0 : -EIO;
}
