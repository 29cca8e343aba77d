// SPDX-License-Identifier: GPL-2.0
/*
 * A ____cacheline_aligned member of a crypto request context is judged by its
 * neighbours like any other member (issue 11 follow-up): the context route
 * must not skip that and report it at high confidence.
 */
#include <crypto/internal/hash.h>
#include <linux/dma-mapping.h>

struct bar_state {
	u8 ctx[72] ____cacheline_aligned;
	int (*update)(struct ahash_request *req);
};

struct bar_dev {
	struct device *dev;
};

static struct bar_dev *bar_dev;

static int bar_next(struct ahash_request *req)
{
	return 0;
}

static int bar_map(struct ahash_request *req)
{
	struct bar_state *state = ahash_request_ctx(req);
	/* ruleid: dma-cacheline-l1 (confidence: low) */
	dma_addr_t dma = dma_map_single(bar_dev->dev, state->ctx, sizeof(state->ctx),
					DMA_FROM_DEVICE);

	state->update = bar_next;
	return dma_mapping_error(bar_dev->dev, dma);
}

struct baz_state {
	u8 ctx[72] ____cacheline_aligned;
	int flags;
};

static int baz_map(struct ahash_request *req)
{
	struct baz_state *state = ahash_request_ctx(req);
	/* ruleid: dma-cacheline-l1 (confidence: low) */
	dma_addr_t dma = dma_map_single(bar_dev->dev, state->ctx, sizeof(state->ctx),
					DMA_FROM_DEVICE);

	return dma_mapping_error(bar_dev->dev, dma);
}
