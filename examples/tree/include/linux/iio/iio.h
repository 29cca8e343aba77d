/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _INDUSTRIAL_IO_H_
#define _INDUSTRIAL_IO_H_

#include <linux/slab.h>

/*
 * Ensure that buffers handed to the DMA API by IIO drivers do not share
 * a cache line with anything the CPU writes.
 */
#define IIO_DMA_MINALIGN ARCH_KMALLOC_MINALIGN

void *iio_priv(const struct iio_dev *indio_dev);

#endif /* _INDUSTRIAL_IO_H_ */
