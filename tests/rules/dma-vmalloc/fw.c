// SPDX-License-Identifier: GPL-2.0
/* vmalloc-family memory reaching DMA APIs. */
#include <linux/vmalloc.h>
#include <linux/dma-mapping.h>

struct fw_loader {
	struct device *dev;
	struct usb_device *udev;
	u8 *image;
	size_t len;
};

static int fw_load(struct fw_loader *fw, const struct firmware *blob)
{
	dma_addr_t addr;
	void *copy = vmalloc(blob->size);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, blob->data, blob->size);
	/* ruleid: dma-vmalloc */
	addr = dma_map_single(fw->dev, copy, blob->size, DMA_TO_DEVICE);
	return dma_mapping_error(fw->dev, addr);
}

static int fw_prepare(struct fw_loader *fw)
{
	fw->image = kvzalloc(fw->len, GFP_KERNEL);
	return fw->image ? 0 : -ENOMEM;
}

static int fw_send(struct fw_loader *fw)
{
	int actual;

	/* ruleid: dma-vmalloc */
	return usb_bulk_msg(fw->udev, usb_sndbulkpipe(fw->udev, 1), fw->image, fw->len,
			    &actual, 1000);
}

static int fw_log(struct fw_loader *fw, struct spi_device *spi)
{
	u8 *log = vzalloc(SZ_64K);
	u8 *cur = log;
	struct scatterlist sg;

	cur += 16;
	/* ruleid: dma-vmalloc */
	sg_init_one(&sg, cur, 64);
	/* ok: dma-vmalloc */
	spi_write_then_read(spi, log, 1, log + 1, 1);
	/* ok: dma-vmalloc */
	memcpy(log, fw->image, 16);
	vfree(log);
	return 0;
}

static int fw_copy_out(struct fw_loader *fw)
{
	u8 *bounce = kmalloc(4096, GFP_KERNEL);
	dma_addr_t addr;

	/* ok: dma-vmalloc */
	addr = dma_map_single(fw->dev, bounce, 4096, DMA_TO_DEVICE);
	kfree(bounce);
	return 0;
}
