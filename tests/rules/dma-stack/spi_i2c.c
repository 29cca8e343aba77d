// SPDX-License-Identifier: GPL-2.0
/* Stack buffers to SPI, I2C, regmap and the DMA API: the copying cores are fine. */
#include <linux/spi/spi.h>
#include <linux/i2c.h>
#include <linux/regmap.h>

static int adc_read_raw(struct spi_device *spi, int *val)
{
	u8 tx[2] = { 0x80, 0 };
	u8 rx[2];
	struct spi_transfer xfers[] = {
		{
			/* ruleid: dma-stack (outbound: a warning, the SPI core maps stack pages) */
			.tx_buf = tx,
			.len = 2,
		}, {
			/* ruleid: dma-stack */
			.rx_buf = rx,
			.len = 2,
		},
	};
	int ret;

	ret = spi_sync_transfer(spi, xfers, ARRAY_SIZE(xfers));
	if (ret)
		return ret;
	*val = get_unaligned_be16(rx);
	return 0;
}

static int adc_read_copying(struct spi_device *spi, int *val)
{
	u8 cmd = 0x80;
	u8 rx[2];
	int ret;

	/* ok: dma-stack */
	ret = spi_write_then_read(spi, &cmd, 1, rx, 2);
	if (ret)
		return ret;
	/* ok: dma-stack */
	*val = spi_w8r8(spi, cmd);
	return 0;
}

static int adc_reset(struct spi_device *spi)
{
	u8 buf[4] = { 0xff, 0xff, 0xff, 0xff };

	/* ruleid: dma-stack (outbound: a warning) */
	return spi_write(spi, buf, sizeof(buf));
}

static int sensor_read(struct i2c_client *client, u8 reg, u8 *out)
{
	u8 val;
	struct i2c_msg msgs[] = {
		{ .addr = client->addr, .flags = 0, .len = 1, .buf = &reg },
		/* ok: dma-stack */
		{ .addr = client->addr, .flags = I2C_M_RD, .len = 1, .buf = &val },
	};
	int ret;

	/* ok: dma-stack */
	ret = i2c_transfer(client->adapter, msgs, 2);
	/* ok: dma-stack */
	i2c_master_send(client, &reg, 1);
	/* ok: dma-stack */
	i2c_smbus_read_i2c_block_data(client, reg, 1, &val);
	*out = val;
	return ret;
}

static int sensor_read_dmasafe(struct i2c_client *client, u8 *out)
{
	u8 data[4];
	struct i2c_msg msg = {
		.addr = client->addr,
		.flags = I2C_M_RD | I2C_M_DMA_SAFE,
		.len = sizeof(data),
		/* ruleid: dma-stack */
		.buf = data,
	};

	return i2c_transfer(client->adapter, &msg, 1);
}

static int sensor_regs(struct regmap *map)
{
	unsigned int val;

	/* ok: dma-stack */
	return regmap_read(map, 0x10, &val);
}

static int nand_get_status(struct spi_mem *mem, u8 *status)
{
	u8 sr;
	struct spi_mem_op op = SPI_MEM_OP(SPI_MEM_OP_CMD(0x0f, 1),
					  SPI_MEM_OP_ADDR(1, 0xc0, 1),
					  SPI_MEM_OP_NO_DUMMY,
					  /* ruleid: dma-stack */
					  SPI_MEM_OP_DATA_IN(1, &sr, 1));
	int ret = spi_mem_exec_op(mem, &op);

	*status = sr;
	return ret;
}

static dma_addr_t foo_map_cmd(struct device *dev)
{
	u32 cmd = 0x1234;
	struct scatterlist sg;
	char line[32];

	/* ruleid: dma-stack */
	sg_init_one(&sg, line, sizeof(line));
	/* ruleid: dma-stack */
	return dma_map_single(dev, &cmd, sizeof(cmd), DMA_TO_DEVICE);
}

#ifdef CONFIG_PM
static int foo_resume(struct device *dev)
{
	struct spi_device *spi = to_spi_device(dev);
	u8 wake = 0x01;

	/* ruleid: dma-stack */
	return spi_read(spi, &wake, 1);
}
#endif

static int ctrl_read_desc(struct ctrl *c)
{
	struct spi_mem_op op = SPI_MEM_OP(SPI_MEM_OP_CMD(0x03, 0), SPI_MEM_OP_ADDR(3, 0, 0),
					  SPI_MEM_OP_NO_DUMMY, SPI_MEM_OP_DATA_IN(0, NULL, 0));
	u32 buf[2];

	/* ok: dma-stack (a controller driver's own use of the descriptor) */
	op.data.buf.in = buf;
	return ctrl_do_read(c, &op);
}

static int flash_read_sr(struct spi_mem *mem)
{
	struct spi_mem_op op = SPI_MEM_OP(SPI_MEM_OP_CMD(0x05, 1), SPI_MEM_OP_NO_ADDR,
					  SPI_MEM_OP_NO_DUMMY, SPI_MEM_OP_DATA_IN(1, NULL, 1));
	u8 sr;

	/* ruleid: dma-stack */
	op.data.buf.in = &sr;
	return spi_mem_exec_op(mem, &op) ?: sr;
}
