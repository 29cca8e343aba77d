// SPDX-License-Identifier: GPL-2.0
/*
 * Alignment written as a number of bytes: 128 is exactly ARCH_DMA_MINALIGN on
 * arm64, the largest value config/dma.toml knows, and isolates the buffer; one
 * step less does not (issue 26: the >= of this comparison was untested).
 */
#include <linux/spi/spi.h>

struct gyro_exact {
	struct spi_device *spi;
	struct mutex lock;
	u8 rx[6] __aligned(128);
};

struct gyro_wide {
	struct spi_device *spi;
	struct mutex lock;
	u8 rx[6] __attribute__((aligned(256)));
};

struct gyro_short {
	struct spi_device *spi;
	struct mutex lock;
	u8 rx[6] __aligned(64);
};

static int gyro_read_exact(struct gyro_exact *st)
{
	/* ok: dma-embedded-unaligned */
	return spi_read(st->spi, st->rx, sizeof(st->rx));
}

static int gyro_read_wide(struct gyro_wide *st)
{
	/* ok: dma-embedded-unaligned */
	return spi_read(st->spi, st->rx, sizeof(st->rx));
}

static int gyro_read_short(struct gyro_short *st)
{
	/* ruleid: dma-embedded-unaligned */
	return spi_read(st->spi, st->rx, sizeof(st->rx));
}
