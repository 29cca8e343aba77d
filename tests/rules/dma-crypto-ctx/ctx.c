// SPDX-License-Identifier: GPL-2.0
/* Crypto tfm and request contexts that a hardware engine writes into. */
#include <crypto/internal/skcipher.h>
#include <crypto/internal/hash.h>
#include <linux/dma-mapping.h>

struct foo_ctx {
	struct device *dev;
	u32 flags;
	u8 key[32];
	u8 sh_desc[64] __aligned(ARCH_DMA_MINALIGN);
};

struct foo_reqctx {
	u8 iv[16] __aligned(ARCH_DMA_MINALIGN);
	struct scatterlist sg;
};

struct foo_state {
	u8 digest[64];
};

static inline struct foo_ctx *foo_tfm_ctx(struct crypto_skcipher *tfm)
{
	return crypto_skcipher_ctx(tfm);
}

static int foo_setkey(struct crypto_skcipher *tfm, const u8 *key, unsigned int len)
{
	struct foo_ctx *ctx = crypto_skcipher_ctx(tfm);
	dma_addr_t a;

	/* ok: dma-crypto-ctx (the engine only reads the key) */
	a = dma_map_single(ctx->dev, ctx->key, len, DMA_TO_DEVICE);
	/* ruleid: dma-crypto-ctx */
	a = dma_map_single(ctx->dev, ctx->sh_desc, sizeof(ctx->sh_desc), DMA_BIDIRECTIONAL);
	return dma_mapping_error(ctx->dev, a);
}

static int foo_encrypt(struct skcipher_request *req)
{
	struct foo_ctx *ctx = foo_tfm_ctx(crypto_skcipher_reqtfm(req));
	struct foo_reqctx *rctx = skcipher_request_ctx(req);

	/* ruleid: dma-crypto-ctx (through a same-file wrapper of the accessor) */
	dma_map_single(ctx->dev, ctx->sh_desc, 64, DMA_FROM_DEVICE);
	/* ruleid: dma-crypto-ctx */
	return dma_map_single(ctx->dev, rctx->iv, 16, DMA_BIDIRECTIONAL) ? 0 : -EIO;
}

static int foo_final(struct ahash_request *req)
{
	struct foo_state *state = ahash_request_ctx(req);
	struct foo_ctx *ctx = crypto_ahash_ctx(crypto_ahash_reqtfm(req));

	/* ruleid: dma-crypto-ctx (the whole request context) */
	return dma_map_single(ctx->dev, state, sizeof(*state), DMA_FROM_DEVICE) ? 0 : -EIO;
}

static int foo_final_dma(struct ahash_request *req)
{
	struct foo_state *state = ahash_request_ctx_dma(req);
	struct foo_ctx *ctx = crypto_ahash_ctx_dma(crypto_ahash_reqtfm(req));

	/* ok: dma-crypto-ctx (the _dma accessor aligns to CRYPTO_DMA_ALIGN) */
	dma_map_single(ctx->dev, state, sizeof(*state), DMA_FROM_DEVICE);
	/* ok: dma-crypto-ctx */
	return dma_map_single(ctx->dev, ctx->sh_desc, 64, DMA_FROM_DEVICE) ? 0 : -EIO;
}

static int foo_other(struct foo_ctx *mine, struct device *dev)
{
	/* ok: dma-crypto-ctx (not a crypto context: the caller's own struct) */
	return dma_map_single(dev, mine->sh_desc, 64, DMA_FROM_DEVICE) ? 0 : -EIO;
}
