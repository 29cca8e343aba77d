// SPDX-License-Identifier: GPL-2.0
/*
 * ACME USB serial adapter driver
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/usb.h>
#include <linux/usb/serial.h>

#define ACME_REQ_GET_STATUS	0x01
#define ACME_REQ_SET_LINE	0x02
#define ACME_TIMEOUT		1000

struct acme_private {
	u8 line_ctrl;
	u8 status;
};

static int acme_set_line(struct usb_serial_port *port, u8 value)
{
	struct usb_device *udev = port->serial->dev;

	return usb_control_msg(udev, usb_sndctrlpipe(udev, 0),
			       ACME_REQ_SET_LINE, USB_TYPE_VENDOR | USB_DIR_OUT,
			       value, 0, NULL, 0, ACME_TIMEOUT);
}

static int acme_open(struct tty_struct *tty, struct usb_serial_port *port)
{
	struct acme_private *priv = usb_get_serial_port_data(port);
	int ret;

	ret = acme_set_line(port, priv->line_ctrl);
	if (ret < 0)
		return ret;

	return usb_serial_generic_open(tty, port);
}

static int acme_port_probe(struct usb_serial_port *port)
{
	struct acme_private *priv;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;

	usb_set_serial_port_data(port, priv);
	return 0;
}

static void acme_port_remove(struct usb_serial_port *port)
{
	kfree(usb_get_serial_port_data(port));
}

static struct usb_serial_driver acme_device = {
	.driver = {
		.owner =	THIS_MODULE,
		.name =		"acme_serial",
	},
	.num_ports =		1,
	.open =			acme_open,
	.port_probe =		acme_port_probe,
	.port_remove =		acme_port_remove,
};

MODULE_LICENSE("GPL");
