#!/usr/bin/env python3
"""The tree profile of the real trees, its cost, and whether the shipped profiles are current.

For each real tree (Debian's linux-source-6.1 and linux-source-6.12, unpacked
under ~/.cache/reviewbot/), prints the profile as ``reviewbot profile``
does, the time to read it (median of 5 warm runs, and the first run; the CPU
time too, as the wall time on a shared machine counts the neighbours), and
whether config/profiles/<name>.toml is what the reader gives today; exits 1
when one is stale. ``--write`` regenerates the shipped files instead.

    .venv/bin/python bench/tree_profile.py            # print, time, check
    .venv/bin/python bench/tree_profile.py --write    # regenerate config/profiles/
    .venv/bin/python bench/tree_profile.py --tree 6.12=/path/to/linux  # another tree

A new shipped profile (say 6.18) is one more --tree NAME=PATH with --write.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reviewbot.analysis.facts.profile import read_tree_profile  # noqa: E402
from reviewbot.analysis.facts.profile_store import (  # noqa: E402
    profiles_dir,
    read_profile_file,
    render_text,
    to_toml,
)

CACHE = Path.home() / ".cache/reviewbot"
TREES = {"6.1": CACHE / "linux-6.1", "6.12": CACHE / "linux-6.12"}
SOURCES = {"6.1": "Debian linux-source-6.1", "6.12": "Debian linux-source-6.12"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="regenerate config/profiles/NAME.toml")
    ap.add_argument("--tree", action="append", default=[], metavar="NAME=PATH",
                    help="a tree to profile (default: the 6.1 and 6.12 trees in the cache)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no profile text, times only")
    args = ap.parse_args()
    trees = dict(t.split("=", 1) for t in args.tree) if args.tree else dict(TREES)
    stale = []
    for name, path in trees.items():
        root = Path(path)
        if not (root / "Makefile").is_file():
            print(f"{name}: {root} is not unpacked; skipped", file=sys.stderr)
            continue
        t0 = time.perf_counter()
        profile = read_tree_profile(root)
        first = time.perf_counter() - t0
        warm, cpu = [], []
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.process_time()
            again = read_tree_profile(root)
            warm.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            assert again == profile, "the reader must give the same profile every time"
        if not args.quiet:
            print(render_text(profile))
        print(f"{name}: Linux {profile.version}, {len(profile.arches)} architectures, "
              f"{len(profile.files)} files read; first read {first * 1000:.0f} ms, "
              f"warm median {statistics.median(warm) * 1000:.0f} ms "
              f"(max {max(warm) * 1000:.0f} ms), CPU median {statistics.median(cpu) * 1000:.0f} ms")
        target = profiles_dir() / f"{name}.toml"
        source = f"{SOURCES.get(name, root.name)} ({profile.version})"
        if args.write:
            target.write_text(to_toml(profile, source))
            print(f"{name}: wrote {target.relative_to(ROOT)}")
        elif not target.is_file():
            print(f"{name}: {target.relative_to(ROOT)} is not shipped")
        elif read_profile_file(target) != profile:
            stale.append(name)
            print(f"{name}: {target.relative_to(ROOT)} is STALE: run with --write")
        else:
            print(f"{name}: {target.relative_to(ROOT)} is current")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
