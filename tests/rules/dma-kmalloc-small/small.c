// SPDX-License-Identifier: GPL-2.0
/* kmalloc buffers below a DMA cache line used for inbound DMA. */
#include <linux/slab.h>
#include <linux/usb.h>

#define STATUS_LEN	4
#define BIG_LEN		512

struct foo_resp {
	__le16 status;
	__le32 value;
};

struct foo {
	struct device *dev;
	struct spi_device *spi;
	struct usb_device *udev;
	u8 *rx_buf;
	u8 *tx_buf;
};

static int foo_status(struct foo *foo)
{
	u8 *buf = kmalloc(STATUS_LEN, GFP_KERNEL);
	int actual, ret;

	/* ruleid: dma-kmalloc-small */
	ret = usb_bulk_msg(foo->udev, usb_rcvbulkpipe(foo->udev, 1), buf, STATUS_LEN,
			   &actual, 1000);
	/* ok: dma-kmalloc-small */
	usb_bulk_msg(foo->udev, usb_sndbulkpipe(foo->udev, 1), buf, STATUS_LEN, &actual, 1000);
	kfree(buf);
	return ret;
}

static int foo_resp(struct foo *foo)
{
	struct foo_resp *resp = kzalloc(sizeof(*resp), GFP_KERNEL);
	dma_addr_t addr;

	/* ruleid: dma-kmalloc-small */
	addr = dma_map_single(foo->dev, resp, sizeof(*resp), DMA_FROM_DEVICE);
	return dma_mapping_error(foo->dev, addr);
}

static int foo_probe(struct spi_device *spi)
{
	struct foo *foo = devm_kzalloc(&spi->dev, sizeof(*foo), GFP_KERNEL);

	foo->rx_buf = devm_kzalloc(&spi->dev, 16, GFP_KERNEL);
	foo->tx_buf = devm_kzalloc(&spi->dev, 16, GFP_KERNEL);
	return 0;
}

static int foo_xfer(struct foo *foo)
{
	struct spi_transfer t[2] = { };

	/* ok: dma-kmalloc-small */
	t[0].tx_buf = foo->tx_buf;
	/* ruleid: dma-kmalloc-small */
	t[1].rx_buf = foo->rx_buf;
	return spi_sync_transfer(foo->spi, t, 2);
}

static int foo_read_any(struct foo *foo, size_t len)
{
	u8 *big = kmalloc(BIG_LEN, GFP_KERNEL);
	u8 *line = kmalloc(128, GFP_KERNEL);
	u8 *data = kmalloc(len, GFP_KERNEL);

	/* ok: dma-kmalloc-small */
	spi_read(foo->spi, big, BIG_LEN);
	/* ok: dma-kmalloc-small */
	spi_read(foo->spi, line, 100);
	/* ok: dma-kmalloc-small */
	spi_write_then_read(foo->spi, big, 1, line, 1);
	/* ruleid: dma-kmalloc-small */
	return spi_read(foo->spi, data, len);
}
