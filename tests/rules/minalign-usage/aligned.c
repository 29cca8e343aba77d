// SPDX-License-Identifier: GPL-2.0
/* DMA buffers aligned with kmalloc-level macros (8 bytes on arm64 since v6.5). */
#include <linux/crypto.h>

struct hash_ctx {
	struct device *dev;
	u32 flags;
	u8 key[32] __aligned(ARCH_KMALLOC_MINALIGN);
	u8 digest[32];
};

struct aes_ctx {
	struct device *dev;
	int keylen;
	u8 iv[16] __attribute__((aligned(CRYPTO_MINALIGN)));
	u8 out[16] __aligned(ARCH_DMA_MINALIGN);
};

struct sha_ctx {
	struct device *dev;
	int n;
	u8 state[64] CRYPTO_MINALIGN_ATTR;
};

static int hash_final(struct hash_ctx *ctx)
{
	dma_addr_t a, b;

	/* ruleid: minalign-usage */
	a = dma_map_single(ctx->dev, ctx->digest, 32, DMA_FROM_DEVICE);
	/* ok: minalign-usage */
	b = dma_map_single(ctx->dev, ctx->key, 32, DMA_TO_DEVICE);
	return a == b;
}

static int aes_iv(struct aes_ctx *ctx, struct sha_ctx *sha)
{
	dma_addr_t a, b, c;

	/* ruleid: minalign-usage */
	a = dma_map_single(ctx->dev, ctx->iv, 16, DMA_BIDIRECTIONAL);
	/* ok: minalign-usage */
	b = dma_map_single(ctx->dev, ctx->out, 16, DMA_FROM_DEVICE);
	/* ruleid: minalign-usage */
	c = dma_map_single(sha->dev, sha->state, 64, DMA_FROM_DEVICE);
	return a == b || b == c;
}
