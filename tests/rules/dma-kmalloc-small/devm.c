// SPDX-License-Identifier: GPL-2.0
/* devm buffers: the data follows a DMA-aligned devres header (issue 11, class 6). */
#include <linux/device.h>
#include <linux/spi/spi.h>

struct radio {
	struct spi_device *spi;
	u8 *small;
	u8 *frame;
};

static int radio_probe(struct spi_device *spi)
{
	struct radio *r = devm_kzalloc(&spi->dev, sizeof(*r), GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	r->small = devm_kzalloc(&spi->dev, 3, GFP_KERNEL);
	r->frame = devm_kzalloc(&spi->dev, 184, GFP_KERNEL);
	r->spi = spi;
	return 0;
}

static int radio_status(struct radio *r)
{
	/* ruleid: dma-kmalloc-small (128 + 3 bytes: a kmalloc-192 object) */
	return spi_read(r->spi, r->small, 3);
}

static int radio_frame(struct radio *r)
{
	/* ok: dma-kmalloc-small (128 + 184 bytes: kmalloc-512, the data starts aligned) */
	return spi_read(r->spi, r->frame, 184);
}

static int radio_kmalloc(struct radio *r)
{
	u8 *buf = kmalloc(184, GFP_KERNEL);

	/* ruleid: dma-kmalloc-small (plain kmalloc-192) */
	return spi_read(r->spi, buf, 184);
}
