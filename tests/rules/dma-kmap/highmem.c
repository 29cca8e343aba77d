// SPDX-License-Identifier: GPL-2.0
/* Temporary kernel mappings of pages handed to DMA by address. */
#include <linux/highmem.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/spi/spi.h>
#include <linux/usb.h>

struct foo {
	struct device *dev;
	struct usb_device *udev;
	struct spi_device *spi;
};

static int foo_tx_page(struct foo *foo, struct page *page, size_t len)
{
	void *vaddr = kmap_local_page(page);
	dma_addr_t addr;

	/* ruleid: dma-kmap */
	addr = dma_map_single(foo->dev, vaddr, len, DMA_TO_DEVICE);
	kunmap_local(vaddr);
	return dma_mapping_error(foo->dev, addr);
}

static int foo_rx_sg(struct foo *foo, struct scatterlist *sg)
{
	u8 *buf = kmap(sg_page(sg)) + sg->offset;
	struct scatterlist one;
	int actual;

	/* ruleid: dma-kmap */
	sg_init_one(&one, buf, sg->length);
	/* ruleid: dma-kmap */
	return usb_bulk_msg(foo->udev, usb_rcvbulkpipe(foo->udev, 1), buf, sg->length,
			    &actual, 1000);
}

static int foo_atomic(struct foo *foo, struct page *page)
{
	char *p = kmap_atomic(page);
	dma_addr_t addr;

	/* ruleid: dma-kmap */
	addr = dma_map_single(foo->dev, p + 16, 64, DMA_BIDIRECTIONAL);
	kunmap_atomic(p);
	return dma_mapping_error(foo->dev, addr);
}

/* The right way: map the page itself. */
static int foo_tx_page_ok(struct foo *foo, struct page *page, size_t len)
{
	void *vaddr = kmap_local_page(page);
	dma_addr_t addr;

	memset(vaddr, 0, 16);
	kunmap_local(vaddr);
	/* ok: dma-kmap */
	addr = dma_map_page(foo->dev, page, 0, len, DMA_TO_DEVICE);
	return dma_mapping_error(foo->dev, addr);
}

/* The SPI core maps kmap'd and vmalloc'd transfers page by page (spi_map_buf). */
static int foo_spi(struct foo *foo, struct page *page)
{
	struct spi_transfer t = { };
	u8 *buf = kmap(page);

	/* ok: dma-kmap */
	t.tx_buf = buf;
	t.len = 32;
	/* ok: dma-kmap */
	return spi_sync_transfer(foo->spi, &t, 1);
}

/* CPU access only: the mapping never reaches a device. */
static u32 foo_checksum(struct page *page)
{
	u8 *p = kmap_local_page(page);
	u32 sum = p[0] + p[1];

	kunmap_local(p);
	/* ok: dma-kmap */
	return sum;
}
