// SPDX-License-Identifier: GPL-2.0
/* Static and global data handed to DMA APIs. */
#include <linux/spi/spi.h>

static u8 init_seq[4] = { 0x01, 0x02, 0x03, 0x04 };
static const u8 reset_cmd[] = { 0xff, 0x00 };
static u8 *scratch;
static struct {
	u8 cmd;
	u8 data[8];
} shadow;

static int panel_init(struct spi_device *spi, struct usb_device *udev, struct device *dev)
{
	int actual;

	/* ruleid: dma-static */
	usb_bulk_msg(udev, usb_sndbulkpipe(udev, 1), init_seq, sizeof(init_seq), &actual, 100);
	/* ruleid: dma-static */
	dma_map_single(dev, (void *)reset_cmd, sizeof(reset_cmd), DMA_TO_DEVICE);
	/* ruleid: dma-static (outbound to SPI: usually works, breaks the SPI contract) */
	return spi_write(spi, init_seq, sizeof(init_seq));
}

static int panel_reset(struct spi_device *spi)
{
	static u8 rx[2];
	struct spi_transfer t = {
		/* ruleid: dma-static */
		.rx_buf = rx,
		.len = 2,
	};

	/* ok: dma-static */
	spi_write_then_read(spi, reset_cmd, sizeof(reset_cmd), NULL, 0);
	return spi_sync_transfer(spi, &t, 1);
}

static int panel_hello(struct spi_device *spi)
{
	/* ruleid: dma-static (a string literal is module data too) */
	spi_write(spi, "\x29\x11", 2);
	/* ruleid: dma-static */
	return spi_read(spi, &shadow.cmd, 1);
}

static int panel_probe(struct spi_device *spi)
{
	scratch = devm_kzalloc(&spi->dev, 64, GFP_KERNEL);
	/* ok: dma-static */
	return spi_write(spi, scratch, 64);
}

static int panel_read(struct spi_device *spi, u8 *dst)
{
	/* ok: dma-static */
	return spi_read(spi, dst, 4);
}
