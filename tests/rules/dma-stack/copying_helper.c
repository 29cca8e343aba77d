// SPDX-License-Identifier: GPL-2.0
/*
 * A helper that copies a small tx buffer before the transfer is a copying API for
 * it, even though it also hands the original on (repaper_spi_transfer in
 * drivers/gpu/drm/tiny/repaper.c): the caller's stack is never mapped. Without
 * this case, turning the copying-helper test off passed every test (issue 26).
 */
#include <linux/spi/spi.h>

static int epd_spi_transfer(struct spi_device *spi, u8 header, const void *tx,
			    void *rx, size_t len)
{
	void *txbuf = NULL, *rxbuf = NULL;
	struct spi_transfer tr[2] = {};
	u8 *headerbuf;
	int ret;

	headerbuf = kmalloc(1, GFP_KERNEL);
	if (!headerbuf)
		return -ENOMEM;
	headerbuf[0] = header;
	tr[0].tx_buf = headerbuf;
	tr[0].len = 1;

	/* Stack allocated tx? */
	if (tx && len <= 32) {
		txbuf = kmemdup(tx, len, GFP_KERNEL);
		if (!txbuf) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	if (rx) {
		rxbuf = kmalloc(len, GFP_KERNEL);
		if (!rxbuf) {
			ret = -ENOMEM;
			goto out_free;
		}
	}
	tr[1].tx_buf = txbuf ? txbuf : tx;
	tr[1].rx_buf = rxbuf;
	tr[1].len = len;

	ret = spi_sync_transfer(spi, tr, 2);
	if (rx && !ret)
		memcpy(rx, rxbuf, len);
out_free:
	kfree(headerbuf);
	kfree(txbuf);
	kfree(rxbuf);
	return ret;
}

/* The same transfer without the copy: a sink for its callers' tx. */
static int epd_spi_transfer_raw(struct spi_device *spi, const void *tx, size_t len)
{
	struct spi_transfer tr = { .tx_buf = tx, .len = len };

	return spi_sync_transfer(spi, &tr, 1);
}

static int epd_write_val(struct spi_device *spi, u8 reg, u8 val)
{
	u8 txbuf[2] = { reg, val };

	/* ok: dma-stack (the helper kmemdups tx before the transfer) */
	return epd_spi_transfer(spi, 0x70, txbuf, NULL, 2);
}

static int epd_read_id(struct spi_device *spi, u8 *id)
{
	u8 cmd[2] = { 0x71, 0 };

	/* ok: dma-stack (tx is copied; rx is the helper's own kmalloc buffer) */
	return epd_spi_transfer(spi, 0x70, cmd, id, 2);
}

static int epd_write_raw(struct spi_device *spi, u8 val)
{
	u8 txbuf[2] = { 0x72, val };

	/* ruleid: dma-stack (severity: warning) */
	return epd_spi_transfer_raw(spi, txbuf, sizeof(txbuf));
}
