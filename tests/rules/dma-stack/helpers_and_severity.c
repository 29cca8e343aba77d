// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 11: outbound stack buffers to SPI are warnings, inbound ones and USB in
 * both directions are errors; a same-file helper that copies is a copying API.
 */
#include <linux/spi/spi.h>
#include <linux/usb.h>

/* Copies tx with kmemdup before the transfer: the caller's stack is never mapped. */
static int panel_spi_transfer(struct spi_device *spi, const void *tx, size_t len)
{
	struct spi_transfer tr = {};
	void *txbuf = kmemdup(tx, len, GFP_KERNEL);
	int ret;

	if (!txbuf)
		return -ENOMEM;
	tr.tx_buf = txbuf;
	tr.len = len;
	ret = spi_sync_transfer(spi, &tr, 1);
	kfree(txbuf);
	return ret;
}

/* Passes buf straight to the transfer: a sink for its callers. */
static int panel_spi_raw(struct spi_device *spi, const void *buf, size_t len)
{
	struct spi_transfer tr = { .tx_buf = buf, .len = len };

	return spi_sync_transfer(spi, &tr, 1);
}

/* Copies into its own DMA-safe buffer with memcpy. */
struct panel {
	struct spi_device *spi;
	u8 txbuf[32] __aligned(ARCH_DMA_MINALIGN);
};

static int panel_write_copy(struct panel *p, const u8 *data, size_t len)
{
	memcpy(p->txbuf, data, len);
	return spi_write(p->spi, p->txbuf, len);
}

static int panel_write_val(struct spi_device *spi, struct panel *p, u8 val)
{
	u8 cmd[2] = { 0x72, val };

	/* ok: dma-stack (the helper kmemdups it) */
	panel_spi_transfer(spi, cmd, sizeof(cmd));
	/* ok: dma-stack (the helper memcpys it into a DMA-safe buffer) */
	panel_write_copy(p, cmd, sizeof(cmd));
	/* ruleid: dma-stack (severity: warning) */
	panel_spi_raw(spi, cmd, sizeof(cmd));
	/* ruleid: dma-stack (severity: warning) */
	return spi_write(spi, &val, 1);
}

static int panel_read_status(struct spi_device *spi)
{
	u8 status;

	/* inbound through the SPI core: it corrupts only where the controller DMAs it and the
	 * CPU writes the stack around it meanwhile; the contract is broken for certain */
	/* ruleid: dma-stack (severity: warning) */
	return spi_read(spi, &status, 1) ?: status;
}

static int dev_send(struct usb_device *udev, u8 reg, u8 val)
{
	u8 buf[2] = { reg, val };
	int actual;

	/* ruleid: dma-stack (severity: error) */
	usb_control_msg(udev, usb_sndctrlpipe(udev, 0), 0x01, USB_TYPE_VENDOR | USB_DIR_OUT,
			val, reg, buf, 2, 1000);
	/* ruleid: dma-stack (severity: error) */
	usb_bulk_msg(udev, usb_sndbulkpipe(udev, 1), buf, 2, &actual, 1000);
	/* ok: dma-stack (copies) */
	return usb_control_msg_send(udev, 0, 0x01, USB_TYPE_VENDOR, val, reg, buf, 2, 1000,
				    GFP_KERNEL);
}
