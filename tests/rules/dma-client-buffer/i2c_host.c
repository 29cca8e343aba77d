// SPDX-License-Identifier: GPL-2.0
/* An I2C host driver that DMAs the client's message buffers itself. */
#include <linux/dma-mapping.h>
#include <linux/i2c.h>

struct foo_i2c {
	struct device *dev;
	struct i2c_adapter adap;
	u8 *bounce;
};

static int foo_i2c_xfer_one(struct foo_i2c *i2c, struct i2c_msg *msg)
{
	enum dma_data_direction dir = msg->flags & I2C_M_RD ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	dma_addr_t a;

	/* ruleid: dma-client-buffer */
	a = dma_map_single(i2c->dev, msg->buf, msg->len, DMA_FROM_DEVICE);
	/* ruleid: dma-client-buffer (outbound too: a stack address cannot be mapped) */
	a = dma_map_single(i2c->dev, msg->buf, msg->len, DMA_TO_DEVICE);
	/* ok: dma-client-buffer (the driver's own buffer) */
	a = dma_map_single(i2c->dev, i2c->bounce, msg->len, DMA_FROM_DEVICE);
	return dma_mapping_error(i2c->dev, a);
}

static int foo_i2c_xfer(struct i2c_adapter *adap, struct i2c_msg *msgs, int num)
{
	struct foo_i2c *i2c = i2c_get_adapdata(adap);
	int i;

	for (i = 0; i < num; i++)
		/* ruleid: dma-client-buffer */
		dma_map_single(i2c->dev, msgs[i].buf, msgs[i].len, DMA_FROM_DEVICE);
	return num;
}
