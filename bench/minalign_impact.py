#!/usr/bin/env python3
"""The mission's question on the real tree: which drivers must be fixed before kmalloc's
alignment drops (not a test; prints figures).

Two series against Debian's Linux 6.1, reviewed with ``reviewbot review --tree``
as a maintainer would:

- **no bounce** (the first 2022 posting): arm64 defines ARCH_KMALLOC_MINALIGN as 8
  and nothing else changes, so every small inbound kmalloc buffer shares its line;
- **with bounce** (the shape merged for v6.5): the same, plus
  dma_kmalloc_needs_bounce(), DMA_BOUNCE_UNALIGNED_KMALLOC selected by arm64 and
  __kmalloc_minalign(): small inbound kmalloc buffers are bounced (slower), while
  tails, members, contexts and carved buffers stay hazards.

For each: the time and peak memory of the review (the scan cache is cold for the
first, warm for the second), the affected drivers per consequence and per class of
site, the ranked top 25, and the recall against bench/labels/minalign-truth-6.1.toml
(places a fix is needed, built by reading 6.1 and 6.12 without running reviewbot).
``--sample N`` writes a seeded random sample of the listed drivers not labelled yet
(bench/labels/minalign-impact-6.1.toml holds the labels; their precision is printed
for the list and for the drivers kept apart, to check by hand).

Usage: bench/minalign_impact.py [--sample 30] [--seed 24] [--keep DIR]
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernel_tree import kernel_tree
from series_maker import make_series

LABELS = Path(__file__).resolve().parent / "labels"
TRUTH = LABELS / "minalign-truth-6.1.toml"
IMPACT_LABELS = LABELS / "minalign-impact-6.1.toml"

LOWER = (
    "arm64: allow kmalloc() caches aligned below the cache line (ARCH_KMALLOC_MINALIGN 8)",
    [("arch/arm64/include/asm/cache.h",
      "#define ARCH_DMA_MINALIGN\t(128)\n",
      "#define ARCH_DMA_MINALIGN\t(128)\n#define ARCH_KMALLOC_MINALIGN\t(8)\n")],
)

BOUNCE_HELPERS = (
    '/*\n'
    ' * Check whether potential kmalloc() buffers are safe for non-coherent DMA.\n'
    ' */\n'
    'static inline bool dma_kmalloc_safe(struct device *dev,\n'
    '\t\t\t\t    enum dma_data_direction dir)\n'
    '{\n'
    '\tif (!IS_ENABLED(CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC))\n'
    '\t\treturn true;\n'
    '\tif (dev_is_dma_coherent(dev) || dir == DMA_TO_DEVICE)\n'
    '\t\treturn true;\n'
    '\treturn false;\n'
    '}\n'
    '\n'
    'static inline bool dma_kmalloc_size_aligned(size_t size)\n'
    '{\n'
    '\tif (size >= 2 * ARCH_DMA_MINALIGN ||\n'
    '\t    IS_ALIGNED(kmalloc_size_roundup(size), dma_get_cache_alignment()))\n'
    '\t\treturn true;\n'
    '\treturn false;\n'
    '}\n'
    '\n'
    'static inline bool dma_kmalloc_needs_bounce(struct device *dev, size_t size,\n'
    '\t\t\t\t\t    enum dma_data_direction dir)\n'
    '{\n'
    '\treturn !dma_kmalloc_safe(dev, dir) && !dma_kmalloc_size_aligned(size);\n'
    '}\n'
    '\n'
    '\n'
)

BOUNCE = [
    ("dma: bounce small inbound kmalloc() buffers on non-coherent devices",
     [("include/linux/dma-map-ops.h",
       "void *arch_dma_alloc(struct device *dev, size_t size, dma_addr_t *dma_handle,\n",
       BOUNCE_HELPERS
       + "void *arch_dma_alloc(struct device *dev, size_t size, dma_addr_t *dma_handle,\n"),
      ("kernel/dma/Kconfig",
       "config DMA_OPS_BYPASS\n",
       "config DMA_BOUNCE_UNALIGNED_KMALLOC\n\tbool\n\tdepends on SWIOTLB\n\n"
       "config DMA_OPS_BYPASS\n")]),
    ("mm/slab: decide kmalloc's minimum alignment at boot",
     [("mm/slab_common.c",
       "void __init create_boot_cache(struct kmem_cache *s, const char *name,\n",
       "static unsigned int __kmalloc_minalign(void)\n{\n"
       "\tunsigned int minalign = dma_get_cache_alignment();\n\n"
       "\tif (IS_ENABLED(CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC) &&\n"
       "\t    io_tlb_default_mem.nslabs)\n\t\tminalign = ARCH_KMALLOC_MINALIGN;\n\n"
       "\treturn max(minalign, arch_slab_minalign());\n}\n\n"
       "void __init create_boot_cache(struct kmem_cache *s, const char *name,\n")]),
    ("arm64: enable DMA_BOUNCE_UNALIGNED_KMALLOC",
     [("arch/arm64/Kconfig",
       "\tselect ARCH_HAS_SYNC_DMA_FOR_CPU\n",
       "\tselect ARCH_HAS_SYNC_DMA_FOR_CPU\n\tselect DMA_BOUNCE_UNALIGNED_KMALLOC\n")]),
    LOWER,
]

SHAPES = {"no bounce": [LOWER], "with bounce": BOUNCE}

# The series of the realtree reply fixtures (bench/reply_fixtures.py): IIO and crypto
# move to ARCH_DMA_MINALIGN first, then arm64 lowers ARCH_KMALLOC_MINALIGN.
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



def review(kernel: Path, work: Path, name: str, series: list) -> tuple[dict, float, float]:
    patches = make_series(kernel, series, work / name.replace(" ", "-"))
    mbox = work / f"{name.replace(' ', '-')}.mbox"
    mbox.write_bytes(b"".join(p.read_bytes() for p in patches))
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [sys.executable, "-m", "reviewbot", "-q", "review", "--format", "json",
         "--tree", str(kernel), str(mbox)],
        capture_output=True, text=True,
        env={"XDG_CACHE_HOME": str(work / "cache"), "PATH": "/usr/bin:/bin", "HOME": str(work)},
    )
    elapsed = time.monotonic() - start
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        raise SystemExit(1)
    return json.loads(proc.stdout), elapsed, peak


def truth() -> list[dict]:
    return tomllib.loads(TRUTH.read_text())["place"]


def recall(drivers: list[dict]) -> tuple[dict[str, list[int]], list[dict]]:
    """Per truth class: [places found, places]; a place is found when a listed site is in
    its file (and, where the place names the function, in a function it names)."""
    sites = [s for d in drivers for s in d["sites"]]
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    missed = []
    for place in truth():
        names = {w.strip("()") for w in place["function"].replace("/", " ").split()}
        hit = any(s["file"] == place["file"]
                  and (s["function"] is None or s["function"] in names or not names)
                  for s in sites)
        per[place["class"]][1] += 1
        per[place["class"]][0] += hit
        if not hit:
            missed.append(place)
    return per, missed


def rank_key(seed: int, d: dict) -> str:
    return hashlib.sha1(f"{seed}\0{d['path']}".encode()).hexdigest()


def report(title: str, data: dict, elapsed: float, peak: float) -> None:
    drivers = data["affected_drivers"]
    guessed = data.get("guessed_drivers", [])
    print(f"## {title}\n")
    print(f"review --tree: {elapsed:.1f} s, peak RSS of the review {peak:.0f} MB; "
          f"{len(drivers)} drivers, {sum(len(d['sites']) for d in drivers)} sites; "
          f"apart, to check by hand: {len(guessed)} drivers, "
          f"{sum(len(d['sites']) for d in guessed)} sites\n")
    by = collections.Counter(d["consequence"] for d in drivers)
    print("per consequence (drivers): " + ", ".join(f"{k} {v}" for k, v in by.items()))
    rules = collections.Counter((s["consequence"], s["rule"]) for d in drivers
                                for s in d["sites"])
    print("per consequence and rule (sites): " + ", ".join(
        f"{c}/{r} {n}" for (c, r), n in sorted(rules.items())))
    core = sum(1 for d in drivers if d["core"])
    print(f"core or bus code: {core} drivers\n")
    print("top 25:")
    for i, d in enumerate(drivers[:25], 1):
        sure = collections.Counter(s["confidence"] for s in d["sites"])
        print(f"  {i:2} {d['consequence']:9} {'core' if d['core'] else '    '} "
              f"{d['path']:55} {len(d['sites']):3} site(s) {dict(sure)}  "
              f"{d['section'] or '-'}")
    per, _ = recall(drivers)
    per_all, missed = recall(drivers + guessed)
    total = [sum(v[0] for v in per.values()), sum(v[1] for v in per.values())]
    total_all = sum(v[0] for v in per_all.values())
    print(f"\nrecall against {TRUTH.name}: {total[0]} of {total[1]} places in the list, "
          f"{total_all} with the drivers to check by hand")
    for cls, (hit, n) in sorted(per.items()):
        print(f"  {cls:12} {hit} of {n} (with those to check: {per_all[cls][0]})")
    print("missed (by both):")
    for p in missed:
        print(f"  [{p['class']}] {p['file']}: {p['function'][:60]}")
    print()


def labels() -> dict[tuple[str, str | None], dict]:
    """Labels by (path, name): a label names its driver where two share a folder."""
    if not IMPACT_LABELS.is_file():
        return {}
    return {(x["path"], x.get("name")): x
            for x in tomllib.loads(IMPACT_LABELS.read_text())["label"]}


def label_of(known: dict, d: dict) -> dict | None:
    return known.get((d["path"], d["name"])) or known.get((d["path"], None))


def precision(data: dict) -> None:
    """Labelled drivers of the list, and of those apart, that need a fix ("unsure" counts
    as not right); the labels of drivers now in neither are counted, not used."""
    known = labels()
    if not known:
        return
    seen = set()
    for name, key in (("the list", "affected_drivers"), ("to check by hand", "guessed_drivers")):
        got = [x for d in data.get(key, []) if (x := label_of(known, d)) is not None]
        seen.update(id(x) for x in got)
        right = sum(1 for x in got if x["needs_fix"] == "yes")
        print(f"precision, {name}: {right} of {len(got)} labelled drivers need a fix "
              f"({100 * right / max(1, len(got)):.0f}%); "
              + ", ".join(f"{x['path']}: {x['needs_fix']}" for x in got
                          if x["needs_fix"] != "yes"))
    print(f"labels of drivers in neither: {len(known) - len(seen)}\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sample", type=int, default=0, help="write a sample of N listed drivers")
    p.add_argument("--seed", type=int, default=24)
    p.add_argument("--keep", type=Path, help="keep the reviews' JSON here")
    args = p.parse_args(argv)
    kernel = kernel_tree()
    work = Path(tempfile.mkdtemp(prefix="reviewbot-minalign-"))
    results = {}
    try:
        for name, series in SHAPES.items():
            results[name] = review(kernel, work, name, series)
    finally:
        shutil.rmtree(work)
    for name, (data, elapsed, peak) in results.items():
        cache = "cold scan cache" if name == "no bounce" else "warm scan cache"
        report(f"{name} ({cache})", data, elapsed, peak)
        if name == "no bounce":
            precision(data)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            (args.keep / f"{name.replace(' ', '-')}.json").write_text(json.dumps(data))
    if args.sample:
        known = labels()
        drivers = [d for d in results["no bounce"][0]["affected_drivers"]
                   if label_of(known, d) is None]  # a new sample adds to the labels
        picked = sorted(drivers, key=lambda d: rank_key(args.seed, d))[:args.sample]
        for d in picked:
            print(f"=== {d['path']} ({d['name']}; {d['kconfig'] or '-'}) {d['consequence']}")
            for s in d["sites"]:
                print(f"    {s['file']}:{s['line']} {s['function'] or '-'}() {s['rule']} "
                      f"{s['consequence']} on {', '.join(s['arches']) or '-'} "
                      f"({s['confidence'] or '-'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
