// SPDX-License-Identifier: GPL-2.0
/* kvmalloc users that test is_vmalloc_addr() and map only the linear case (issue 11). */
#include <linux/mm.h>
#include <linux/dma-mapping.h>

struct pbl {
	void *buf;
	size_t size;
	dma_addr_t dma;
};

static int pbl_map_continuous(struct device *dev, struct pbl *pbl)
{
	/* ok: dma-vmalloc (only called when !is_vmalloc_addr(pbl->buf)) */
	pbl->dma = dma_map_single(dev, pbl->buf, pbl->size, DMA_TO_DEVICE);
	return dma_mapping_error(dev, pbl->dma);
}

static int pbl_create(struct device *dev, struct pbl *pbl, size_t size)
{
	pbl->buf = kvzalloc(size, GFP_KERNEL);
	if (!pbl->buf)
		return -ENOMEM;
	pbl->size = size;
	if (is_vmalloc_addr(pbl->buf))
		return -EOPNOTSUPP;
	return pbl_map_continuous(dev, pbl);
}
