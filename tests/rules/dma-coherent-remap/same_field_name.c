// SPDX-License-Identifier: GPL-2.0
/* A field name alone does not say where memory comes from (issue 11). */
#include <linux/dma-mapping.h>
#include <linux/skbuff.h>

struct tx_header {
	void *data;
	dma_addr_t dma;
};

struct rx_slot {
	struct sk_buff *skb;
	dma_addr_t dma;
	u8 *rx_buffer;
};

static int headers_alloc(struct device *dev, struct tx_header *h, struct rx_slot *s, void *pool)
{
	h->data = dma_alloc_coherent(dev, 64, &h->dma, GFP_KERNEL);
	s->rx_buffer = pool;
	return h->data ? 0 : -ENOMEM;
}

static int rx_refill(struct device *dev, struct rx_slot *slot, unsigned int len)
{
	slot->skb = dev_alloc_skb(len);
	if (!slot->skb)
		return -ENOMEM;
	/* ok: dma-coherent-remap (skb->data is not tx_header.data) */
	slot->dma = dma_map_single(dev, slot->skb->data, len, DMA_FROM_DEVICE);
	return dma_mapping_error(dev, slot->dma);
}

static int pool_alloc(struct device *dev, struct rx_slot *slots, int n, dma_addr_t *pool_dma)
{
	u8 *pool = dma_alloc_coherent(dev, n * 2048, pool_dma, GFP_KERNEL);
	struct rx_slot *buffer_info;
	int i;

	for (i = 0; i < n; i++) {
		buffer_info = &slots[i];
		buffer_info->rx_buffer = pool + i * 2048;
	}
	return 0;
}

static int rx_map(struct device *dev, struct rx_slot *slots, int i)
{
	struct rx_slot *buffer_info = &slots[i];

	/* ruleid: dma-coherent-remap */
	buffer_info->dma = dma_map_single(dev, buffer_info->rx_buffer, 2048, DMA_FROM_DEVICE);
	return 0;
}

static int mw_map(struct device *ntb, struct device *dma_dev, size_t size)
{
	dma_addr_t addr, again;
	void *mw = dma_alloc_attrs(ntb, size, &addr, GFP_KERNEL, DMA_ATTR_FORCE_CONTIGUOUS);

	/* ruleid: dma-coherent-remap (confidence: low) */
	again = dma_map_page(dma_dev, virt_to_page(mw), 0, size, DMA_TO_DEVICE);
	return dma_mapping_error(dma_dev, again);
}
