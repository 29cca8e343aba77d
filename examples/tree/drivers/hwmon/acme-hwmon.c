// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ACME TMP42 I2C temperature sensor
 */

#include <linux/hwmon.h>
#include <linux/i2c.h>
#include <linux/module.h>

#define ACME_REG_TEMP		0x00
#define ACME_REG_CONFIG		0x01

struct acme_hwmon {
	struct i2c_client *client;
};

static int acme_hwmon_read_config(struct acme_hwmon *data, u8 *cfg)
{
	int ret;

	ret = i2c_smbus_read_byte_data(data->client, ACME_REG_CONFIG);
	if (ret < 0)
		return ret;
	*cfg = ret;
	return 0;
}

static int acme_hwmon_probe(struct i2c_client *client)
{
	struct acme_hwmon *data;
	u8 cfg;

	data = devm_kzalloc(&client->dev, sizeof(*data), GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	data->client = client;

	return acme_hwmon_read_config(data, &cfg);
}

MODULE_LICENSE("GPL");
