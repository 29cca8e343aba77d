// SPDX-License-Identifier: GPL-2.0
/*
 * A struct the function allocates, maps and publishes: the mapping outlives the
 * call, so the function's own stores to a neighbour after dma_map_single() dirty a
 * mapped cache line (mlx5 macsec: umr->dma_addr after mapping umr->ctx). Medium.
 * A store before the mapping, after an unmap, into a caller's struct, or beside a
 * URB that is only filled here stays low.
 */
#include <linux/slab.h>
#include <linux/usb.h>
#include <linux/dma-mapping.h>

struct aso_umr {
	u8 ctx[64];
	dma_addr_t dma_addr;
	u32 mkey;
};

struct aso {
	struct aso_umr *umr;
	u32 pdn;
};

static int aso_create_mkey(struct device *dev, u32 pdn, u32 *mkey);

/* The handle and the key are stored after the bidirectional mapping is made. */
static int aso_reg_mr(struct device *dev, struct aso *aso)
{
	struct aso_umr *umr;
	dma_addr_t dma_addr;
	int err;

	umr = kzalloc(sizeof(*umr), GFP_KERNEL);
	if (!umr)
		return -ENOMEM;
	/* ruleid: dma-embedded-unaligned (confidence: medium) */
	dma_addr = dma_map_single(dev, umr->ctx, sizeof(umr->ctx), DMA_BIDIRECTIONAL);
	err = dma_mapping_error(dev, dma_addr);
	if (err)
		goto out_free;
	err = aso_create_mkey(dev, aso->pdn, &umr->mkey);
	if (err)
		goto out_unmap;
	umr->dma_addr = dma_addr;
	aso->umr = umr;
	return 0;

out_unmap:
	dma_unmap_single(dev, dma_addr, sizeof(umr->ctx), DMA_BIDIRECTIONAL);
out_free:
	kfree(umr);
	return err;
}

static void aso_query(struct aso *aso)
{
	aso->umr->mkey = 0;
}

/* The same struct, its neighbour stored before the mapping: it cannot dirty the line. */
struct ring_ent {
	u8 desc[64];
	u32 key;
	u32 gen;
};

struct ring {
	struct ring_ent *ent;
};

static int ring_ent_add(struct device *dev, struct ring *ring, u32 key)
{
	struct ring_ent *ent = kzalloc(sizeof(*ent), GFP_KERNEL);
	dma_addr_t dma;

	if (!ent)
		return -ENOMEM;
	ent->key = key;
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	dma = dma_map_single(dev, ent->desc, sizeof(ent->desc), DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, dma)) {
		kfree(ent);
		return -ENOMEM;
	}
	ring->ent = ent;
	return 0;
}

static void ring_bump(struct ring *ring)
{
	ring->ent->gen++;
}

/* Unmapped before the store: the line is the CPU's again. */
struct probe_buf {
	u8 data[32];
	u32 status;
};

struct probe_ctx {
	struct probe_buf *pb;
};

static int probe_buf_read(struct device *dev, struct probe_ctx *ctx)
{
	struct probe_buf *pb = kzalloc(sizeof(*pb), GFP_KERNEL);
	dma_addr_t dma;

	if (!pb)
		return -ENOMEM;
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	dma = dma_map_single(dev, pb->data, sizeof(pb->data), DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, dma)) {
		kfree(pb);
		return -ENOMEM;
	}
	dma_unmap_single(dev, dma, sizeof(pb->data), DMA_FROM_DEVICE);
	pb->status = pb->data[0];
	ctx->pb = pb;
	return 0;
}

static void probe_buf_clear(struct probe_ctx *ctx)
{
	ctx->pb->status = 0;
}

/* A URB is only filled here: the transfer starts when it is submitted, elsewhere. */
struct intr_dev {
	u8 data_in[16];
	u32 flags;
	struct usb_device *udev;
};

static void intr_complete(struct urb *urb);

static int intr_fill(struct usb_device *udev, struct urb *urb, struct intr_dev **out)
{
	struct intr_dev *idev = kzalloc(sizeof(*idev), GFP_KERNEL);

	if (!idev)
		return -ENOMEM;
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	usb_fill_int_urb(urb, udev, usb_rcvintpipe(udev, 1), idev->data_in,
			 sizeof(idev->data_in), intr_complete, idev, 4);
	idev->flags = 1;
	*out = idev;
	return 0;
}

static void intr_complete(struct urb *urb)
{
	struct intr_dev *idev = urb->context;

	idev->flags = 0;
}

/* Written only in probe, and not by the function that maps: quiet neighbours. */
struct evt_buf {
	u8 evt[32];
	u32 irq_mask;
};

struct evt_ctx {
	struct evt_buf *eb;
};

static int evt_probe(struct evt_ctx *ctx)
{
	ctx->eb->irq_mask = 0xff;
	return 0;
}

static int evt_map(struct device *dev, struct evt_ctx *ctx)
{
	struct evt_buf *eb = kzalloc(sizeof(*eb), GFP_KERNEL);
	dma_addr_t dma;

	if (!eb)
		return -ENOMEM;
	ctx->eb = eb;
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	dma = dma_map_single(dev, eb->evt, sizeof(eb->evt), DMA_FROM_DEVICE);
	return dma_mapping_error(dev, dma);
}
