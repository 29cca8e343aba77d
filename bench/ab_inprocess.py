#!/usr/bin/env python3
"""Is a change to the engine faster? Per-file interleaved A/B in one process.

Whole-tree runs of the same code on this 2-core VM vary by a fifth with the
host's load, so alternating whole scans hides any gain under 10%. Here each
candidate file of the tree is analysed twice in a row, once per variant (in
alternating order), and the CPU time of each variant is summed: load drifts
hit both alike. Against itself (no --a or --b) the ratio is 1.00 +- 0.005.

A variant is a list of module attributes to set before each file, such as a
constant or a function replaced by a lambda (``orig`` is the attribute's
original value)::

    bench/ab_inprocess.py --a "reviewbot.analysis.engine:_MAX_CUTS=2"
    bench/ab_inprocess.py --a "reviewbot.analysis.engine:collect=lambda s, k, f=None: orig(s, k, f)"

It prints the CPU seconds of each variant, their ratio B/A and the number of
findings each gave (they should be equal). Not a test: it needs the real
tree (bench/kernel_tree.py fetches it).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def setter(spec: str):
    """``module:name=expression`` -> a function that sets it (``orig``: the old value)."""
    target, _, expr = spec.partition("=")
    mod_name, _, name = target.partition(":")
    module = importlib.import_module(mod_name.strip())
    name = name.strip()
    orig = getattr(module, name)
    value = eval(expr, {**vars(module), "orig": orig})  # a benchmark's own input
    return lambda: setattr(module, name, value), lambda: setattr(module, name, orig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", action="append", default=[], metavar="MOD:NAME=EXPR")
    ap.add_argument("--b", action="append", default=[], metavar="MOD:NAME=EXPR")
    ap.add_argument("--tree", type=Path, help="kernel tree (default: bench/kernel_tree.py's)")
    ap.add_argument("--every", type=int, default=1, help="take every Nth candidate file")
    args = ap.parse_args(argv)

    from kernel_tree import kernel_tree

    from reviewbot.knowledge import load_knowledge
    from reviewbot.limits import default_limits
    from reviewbot.scan import workers
    from reviewbot.scan.files import grep_filter, sink_tokens
    from reviewbot.treewalk import walk

    tree = args.tree or kernel_tree()
    knowledge = load_knowledge()
    paths, _refused = walk(tree, [], knowledge.skip_dirs)
    candidates = sorted(grep_filter(tree, paths, sink_tokens(knowledge), 2) or [])[::args.every]
    workers.init_worker(knowledge.path, default_limits().parse_work)
    variants = {"A": [setter(s) for s in args.a], "B": [setter(s) for s in args.b]}
    cpu = {"A": 0.0, "B": 0.0}
    found = {"A": 0, "B": 0}
    for i, path in enumerate(candidates):
        for v in ("AB" if i % 2 == 0 else "BA"):
            for apply, _ in variants[v]:
                apply()
            start = time.process_time()
            found[v] += len(workers.analyse_file((str(tree), path))[2])
            cpu[v] += time.process_time() - start
            for _, undo in variants[v]:
                undo()
    print(f"{len(candidates)} files: A {cpu['A']:.2f} s CPU, B {cpu['B']:.2f} s CPU, "
          f"B/A {cpu['B'] / cpu['A']:.3f}; findings A {found['A']}, B {found['B']}")
    return 0 if found["A"] == found["B"] else 1


if __name__ == "__main__":
    sys.exit(main())
