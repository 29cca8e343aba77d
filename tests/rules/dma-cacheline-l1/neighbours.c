// SPDX-License-Identifier: GPL-2.0
/* ____cacheline_aligned members: who shares the 128-byte arm64 line (issue 11, class 3). */
#include <linux/spi/spi.h>
#include <linux/completion.h>

struct temp_data {
	struct spi_device *spi_dev;
	u16 rx ____cacheline_aligned;
};

struct ts_data {
	struct i2c_client *client;
	struct completion cmd_done;
	u8 buf[64] ____cacheline_aligned;
};

struct hash_state {
	int buflen;
	u8 ctx[72] ____cacheline_aligned;
	int (*update)(struct hash_state *st);
};

static int temp_probe(struct spi_device *spi)
{
	struct temp_data *chip = devm_kzalloc(&spi->dev, sizeof(*chip), GFP_KERNEL);

	if (!chip)
		return -ENOMEM;
	chip->spi_dev = spi;
	return 0;
}

static int temp_read(struct temp_data *chip)
{
	/* ruleid: dma-cacheline-l1 (confidence: low) */
	return spi_read(chip->spi_dev, (u8 *)&chip->rx, sizeof(chip->rx));
}

static int ts_irq(struct ts_data *ts)
{
	/* ruleid: dma-cacheline-l1 (confidence: high) */
	return i2c_master_recv_dmasafe(ts->client, ts->buf, sizeof(ts->buf));
}

static int hash_next(struct hash_state *st);

/* update is rewritten after the mapping: a plain store, so only low (it may be serialised;
 * such neighbours were right 3 times in 5 on the labelled trees) */
static int hash_first(struct device *dev, struct hash_state *st)
{
	/* ruleid: dma-cacheline-l1 (confidence: low) */
	dma_addr_t dma = dma_map_single(dev, st->ctx, sizeof(st->ctx), DMA_FROM_DEVICE);

	st->update = hash_next;
	return dma_mapping_error(dev, dma);
}
