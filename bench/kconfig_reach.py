#!/usr/bin/env python3
"""Platform reach on real trees: its cost, its answers, and a check against kconfiglib (prints figures).

For each tree (``--tree``, repeatable; default the bench's 6.1 and 6.12 trees):

* cost, in CPU seconds: the Kconfig walk a worker pays once (best of
  ``--repeat`` fresh builds), and the per-file answers for the files of a scan's findings
  (``--findings`` JSON of ``scan --format json``) and for ``--sample``
  random C files under drivers/ (seeded), with the scan's own reader;
* answers: how many of the files with findings get a restricted set of
  architectures, the distribution, and why the unknown ones are unknown;
  ``--list`` prints every file with its set;
* ``--kconfiglib``: the same Kconfig read by kconfiglib (``pip install
  kconfiglib``; not a dependency of reviewbot). Its expression parser is
  timed against kexpr on every ``depends on``/``if`` of the tree and the
  trees compared; for each architecture in ``--arches`` its whole-tree load
  is timed and compared with the walk: files sourced, symbols defined, and
  each definition's direct dependencies (its ``depends on`` with the
  enclosing ``if``/``menu``/``choice`` and ``source`` conditions). kconfiglib
  14.1 predates the ``modules`` keyword and runs the compiler for
  ``$(cc-option)``, so the Kconfig files are copied to a temporary folder with
  ``modules`` spelled ``option modules``, and ``CC=gcc`` must exist.

Usage: bench/kconfig_reach.py [--tree DIR --findings JSON]... [--sample 2700]
                              [--kconfiglib [--arches arm64,x86]] [--list]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from reviewbot.analysis.facts import kexpr  # noqa: E402
from reviewbot.analysis.facts.kconfig import ROOT, KconfigTree  # noqa: E402
from reviewbot.analysis.facts.platforms import Platforms  # noqa: E402
from reviewbot.knowledge import load_knowledge  # noqa: E402

CACHE = Path.home() / ".cache/reviewbot"


def reader(root: Path):
    """The scan's reader (reviewbot/scan/__init__.py _headers): no symlink out of the tree."""
    base = root.resolve()

    def read(rel: str) -> str | None:
        p = (base / rel).resolve()
        if not p.is_relative_to(base) or not p.is_file():
            return None
        return p.read_text(errors="replace")
    return read


def cost(root: Path, arches: list[str], files: list[str], sample: int, repeat: int) -> None:
    best = min(_timed(lambda: KconfigTree(reader(root), arches)) for _ in range(repeat))
    print(f"  Kconfig walk (once per process): {best:.3f} s best of {repeat}")
    for label, paths in (("files with findings", files), ("random drivers/ files",
                                                          _sample(root, sample))):
        if not paths:
            continue
        p = Platforms(reader(root), arches)
        walk = _timed(lambda p=p: p.kconfig)
        answers = _timed(lambda p=p, paths=paths: [p.reach(f) for f in paths])
        print(f"  {label}: {len(paths)} answers in {answers:.3f} s "
              f"({1000 * answers / len(paths):.2f} ms each) after the walk ({walk:.3f} s); "
              f"files recorded per answer: "
              f"{sum(len(p.reach(f).files) for f in paths) / len(paths):.1f}")


def _timed(fn) -> float:
    """CPU seconds (user + system) of ``fn()``: the machine's other load does not count."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def _sample(root: Path, n: int) -> list[str]:
    if n <= 0:
        return []
    files = sorted(str(p.relative_to(root)) for p in (root / "drivers").rglob("*.c"))
    return random.Random(23).sample(files, min(n, len(files)))


def answers(root: Path, arches: list[str], files: list[str], listing: bool) -> None:
    p = Platforms(reader(root), arches)
    every = frozenset(p.kconfig.arches)
    kinds: collections.Counter[str] = collections.Counter()
    for f in files:
        r = p.reach(f)
        if r.arches is None:
            kinds[f"unknown ({r.why.split(':')[0]})"] += 1
        elif r.arches == every:
            kinds["every architecture"] += 1
        elif len(r.arches) > 4:
            kinds[f"all but {', '.join(sorted(every - r.arches))}"] += 1
        else:
            kinds[", ".join(sorted(r.arches)) + " only"] += 1
        if listing:
            shown = "any" if r.arches == every else (
                sorted(r.arches) if r.arches is not None else f"unknown: {r.why}")
            print(f"    {f}: {shown}")
    restricted = sum(n for k, n in kinds.items() if k != "every architecture"
                     and not k.startswith("unknown"))
    print(f"  {len(files)} files with findings: {restricted} restricted, "
          f"{kinds['every architecture']} any architecture, "
          f"{sum(n for k, n in kinds.items() if k.startswith('unknown'))} unknown")
    for k, n in kinds.most_common():
        print(f"    {n:4d}  {k}")


# ---- kconfiglib

def with_kconfiglib(root: Path, arches: list[str], compare: list[str]) -> None:
    try:
        import kconfiglib
    except ImportError:
        sys.exit("--kconfiglib: pip install kconfiglib")
    tree = KconfigTree(reader(root), arches)
    exprs = sorted({c for path in [ROOT, *tree._incoming] for c in _conditions(tree, path)
                    if "$" not in c})
    start = time.process_time()
    ours = {e: kexpr.parse(e) for e in exprs}
    own = time.process_time() - start
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "Kconfig"
        empty.write_text("")
        kc = kconfiglib.Kconfig(str(empty), warn=False)
        start = time.process_time()
        theirs = {}
        for e in exprs:
            kc._tokens = kc._tokenize("if " + e)  # its parser is reachable only like this
            kc._tokens_i = 1
            theirs[e] = kc._parse_expr(True)
        lib = time.process_time() - start
    differ = [e for e in exprs if _mine(ours[e]) != _theirs(kconfiglib, theirs[e])]
    print(f"  expressions: {len(exprs)}; parsed in {own:.3f} s CPU by kexpr, "
          f"{lib:.3f} s by kconfiglib; "
          f"trees differ on {len(differ)} {differ[:3]}")
    with tempfile.TemporaryDirectory() as tmp:
        overlay = _overlay(root, Path(tmp))
        for arch in compare:
            _compare_load(kconfiglib, tree, overlay, arch)


def _conditions(tree: KconfigTree, path: str) -> list[str]:
    f = tree.file(path)
    out = [c for d in f.definitions for c in (*d.depends, *d.context)]
    return out + [c for s in f.sources for c in s.context]


def _overlay(root: Path, tmp: Path) -> Path:
    """The tree's Kconfig files and scripts/ in ``tmp``, ``modules`` as kconfiglib knows it."""
    for p in root.rglob("Kconfig*"):
        if p.is_file():
            dest = tmp / p.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            text = p.read_text(errors="replace")
            dest.write_text(text.replace("\n\tmodules\n", "\n\toption modules\n"))
    shutil.copytree(root / "scripts", tmp / "scripts", dirs_exist_ok=True, symlinks=True)
    return tmp


def _compare_load(kconfiglib, tree: KconfigTree, overlay: Path, arch: str) -> None:
    env = {"srctree": str(overlay), "ARCH": arch, "SRCARCH": arch, "KERNELVERSION": "6",
           "CC": "gcc", "LD": "ld", "HOSTCC": "gcc", "HOSTCXX": "g++", "SUBARCH": "x86",
           "HEADER_ARCH": "x86"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        kc = kconfiglib.Kconfig(str(overlay / "Kconfig"), warn=False)
        load, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    bit = 1 << tree.arches.index(arch)
    ours = {ROOT} | {f for f, edges in tree._incoming.items()
                     if any(m & bit for m in edges.values())}
    theirs = {str(Path(f).relative_to(overlay)) if f.startswith("/") else f
              for f in kc.kconfig_filenames}
    our_syms = {d.name for f in ours for d in tree.file(f).definitions}
    their_syms = {s.name for s in kc.unique_defined_syms}
    same = checked = 0
    for sym in kc.unique_defined_syms:
        for node in sym.nodes:
            name = str(Path(node.filename).relative_to(overlay)) \
                if node.filename.startswith("/") else node.filename
            defs = [d for d in tree.file(name).definitions
                    if d.name == sym.name and d.line == node.linenr]
            chain = _chain(tree, name, bit)
            if len(defs) != 1 or chain is None:
                continue
            conds = [*defs[0].depends, *defs[0].context, *chain]
            if any("$" in c for c in conds):
                continue
            mine = {x for c in conds for x in _conjuncts(_mine(kexpr.parse(c)))} - {"y"}
            theirs_dep = set(_conjuncts(_theirs(kconfiglib, node.dep))) - {"y", "<choice>"}
            p = node.parent
            while p is not None and isinstance(p.item, kconfiglib.Choice):
                theirs_dep |= set(_conjuncts(_theirs(kconfiglib, p.dep))) - {"y", "<choice>"}
                p = p.parent
            checked += 1
            same += mine == theirs_dep
    print(f"  {arch}: kconfiglib whole-tree load {load:.2f} s wall, {cpu:.2f} s CPU of its own "
          f"(it also runs the compiler); files {len(ours)} walk / "
          f"{len(theirs)} kconfiglib ({len(ours ^ theirs)} differ); symbols {len(our_syms)} / "
          f"{len(their_syms)} ({len(our_syms ^ their_syms)} differ); direct dependencies "
          f"equal for {same} of {checked} definitions")


def _chain(tree: KconfigTree, path: str, bit: int) -> list[str] | None:
    """The conditions around the ``source`` statements that read ``path`` (one route)."""
    if path == ROOT:
        return []
    edges = [(p, i) for (p, i), m in tree._incoming.get(path, {}).items() if m & bit]
    if len(edges) != 1:
        return None
    parent, idx = edges[0]
    up = _chain(tree, parent, bit)
    return None if up is None else up + list(tree.file(parent).sources[idx].context)


def _conjuncts(v) -> tuple:
    return v[1] if isinstance(v, tuple) and v[0] == "&&" else (v,)


def _mine(x):
    if isinstance(x, kexpr.And | kexpr.Or):
        op = "&&" if isinstance(x, kexpr.And) else "||"
        out: list = []
        for y in (x.left, x.right):
            f = _mine(y)
            out.extend(f[1] if isinstance(f, tuple) and f[0] == op else [f])
        return (op, tuple(out))
    if isinstance(x, kexpr.Not):
        return ("!", _mine(x.arg))
    if isinstance(x, kexpr.Cmp):
        return (x.op, _mine(x.left), _mine(x.right))
    if isinstance(x, kexpr.Sym):
        return x.name
    if isinstance(x, kexpr.Str):
        return x.value
    return repr(x)


def _theirs(kconfiglib, x):
    ops = {kconfiglib.EQUAL: "=", kconfiglib.UNEQUAL: "!=", kconfiglib.LESS: "<",
           kconfiglib.LESS_EQUAL: "<=", kconfiglib.GREATER: ">",
           kconfiglib.GREATER_EQUAL: ">="}
    if isinstance(x, tuple):
        if x[0] == kconfiglib.AND and not isinstance(x[1], tuple) and \
                not isinstance(x[2], tuple) and (x[1].name, x[2].name) == ("m", "MODULES"):
            return "m"  # kconfiglib reads a bare m as m && MODULES
        if x[0] in (kconfiglib.AND, kconfiglib.OR):
            op = "&&" if x[0] == kconfiglib.AND else "||"
            out: list = []
            for y in x[1:]:
                f = _theirs(kconfiglib, y)
                out.extend(f[1] if isinstance(f, tuple) and f[0] == op else [f])
            return (op, tuple(out))
        if x[0] == kconfiglib.NOT:
            return ("!", _theirs(kconfiglib, x[1]))
        return (ops[x[0]], _theirs(kconfiglib, x[1]), _theirs(kconfiglib, x[2]))
    return x.name if isinstance(x, kconfiglib.Symbol) else "<choice>"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, action="append", default=[])
    ap.add_argument("--findings", type=Path, action="append", default=[],
                    help="scan --format json output, one per --tree, in the same order")
    ap.add_argument("--sample", type=int, default=2700)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--kconfiglib", action="store_true")
    ap.add_argument("--arches", default="arm64,x86,arm")
    args = ap.parse_args()
    trees = args.tree or [CACHE / "linux-6.1", CACHE / "linux-6.12"]
    arches = list(dict.fromkeys(a for _, a in load_knowledge().arch_symbols))
    for i, root in enumerate(trees):
        print(root)
        files: list[str] = []
        if i < len(args.findings):
            files = sorted({f["file"] for f in json.loads(args.findings[i].read_text())
                            ["findings"]})
        cost(root, arches, files, args.sample, args.repeat)
        if files:
            answers(root, arches, files, args.list)
        if args.kconfiglib:
            with_kconfiglib(root, arches, args.arches.split(","))
    return 0


if __name__ == "__main__":
    sys.exit(main())
