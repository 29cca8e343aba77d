// SPDX-License-Identifier: GPL-2.0
/*
 * An L1-aligned member (64 bytes on arm64) shares its 128-byte line with the
 * members before it only when it starts at an odd 64-byte slot; members after
 * a short one always share its last line (issue 11 follow-up).
 */
#include <linux/dma-mapping.h>

struct hstate {
	u8 buf[64] ____cacheline_aligned;
	int buflen;
	u8 ctx[72] ____cacheline_aligned;
	int (*update)(struct hstate *st) ____cacheline_aligned;
};

static int hstate_map(struct device *dev, struct hstate *st)
{
	/* ruleid: dma-cacheline-l1 (confidence: low) */
	dma_addr_t dma = dma_map_single(dev, st->ctx, sizeof(st->ctx), DMA_FROM_DEVICE);

	return dma_mapping_error(dev, dma);
}

static int hstate_update(struct hstate *st, int len)
{
	st->buflen = len;
	return 0;
}

/* The same state without an aligned member after ctx: update shares its tail line. */
struct hstate2 {
	u8 buf[64] ____cacheline_aligned;
	int buflen;
	u8 ctx[72] ____cacheline_aligned;
	int (*update)(struct hstate2 *st);
};

static int hstate2_next(struct hstate2 *st)
{
	return 0;
}

static int hstate2_map(struct device *dev, struct hstate2 *st)
{
	/* ruleid: dma-cacheline-l1 (confidence: low) */
	dma_addr_t dma = dma_map_single(dev, st->ctx, sizeof(st->ctx), DMA_FROM_DEVICE);

	return dma_mapping_error(dev, dma);
}

static int hstate2_update(struct hstate2 *st, int len)
{
	st->buflen = len;
	st->update = hstate2_next;
	return 0;
}

/* Two adjacent L1-aligned buffers, both written: one of the pairs shares a line. */
struct joy_dev {
	struct device *dev;
	struct urb *irq;
	u8 data_in[16] ____cacheline_aligned;
	u8 data_out[16] ____cacheline_aligned;
};

static int joy_open(struct joy_dev *joy)
{
	/* a buffer pair only stored outside setup: low, as every stored-only neighbour is
	 * (ccree's digest pair was harmless, iforce's data_out was not) */
	/* ruleid: dma-cacheline-l1 (confidence: low) */
	dma_addr_t dma = dma_map_single(joy->dev, joy->data_in, sizeof(joy->data_in),
					DMA_FROM_DEVICE);

	return dma_mapping_error(joy->dev, dma);
}

static void joy_xmit(struct joy_dev *joy, const u8 *cmd)
{
	joy->irq = NULL;
	memcpy(joy->data_out, cmd, sizeof(joy->data_out));
}

/* The DMA length adds up the header and its descriptor: the neighbour is in the buffer. */
struct qctx {
	u32 prehdr[2] ____cacheline_aligned;
	u32 sh_desc[16];
};

static dma_addr_t qctx_map(struct device *dev, struct qctx *c)
{
	size_t size = sizeof(c->prehdr) + sizeof(c->sh_desc);
	/* ruleid: dma-cacheline-l1 (confidence: low) */
	dma_addr_t dma = dma_map_single(dev, c->prehdr, size, DMA_BIDIRECTIONAL);

	c->sh_desc[0] = 0;
	return dma;
}

/* Mapped alone: the descriptor written after the mapping shares its line. */
struct qctx2 {
	u32 prehdr[2] ____cacheline_aligned;
	u32 sh_desc[16];
};

static dma_addr_t qctx2_map(struct device *dev, struct qctx2 *c)
{
	/* a store after the mapping, by a function that did not allocate the struct: low
	 * (a later to-device mapping may clean it before the job starts, as caam's do) */
	/* ruleid: dma-cacheline-l1 (confidence: low) */
	dma_addr_t dma = dma_map_single(dev, c->prehdr, sizeof(c->prehdr), DMA_BIDIRECTIONAL);

	c->sh_desc[0] = 0;
	return dma;
}
