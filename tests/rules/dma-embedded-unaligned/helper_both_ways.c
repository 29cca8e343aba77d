// SPDX-License-Identifier: GPL-2.0
/*
 * A helper that sends or receives by its "in" argument (go7007's vendor request):
 * which branch a caller takes is not read, so the member it passes has no direction
 * and is not reported; a stack buffer to USB fails either way and still is.
 */
#include <linux/usb.h>
#include <linux/mutex.h>

struct widget {
	struct usb_device *udev;
	struct mutex lock;
	u8 buf[16];
};

static int widget_vendor_request(struct widget *w, int request, void *data, int len, int in)
{
	if (in)
		return usb_control_msg(w->udev, usb_rcvctrlpipe(w->udev, 0), request,
				       USB_TYPE_VENDOR | USB_DIR_IN, 0, 0, data, len, 1000);
	return usb_control_msg(w->udev, usb_sndctrlpipe(w->udev, 0), request,
			       USB_TYPE_VENDOR, 0, 0, data, len, 1000);
}

static int widget_command(struct widget *w, u8 cmd)
{
	int ret;

	mutex_lock(&w->lock);
	w->buf[0] = cmd;
	/* ok: dma-embedded-unaligned */
	ret = widget_vendor_request(w, 0x24, w->buf, 1, 0);
	mutex_unlock(&w->lock);
	return ret;
}

static int widget_status(struct widget *w)
{
	u8 status[2];

	/* ruleid: dma-stack */
	return widget_vendor_request(w, 0x25, status, sizeof(status), 1);
}
