// SPDX-License-Identifier: GPL-2.0
/*
 * ACME AD1234 SPI ADC driver
 */

#include <linux/iio/iio.h>
#include <linux/module.h>
#include <linux/spi/spi.h>

#define ACME_ADC_CMD_READ(ch)	(0x80 | ((ch) << 3))

struct acme_adc_state {
	struct spi_device *spi;
	struct mutex lock;
	u8 tx_buf[2] __aligned(IIO_DMA_MINALIGN);
	__be16 rx_buf;
};

static int acme_adc_read_channel(struct acme_adc_state *st, int ch, int *val)
{
	struct spi_transfer xfer = {
		.tx_buf = st->tx_buf,
		.rx_buf = &st->rx_buf,
		.len = 2,
	};
	int ret;

	mutex_lock(&st->lock);
	st->tx_buf[0] = ACME_ADC_CMD_READ(ch);
	st->tx_buf[1] = 0;
	ret = spi_sync_transfer(st->spi, &xfer, 1);
	if (!ret)
		*val = be16_to_cpu(st->rx_buf) & 0x0fff;
	mutex_unlock(&st->lock);

	return ret;
}

static int acme_adc_read_raw(struct iio_dev *indio_dev,
			     struct iio_chan_spec const *chan,
			     int *val, int *val2, long mask)
{
	struct acme_adc_state *st = iio_priv(indio_dev);
	int ret;

	switch (mask) {
	case IIO_CHAN_INFO_RAW:
		ret = acme_adc_read_channel(st, chan->channel, val);
		if (ret)
			return ret;
		return IIO_VAL_INT;
	default:
		return -EINVAL;
	}
}

MODULE_LICENSE("GPL");
