// SPDX-License-Identifier: GPL-2.0
/*
 * Whether a member's neighbours can be CPU-written while the device writes it
 * (issue 11, classes 1-3). A confidence note pins how sure the finding is.
 */
#include <linux/slab.h>
#include <linux/spi/spi.h>
#include <linux/usb.h>
#include <linux/dma-mapping.h>

/* Class 1: a command header at the start of a struct that is mapped whole. */
struct fw_cmd_hdr {
	__le16 code;
	__le16 length;
	__le16 result;
};

struct fw_cmd_set_antenna {
	struct fw_cmd_hdr header;
	__le16 antenna;
	__le16 mode;
} __packed;

static int fw_post_cmd(struct device *dev, struct fw_cmd_hdr *cmd)
{
	dma_addr_t dma = dma_map_single(dev, cmd, le16_to_cpu(cmd->length), DMA_BIDIRECTIONAL);

	return dma_mapping_error(dev, dma);
}

static int fw_cmd_set_antenna(struct device *dev, int antenna)
{
	struct fw_cmd_set_antenna *cmd;
	int rc;

	cmd = kzalloc(sizeof(*cmd), GFP_KERNEL);
	if (!cmd)
		return -ENOMEM;
	cmd->header.length = cpu_to_le16(sizeof(*cmd));
	cmd->antenna = cpu_to_le16(antenna);
	/* ok: dma-embedded-unaligned (the header heads the command, which is mapped whole) */
	rc = fw_post_cmd(dev, &cmd->header);
	kfree(cmd);
	return rc;
}

/* Class 2: a struct allocated for one transfer; its members are that transfer's. */
struct xfer_req {
	u8 cmd[2];
	u8 status[2];
};

static int req_status(struct usb_device *udev)
{
	struct xfer_req *req = kzalloc(sizeof(*req), GFP_KERNEL);
	int ret;

	if (!req)
		return -ENOMEM;
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	ret = usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 1, USB_DIR_IN | USB_TYPE_VENDOR,
			      0, 0, req->status, 2, 1000);
	kfree(req);
	return ret;
}

/* ... and low when its only busy neighbours are SPI descriptors: the core writes them
 * between transfers, after syncing each transfer's buffers (ad7877's ser_req, labelled
 * harmless on 6.1 and 6.12). */
struct ser_req {
	u16 command;
	struct spi_message msg;
	struct spi_transfer xfer[2];
	u16 sample;
};

static int ser_read(struct spi_device *spi)
{
	struct ser_req *req = kzalloc(sizeof(*req), GFP_KERNEL);
	int ret;

	if (!req)
		return -ENOMEM;
	spi_message_init(&req->msg);
	req->xfer[0].tx_buf = &req->command;
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	req->xfer[1].rx_buf = &req->sample;
	spi_message_add_tail(&req->xfer[0], &req->msg);
	spi_message_add_tail(&req->xfer[1], &req->msg);
	ret = spi_sync(spi, &req->msg);
	kfree(req);
	return ret;
}

/* A struct with one member shares a line with nothing of its own. */
struct one_buf {
	u8 data[16];
};

static int one_read(struct spi_device *spi, struct one_buf *b)
{
	/* ok: dma-embedded-unaligned */
	return spi_read(spi, b->data, sizeof(b->data));
}

/* Class 3: neighbours written only at probe, versus a lock and a counter. */
struct quiet_dev {
	struct spi_device *spi;
	int model;
	u8 rx[4];
};

struct busy_dev {
	struct spi_device *spi;
	spinlock_t lock;
	unsigned int events;
	u8 rx[4];
};

static int quiet_probe(struct spi_device *spi)
{
	struct quiet_dev *qd = devm_kzalloc(&spi->dev, sizeof(*qd), GFP_KERNEL);

	if (!qd)
		return -ENOMEM;
	qd->spi = spi;
	qd->model = 3;
	spi_set_drvdata(spi, qd);
	return 0;
}

static int quiet_read(struct quiet_dev *qd)
{
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	return spi_read(qd->spi, qd->rx, sizeof(qd->rx));
}

static void busy_event(struct busy_dev *bd)
{
	bd->events++;
}

static int busy_read(struct busy_dev *bd)
{
	/* ruleid: dma-embedded-unaligned (confidence: high) */
	return spi_read(bd->spi, bd->rx, sizeof(bd->rx));
}

/* A struct set up in probe and read with a synchronous call before anyone has it. */
struct hub_dev {
	struct usb_interface *intf;
	bool present;
	u8 descriptor[12];
	struct work_struct work;
};

static void hub_work(struct work_struct *work)
{
	struct hub_dev *h = container_of(work, struct hub_dev, work);

	h->present = true;
}

static int hub_probe(struct usb_interface *intf, struct usb_device *hdev)
{
	struct hub_dev *h = devm_kzalloc(&intf->dev, sizeof(*h), GFP_KERNEL);

	if (!h)
		return -ENOMEM;
	usb_set_intfdata(intf, h);
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	return usb_control_msg(hdev, usb_rcvctrlpipe(hdev, 0), 6, USB_DIR_IN, 0x2a00, 0,
			       h->descriptor, 12, 1000);
}

/* Written only around a synchronous transfer in the same function: serialised. */
struct cam {
	u16 tag;
	u8 obuf[64];
	u8 ibuf[64];
};

static int cam_cmd(struct usb_device *udev, struct cam *sd, const u8 *cmd, int len)
{
	memcpy(sd->obuf, cmd, len);
	sd->tag++;
	usb_control_msg(udev, usb_sndctrlpipe(udev, 0), 0, USB_TYPE_VENDOR, 0, 0, sd->obuf,
			len, 1000);
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	return usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 0, USB_DIR_IN | USB_TYPE_VENDOR,
			       0, 0, sd->ibuf, 64, 1000);
}

/*
 * ... but an URB completes later: obuf's writes elsewhere may overlap it. Stores by other
 * functions were right 2 times in 8 on the labelled 6.1 sample for this rule: low.
 */
static void cam_irq(struct urb *urb, struct cam *sd)
{
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	usb_fill_int_urb(urb, urb->dev, usb_rcvintpipe(urb->dev, 1), sd->ibuf, 64, NULL, sd, 1);
}

/* A function that mutex_init()s the struct is setup code, whatever its name. */
struct tuner_state {
	struct mutex mutex;
	void *ops[16];	/* set at attach; keeps the mutex out of data's lines */
	unsigned warm:1;
	u8 data[64];
};

static int tuner_power_ctrl(struct tuner_state *st, int onoff)
{
	if (!st->warm) {
		mutex_init(&st->mutex);
		st->warm = 1;
	}
	return 0;
}

static int tuner_xfer(struct usb_device *udev, struct tuner_state *st)
{
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	return usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 0xb9, USB_DIR_IN | USB_TYPE_VENDOR,
			       0, 0, st->data, 64, 1000);
}

/* Read once from probe through a helper that waits (spi_sync): nothing else runs yet. */
struct panel_ddata {
	struct spi_device *spi;
	struct mutex mutex;
	bool enabled;
	u8 display_id[3];
};

static void panel_xfer(struct panel_ddata *dd, u8 *rbuf, int rlen)
{
	struct spi_message m;
	struct spi_transfer x = { .rx_buf = rbuf, .len = rlen };

	spi_message_init(&m);
	spi_message_add_tail(&x, &m);
	spi_sync(dd->spi, &m);
}

static void panel_enable(struct panel_ddata *dd)
{
	dd->enabled = true;
}

static int panel_detect(struct panel_ddata *dd)
{
	/* ruleid: dma-embedded-unaligned (confidence: low) */
	panel_xfer(dd, dd->display_id, 3);
	return dd->display_id[0];
}

/* At run time the mutex beside display_id is taken by other contexts. */
static int panel_status(struct panel_ddata *dd)
{
	/* ruleid: dma-embedded-unaligned (confidence: high) */
	panel_xfer(dd, dd->display_id, 3);
	return dd->display_id[1];
}

static int panel_probe(struct spi_device *spi, struct panel_ddata *dd)
{
	mutex_init(&dd->mutex);
	return panel_detect(dd);
}

/*
 * A mapping made in setup code stays live: the store right after it is in flight. A plain
 * store is low for this rule (right 3 times in 10 on 6.1), but this one is the mapping
 * function's own, into the struct it allocated and hands out mapped: medium
 * (after_mapping.c has the cases around it).
 */
struct aso_umr {
	u8 ctx[64] __aligned(64);
	dma_addr_t dma_addr;
};

static int aso_reg_mr(struct device *dev, struct aso_umr **out)
{
	struct aso_umr *umr = kzalloc(sizeof(*umr), GFP_KERNEL);
	dma_addr_t dma;

	if (!umr)
		return -ENOMEM;
	/* ruleid: dma-embedded-unaligned (confidence: medium) */
	dma = dma_map_single(dev, umr->ctx, sizeof(umr->ctx), DMA_BIDIRECTIONAL);
	umr->dma_addr = dma;
	*out = umr;
	return 0;
}

static int aso_init(struct device *dev, struct aso_umr **out)
{
	return aso_reg_mr(dev, out);
}

/* A tx/rx pair of one synchronous transfer, in a struct of their own (class 2). */
struct pair_buf {
	u8 tx[4];
	u8 rx[4];
};

static int pair_read(struct spi_device *spi, struct pair_buf *buf, u8 address)
{
	struct spi_transfer xfer = {
		.tx_buf = buf->tx,
		/* ruleid: dma-embedded-unaligned (confidence: low) */
		.rx_buf = buf->rx,
		.len = 4,
	};

	buf->tx[0] = address;
	return spi_sync_transfer(spi, &xfer, 1);
}

static int pair_write(struct spi_device *spi, struct pair_buf *buf, u8 address, u8 value)
{
	buf->tx[0] = address;
	buf->tx[1] = value;
	return spi_write(spi, buf->tx, 2);
}
