"""Kernel-style C for the check tests: a small USB driver, before and after.

The planted hazard is the classic one (a stack buffer handed to
usb_control_msg for an IN transfer); the clean change touches only code
with no DMA in it, so a clean range must give no finding at all.
"""

from __future__ import annotations

DRIVER = "drivers/usb/misc/widget.c"

BASE = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/usb.h>

#define WIDGET_REQ_STATUS 0x01

struct widget {
\tstruct usb_device *udev;
\tint status;
};

static int widget_probe(struct usb_interface *intf, const struct usb_device_id *id)
{
\tstruct widget *w;

\tw = kzalloc(sizeof(*w), GFP_KERNEL);
\tif (!w)
\t\treturn -ENOMEM;
\tw->udev = interface_to_usbdev(intf);
\tusb_set_intfdata(intf, w);
\treturn 0;
}
"""

# A change with no DMA in it: must pass at every threshold.
CLEAN_FUNC = """
static void widget_disconnect(struct usb_interface *intf)
{
\tstruct widget *w = usb_get_intfdata(intf);

\tusb_set_intfdata(intf, NULL);
\tkfree(w);
}
"""

# dma-stack (error): a stack array for an inbound control transfer.
STACK_FUNC = """
static int widget_read_status(struct widget *w)
{
\tstruct usb_device *udev = w->udev;
\tu8 buf[4];
\tint ret;

\tret = usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), WIDGET_REQ_STATUS,
\t\t\t      USB_TYPE_VENDOR | USB_DIR_IN, 0, 0, buf, sizeof(buf), 1000);
\tif (ret < 0)
\t\treturn ret;
\tw->status = buf[0];
\treturn 0;
}
"""

# The same hazard in a second function with another buffer name: a new finding.
STACK_FUNC_2 = """
static int widget_read_mode(struct widget *w)
{
\tstruct usb_device *udev = w->udev;
\tu8 mode[2];

\treturn usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), WIDGET_REQ_STATUS,
\t\t\t       USB_TYPE_VENDOR | USB_DIR_IN, 0, 0, mode, sizeof(mode), 1000);
}
"""

# dma-kmalloc-small (warning): a 2-byte kmalloc buffer for an inbound transfer.
KMALLOC_SMALL_FUNC = """
static int widget_read_version(struct widget *w)
{
\tstruct usb_device *udev = w->udev;
\tu8 *buf;
\tint ret;

\tbuf = kmalloc(2, GFP_KERNEL);
\tif (!buf)
\t\treturn -ENOMEM;
\tret = usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), WIDGET_REQ_STATUS,
\t\t\t      USB_TYPE_VENDOR | USB_DIR_IN, 0, 0, buf, 2, 1000);
\tkfree(buf);
\treturn ret;
}
"""

# Lines that push everything below them down, as an unrelated edit would.
PADDING = """
/*
 * Register map (unrelated change: it only moves the code below).
 */
#define WIDGET_REG_CTRL  0x10
#define WIDGET_REG_DATA  0x14
#define WIDGET_REG_IRQ   0x18
"""


def line_of(text: str, needle: str, after: str = "") -> int:
    """1-based line of the first ``needle`` at or after the line holding ``after``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1
