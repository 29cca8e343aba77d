// SPDX-License-Identifier: GPL-2.0
/*
 * A stack buffer for each DMA sink of config/dma.toml that no other case here
 * names, so deleting a sink from the knowledge fails a hand-written case: the
 * knowledge tests are generated from the data and cannot notice (issue 26).
 */
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/usb.h>
#include <linux/mmc/sdio_func.h>
#include <linux/regmap.h>
#include <linux/i2c.h>
#include <linux/spi/spi-mem.h>
#include <linux/i3c/device.h>

static int nic_map_status(struct device *dev, dma_addr_t *out)
{
	u8 status[16];
	dma_addr_t addr;

	/* ruleid: dma-stack */
	addr = dma_map_single_attrs(dev, status, sizeof(status), DMA_FROM_DEVICE,
				    DMA_ATTR_SKIP_CPU_SYNC);
	*out = addr;
	return dma_mapping_error(dev, addr);
}

static int nic_map_hdr(struct device *dev, dma_addr_t *out)
{
	u8 hdr[64];
	dma_addr_t addr;

	/* ruleid: dma-stack */
	addr = dma_map_page_attrs(dev, virt_to_page(hdr), offset_in_page(hdr), sizeof(hdr),
				  DMA_TO_DEVICE, 0);
	*out = addr;
	return dma_mapping_error(dev, addr);
}

static int crc_offload(struct scatterlist *sg, struct device *dev)
{
	u8 digest[32];

	sg_init_table(sg, 1);
	/* ruleid: dma-stack */
	sg_set_buf(sg, digest, sizeof(digest));
	return dma_map_sg(dev, sg, 1, DMA_FROM_DEVICE);
}

static int hub_ctrl_async(struct urb *urb, struct usb_device *udev,
			  struct usb_ctrlrequest *dr, usb_complete_t done)
{
	u8 data[8];

	/* ruleid: dma-stack */
	usb_fill_control_urb(urb, udev, usb_rcvctrlpipe(udev, 0), (unsigned char *)dr,
			     data, sizeof(data), done, NULL);
	return usb_submit_urb(urb, GFP_KERNEL);
}

static int hub_bulk_async(struct urb *urb, struct usb_device *udev)
{
	u8 data[64];

	usb_init_urb(urb);
	/* ruleid: dma-stack */
	urb->transfer_buffer = data;
	urb->transfer_buffer_length = sizeof(data);
	urb->pipe = usb_rcvbulkpipe(udev, 1);
	return usb_submit_urb(urb, GFP_KERNEL);
}

static int wlan_read_fifo(struct sdio_func *func, unsigned int addr)
{
	u8 fifo[32];
	int ret;

	/* ruleid: dma-stack */
	ret = sdio_readsb(func, fifo, addr, sizeof(fifo));
	if (ret)
		return ret;
	/* ruleid: dma-stack */
	return sdio_memcpy_fromio(func, fifo, addr, sizeof(fifo));
}

static int wlan_write_fifo(struct sdio_func *func, unsigned int addr)
{
	u8 fifo[32] = { 0 };
	int ret;

	/* ruleid: dma-stack */
	ret = sdio_writesb(func, addr, fifo, sizeof(fifo));
	if (ret)
		return ret;
	/* ruleid: dma-stack */
	return sdio_memcpy_toio(func, addr, fifo, sizeof(fifo));
}

static int imu_read_fifo(struct regmap *map, unsigned int reg)
{
	u8 samples[12];
	int ret;

	/* ruleid: dma-stack */
	ret = regmap_noinc_read(map, reg, samples, sizeof(samples));
	if (ret)
		return ret;
	/* ruleid: dma-stack */
	return regmap_raw_read(map, reg, samples, sizeof(samples));
}

/*
 * Outbound regmap is silent by design: on I2C the bus copies, on SPI the core maps
 * a vmalloc'd stack page by page, and the bus is not visible from the call.
 */
static int imu_write_cfg(struct regmap *map, unsigned int reg)
{
	__be16 cfg[3] = { cpu_to_be16(1), cpu_to_be16(2), cpu_to_be16(3) };
	int ret;

	/* ok: dma-stack */
	ret = regmap_bulk_write(map, reg, cfg, ARRAY_SIZE(cfg));
	if (ret)
		return ret;
	/* ok: dma-stack */
	ret = regmap_raw_write(map, reg, cfg, sizeof(cfg));
	if (ret)
		return ret;
	/* ok: dma-stack */
	return regmap_noinc_write(map, reg, cfg, sizeof(cfg));
}

static int eeprom_send(struct i2c_client *client)
{
	u8 page[16] = { 0 };

	/* ruleid: dma-stack */
	return i2c_master_send_dmasafe(client, page, sizeof(page));
}

static int flash_program(struct spi_mem *mem, u32 addr)
{
	u8 page[256] = { 0 };
	struct spi_mem_op op = SPI_MEM_OP(SPI_MEM_OP_CMD(0x02, 1),
					  SPI_MEM_OP_ADDR(3, addr, 1),
					  SPI_MEM_OP_NO_DUMMY,
					  /* ruleid: dma-stack */
					  SPI_MEM_OP_DATA_OUT(sizeof(page), page, 1));

	return spi_mem_exec_op(mem, &op);
}

static int flash_status(struct spi_mem *mem)
{
	u8 sr[2] = { 0 };
	struct spi_mem_op op = SPI_MEM_OP(SPI_MEM_OP_CMD(0x05, 1), SPI_MEM_OP_NO_ADDR,
					  SPI_MEM_OP_NO_DUMMY, SPI_MEM_OP_NO_DATA);

	/* ruleid: dma-stack */
	op.data.buf.out = sr;
	op.data.nbytes = sizeof(sr);
	op.data.dir = SPI_MEM_DATA_OUT;
	return spi_mem_exec_op(mem, &op);
}

static int sensor_i3c_read(struct i3c_device *dev)
{
	u8 regs[6];
	struct i3c_priv_xfer xfer = {
		.rnw = true,
		.len = sizeof(regs),
		/* ruleid: dma-stack */
		.data.in = regs,
	};

	return i3c_device_do_priv_xfers(dev, &xfer, 1);
}

static int sensor_i3c_write(struct i3c_device *dev)
{
	u8 cmd[2] = { 0x10, 0x01 };
	struct i3c_priv_xfer xfer = {
		.rnw = false,
		.len = sizeof(cmd),
		/* ruleid: dma-stack */
		.data.out = cmd,
	};

	return i3c_device_do_priv_xfers(dev, &xfer, 1);
}
