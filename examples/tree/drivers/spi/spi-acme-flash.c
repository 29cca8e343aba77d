// SPDX-License-Identifier: GPL-2.0
/*
 * ACME serial NOR flash helper
 */

#include <linux/module.h>
#include <linux/spi/spi.h>

#define ACME_FLASH_RDSR		0x05

struct acme_flash {
	struct spi_device *spi;
};

static int acme_flash_read_status(struct acme_flash *flash, u8 *sr)
{
	u8 cmd = ACME_FLASH_RDSR;

	return spi_write_then_read(flash->spi, &cmd, 1, sr, 1);
}

MODULE_LICENSE("GPL");
