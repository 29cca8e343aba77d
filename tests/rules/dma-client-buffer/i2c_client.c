// SPDX-License-Identifier: GPL-2.0
/* A client building its own message: not a controller's received descriptor. */
#include <linux/dma-mapping.h>
#include <linux/i2c.h>

static int foo_i2c_client(struct i2c_client *client, struct device *dev)
{
	struct i2c_msg msg = { .addr = client->addr, .len = 4 };
	u8 *buf = kmalloc(4, GFP_KERNEL);

	msg.buf = buf;
	/* ok: dma-client-buffer (a client building its own message) */
	return dma_map_single(dev, msg.buf, 4, DMA_TO_DEVICE) ? 0 : -EIO;
}
