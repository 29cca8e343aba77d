// SPDX-License-Identifier: GPL-2.0
/* Coherent or pool memory mapped a second time. */
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>

struct ring {
	struct device *dev;
	struct dma_pool *pool;
	void *desc;
	dma_addr_t desc_dma;
	u8 *bounce;
};

static int ring_init(struct ring *r)
{
	dma_addr_t addr;

	r->desc = dma_alloc_coherent(r->dev, PAGE_SIZE, &r->desc_dma, GFP_KERNEL);
	if (!r->desc)
		return -ENOMEM;
	/* ruleid: dma-coherent-remap */
	addr = dma_map_single(r->dev, r->desc, PAGE_SIZE, DMA_BIDIRECTIONAL);
	return 0;
}

static int ring_cmd(struct ring *r)
{
	dma_addr_t dma;
	u8 *cmd = dma_pool_zalloc(r->pool, GFP_KERNEL, &dma);
	dma_addr_t again;

	/* ruleid: dma-coherent-remap */
	again = dma_map_page(r->dev, virt_to_page(cmd), offset_in_page(cmd), 64, DMA_TO_DEVICE);
	/* ok: dma-coherent-remap */
	memset(cmd, 0, 64);
	return 0;
}

static int urb_setup(struct usb_device *udev, struct urb *urb, struct device *dev)
{
	dma_addr_t dma;
	void *buf = usb_alloc_coherent(udev, 512, GFP_KERNEL, &dma);
	void *alias = buf;

	/* ok: dma-coherent-remap */
	usb_fill_bulk_urb(urb, udev, usb_sndbulkpipe(udev, 1), buf, 512, NULL, NULL);
	urb->transfer_dma = dma;
	urb->transfer_flags |= URB_NO_TRANSFER_DMA_MAP;
	/* ruleid: dma-coherent-remap */
	dma_map_single(dev, alias, 512, DMA_TO_DEVICE);
	return 0;
}

static int ring_bounce(struct ring *r)
{
	r->bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	/* ok: dma-coherent-remap */
	dma_map_single(r->dev, r->bounce, PAGE_SIZE, DMA_TO_DEVICE);
	return 0;
}
