// SPDX-License-Identifier: GPL-2.0
/* Stack buffers handed to USB APIs that map them (and ones that copy). */
#include <linux/usb.h>

#define FOO_REQ_STATUS	0x01
#define FOO_TIMEOUT	1000

static int ark3116_read_reg(struct usb_serial *serial, unsigned int reg, unsigned char *buf)
{
	/* ok: dma-stack */
	return usb_control_msg(serial->dev, usb_rcvctrlpipe(serial->dev, 0), 0xfe, 0xc0,
			       0, reg, buf, 1, FOO_TIMEOUT);
}

static int ark3116_port_probe(struct usb_serial_port *port)
{
	struct usb_serial *serial = port->serial;
	u8 lcr;

	/* ruleid: dma-stack */
	ark3116_read_reg(serial, 3, &lcr);
	return lcr & 0x80;
}

static int __must_check foo_get_status(struct usb_device *udev, u16 *status)
{
	u8 buf[2] __aligned(4);
	int ret;

	/* ruleid: dma-stack */
	ret = usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), FOO_REQ_STATUS,
			      USB_DIR_IN | USB_TYPE_VENDOR | USB_RECIP_DEVICE, 0, 0,
			      buf, sizeof(buf), FOO_TIMEOUT);
	if (ret < 0)
		return ret;
	*status = get_unaligned_le16(buf);

	/* ok: dma-stack */
	return usb_control_msg_recv(udev, 0, FOO_REQ_STATUS, USB_DIR_IN | USB_TYPE_VENDOR,
				    0, 0, buf, sizeof(buf), FOO_TIMEOUT, GFP_KERNEL);
}

static int foo_send_cmd(struct usb_device *udev, u8 cmd)
{
	__le32 word = cpu_to_le32(cmd);
	u8 *p = (u8 *)&word;
	int actual;

	/* ruleid: dma-stack */
	return usb_bulk_msg(udev, usb_sndbulkpipe(udev, 2), p + 1, 3, &actual, FOO_TIMEOUT);
}

static int foo_write(struct usb_device *udev, const u8 *data, int len)
{
	u8 *buf = devm_kmemdup(&udev->dev, data, 256, GFP_KERNEL);
	int actual;

	/* ok: dma-stack */
	usb_bulk_msg(udev, usb_sndbulkpipe(udev, 2), buf, len, &actual, FOO_TIMEOUT);
	/* ok: dma-stack */
	return usb_bulk_msg(udev, usb_sndbulkpipe(udev, 2), (void *)data, len, &actual,
			    FOO_TIMEOUT);
}

struct foo_cmd {
	u8 op;
	__le16 arg;
} __packed;

static void foo_fill(struct urb *urb, struct usb_device *udev)
{
	struct foo_cmd cmd = { .op = 1 };

	/* ruleid: dma-stack */
	usb_fill_bulk_urb(urb, udev, usb_sndbulkpipe(udev, 1), &cmd, sizeof(cmd), NULL, NULL);
}

static void foo_stats(struct foo_dev *foo)
{
	struct foo_port *port;
	u8 status;

	list_for_each_entry(port, &foo->ports, node) {
		/* ruleid: dma-stack */
		usb_interrupt_msg(foo->udev, usb_rcvintpipe(foo->udev, port->ep), &status, 1,
				  NULL, FOO_TIMEOUT);
	}
}

static int foo_maybe_heap(struct usb_device *udev, bool big)
{
	u8 small[8];
	u8 *buf = small;
	int actual;

	if (big)
		buf = kmalloc(4096, GFP_KERNEL);
	/* ok: dma-stack (may point to the heap: silence rather than a guess) */
	return usb_bulk_msg(udev, usb_sndbulkpipe(udev, 1), buf, 8, &actual, FOO_TIMEOUT);
}

static int foo_ctrl_urb(struct urb *urb, struct usb_device *udev, u8 *data)
{
	struct usb_ctrlrequest setup = { .bRequestType = USB_DIR_IN };

	/* ruleid: dma-stack */
	urb->setup_packet = (unsigned char *)&setup;
	return usb_submit_urb(urb, GFP_KERNEL);
}
