#!/usr/bin/env python3
"""Acceptance on the real tree: a series lowering arm64's ARCH_KMALLOC_MINALIGN.

The series mirrors the one merged for v6.5 ("mm, dma, arm64: Reduce
ARCH_KMALLOC_MINALIGN to 8"): IIO and crypto first move their buffer
alignment to ARCH_DMA_MINALIGN, then arm64 lets kmalloc() align to 8.
``reviewbot review --tree`` must list the drivers that still depend on
kmalloc's alignment (not IIO or crypto drivers, which the series fixed),
each with its MAINTAINERS entry. Prints them and the time taken; the
whole-tree scan it needs is cached in a temporary folder for this run.

A second review takes the series as merged for v6.5, which left
CRYPTO_MINALIGN at ARCH_KMALLOC_MINALIGN: crypto drivers that DMA into a
context through the plain accessors are then affected too. Conditional
sites are printed with their ``bites_when`` condition.
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


# The series as merged for v6.5 left CRYPTO_MINALIGN at ARCH_KMALLOC_MINALIGN
# (crypto drivers had switched to the _dma accessors in v6.2): the crypto
# contexts still DMA'd through the plain accessors on 6.1 stay affected.
AS_MERGED_SERIES = [MINALIGN_SERIES[0], MINALIGN_SERIES[2]]

SHAPE_RULES = ("dma-tail-unaligned", "dma-carved-unaligned", "dma-crypto-ctx",
               "dma-kmem-cache-align")


def review(kernel: Path, work: Path, name: str, series: list) -> tuple[dict, float]:
    patches = make_series(kernel, series, work / name)
    mbox = work / f"{name}.mbox"
    mbox.write_bytes(b"".join(p.read_bytes() for p in patches))
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "reviewbot", "-q", "review", "--format", "json",
         "--tree", str(kernel), str(mbox)],
        capture_output=True,
        text=True,
        env={"XDG_CACHE_HOME": str(work / "cache"), "PATH": "/usr/bin:/bin", "HOME": str(work)},
    )
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        raise SystemExit(1)
    return json.loads(proc.stdout), elapsed


def report(kernel: Path, title: str, data: dict, elapsed: float) -> None:
    print(f"## {title}\n\nreview on {kernel}: {elapsed:.1f} s\n")
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
    print(f"\nIIO drivers listed: {len(iio)}")
    conditional = [(d["path"], s) for d in drivers for s in d["sites"] if s.get("bites_when")]
    print(f"conditional sites (bites_when): {len(conditional)} in "
          f"{len({p for p, _ in conditional})} drivers; those of issue 17's shapes "
          "(new rules, crypto contexts, libsas):")
    for path, s in conditional:
        if s["rule"] in SHAPE_RULES or path.startswith(("drivers/crypto", "drivers/scsi")):
            print(f"  {s['file']}:{s['line']} {s['function']}() {s['rule']}: "
                  f"bites when {s['bites_when']['text']}")
    print()


def main() -> int:
    kernel = kernel_tree()
    work = Path(tempfile.mkdtemp(prefix="reviewbot-minalign-"))
    try:
        seed, t1 = review(kernel, work, "seed", MINALIGN_SERIES)
        merged, t2 = review(kernel, work, "merged", AS_MERGED_SERIES)
    finally:
        shutil.rmtree(work)
    report(kernel, "3-patch series: IIO and crypto to ARCH_DMA_MINALIGN, then arm64 (cold scan "
           "cache)", seed, t1)
    report(kernel, "2-patch series as merged for v6.5: IIO, then arm64 (CRYPTO_MINALIGN stays "
           "at ARCH_KMALLOC_MINALIGN; warm cache)", merged, t2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
