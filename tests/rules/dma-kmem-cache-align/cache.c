// SPDX-License-Identifier: GPL-2.0
/* Slab caches whose objects take inbound DMA. */
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#define FOO_CMD_SIZE	96

struct foo_cmd {
	u32 tag;
	u8 sense[60];
};

struct foo_big {
	u8 data[256];
};

struct foo_host {
	struct device *dev;
	struct kmem_cache *cmd_cache;
	struct kmem_cache *hw_cache;
	struct kmem_cache *big_cache;
};

static struct kmem_cache *foo_sense_cache;
static struct kmem_cache *foo_status_cache;

static int foo_init_caches(struct foo_host *host)
{
	host->cmd_cache = kmem_cache_create("foo_cmd", sizeof(struct foo_cmd), 0, 0, NULL);
	host->hw_cache = kmem_cache_create("foo_hw", FOO_CMD_SIZE, 0, SLAB_HWCACHE_ALIGN, NULL);
	host->big_cache = kmem_cache_create("foo_big", sizeof(struct foo_big), 8, 0, NULL);
	foo_sense_cache = kmem_cache_create("foo_sense", FOO_CMD_SIZE, 8, 0, NULL);
	foo_status_cache = kmem_cache_create("foo_status", FOO_CMD_SIZE,
					     dma_get_cache_alignment(), 0, NULL);
	return 0;
}

static int foo_queue(struct foo_host *host)
{
	struct foo_cmd *cmd = kmem_cache_zalloc(host->cmd_cache, GFP_KERNEL);
	void *hw = kmem_cache_alloc(host->hw_cache, GFP_KERNEL);
	void *big = kmem_cache_alloc(host->big_cache, GFP_KERNEL);
	dma_addr_t a;

	/* ruleid: dma-kmem-cache-align */
	a = dma_map_single(host->dev, cmd, sizeof(*cmd), DMA_FROM_DEVICE);
	/* ok: dma-kmem-cache-align (SLAB_HWCACHE_ALIGN) */
	a = dma_map_single(host->dev, hw, FOO_CMD_SIZE, DMA_FROM_DEVICE);
	/* ok: dma-kmem-cache-align (256-byte objects start on line boundaries) */
	a = dma_map_single(host->dev, big, 256, DMA_FROM_DEVICE);
	/* ok: dma-kmem-cache-align (outbound only) */
	a = dma_map_single(host->dev, cmd, sizeof(*cmd), DMA_TO_DEVICE);
	return dma_mapping_error(host->dev, a);
}

static int foo_sense(struct foo_host *host)
{
	u8 *sense = kmem_cache_alloc(foo_sense_cache, GFP_ATOMIC);
	u8 *status = kmem_cache_alloc(foo_status_cache, GFP_ATOMIC);

	/* ok: dma-kmem-cache-align (aligned to the DMA cache line) */
	dma_map_single(host->dev, status, FOO_CMD_SIZE, DMA_FROM_DEVICE);
	/* ruleid: dma-kmem-cache-align */
	return dma_map_single(host->dev, sense, FOO_CMD_SIZE, DMA_BIDIRECTIONAL) ? 0 : -EIO;
}

static int foo_elsewhere(struct device *dev, struct kmem_cache *theirs)
{
	void *obj = kmem_cache_alloc(theirs, GFP_KERNEL);

	/* ok: dma-kmem-cache-align (the cache is created elsewhere: not visible) */
	return dma_map_single(dev, obj, 64, DMA_FROM_DEVICE) ? 0 : -EIO;
}

static void *foo_get_buf(struct foo_host *host)
{
	if (!host)
		return NULL;
	return kmem_cache_alloc(host->cmd_cache, GFP_KERNEL);
}

static int foo_helper(struct foo_host *host)
{
	void *buf = foo_get_buf(host);

	/* ruleid: dma-kmem-cache-align (through the allocation helper) */
	return dma_map_single(host->dev, buf, 64, DMA_FROM_DEVICE) ? 0 : -EIO;
}
