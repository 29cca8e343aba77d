"""How many kernel function definitions survive parsing intact, and how fast.

"Intact": a ``function_definition`` node with no ERROR or MISSING node anywhere
inside it (``has_error`` is false), whose body opens on a line that the
reference count also found. The reference count is independent of tree-sitter:
kernel style puts a function's opening brace alone in column 0 right after the
line that closes its declarator with ``)``, so ``^{`` after a line ending in
``)`` counts one definition. Definitions in dropped ``#else``/``#if 0``
branches count as lost.

Usage: python bench/parse_recovery.py [--analyse] [SUBDIR...]
The Linux 6.1 tree is unpacked from /usr/src/linux-source-6.1.tar.xz into
$REVIEWBOT_KERNEL_CACHE (default ~/.cache/reviewbot/linux-6.1) on first use.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernel_tree import kernel_tree

from reviewbot.analysis.c.parser import new_parser, parse, walk
from reviewbot.knowledge import load_knowledge

DEFAULT_DIRS = ["drivers/usb", "drivers/spi", "drivers/i2c", "drivers/iio", "drivers/hwmon"]
_OPEN = re.compile(rb"^\{[ \t]*$", re.M)


def expected_bodies(text: bytes) -> set[int]:
    """0-based lines of '{' that open a function body, by kernel layout alone."""
    rows = set()
    for m in _OPEN.finditer(text):
        before = text[:m.start()].rstrip()
        if before.endswith(b")"):
            rows.add(text.count(b"\n", 0, m.start()))
    return rows


def intact_bodies(tree) -> set[int]:
    rows = set()
    for node in walk(tree.root_node, skip=frozenset({"function_definition"})):
        if node.type == "function_definition" and not node.has_error:
            body = node.child_by_field_name("body")
            if body is not None:
                rows.add(body.start_point[0])
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="*", default=DEFAULT_DIRS)
    ap.add_argument("--analyse", action="store_true",
                    help="also time the whole analysis (pre-filter, parse, facts, rules) per file")
    args = ap.parse_args(argv)
    root = kernel_tree()
    knowledge = load_knowledge()
    parser = new_parser()
    analyse = None
    if args.analyse:
        from reviewbot.analysis import analyse_source
        analyse = analyse_source
    total = {"files": 0, "bytes": 0, "expected": 0, "intact": 0, "seconds": 0.0, "gave_up": 0,
             "analyse_seconds": 0.0}
    for sub in args.dirs:
        stats = dict.fromkeys(total, 0)
        stats["seconds"] = stats["analyse_seconds"] = 0.0
        for path in sorted((root / sub).rglob("*.[ch]")):
            text = path.read_bytes()
            t0 = time.perf_counter()
            src = parse(str(path), text, knowledge, parser)
            stats["seconds"] += time.perf_counter() - t0
            if analyse is not None:
                t0 = time.perf_counter()
                analyse(str(path.relative_to(root)), text.decode("utf-8", "replace"), knowledge,
                        parser)
                stats["analyse_seconds"] += time.perf_counter() - t0
            expected = expected_bodies(text)
            stats["files"] += 1
            stats["bytes"] += len(text)
            stats["expected"] += len(expected)
            if src is None:
                stats["gave_up"] += 1
                continue
            stats["intact"] += len(expected & intact_bodies(src.tree))
        report(sub, stats)
        for key in total:
            total[key] += stats[key]
    report("total", total)
    return 0


def report(name: str, s: dict) -> None:
    share = 100.0 * s["intact"] / s["expected"] if s["expected"] else 100.0
    secs = s["seconds"] or 1e-9
    line = (f"{name:14} {s['intact']:6}/{s['expected']:<6} intact {share:6.2f}%  "
            f"{s['files']:5} files  parse {s['files'] / secs:6.1f} files/s "
            f"{s['bytes'] / secs / 1e6:5.2f} MB/s  gave up {s['gave_up']}")
    if s["analyse_seconds"]:
        asecs = s["analyse_seconds"]
        line += (f"  analyse {s['files'] / asecs:6.1f} files/s "
                 f"{s['bytes'] / asecs / 1e6:5.2f} MB/s")
    print(line)


if __name__ == "__main__":
    sys.exit(main())
