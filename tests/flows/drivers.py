"""An 8-patch USB driver series with errors in patches 1, 3 and 4, and its tree.

Modelled on what issue 25 ran on Linux 6.1 (pl2303, ark3116, usblcd), cut
down to the lines that matter, so the tests need no kernel tree:

1. plx: a register read into a stack byte, ``&val`` straight to
   usb_control_msg() (dma-stack; the hunks show it).
3. arkx: open() reads registers into a stack array instead of a
   ``kmalloc(1)`` buffer; the reads go through a helper the patch does not
   touch (dma-stack, seen only in the whole file). The small-kmalloc
   finding it leaves behind is *replaced*, not fixed.
4. lcdx: the bulk-in buffer becomes ``kvmalloc`` memory in probe(), used
   for DMA in read(), which the patch does not touch (dma-vmalloc, seen
   only in the whole file); again a replacement of the small-kmalloc
   finding.

2, 5, 6 and 7 are comment changes; 8 adds a helper to lcdx whose hunk
covers the line number of patch 4's finding (the checkpatch line that
once pointed into patch 8).
"""

from __future__ import annotations

PLX = "drivers/usb/serial/plx.c"
ARKX = "drivers/usb/serial/arkx.c"
LCDX = "drivers/usb/misc/lcdx.c"

SOURCES = {
    PLX: """\
// SPDX-License-Identifier: GPL-2.0
/*
 * PLX USB to serial adapter (a test driver).
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/usb.h>
#include <linux/usb/serial.h>

#define PLX_VENDOR_READ\t\t0x01
#define PLX_VENDOR_READ_TYPE\t0xc0

static int plx_vendor_read(struct usb_serial *serial, u16 value,
\t\t\t   unsigned char buf[1])
{
\tstruct device *dev = &serial->interface->dev;
\tint res;

\tres = usb_control_msg(serial->dev, usb_rcvctrlpipe(serial->dev, 0),
\t\t\tPLX_VENDOR_READ, PLX_VENDOR_READ_TYPE,
\t\t\tvalue, 0, buf, 1, 100);
\tif (res != 1) {
\t\tdev_err(dev, "%s - failed to read [%04x]: %d\\n", __func__,
\t\t\tvalue, res);
\t\tif (res >= 0)
\t\t\tres = -EIO;
\t\treturn res;
\t}

\tdev_dbg(dev, "%s - [%04x] = %02x\\n", __func__, value, buf[0]);

\treturn 0;
}
""",
    ARKX: """\
// SPDX-License-Identifier: GPL-2.0
/*
 * ARKX USB to serial adapter (a test driver).
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/tty.h>
#include <linux/usb.h>
#include <linux/usb/serial.h>

#define ARK_TIMEOUT\t1000
#define UART_RX\t\t0
#define UART_LSR\t5
#define UART_MSR\t6

struct arkx_private {
\tint msr;
\tint lsr;
};

static int arkx_read_reg(struct usb_serial *serial,
\t\t\t unsigned int reg, unsigned char *buf)
{
\tint result;

\t/* 0xfe 0xc0 are magic values taken from the original driver */
\tresult = usb_control_msg(serial->dev,
\t\t\t\t usb_rcvctrlpipe(serial->dev, 0),
\t\t\t\t 0xfe, 0xc0, 0, reg,
\t\t\t\t buf, 1, ARK_TIMEOUT);
\tif (result < 1) {
\t\tdev_err(&serial->interface->dev,
\t\t\t"failed to read register %u: %d\\n", reg, result);
\t\tif (result >= 0)
\t\t\tresult = -EIO;
\t\treturn result;
\t}

\treturn 0;
}

static int arkx_open(struct tty_struct *tty, struct usb_serial_port *port)
{
\tstruct arkx_private *priv = usb_get_serial_port_data(port);
\tstruct usb_serial *serial = port->serial;
\tunsigned char *buf;
\tint result;

\tbuf = kmalloc(1, GFP_KERNEL);
\tif (buf == NULL)
\t\treturn -ENOMEM;

\tresult = usb_serial_generic_open(tty, port);
\tif (result)
\t\tgoto err_free;

\t/* remove any data still left: also clears error state */
\tarkx_read_reg(serial, UART_RX, buf);

\t/* read modem status */
\tresult = arkx_read_reg(serial, UART_MSR, buf);
\tif (result)
\t\tgoto err_close;
\tpriv->msr = *buf;

\t/* read line status */
\tresult = arkx_read_reg(serial, UART_LSR, buf);
\tif (result)
\t\tgoto err_close;
\tpriv->lsr = *buf;

\tkfree(buf);

\treturn 0;

err_close:
\tusb_serial_generic_close(port);
err_free:
\tkfree(buf);

\treturn result;
}
""",
    LCDX: """\
// SPDX-License-Identifier: GPL-2.0
/*
 * LCDX USB LCD panel (a test driver).
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/usb.h>

struct usb_lcd {
\tstruct usb_device *udev;
\tunsigned char *bulk_in_buffer;
\tsize_t bulk_in_size;
\t__u8 bulk_in_endpointAddr;
};

static void lcd_delete(struct usb_lcd *dev)
{
\tusb_put_dev(dev->udev);
\tkfree(dev->bulk_in_buffer);
\tkfree(dev);
}

static ssize_t lcd_read(struct file *file, char __user *buffer,
\t\t\tsize_t count, loff_t *ppos)
{
\tstruct usb_lcd *dev = file->private_data;
\tint bytes_read;
\tint retval;

\t/* do a blocking bulk read to get data from the device */
\tretval = usb_bulk_msg(dev->udev,
\t\t\t      usb_rcvbulkpipe(dev->udev,
\t\t\t\t\t      dev->bulk_in_endpointAddr),
\t\t\t      dev->bulk_in_buffer,
\t\t\t      min(dev->bulk_in_size, count),
\t\t\t      &bytes_read, 10000);

\t/* if the read was successful, copy the data to userspace */
\tif (!retval) {
\t\tif (copy_to_user(buffer, dev->bulk_in_buffer, bytes_read))
\t\t\tretval = -EFAULT;
\t\telse
\t\t\tretval = bytes_read;
\t}

\treturn retval;
}

static int lcd_probe(struct usb_interface *interface,
\t\t     const struct usb_device_id *id)
{
\tstruct usb_endpoint_descriptor *bulk_in;
\tstruct usb_lcd *dev;
\tint retval;

\tdev = kzalloc(sizeof(*dev), GFP_KERNEL);
\tif (!dev)
\t\treturn -ENOMEM;

\tdev->udev = usb_get_dev(interface_to_usbdev(interface));

\tretval = usb_find_common_endpoints(interface->cur_altsetting,
\t\t\t\t\t   &bulk_in, NULL, NULL, NULL);
\tif (retval)
\t\tgoto error;

\tdev->bulk_in_size = usb_endpoint_maxp(bulk_in);
\tdev->bulk_in_endpointAddr = bulk_in->bEndpointAddress;
\tdev->bulk_in_buffer = kmalloc(dev->bulk_in_size, GFP_KERNEL);
\tif (!dev->bulk_in_buffer) {
\t\tretval = -ENOMEM;
\t\tgoto error;
\t}

\tusb_set_intfdata(interface, dev);
\treturn 0;

error:
\tlcd_delete(dev);
\treturn retval;
}
""",
}

# (subject, [(path, old, new)]): each old text is in its file exactly once.
PATCHES: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("USB: serial: plx: read vendor registers into a local byte", [
        (PLX, "\tint res;\n\n\tres = usb_control_msg(",
         "\tu8 val;\n\tint res;\n\n\tres = usb_control_msg("),
        (PLX, "\t\t\tvalue, 0, buf, 1, 100);\n", "\t\t\tvalue, 0, &val, 1, 100);\n"),
        (PLX, "\t}\n\n\tdev_dbg(", "\t}\n\tbuf[0] = val;\n\n\tdev_dbg("),
    ]),
    ("USB: misc: lcdx: reword a comment", [
        (LCDX, "/* do a blocking bulk read to get data from the device */",
         "/* a blocking bulk read gets the data from the device */"),
    ]),
    ("USB: serial: arkx: read registers into a stack buffer at open", [
        (ARKX, "\tunsigned char *buf;\n\tint result;\n\n\tbuf = kmalloc(1, GFP_KERNEL);\n"
               "\tif (buf == NULL)\n\t\treturn -ENOMEM;\n\n",
         "\tunsigned char buf[1];\n\tint result;\n\n"),
        (ARKX, "\tpriv->lsr = *buf;\n\n\tkfree(buf);\n\n\treturn 0;",
         "\tpriv->lsr = *buf;\n\n\treturn 0;"),
        (ARKX, "err_free:\n\tkfree(buf);\n\n\treturn result;", "err_free:\n\treturn result;"),
    ]),
    ("USB: misc: lcdx: allocate the bulk-in buffer with kvmalloc", [
        (LCDX, "\tdev->bulk_in_buffer = kmalloc(dev->bulk_in_size, GFP_KERNEL);",
         "\tdev->bulk_in_buffer = kvmalloc(dev->bulk_in_size, GFP_KERNEL);"),
        (LCDX, "\tkfree(dev->bulk_in_buffer);\n", "\tkvfree(dev->bulk_in_buffer);\n"),
    ]),
    ("USB: serial: plx: name the adapter in the header", [
        (PLX, " * PLX USB to serial adapter (a test driver).",
         " * PLX USB to serial adapter, PL-X family (a test driver)."),
    ]),
    ("USB: serial: arkx: tidy a comment", [
        (ARKX, "/* 0xfe 0xc0 are magic values taken from the original driver */",
         "/* 0xfe and 0xc0 are magic values from the original driver */"),
    ]),
    ("USB: misc: lcdx: name the panel in the header", [
        (LCDX, " * LCDX USB LCD panel (a test driver).",
         " * LCDX USB LCD panel, 2x16 characters (a test driver)."),
    ]),
    ("USB: misc: lcdx: add a helper to free a name buffer", [
        (LCDX, "static ssize_t lcd_read(struct file *file,",
         "/* the name buffer comes from kasprintf() */\n"
         "static void lcd_free_name(char *buf)\n{\n\tkfree(buf);\n}\n\n"
         "static ssize_t lcd_read(struct file *file,"),
    ]),
]

# The patches with an error, and the rule of each.
ERRORS = {1: "dma-stack", 3: "dma-stack", 4: "dma-vmalloc"}
