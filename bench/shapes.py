#!/usr/bin/env python3
"""What issue 17's shapes add on the real Linux 6.1 tree, per shape and subsystem (prints figures).

Compares two whole-tree scans (all confidences): one by the engine before the
shapes (``--before``, e.g. made with ``git archive`` of issue 11's tip) and one
by this engine (``--after``, default: run it now). A finding is new when its
identity (rule, file, function, buffer; never the line) is not in the before
scan. Each new finding is put under the shape that produced it:

  tail      dma-tail-unaligned        carve     dma-carved-unaligned
  context   dma-crypto-ctx            cache     dma-kmem-cache-align
  client    dma-client-buffer
  helper    a buffer returned by a same-file helper ("returned by" in the message)
  sg-field  a scatterlist field mapped in another function (sink-may-not-map at medium)
  other     any other new finding (a side effect of the new origins)

and counted per subsystem (the top two path components, drivers/crypto).
The labelled sample is every new finding at the default confidence (high
and medium) plus low ones up to ``--sample``, ranked by a seeded hash like
bench/precision.py; labels are read from bench/labels/ in that format.

Usage:
  bench/shapes.py --before /tmp/i17/before.json [--after /tmp/i17/after.json]
                  [--cache-dir /tmp/i17-scan-cache] [--sample 20] [--seed 17]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from precision import DEFAULT, key, load_labels, rank, run_scan

SHAPE_OF_RULE = {"dma-tail-unaligned": "tail", "dma-carved-unaligned": "carve",
                 "dma-crypto-ctx": "context", "dma-kmem-cache-align": "cache",
                 "dma-client-buffer": "client"}


def shape(f: dict) -> str:
    if f["rule"] in SHAPE_OF_RULE:
        return SHAPE_OF_RULE[f["rule"]]
    if "returned by" in f["message"]:
        return "helper"
    names = {e[0] if isinstance(e, list) else e["name"] for e in f.get("evidence", [])}
    if "sink-may-not-map" in names and f["sink"] in ("sg_init_one", "sg_set_buf"):
        return "sg-field"
    return "other"


def subsystem(path: str) -> str:
    """``drivers/crypto/caam/caamalg.c`` -> ``drivers/crypto``."""
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def new_findings(before: list[dict], after: list[dict]) -> list[dict]:
    old = {key(f) for f in before}
    seen = set()
    out = []
    for f in after:
        if key(f) not in old and key(f) not in seen:
            seen.add(key(f))
            out.append(f)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", type=Path, required=True)
    p.add_argument("--after", type=Path)
    p.add_argument("--cache-dir", type=Path, default=Path("/tmp/i17-scan-cache"))
    p.add_argument("--sample", type=int, default=20)
    p.add_argument("--seed", type=int, default=17)
    args = p.parse_args(argv)
    before = json.loads(args.before.read_text())["findings"]
    if args.after is not None:
        after = json.loads(args.after.read_text())["findings"]
    else:
        after = run_scan(Path("/tmp/i17/after.json"), args.cache_dir, None)["findings"]
    new = new_findings(before, after)
    gone = {key(f) for f in before} - {key(f) for f in after}
    print(f"findings before {len(before)}, after {len(after)}: {len(new)} new, "
          f"{len(gone)} no longer reported\n")
    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for f in new:
        conf = "default" if f["confidence"] in DEFAULT else "low"
        table[subsystem(f["file"])][(shape(f), conf)] += 1
    shapes = sorted({s for c in table.values() for s, _ in c})
    print("| subsystem | " + " | ".join(f"{s} (high+medium / low)" for s in shapes) + " |")
    print("| --- |" + " --- |" * len(shapes))
    for sub in sorted(table):
        c = table[sub]
        print(f"| {sub} | " + " | ".join(f"{c[(s, 'default')]} / {c[(s, 'low')]}"
                                          for s in shapes) + " |")
    total = collections.Counter()
    for c in table.values():
        total.update(c)
    print("| **total** | " + " | ".join(f"{total[(s, 'default')]} / {total[(s, 'low')]}"
                                       for s in shapes) + " |")

    labels = load_labels()
    default = sorted((f for f in new if f["confidence"] in DEFAULT),
                     key=lambda f: rank(f, args.seed))
    low = sorted((f for f in new if f["confidence"] not in DEFAULT),
                 key=lambda f: rank(f, args.seed))
    picked = default + low[:max(0, args.sample - len(default))]
    print(f"\n## Labelled sample of the new findings ({len(default)} at high/medium, "
          f"{len(picked) - len(default)} low)\n")
    print("| shape | rule | confidence | file | function | verdict |")
    print("| --- | --- | --- | --- | --- | --- |")
    stats: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for f in picked:
        label = labels.get(key(f))
        verdict = label["verdict"] if label else "UNLABELLED"
        print(f"| {shape(f)} | {f['rule']} | {f['confidence']} | {f['file']}:{f['line']} | "
              f"{f['function']} | {verdict} |")
        if label:
            for k in ("all", "default" if f["confidence"] in DEFAULT else "low"):
                stats[k][0] += verdict == "true"
                stats[k][1] += 1
    print()
    for k in ("default", "low", "all"):
        true, n = stats[k]
        if n:
            print(f"precision ({k}): {true}/{n} = {100 * true / n:.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
