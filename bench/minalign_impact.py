#!/usr/bin/env python3
"""Acceptance on the real tree: a series lowering arm64's ARCH_KMALLOC_MINALIGN.

The series mirrors the one merged for v6.5 ("mm, dma, arm64: Reduce
ARCH_KMALLOC_MINALIGN to 8"): IIO and crypto first move their buffer
alignment to ARCH_DMA_MINALIGN, then arm64 lets kmalloc() align to 8.
``reviewbot review --tree`` must list the drivers that still depend on
kmalloc's alignment (not IIO or crypto drivers, which the series fixed),
each with its MAINTAINERS entry. Prints them and the time taken; the
whole-tree scan it needs is cached in a temporary folder for this run.
"""

from __future__ import annotations

import collections
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernel_tree import kernel_tree
from series_maker import make_series

MINALIGN_SERIES = [
    (
        "iio: core: Use ARCH_DMA_MINALIGN instead of ARCH_KMALLOC_MINALIGN",
        [
            (
                "include/linux/iio/iio.h",
                "#define IIO_DMA_MINALIGN ARCH_KMALLOC_MINALIGN",
                "#define IIO_DMA_MINALIGN ARCH_DMA_MINALIGN",
            )
        ],
    ),
    (
        "crypto: Use ARCH_DMA_MINALIGN instead of ARCH_KMALLOC_MINALIGN",
        [
            (
                "include/linux/crypto.h",
                "#define CRYPTO_MINALIGN ARCH_KMALLOC_MINALIGN",
                "#define CRYPTO_MINALIGN ARCH_DMA_MINALIGN",
            )
        ],
    ),
    (
        "arm64: Allow kmalloc() caches aligned to the smaller cache_line_size()",
        [
            (
                "arch/arm64/include/asm/cache.h",
                "#define ARCH_DMA_MINALIGN\t(128)\n",
                "#define ARCH_DMA_MINALIGN\t(128)\n#define ARCH_KMALLOC_MINALIGN\t(8)\n",
            )
        ],
    ),
]


def main() -> int:
    kernel = kernel_tree()
    work = Path(tempfile.mkdtemp(prefix="reviewbot-minalign-"))
    try:
        patches = make_series(kernel, MINALIGN_SERIES, work / "patches")
        mbox = work / "series.mbox"
        mbox.write_bytes(b"".join(p.read_bytes() for p in patches))
        start = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "reviewbot",
                "-q",
                "review",
                "--format",
                "json",
                "--tree",
                str(kernel),
                str(mbox),
            ],
            capture_output=True,
            text=True,
            env={"XDG_CACHE_HOME": str(work / "cache"), "PATH": "/usr/bin:/bin", "HOME": str(work)},
        )
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        data = json.loads(proc.stdout)
    finally:
        shutil.rmtree(work)
    print(f"review of the 3-patch minalign series on {kernel}: {elapsed:.1f} s (cold scan cache)\n")
    for f in data["findings"]:
        print(f"  {f['file']}:{f['line']}: {f['rule']}: {f['message'][:110]}")
    drivers = data["affected_drivers"]
    rules = collections.Counter(s["rule"] for d in drivers for s in d["sites"])
    print(f"\naffected drivers: {len(drivers)} ({', '.join(f'{r} {n}' for r, n in rules.items())})")
    for d in drivers:
        who = ", ".join(d["maintainers"][:2]) or "-"
        print(
            f"  {d['path']:52} {d['kconfig'] or '-':32} {len(d['sites']):3}  {d['section'] or '-'}: {who}"
        )
    iio = [d for d in drivers if d["path"].startswith("drivers/iio/")]
    print(
        f"\nIIO drivers listed: {len(iio)} (the series moved IIO_DMA_MINALIGN to ARCH_DMA_MINALIGN)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
