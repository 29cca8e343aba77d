// SPDX-License-Identifier: GPL-2.0
/* A controller that falls back to PIO for vmalloc'd client buffers. */
#include <linux/dma-mapping.h>
#include <linux/spi/spi.h>

struct bar_spi {
	struct device *dev;
};

static int bar_transfer_one(struct spi_controller *ctlr, struct spi_device *spi,
			    struct spi_transfer *xfer)
{
	struct bar_spi *b = spi_controller_get_devdata(ctlr);

	if (is_vmalloc_addr(xfer->rx_buf))
		return bar_pio(b, xfer);
	/* ok: dma-client-buffer (checked above) */
	return dma_map_single(b->dev, xfer->rx_buf, xfer->len, DMA_FROM_DEVICE) ? 0 : -EIO;
}
