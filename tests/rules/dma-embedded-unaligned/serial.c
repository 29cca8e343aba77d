// SPDX-License-Identifier: GPL-2.0
/*
 * Medium confidence needs a neighbour written from another context while the
 * transfer may be in flight (issue 11 follow-up). Writers reached only through
 * the DMA function's own entry points, and neighbours the DMA length adds up,
 * are not that: low.
 */
#include <linux/spi/spi.h>
#include <linux/interrupt.h>
#include <linux/dma-mapping.h>
#include <linux/mutex.h>

/* The IRQ thread reads a report synchronously, then parses it into tool. */
struct pen_dev {
	struct spi_device *spi;
	int tool;
	u8 rd_buf[32];
};

static int pen_read(struct pen_dev *ts)
{
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	return spi_read(ts->spi, ts->rd_buf, sizeof(ts->rd_buf));
}

static void pen_parse(struct pen_dev *ts)
{
	ts->tool = ts->rd_buf[1];
}

static irqreturn_t pen_irq(int irq, void *data)
{
	struct pen_dev *ts = data;

	if (pen_read(ts))
		return IRQ_NONE;
	pen_parse(ts);
	return IRQ_HANDLED;
}

static int pen_probe(struct spi_device *spi)
{
	struct pen_dev *ts = devm_kzalloc(&spi->dev, sizeof(*ts), GFP_KERNEL);

	if (!ts)
		return -ENOMEM;
	ts->spi = spi;
	return devm_request_threaded_irq(&spi->dev, spi->irq, NULL, pen_irq,
					 IRQF_ONESHOT, "pen", ts);
}

/*
 * The same read, but the neighbour is also set from a sysfs store: another context. Not
 * on the read's own paths, but a store by another function: low for this rule too (the
 * labelled sample could not tell such stores from serialised ones).
 */
struct pen2_dev {
	struct spi_device *spi;
	int mode;
	u8 rd_buf[32];
};

static int pen2_read(struct pen2_dev *ts)
{
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	return spi_read(ts->spi, ts->rd_buf, sizeof(ts->rd_buf));
}

static void pen2_parse(struct pen2_dev *ts)
{
	ts->mode = ts->rd_buf[1];
}

static irqreturn_t pen2_irq(int irq, void *data)
{
	struct pen2_dev *ts = data;

	if (pen2_read(ts))
		return IRQ_NONE;
	pen2_parse(ts);
	return IRQ_HANDLED;
}

static ssize_t mode_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct pen2_dev *ts = dev_get_drvdata(dev);

	ts->mode = buf[0] - '0';
	return count;
}
static DEVICE_ATTR_WO(mode);

static int pen2_probe(struct spi_device *spi)
{
	struct pen2_dev *ts = devm_kzalloc(&spi->dev, sizeof(*ts), GFP_KERNEL);

	if (!ts)
		return -ENOMEM;
	ts->spi = spi;
	return devm_request_threaded_irq(&spi->dev, spi->irq, NULL, pen2_irq,
					 IRQF_ONESHOT, "pen2", ts);
}

/* The mapping adds up a header and its descriptor: the neighbour is in the buffer. */
struct qctx {
	u32 prehdr[2];
	u32 sh_desc[16];
};

static dma_addr_t qctx_map(struct device *dev, struct qctx *c)
{
	size_t size = sizeof(c->prehdr) + sizeof(c->sh_desc);
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	dma_addr_t dma = dma_map_single(dev, c->prehdr, size, DMA_BIDIRECTIONAL);

	c->sh_desc[0] = 0;
	return dma;
}

static void qctx_update(struct qctx *c, const u32 *desc)
{
	memcpy(c->sh_desc, desc, sizeof(c->sh_desc));
}

/*
 * Mapped alone: the descriptor written after the mapping shares its line. A plain store
 * is low for this rule (right 3 times in 10 on the labelled 6.1 sample); the sizeof
 * pair is told apart at medium in dma-cacheline-l1/offset.c.
 */
struct qctx2 {
	u32 prehdr[2];
	u32 sh_desc[16];
};

static dma_addr_t qctx2_map(struct device *dev, struct qctx2 *c)
{
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	dma_addr_t dma = dma_map_single(dev, c->prehdr, sizeof(c->prehdr), DMA_BIDIRECTIONAL);

	c->sh_desc[0] = 0;
	return dma;
}

static void qctx2_update(struct qctx2 *c, const u32 *desc)
{
	memcpy(c->sh_desc, desc, sizeof(c->sh_desc));
}

/* An asynchronous mapping: the function fills the command, then maps the SG table. */
struct scb {
	void *srb;
	u32 senseptr;
	u32 sglist[8];
};

static dma_addr_t scb_build(struct device *dev, struct scb *cblk, void *cmnd)
{
	cblk->srb = cmnd;
	cblk->senseptr = 0;
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	return dma_map_single(dev, &cblk->sglist[0], sizeof(cblk->sglist), DMA_BIDIRECTIONAL);
}

/* ... a store after the mapping can land while the device writes: still only a store. */
struct umr {
	u8 ctx[64];
	dma_addr_t dma_addr;
};

static int umr_map(struct device *dev, struct umr *umr)
{
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	dma_addr_t dma = dma_map_single(dev, umr->ctx, sizeof(umr->ctx), DMA_BIDIRECTIONAL);

	umr->dma_addr = dma;
	return dma_mapping_error(dev, dma);
}
