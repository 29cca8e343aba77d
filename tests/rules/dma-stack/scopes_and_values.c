// SPDX-License-Identifier: GPL-2.0
/*
 * Two shapes that look like stack memory and are not (labelled wrong on 6.1 and 6.12):
 * a name declared again in another block (vub300: a kmalloc'd buf in one branch, a
 * stack array of the same name in the other), and pointer arithmetic whose offsets are
 * scalar members of a local struct (mlx5: skb->data + attr.ihs).
 */
#include <linux/usb.h>
#include <linux/skbuff.h>
#include <linux/dma-mapping.h>

struct tx_attr {
	u16 ihs;
	u16 hopbyhop;
};

static int send_padded(struct usb_device *udev, int small, int len)
{
	if (small) {
		u8 *buf = kmalloc(64, GFP_KERNEL);
		int ret;

		if (!buf)
			return -ENOMEM;
		/* ok: dma-stack */
		ret = usb_bulk_msg(udev, usb_sndbulkpipe(udev, 1), buf, 64, NULL, 100);
		kfree(buf);
		return ret;
	} else {
		u8 buf[64];

		memset(buf, 0, sizeof(buf));
		return buf[0];
	}
}

static dma_addr_t map_payload(struct device *dev, struct sk_buff *skb)
{
	struct tx_attr attr = { .ihs = 14, .hopbyhop = 0 };

	/* ok: dma-stack */
	return dma_map_single(dev, skb->data + attr.ihs + attr.hopbyhop, 64, DMA_TO_DEVICE);
}

static int read_status(struct usb_device *udev)
{
	struct tx_attr attr;

	/* ruleid: dma-stack */
	return usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 1, 0xc0, 0, 0, &attr.ihs, 2, 100);
}
