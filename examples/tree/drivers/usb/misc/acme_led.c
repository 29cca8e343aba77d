// SPDX-License-Identifier: GPL-2.0
/*
 * ACME USB LED controller
 */

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/usb.h>

#define ACME_LED_REQ_STATE	0x10
#define ACME_LED_TIMEOUT	500

struct acme_led {
	struct usb_device *udev;
	u8 brightness;
};

static int acme_led_read_state(struct acme_led *led, u8 *state)
{
	u8 *buf;
	int ret;

	buf = kmalloc(1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	ret = usb_control_msg(led->udev, usb_rcvctrlpipe(led->udev, 0),
			      ACME_LED_REQ_STATE, USB_TYPE_VENDOR | USB_DIR_IN,
			      0, 0, buf, 1, ACME_LED_TIMEOUT);
	if (ret == 1)
		*state = *buf;
	kfree(buf);

	return ret < 0 ? ret : 0;
}

MODULE_LICENSE("GPL");
