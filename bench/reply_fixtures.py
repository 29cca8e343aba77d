#!/usr/bin/env python3
"""Real-tree fixtures for the reply golden tests: two series reviewed on Linux 6.1.

The golden drafts must cover the wide case (25 driver rows with real
MAINTAINERS entries, real diffs with calls spanning lines), which the toy
tree in examples/ cannot. Reviewing on the real tree needs the 1.5 GB
tree and a whole-tree scan, so this script does it once and commits what
the reply stage needs: each series as an mbox and its Review (findings,
affected drivers, base, apply status) as JSON, under
tests/golden/realtree/<name>/. tests/replies/test_realtree.py composes the
drafts from those files alone, so CI runs without the kernel tree.

Usage: bench/reply_fixtures.py [--cache-dir DIR]   (default /tmp/reviewbot-fixture-scan)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from kernel_tree import kernel_tree  # noqa: E402
from minalign_impact import MINALIGN_SERIES  # noqa: E402
from series_maker import make_series  # noqa: E402

OUT = HERE.parent / "tests" / "golden" / "realtree"

# Who the series went to, as git send-email would have addressed them.
MINALIGN_RCPT = (
    "To: linux-arm-kernel@lists.infradead.org\n"
    "Cc: Catalin Marinas <catalin.marinas@arm.com>, Will Deacon <will@kernel.org>,\n"
    " linux-mm@kvack.org, linux-iio@vger.kernel.org, linux-crypto@vger.kernel.org\n"
)
DRIVER_RCPT = (
    "To: Johan Hovold <johan@kernel.org>\n"
    "Cc: Greg Kroah-Hartman <gregkh@linuxfoundation.org>, linux-usb@vger.kernel.org\n"
)

# Real drivers, real hazards: each patch hands a stack buffer to USB. In
# pl2303 an existing two-line call changes only on its second line (the
# buffer), the case where a quote used to stop at the removed line.
DRIVER_SERIES = [
    (
        "USB: serial: pl2303: read vendor registers into a local byte",
        [
            (
                "drivers/usb/serial/pl2303.c",
                "\tu8 request;\n\tint res;\n\n\tif (spriv->type == &pl2303_type_data[TYPE_HXN])\n"
                "\t\trequest = VENDOR_READ_NREQUEST;",
                "\tu8 request;\n\tu8 val;\n\tint res;\n\n"
                "\tif (spriv->type == &pl2303_type_data[TYPE_HXN])\n"
                "\t\trequest = VENDOR_READ_NREQUEST;",
            ),
            (
                "drivers/usb/serial/pl2303.c",
                "\t\t\tvalue, 0, buf, 1, 100);\n",
                "\t\t\tvalue, 0, &val, 1, 100);\n",
            ),
            (
                "drivers/usb/serial/pl2303.c",
                "\t\treturn res;\n\t}\n\n\tdev_dbg(dev, \"%s - [%04x] = %02x\\n\", __func__, value, buf[0]);",
                "\t\treturn res;\n\t}\n\tbuf[0] = val;\n\n"
                "\tdev_dbg(dev, \"%s - [%04x] = %02x\\n\", __func__, value, buf[0]);",
            ),
        ],
    ),
    (
        "USB: serial: ark3116: read the line status at open",
        [
            (
                "drivers/usb/serial/ark3116.c",
                "static int ark3116_open(struct tty_struct *tty, struct usb_serial_port *port)\n{\n",
                "static int ark3116_read_lsr(struct usb_serial *serial, u8 *lsr)\n{\n"
                "\tu8 buf[1];\n\tint ret;\n\n"
                "\tret = ark3116_read_reg(serial, UART_LSR, buf);\n\tif (ret < 0)\n"
                "\t\treturn ret;\n\t*lsr = buf[0];\n\treturn 0;\n}\n\n"
                "static int ark3116_open(struct tty_struct *tty, struct usb_serial_port *port)\n{\n",
            )
        ],
    ),
    (
        "USB: misc: usblcd: read the version into a stack buffer",
        [
            (
                "drivers/usb/misc/usblcd.c",
                "\t/* do a blocking bulk read to get data from the device */\n"
                "\tretval = usb_bulk_msg(dev->udev,\n"
                "\t\t\t      usb_rcvbulkpipe(dev->udev,\n"
                "\t\t\t\t\t      dev->bulk_in_endpointAddr),\n"
                "\t\t\t      dev->bulk_in_buffer,\n"
                "\t\t\t      min(dev->bulk_in_size, count),\n"
                "\t\t\t      &bytes_read, 10000);\n",
                "\t/* do a blocking bulk read to get data from the device */\n"
                "\tretval = usb_bulk_msg(dev->udev,\n"
                "\t\t\t      usb_rcvbulkpipe(dev->udev,\n"
                "\t\t\t\t\t      dev->bulk_in_endpointAddr),\n"
                "\t\t\t      local,\n"
                "\t\t\t      min(sizeof(local), count),\n"
                "\t\t\t      &bytes_read, 10000);\n"
                "\tif (!retval)\n"
                "\t\tmemcpy(dev->bulk_in_buffer, local, bytes_read);\n",
            ),
            (
                "drivers/usb/misc/usblcd.c",
                "\tint retval = 0;\n\tint bytes_read;\n\n\tdev = file->private_data;",
                "\tint retval = 0;\n\tint bytes_read;\n\tu8 local[64];\n\n\tdev = file->private_data;",
            ),
        ],
    ),
]

SERIES = {
    "minalign": (
        MINALIGN_SERIES,
        MINALIGN_RCPT,
        "mm, dma, arm64: Reduce ARCH_KMALLOC_MINALIGN to 8",
        "Let kmalloc() on arm64 align to 8 bytes; IIO and crypto keep their\n"
        "DMA buffers isolated by moving to ARCH_DMA_MINALIGN first.",
    ),
    "driver": (
        DRIVER_SERIES,
        DRIVER_RCPT,
        "USB: serial and misc: small buffer cleanups",
        "Read registers into local variables instead of the callers' buffers.",
    ),
}


def _address(patch: Path, rcpt: str, title: str, blurb: str) -> bytes:
    """Put To/Cc under From:, as git send-email would have sent the mail; fill the cover."""
    text = patch.read_text()
    text = text.replace("*** SUBJECT HERE ***", title).replace("*** BLURB HERE ***", blurb)
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("Subject:"))
    return "".join([*lines[:at], rcpt, *lines[at:]]).encode()


def review_json(review) -> dict:
    """What the reply stage reads from a Review, minus the Series (that is the mbox)."""
    return {
        "findings": [dataclasses.asdict(f) for f in review.findings],
        "affected_drivers": [dataclasses.asdict(d) for d in review.affected_drivers],
        "guessed_drivers": [dataclasses.asdict(d) for d in review.guessed_drivers],
        "base": review.base,
        "patch_status": [dataclasses.asdict(s) for s in review.patch_status],
        "notes": list(review.notes),
    }


def _sets(value: object) -> list:
    """JSON for a Platform's architecture sets: sorted, so fixtures diff cleanly."""
    if isinstance(value, frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/reviewbot-fixture-scan"))
    ap.add_argument("names", nargs="*", default=list(SERIES))
    args = ap.parse_args()
    from reviewbot.intake import IntakeOptions, load_series
    from reviewbot.pipeline import review_series

    kernel = kernel_tree()
    for name in args.names:
        patches_spec, rcpt, title, blurb = SERIES[name]
        work = Path(tempfile.mkdtemp(prefix=f"reviewbot-{name}-"))
        try:
            patches = make_series(kernel, patches_spec, work / "patches")
            out = OUT / name
            out.mkdir(parents=True, exist_ok=True)
            mbox = out / "series.mbox"
            mbox.write_bytes(b"".join(_address(p, rcpt, title, blurb) for p in patches))
            series = load_series(str(mbox), IntakeOptions())
            review = review_series(series, tree=kernel, cache_dir=args.cache_dir)
        finally:
            shutil.rmtree(work)
        (out / "review.json").write_text(
            json.dumps(review_json(review), indent=1, default=_sets) + "\n")
        print(
            f"{name}: {len(review.findings)} findings, "
            f"{len(review.affected_drivers)} affected drivers -> {out}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
