#!/usr/bin/env python3
"""Do two checkouts of reviewbot find the same things on a tree? (Not a test; a proof.)

A faster engine is only worth having if it reports exactly what the old one
did. This runs the whole-tree scan (JSON, every confidence, no cache) with an
old checkout (``--old-src``, e.g. ``git worktree add --detach /tmp/i14-old
main``) and with this one, and compares the findings (and the drivers they group into) as multisets of every
field (file, line, rule, function, buffer, sink, direction, message,
confidence, details), so ordering does not matter but nothing else may
differ. The old engine's JSON can be saved once (``--old-json``) and reused:
it only changes when the old checkout does.

Usage: bench/compare_engines.py [--old-src DIR] [--old-json FILE] [--tree DIR] [SUBPATH...]
       bench/compare_engines.py --old-src . --old-env REVIEWBOT_WHOLE_FILES=1
         (this checkout against itself parsing every file whole, e.g. after a merge)
Exit status 0 when the findings are identical, 1 when they differ.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def scan_json(src: Path, tree: Path, subpaths: list[str], jobs: int | None,
              extra_env: dict[str, str] | None = None) -> tuple[dict, float]:
    """The scan's JSON output with the reviewbot package of ``src`` first on the path."""
    env = dict(os.environ, PYTHONPATH=str(src), **(extra_env or {}))
    cmd = [sys.executable, "-m", "reviewbot", "-q", "scan", "--format", "json",
           "--min-confidence", "low", "--no-cache"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    cmd += [str(tree), *subpaths]
    start = time.monotonic()
    # cwd outside both checkouts, so only PYTHONPATH decides which package runs
    proc = subprocess.run(cmd, env=env, cwd="/", capture_output=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{src}: scan failed (exit {proc.returncode}): "
                 f"{proc.stderr.decode(errors='replace').strip()[-400:]}")
    return json.loads(proc.stdout), elapsed


def keyed(findings: list[dict]) -> collections.Counter[str]:
    """Each finding as one canonical string of all its fields."""
    return collections.Counter(json.dumps(f, sort_keys=True) for f in findings)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-src", type=Path, default=Path("/tmp/i14-old"),
                    help="checkout of the old engine (default /tmp/i14-old)")
    ap.add_argument("--old-json", type=Path,
                    help="saved output of the old engine; written when missing")
    ap.add_argument("--new-src", type=Path, default=HERE.parent)
    ap.add_argument("--tree", type=Path, help="kernel tree (default: the bench's 6.1 tree)")
    ap.add_argument("--jobs", type=int)
    ap.add_argument("--old-env", action="append", default=[], metavar="KEY=VALUE",
                    help="environment of the old run, e.g. REVIEWBOT_WHOLE_FILES=1 with "
                    "--old-src . to compare this checkout with its own whole-file parse")
    ap.add_argument("subpaths", nargs="*")
    args = ap.parse_args()
    if args.tree is None:
        from kernel_tree import kernel_tree
        args.tree = kernel_tree()

    if args.old_json is not None and args.old_json.is_file():
        old = json.loads(args.old_json.read_text())
        print(f"old: {args.old_json} (saved)")
    else:
        if not (args.old_src / "reviewbot").is_dir():
            sys.exit(f"{args.old_src}: no reviewbot checkout there")
        old_env = dict(kv.split("=", 1) for kv in args.old_env)
        old, secs = scan_json(args.old_src.resolve(), args.tree, args.subpaths, args.jobs,
                              old_env)
        print(f"old: {args.old_src} in {secs:.1f} s")
        if args.old_json is not None:
            args.old_json.write_text(json.dumps(old))
    new, secs = scan_json(args.new_src, args.tree, args.subpaths, args.jobs)
    print(f"new: {args.new_src} in {secs:.1f} s")

    a, b = keyed(old["findings"]), keyed(new["findings"])
    only_old, only_new = a - b, b - a
    for label, side in (("only in old", only_old), ("only in new", only_new)):
        for text, n in sorted(side.items()):
            f = json.loads(text)
            print(f"{label}: {f['file']}:{f['line']} {f['rule']} {f['buffer']!r} "
                  f"({f['confidence']}){f' x{n}' if n > 1 else ''}\n    {text}")
    print(f"findings: old {sum(a.values())}, new {sum(b.values())}, "
          f"only old {sum(only_old.values())}, only new {sum(only_new.values())}")
    da, db = keyed(old["drivers"]), keyed(new["drivers"])
    if da != db:
        print(f"drivers differ: {sum((da - db).values())} only old, {sum((db - da).values())} "
              "only new")
        for text in sorted((da - db) + (db - da)):
            print(f"    {text[:300]}")
    for key in ("files", "candidates", "parsed"):
        print(f"  {key}: old {old['stats'].get(key)}, new {new['stats'].get(key)}")
    if only_old or only_new or da != db:
        print("DIFFERENT")
        return 1
    print("IDENTICAL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
