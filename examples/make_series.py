#!/usr/bin/env python3
"""Regenerate examples/series.mbox from examples/tree and the edits below.

The series is made the way a developer makes one: real git commits on a
copy of the tree, then ``git format-patch --cover-letter --thread``. Dates
and Message-Ids are fixed afterwards so the file is byte-for-byte stable.
Run it after changing the tree or an edit; review the diff of series.mbox.

Patches 1, 2, 4 and 7 carry planted DMA problems (dma-stack,
dma-embedded-unaligned, dma-vmalloc, minalign-definition); 3, 5, 6 and 8
are clean on purpose and exercise the false-positive traps.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUTHOR = ("Dana Developer", "dana@example.org")
TO = "linux-usb@vger.kernel.org"
CC = ["linux-iio@vger.kernel.org", "linux-arm-kernel@lists.infradead.org",
      "Linus Example <linus@example.org>"]
DOMAIN = "example.org"
STAMP = "20261102-acme-dma"

# (subject, body, [(path, old, new)])
PATCHES = [
    ("usb: serial: acme: report line status",
     "Read the line status register when the port is opened so that a\n"
     "missing cable is reported instead of hanging the first write.",
     [("drivers/usb/serial/acme_serial.c",
       "static int acme_open(struct tty_struct *tty, struct usb_serial_port *port)\n"
       "{\n\tstruct acme_private *priv = usb_get_serial_port_data(port);\n\tint ret;\n\n",
       "static int acme_get_status(struct usb_serial_port *port, u8 *status)\n"
       "{\n\tstruct usb_device *udev = port->serial->dev;\n\tint ret;\n\n"
       "\tret = usb_control_msg(udev, usb_rcvctrlpipe(udev, 0),\n"
       "\t\t\t      ACME_REQ_GET_STATUS, USB_TYPE_VENDOR | USB_DIR_IN,\n"
       "\t\t\t      0, 0, status, 1, ACME_TIMEOUT);\n"
       "\tif (ret < 1)\n\t\treturn ret < 0 ? ret : -EIO;\n\treturn 0;\n}\n\n"
       "static int acme_open(struct tty_struct *tty, struct usb_serial_port *port)\n"
       "{\n\tstruct acme_private *priv = usb_get_serial_port_data(port);\n"
       "\tu8 status;\n\tint ret;\n\n"
       "\tret = acme_get_status(port, &status);\n\tif (ret)\n\t\treturn ret;\n"
       "\tif (!(status & 0x01))\n\t\tdev_warn(&port->dev, \"no cable\\n\");\n\n")]),
    ("iio: adc: acme-adc: read the conversion status over SPI",
     "The AD1234 reports overrange in a status byte that follows every\n"
     "conversion. Read it along with the sample.",
     [("drivers/iio/adc/acme-adc.c",
       "\tstruct mutex lock;\n",
       "\tstruct mutex lock;\n\tint last_channel;\n\tu8 status[4];\n"),
      ("drivers/iio/adc/acme-adc.c",
       "\tif (!ret)\n\t\t*val = be16_to_cpu(st->rx_buf) & 0x0fff;\n",
       "\tif (!ret)\n\t\t*val = be16_to_cpu(st->rx_buf) & 0x0fff;\n"
       "\tst->last_channel = ch;\n"
       "\tif (!ret)\n\t\tret = spi_read(st->spi, st->status, sizeof(st->status));\n")]),
    ("hwmon: acme: read the temperature register",
     "Add the temperature read path. The core bounces i2c message buffers,\n"
     "so a small buffer on the stack is fine here.",
     [("drivers/hwmon/acme-hwmon.c",
       "static int acme_hwmon_probe(struct i2c_client *client)\n",
       "static int acme_hwmon_read_temp(struct acme_hwmon *data, long *val)\n"
       "{\n\tu8 reg = ACME_REG_TEMP;\n\tu8 buf[2];\n"
       "\tstruct i2c_msg msgs[2] = {\n"
       "\t\t{ .addr = data->client->addr, .flags = 0, .len = 1, .buf = &reg },\n"
       "\t\t{ .addr = data->client->addr, .flags = I2C_M_RD, .len = 2, .buf = buf },\n"
       "\t};\n\tint ret;\n\n"
       "\tret = i2c_transfer(data->client->adapter, msgs, 2);\n"
       "\tif (ret != 2)\n\t\treturn ret < 0 ? ret : -EIO;\n"
       "\t*val = ((buf[0] << 8) | buf[1]) * 1000 / 256;\n\treturn 0;\n}\n\n"
       "static int acme_hwmon_probe(struct i2c_client *client)\n")]),
    ("usb: misc: acme_fw: stage the whole image before upload",
     "Copy the firmware into one buffer first so that a partially read\n"
     "image is never sent to the device.",
     [("drivers/usb/misc/acme_fw.c",
       "static int acme_fw_load(struct acme_fw *fw, const struct firmware *blob)\n"
       "{\n\tsize_t off;\n\tint ret;\n\n"
       "\tfor (off = 0; off < blob->size; off += ACME_FW_CHUNK) {\n"
       "\t\tret = acme_fw_send_chunk(fw, blob->data + off,\n"
       "\t\t\t\t\t min_t(size_t, ACME_FW_CHUNK, blob->size - off));\n"
       "\t\tif (ret)\n\t\t\treturn ret;\n\t}\n\treturn 0;\n}\n",
       "static int acme_fw_load(struct acme_fw *fw, const struct firmware *blob)\n"
       "{\n\tu8 *image;\n\tint actual, ret;\n\n"
       "\timage = vmalloc(blob->size);\n\tif (!image)\n\t\treturn -ENOMEM;\n"
       "\tmemcpy(image, blob->data, blob->size);\n\n"
       "\tret = usb_bulk_msg(fw->udev, usb_sndbulkpipe(fw->udev, ACME_FW_EP_OUT),\n"
       "\t\t\t   image, blob->size, &actual, ACME_FW_TIMEOUT);\n"
       "\tvfree(image);\n\treturn ret;\n}\n")]),
    ("spi: acme-flash: add a JEDEC id read",
     "spi_write_then_read() copies through its own DMA-safe buffer, so the\n"
     "id can live on the stack.",
     [("drivers/spi/spi-acme-flash.c",
       "#define ACME_FLASH_RDSR\t\t0x05\n",
       "#define ACME_FLASH_RDSR\t\t0x05\n#define ACME_FLASH_RDID\t\t0x9f\n"),
      ("drivers/spi/spi-acme-flash.c",
       "\treturn spi_write_then_read(flash->spi, &cmd, 1, sr, 1);\n}\n",
       "\treturn spi_write_then_read(flash->spi, &cmd, 1, sr, 1);\n}\n\n"
       "static int acme_flash_read_id(struct acme_flash *flash, u32 *jedec)\n"
       "{\n\tu8 cmd = ACME_FLASH_RDID;\n\tu8 id[3];\n\tint ret;\n\n"
       "\tret = spi_write_then_read(flash->spi, &cmd, 1, id, sizeof(id));\n"
       "\tif (ret)\n\t\treturn ret;\n"
       "\t*jedec = (id[0] << 16) | (id[1] << 8) | id[2];\n\treturn 0;\n}\n")]),
    ("iio: adc: acme-adc: document the channel encoding",
     "No functional change.",
     [("drivers/iio/adc/acme-adc.c",
       "#define ACME_ADC_CMD_READ(ch)\t(0x80 | ((ch) << 3))\n",
       "/* Bit 7 starts a conversion; bits 5:3 select the input channel. */\n"
       "#define ACME_ADC_CMD_READ(ch)\t(0x80 | ((ch) << 3))\n")]),
    ("arm64: cache: reduce ARCH_KMALLOC_MINALIGN to 8",
     "Most arm64 systems have coherent DMA; aligning every kmalloc() object\n"
     "to 128 bytes wastes memory. Only keep ARCH_DMA_MINALIGN for static\n"
     "alignment and let kmalloc() fall back to its default.",
     [("arch/arm64/include/asm/cache.h",
       "#define ARCH_DMA_MINALIGN\t(128)\n#define ARCH_KMALLOC_MINALIGN\tARCH_DMA_MINALIGN\n",
       "#define ARCH_DMA_MINALIGN\t(128)\n#define ARCH_KMALLOC_MINALIGN\t(8)\n")]),
    ("usb: misc: acme_fw: send a reset command after upload",
     "The hub needs a reset command once the image is in place. The\n"
     "command is only ever sent to the device.",
     [("drivers/usb/misc/acme_fw.c",
       "MODULE_LICENSE(\"GPL\");\n",
       "static int acme_fw_reset(struct acme_fw *fw)\n"
       "{\n\tdma_addr_t dma;\n\tu8 *cmd;\n\n"
       "\tcmd = kzalloc(4, GFP_KERNEL);\n\tif (!cmd)\n\t\treturn -ENOMEM;\n"
       "\tcmd[0] = 0xa5;\n"
       "\tdma = dma_map_single(fw->dev, cmd, 4, DMA_TO_DEVICE);\n"
       "\tif (dma_mapping_error(fw->dev, dma)) {\n\t\tkfree(cmd);\n\t\treturn -ENOMEM;\n\t}\n"
       "\tdma_unmap_single(fw->dev, dma, 4, DMA_TO_DEVICE);\n"
       "\tkfree(cmd);\n\treturn 0;\n}\n\n"
       "MODULE_LICENSE(\"GPL\");\n")]),
]

COVER = """\
This series adds status and id reads to the ACME drivers, stages the
firmware image before upload, and lets arm64 use the default kmalloc()
alignment.

It is the example that ships with reviewbot: patches 1, 2, 4 and 7
carry DMA-alignment problems on purpose, the others do not.
"""


def git(repo: Path, *args: str, env: dict | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="reviewbot-example-"))
    try:
        repo = tmp / "linux"
        shutil.copytree(HERE / "tree", repo)
        env = dict(os.environ, GIT_AUTHOR_NAME=AUTHOR[0], GIT_AUTHOR_EMAIL=AUTHOR[1],
                   GIT_COMMITTER_NAME=AUTHOR[0], GIT_COMMITTER_EMAIL=AUTHOR[1],
                   GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
        git(repo, "init", "-q", "-b", "master", env=env)
        git(repo, "add", "-A", env=env)
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = "2026-11-01T09:00:00+00:00"
        git(repo, "commit", "-q", "-m", "Example tree", env=env)
        base = git(repo, "rev-parse", "HEAD").strip()
        for n, (subject, body, edits) in enumerate(PATCHES, 1):
            for path, old, new in edits:
                f = repo / path
                text = f.read_text()
                if text.count(old) != 1:
                    sys.exit(f"patch {n}: edit of {path} does not match exactly once")
                f.write_text(text.replace(old, new))
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"2026-11-02T10:{n:02d}:00+00:00"
            git(repo, "commit", "-q", "-a", "-m",
                f"{subject}\n\n{body}\n\nSigned-off-by: {AUTHOR[0]} <{AUTHOR[1]}>", env=env)
        out = tmp / "out"
        git(repo, "format-patch", "-q", "--cover-letter", "--thread=shallow", f"--base={base}",
            "--no-signature", f"--to={TO}", *[f"--cc={c}" for c in CC], "-o", str(out),
            f"{base}..HEAD", env=env)
        mbox = []
        for i, path in enumerate(sorted(out.glob("*.patch"))):
            text = path.read_text()
            if i == 0:
                text = text.replace("*** SUBJECT HERE ***", "acme: status reads, firmware staging, "
                                    "arm64 kmalloc alignment")
                text = text.replace("*** BLURB HERE ***\n", COVER)
            text = re.sub(r"^Date: .*$", f"Date: Mon, 2 Nov 2026 10:{i:02d}:00 +0000", text,
                          count=1, flags=re.M)
            text = re.sub(r"<[^>\s]+\.git\.dana@example\.org>",
                          lambda m: "<" + STAMP + "-v1-" + str(_index_of(m.group(0), out)) + "@"
                          + DOMAIN + ">", text)
            text = re.sub(r"^From [0-9a-f]{40} ", "From mboxrd@z ", text, count=1, flags=re.M)
            mbox.append(text)
        (HERE / "series.mbox").write_text("".join(mbox))
        print(f"wrote {HERE / 'series.mbox'}: {len(mbox) - 1} patches on base {base}")
    finally:
        shutil.rmtree(tmp)
    return 0


_IDS: dict[str, int] = {}


def _index_of(msgid: str, out: Path) -> int:
    """Number git's time-based Message-Ids in the order they first appear."""
    if msgid not in _IDS:
        for i, path in enumerate(sorted(out.glob("*.patch"))):
            for line in path.read_text().splitlines():
                if line.lower().startswith("message-id:") and msgid in line:
                    _IDS[msgid] = i
        _IDS.setdefault(msgid, len(_IDS))
    return _IDS[msgid]


if __name__ == "__main__":
    sys.exit(main())
