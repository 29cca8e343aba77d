// SPDX-License-Identifier: GPL-2.0
/*
 * A neighbour written only from a kernel thread that the DMA function is not reached
 * from (mxs-dcp: the AES channel thread writes aes_key beside the SHA channel's digest
 * buffer): two threads run at once, so the store may land while the device writes.
 * Medium. A neighbour written by the DMA's own thread, or from a work item, stays low.
 */
#include <linux/kthread.h>
#include <linux/workqueue.h>
#include <linux/dma-mapping.h>

struct eng_block {
	u8 hash_in[256];
	u8 hash_out[64];
	u8 key[32];
};

struct eng {
	struct device *dev;
	struct eng_block *blk;
	struct task_struct *thread[2];
};

static struct eng *the_eng;

static int eng_cipher_one(struct eng *e, const u8 *key)
{
	u8 *k = e->blk->key;

	memcpy(k, key, 32);
	return 0;
}

static int eng_hash_one(struct eng *e, unsigned int len)
{
	dma_addr_t in, out;

	memcpy(e->blk->hash_in, "abc", 3);
	in = dma_map_single(e->dev, e->blk->hash_in, len, DMA_TO_DEVICE);
	/* ruleid: dma-embedded-unaligned (confidence: medium) */
	out = dma_map_single(e->dev, e->blk->hash_out, 64, DMA_FROM_DEVICE);
	dma_unmap_single(e->dev, out, 64, DMA_FROM_DEVICE);
	dma_unmap_single(e->dev, in, len, DMA_TO_DEVICE);
	return 0;
}

static int eng_thread_cipher(void *data)
{
	while (!kthread_should_stop())
		eng_cipher_one(the_eng, data);
	return 0;
}

static int eng_thread_hash(void *data)
{
	while (!kthread_should_stop())
		eng_hash_one(the_eng, 64);
	return 0;
}

static int eng_probe(struct eng *e)
{
	e->thread[0] = kthread_run(eng_thread_hash, NULL, "eng-hash");
	e->thread[1] = kthread_run(eng_thread_cipher, NULL, "eng-cipher");
	return 0;
}

/* The neighbour is written by the same thread that does the DMA, before it maps. */
struct solo_block {
	u8 cmd[16];
	u8 resp[48];
	u32 seq;
};

struct solo {
	struct device *dev;
	struct solo_block *blk;
};

static struct solo *the_solo;

static void solo_next(struct solo *s)
{
	s->blk->seq++;
}

static int solo_read(struct solo *s)
{
	dma_addr_t dma;

	solo_next(s);
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	dma = dma_map_single(s->dev, s->blk->resp, 48, DMA_FROM_DEVICE);
	dma_unmap_single(s->dev, dma, 48, DMA_FROM_DEVICE);
	return 0;
}

static int solo_thread(void *data)
{
	while (!kthread_should_stop())
		solo_read(the_solo);
	return 0;
}

static int solo_probe(struct solo *s)
{
	return PTR_ERR_OR_ZERO(kthread_run(solo_thread, NULL, "solo"));
}

/* Written from a work item, not a kernel thread of the file: not claimed, low. */
struct wq_block {
	u8 rx[32];
	u32 count;
};

struct wq_dev {
	struct device *dev;
	struct wq_block *blk;
	struct work_struct work;
};

static struct wq_dev *the_wq;

static void wq_count(struct work_struct *work)
{
	struct wq_dev *w = container_of(work, struct wq_dev, work);

	w->blk->count = 0;
}

static int wq_read(struct wq_dev *w)
{
	dma_addr_t dma;

	/* ruleid: dma-embedded-unaligned (confidence: low) */
	dma = dma_map_single(w->dev, w->blk->rx, 32, DMA_FROM_DEVICE);
	dma_unmap_single(w->dev, dma, 32, DMA_FROM_DEVICE);
	return 0;
}

static int wq_thread(void *data)
{
	while (!kthread_should_stop())
		wq_read(the_wq);
	return 0;
}

static int wq_probe(struct wq_dev *w)
{
	INIT_WORK(&w->work, wq_count);
	return PTR_ERR_OR_ZERO(kthread_run(wq_thread, NULL, "wq"));
}
