// SPDX-License-Identifier: GPL-2.0
/* Buffers allocated by a helper or an init function and mapped in another. */
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#define FOO_STATUS_LEN	16
#define FOO_BIG_LEN	4096

struct foo_req {
	struct device *dev;
	u8 *status;
	u8 *cmd;
	u8 *blob;
	struct scatterlist sg_status;
	struct scatterlist sg_cmd;
	struct scatterlist sg_blob;
};

static void *foo_alloc_status(gfp_t gfp)
{
	void *p = kzalloc(FOO_STATUS_LEN, gfp);

	if (!p)
		return ERR_PTR(-ENOMEM);
	return p;
}

static void *foo_pick(struct foo_req *req, void *fallback)
{
	if (fallback)
		return fallback;
	return kzalloc(FOO_STATUS_LEN, GFP_KERNEL);
}

static int foo_req_init(struct foo_req *req)
{
	req->status = foo_alloc_status(GFP_KERNEL);
	req->cmd = kmalloc(FOO_STATUS_LEN, GFP_KERNEL);
	req->blob = kmalloc(FOO_BIG_LEN, GFP_KERNEL);
	return 0;
}

static void foo_req_prepare(struct foo_req *req)
{
	/* ruleid: dma-kmalloc-small (the scatterlist is mapped inbound in foo_req_submit) */
	sg_init_one(&req->sg_status, req->status, FOO_STATUS_LEN);
	/* ok: dma-kmalloc-small (its scatterlist is mapped outbound only) */
	sg_init_one(&req->sg_cmd, req->cmd, FOO_STATUS_LEN);
	/* ok: dma-kmalloc-small (a page-sized buffer) */
	sg_init_one(&req->sg_blob, req->blob, FOO_BIG_LEN);
}

static int foo_req_submit(struct foo_req *req)
{
	dma_map_sg(req->dev, &req->sg_cmd, 1, DMA_TO_DEVICE);
	dma_map_sg(req->dev, &req->sg_blob, 1, DMA_FROM_DEVICE);
	return dma_map_sg(req->dev, &req->sg_status, 1, DMA_FROM_DEVICE);
}

static int foo_direct(struct foo_req *req, void *theirs)
{
	u8 *buf = foo_alloc_status(GFP_ATOMIC);
	u8 *maybe = foo_pick(req, theirs);

	/* ruleid: dma-kmalloc-small (returned by the allocation helper) */
	dma_map_single(req->dev, buf, FOO_STATUS_LEN, DMA_FROM_DEVICE);
	/* ok: dma-kmalloc-small (the helper may return the caller's buffer) */
	return dma_map_single(req->dev, maybe, FOO_STATUS_LEN, DMA_FROM_DEVICE) ? 0 : -EIO;
}

struct foo_status {
	struct device *dev;
	u8 *status;
	u8 *aligned;
};

static int foo_status_init(struct foo_status *st)
{
	st->status = kzalloc(FOO_STATUS_LEN, GFP_KERNEL);
	if (foo_busy(st)) {
		kfree(st->status);
		st->status = NULL;
		return -EBUSY;
	}
	/* ruleid: dma-kmalloc-small (the NULL store on the error path carries no memory) */
	dma_map_single(st->dev, st->status, FOO_STATUS_LEN, DMA_FROM_DEVICE);
	st->aligned = kzalloc(FOO_STATUS_LEN + 64, GFP_KERNEL);
	st->aligned = PTR_ALIGN(st->aligned, 64);
	/* ok: dma-kmalloc-small (also set here to what is not followed) */
	return dma_map_single(st->dev, st->aligned, FOO_STATUS_LEN, DMA_FROM_DEVICE) ? 0 : -EIO;
}
