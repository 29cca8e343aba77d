// SPDX-License-Identifier: GPL-2.0
/* spi-mem and SPI controllers: one maps the client's buffer, one checks it first. */
#include <linux/dma-mapping.h>
#include <linux/spi/spi.h>
#include <linux/spi/spi-mem.h>

struct foo_qspi {
	struct device *dev;
};

static int foo_qspi_read_dma(struct foo_qspi *q, const struct spi_mem_op *op)
{
	dma_addr_t a;

	/* ruleid: dma-client-buffer */
	a = dma_map_single(q->dev, op->data.buf.in, op->data.nbytes, DMA_FROM_DEVICE);
	return dma_mapping_error(q->dev, a);
}

static int foo_spi_transfer_one(struct spi_controller *ctlr, struct spi_device *spi,
				struct spi_transfer *xfer)
{
	struct foo_qspi *q = spi_controller_get_devdata(ctlr);
	dma_addr_t a;

	/* ruleid: dma-client-buffer */
	a = dma_map_single(q->dev, xfer->rx_buf, xfer->len, DMA_FROM_DEVICE);
	/* ok: dma-client-buffer (not a mapping: the core maps it) */
	memset(xfer->rx_buf, 0, xfer->len);
	return dma_mapping_error(q->dev, a);
}
