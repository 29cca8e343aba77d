// SPDX-License-Identifier: GPL-2.0
/* DMA buffers isolated only to the L1 line size. */
#include <linux/cache.h>

struct hid_dev {
	struct usb_device *udev;
	struct device *dev;
	spinlock_t lock;
	u8 report[8] ____cacheline_aligned;
	u8 cmd[8];
	u8 status[4] __aligned(L1_CACHE_BYTES);
	u8 safe[4] __aligned(ARCH_DMA_MINALIGN);
};

static void hid_fill(struct hid_dev *h, struct urb *urb)
{
	/* ruleid: dma-cacheline-l1 */
	usb_fill_int_urb(urb, h->udev, usb_rcvintpipe(h->udev, 1), h->report,
			 sizeof(h->report), NULL, h, 4);
}

static int hid_map(struct hid_dev *h)
{
	dma_addr_t a, b;

	/* ruleid: dma-cacheline-l1 */
	a = dma_map_single(h->dev, h->cmd, 8, DMA_BIDIRECTIONAL);
	/* ok: dma-cacheline-l1 */
	b = dma_map_single(h->dev, h->report, 8, DMA_TO_DEVICE);
	return a == b;
}

static int hid_status(struct hid_dev *h)
{
	int actual;

	/* ruleid: dma-cacheline-l1 */
	usb_bulk_msg(h->udev, usb_rcvbulkpipe(h->udev, 2), h->status, 4, &actual, 100);
	/* ok: dma-cacheline-l1 */
	usb_bulk_msg(h->udev, usb_rcvbulkpipe(h->udev, 2), h->safe, 4, &actual, 100);
	/* ok: dma-cacheline-l1 */
	return usb_bulk_msg(h->udev, usb_sndbulkpipe(h->udev, 2), h->status, 4, &actual, 100);
}
