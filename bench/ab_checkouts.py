#!/usr/bin/env python3
"""Is this checkout's analysis faster than another's? Per-file interleaved, two processes.

``bench/ab_inprocess.py`` compares variants of one checkout inside one process;
a change spread over several modules (or a whole session's work) needs the old
code itself. Here two long-lived processes, one per checkout, analyse every
candidate file of the tree in turn, file by file in alternating order, and
report the CPU time each spent on it: a drift in the host's load hits both
alike, where whole scans minutes apart on this VM differ by a fifth.

    git worktree add --detach /tmp/old <commit>
    bench/ab_checkouts.py --old-src /tmp/old [--tree DIR] [--every N]

Prints the CPU seconds of each, the ratio new/old and the findings each gave
(they should be equal). Not a test: it needs the real tree.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# What each process runs: reads "path" lines, answers "cpu findings" lines.
_SERVE = r"""
import sys, time
from pathlib import Path
tree = sys.argv[1]
from reviewbot.knowledge import load_knowledge
from reviewbot.limits import default_limits
from reviewbot.scan import workers
knowledge = load_knowledge()
workers.init_worker(knowledge.path, default_limits().parse_work)
print("ready", flush=True)
for line in sys.stdin:
    path = line.rstrip("\n")
    start = time.process_time()
    found = len(workers.analyse_file((tree, path))[2])
    print(f"{time.process_time() - start} {found}", flush=True)
"""


def _start(src: Path, tree: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", _SERVE, str(tree)], cwd=src,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit(f"{src}: the analysis process did not start")
    return proc


def _ask(proc: subprocess.Popen[str], path: str) -> tuple[float, int]:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(path + "\n")
    proc.stdin.flush()
    cpu, found = proc.stdout.readline().split()
    return float(cpu), int(found)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-src", type=Path, required=True, help="the other checkout")
    ap.add_argument("--new-src", type=Path, default=HERE.parent)
    ap.add_argument("--tree", type=Path, help="kernel tree (default: bench/kernel_tree.py's)")
    ap.add_argument("--every", type=int, default=1, help="take every Nth candidate file")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    from kernel_tree import kernel_tree

    from reviewbot.knowledge import load_knowledge
    from reviewbot.scan.files import grep_filter, sink_tokens
    from reviewbot.treewalk import walk

    tree = args.tree or kernel_tree()
    knowledge = load_knowledge()
    paths, _refused = walk(tree, [], knowledge.skip_dirs)
    candidates = sorted(grep_filter(tree, paths, sink_tokens(knowledge), 2) or [])[::args.every]
    procs = {"old": _start(args.old_src.resolve(), tree),
             "new": _start(args.new_src.resolve(), tree)}
    cpu = {"old": 0.0, "new": 0.0}
    found = {"old": 0, "new": 0}
    try:
        for i, path in enumerate(candidates):
            for side in (("old", "new") if i % 2 == 0 else ("new", "old")):
                c, n = _ask(procs[side], path)
                cpu[side] += c
                found[side] += n
    finally:
        for proc in procs.values():
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait()
    ratio = cpu["new"] / cpu["old"] if cpu["old"] else float("nan")
    if args.json:
        print(json.dumps({"files": len(candidates), "cpu": cpu, "ratio": ratio,
                          "findings": found}))
    else:
        print(f"{len(candidates)} files: old {cpu['old']:.2f} s CPU, new {cpu['new']:.2f} s "
              f"CPU, new/old {ratio:.3f}; findings old {found['old']}, new {found['new']}")
    return 0 if found["old"] == found["new"] else 1


if __name__ == "__main__":
    sys.exit(main())
