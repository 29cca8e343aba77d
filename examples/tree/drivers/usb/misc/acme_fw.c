// SPDX-License-Identifier: GPL-2.0
/*
 * ACME firmware loader for the ACME USB sensor hub
 */

#include <linux/firmware.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/usb.h>
#include <linux/vmalloc.h>

#define ACME_FW_EP_OUT		0x02
#define ACME_FW_CHUNK		4096
#define ACME_FW_TIMEOUT		5000

struct acme_fw {
	struct usb_device *udev;
	struct device *dev;
};

static int acme_fw_send_chunk(struct acme_fw *fw, const u8 *data, int len)
{
	u8 *buf;
	int actual, ret;

	buf = kmemdup(data, len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	ret = usb_bulk_msg(fw->udev, usb_sndbulkpipe(fw->udev, ACME_FW_EP_OUT),
			   buf, len, &actual, ACME_FW_TIMEOUT);
	kfree(buf);
	return ret;
}

static int acme_fw_load(struct acme_fw *fw, const struct firmware *blob)
{
	size_t off;
	int ret;

	for (off = 0; off < blob->size; off += ACME_FW_CHUNK) {
		ret = acme_fw_send_chunk(fw, blob->data + off,
					 min_t(size_t, ACME_FW_CHUNK, blob->size - off));
		if (ret)
			return ret;
	}
	return 0;
}

MODULE_LICENSE("GPL");
