// SPDX-License-Identifier: GPL-2.0
/* Buffers inside driver structs used for inbound DMA. */
#include <linux/iio/iio.h>
#include <linux/spi/spi.h>

struct adc_state {
	struct spi_device *spi;
	struct mutex lock;
	u8 rx[4];
	u8 tx[4];
	__be16 data[2];
};

struct adc_isolated {
	struct spi_device *spi;
	struct mutex lock;
	u8 rx[4] __aligned(IIO_DMA_MINALIGN);
	u8 tx[4];
};

struct adc_arch {
	struct spi_device *spi;
	int count;
	__be32 sample __aligned(ARCH_DMA_MINALIGN);
};

struct adc_group {
	struct spi_device *spi;
	int count;
	__dma_from_device_group_begin();
	u8 evts[16];
	__dma_from_device_group_end();
};

static int adc_read(struct iio_dev *indio_dev)
{
	struct adc_state *st = iio_priv(indio_dev);
	struct spi_transfer xfer = {
		/* ok: dma-embedded-unaligned */
		.tx_buf = st->tx,
		/* ruleid: dma-embedded-unaligned */
		.rx_buf = st->rx,
		.len = 4,
	};

	return spi_sync_transfer(st->spi, &xfer, 1);
}

static int adc_read_data(struct adc_state *st)
{
	/* ruleid: dma-embedded-unaligned */
	return spi_read(st->spi, &st->data[0], sizeof(st->data));
}

static int adc_read_isolated(struct adc_isolated *st, struct adc_arch *a, struct adc_group *g)
{
	/* ok: dma-embedded-unaligned */
	spi_read(st->spi, st->rx, 4);
	/* ok: dma-embedded-unaligned */
	spi_read(st->spi, st->tx, 4);
	/* ok: dma-embedded-unaligned */
	spi_read(a->spi, &a->sample, 4);
	/* ok: dma-embedded-unaligned */
	return spi_read(g->spi, g->evts, sizeof(g->evts));
}

static int adc_read_regmap(struct adc_state *st, struct regmap *map, struct unknown *u)
{
	/* ruleid: dma-embedded-unaligned */
	regmap_bulk_read(map, 0x10, st->rx, 4);
	/* ok: dma-embedded-unaligned */
	return spi_read(st->spi, u->buf, 4);
}

/* Known misses: recorded here so a future improvement shows up as a test change. */
struct adc_tail {
	struct spi_device *spi;
	u8 rx[4] __aligned(IIO_DMA_MINALIGN);
	struct mutex lock;	/* CPU-written, shares rx's cache line */
};

static int adc_read_tail(struct adc_tail *st)
{
	/* todo-ruleid: dma-embedded-unaligned */
	return spi_read(st->spi, st->rx, 4);
}

static int adc_map(struct adc_state *st, struct device *dev, enum dma_data_direction dir)
{
	/* ruleid: dma-embedded-unaligned (every caller in the file maps it inbound) */
	return dma_map_single(dev, st->rx, 4, dir) ? 0 : -EIO;
}

static int adc_start(struct adc_state *st, struct device *dev)
{
	return adc_map(st, dev, DMA_FROM_DEVICE);
}

static int adc_map_tx(struct adc_state *st, struct device *dev, enum dma_data_direction dir)
{
	/* ok: dma-embedded-unaligned (callers disagree: silence) */
	return dma_map_single(dev, st->tx, 4, dir) ? 0 : -EIO;
}

static int adc_start_tx(struct adc_state *st, struct device *dev)
{
	return adc_map_tx(st, dev, DMA_TO_DEVICE) ?: adc_map_tx(st, dev, DMA_FROM_DEVICE);
}

/* ad_sigma_delta's layout: a weaker alignment inside the IIO region stays in it (issue 11). */
struct adc_sigma {
	struct spi_device *spi;
	unsigned int state;
	u8 tx_buf[4] __aligned(IIO_DMA_MINALIGN);
	u8 rx_buf[16] __aligned(8);
};

static int adc_sigma_read(struct adc_sigma *sd)
{
	sd->state++;
	/* ok: dma-embedded-unaligned */
	return spi_read(sd->spi, sd->rx_buf, sizeof(sd->rx_buf));
}
