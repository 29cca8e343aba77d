#!/usr/bin/env python3
"""Precision of reviewbot's findings on the real Linux trees (not a test; prints figures).

Three steps, each a subcommand, on ``--tree 6.1`` (default) or ``--tree 6.12``:

  scan    run ``reviewbot scan --all`` on the whole tree (all confidences, every
          verdict) into a JSON file and print the findings per rule and confidence,
          and per rule and severity;
  sample  draw a seeded sample per rule and print each finding with its code, for
          labelling (labels go to bench/labels/*.toml: one [[label]] per finding);
          ``--default`` samples only what the default output shows (severity
          warning or error, confidence medium or high), the findings judged on the tree;
  report  precision per rule, per confidence and overall from the labels; with two
          scan files, the before/after counts side by side; ``--default`` reports the
          default output's precision per rule and per severity from the labels of
          that tree (a label with ``tree = "6.12"`` counts only there; one without a
          tree is a 6.1 label).

The sample is stable under engine changes: each finding is ranked by a hash of
the seed and its identity (rule, file, function, buffer; never the line), and
the first N of each rule are taken. A finding the new engine drops leaves the
sample, a new one enters it only where it ranks, so relabelling after a change
costs only the new entries.

A label says whether the subsystem maintainer would take a patch fixing the
finding ("true") or not ("false"), with one sentence of why, written after
reading the driver and the core code it calls.

A label for the default output (issue 23) also says whether the finding bites
on that tree: ``bites = "yes"`` (corrupts or fails on an architecture the driver
builds for), ``"contract"`` (breaks the documented DMA contract, works), or
``"no"``; its ``verdict`` is "true" when that matches the severity shown (error:
bites; warning: bites or contract).

Usage:
  bench/precision.py scan --out /tmp/i11-before.json [--tree 6.12] [--cache-dir DIR] [--jobs N]
  bench/precision.py sample SCAN.json [--tree 6.12] [--default] [--per-rule 12] [--seed 11]
  bench/precision.py report SCAN.json [--tree 6.12] [--default] [--before OLD.json]
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kernel_tree import kernel_tree

LABELS = Path(__file__).resolve().parent / "labels"
CONFIDENCES = ("high", "medium", "low")
DEFAULT = ("high", "medium")  # what `scan` shows by default (--min-confidence medium)


def key(f: dict) -> tuple[str, str, str, str]:
    """A finding's identity across engine versions: never the line number."""
    return (f["rule"], f["file"], f.get("function") or "", f.get("buffer") or "")


def rank(f: dict, seed: int) -> str:
    return hashlib.sha1(f"{seed}\0{chr(0).join(key(f))}".encode()).hexdigest()


# Rules whose sample is larger: the weakest ones, where one label moves precision most.
SIZES = {"dma-embedded-unaligned": 24, "dma-cacheline-l1": 20}
# The default output's sample (issue 23): the most numerous rules get more labels.
SIZES_DEFAULT = {"dma-stack": 20, "dma-embedded-unaligned": 20, "dma-cacheline-l1": 14}


SHOWN = ("error", "warning")  # what the default output shows (--severity warning)


def shown(f: dict) -> bool:
    """In the default output: a finding judged to bite or to break a contract."""
    return f["severity"] in SHOWN and f["confidence"] in DEFAULT


def sample(findings: list[dict], per_rule: int, seed: int,
           confidences: tuple[str, ...] = DEFAULT, default: bool = False) -> list[dict]:
    # the default output's sample is drawn per rule and severity: a rule shown both as
    # error and as warning (dma-stack) has each measured
    by_rule: dict[tuple[str, str], list[dict]] = collections.defaultdict(list)
    seen = set()
    for f in findings:
        if default and not shown(f):
            continue
        if f["confidence"] in confidences and key(f) not in seen:
            seen.add(key(f))
            by_rule[(f["rule"], f["severity"] if default else "")].append(f)
    out = []
    for rule, sev in sorted(by_rule):
        size = max(per_rule, (SIZES_DEFAULT if default else SIZES).get(rule, 0))
        out.extend(sorted(by_rule[(rule, sev)], key=lambda f: rank(f, seed))[:size])
    return out


def load_labels(folder: Path = LABELS, tree: str | None = None
                ) -> dict[tuple[str, str, str, str], dict]:
    """Labels by finding identity; with ``tree``, only the labels made on that tree
    (judged-on-the-tree labels carry ``tree``; older ones are 6.1's)."""
    out = {}
    for path in sorted(folder.glob("*.toml")):
        for entry in tomllib.loads(path.read_text()).get("label", []):
            if tree is not None and entry.get("tree", "6.1") != tree:
                continue
            if tree is not None and "bites" not in entry:
                continue  # a label of the old question (would a maintainer take it)
            k = (entry["rule"], entry["file"], entry.get("function", ""), entry.get("buffer", ""))
            if entry["verdict"] not in ("true", "false"):
                sys.exit(f"{path}: {k}: verdict must be 'true' or 'false'")
            out[k] = entry
    for path in sorted(folder.glob("*.json")):
        for entry in json.loads(path.read_text()):
            out[(entry["rule"], entry["file"], entry.get("function", ""),
                 entry.get("buffer", ""))] = entry
    return out


def run_scan(out: Path, cache_dir: Path, jobs: int | None, version: str = "6.1") -> dict:
    tree = kernel_tree(version)
    cmd = [sys.executable, "-m", "reviewbot", "-q", "scan", str(tree), "--format", "json",
           "--min-confidence", "low", "--all", "--cache-dir", str(cache_dir)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"scan failed ({result.returncode}): {result.stderr.strip()}")
    out.write_text(result.stdout)
    return json.loads(result.stdout)


def counts(findings: list[dict]) -> dict[str, collections.Counter]:
    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for f in findings:
        table[f["rule"]][f["confidence"]] += 1
    return table


def print_counts(findings: list[dict], before: list[dict] | None = None) -> None:
    now = counts(findings)
    old = counts(before) if before is not None else None
    rules = sorted(set(now) | set(old or {}))
    head = "| rule | " + " | ".join(CONFIDENCES) + " | default (high+medium) |"
    if old is not None:
        head = "| rule | " + " | ".join(f"{c} before -> after" for c in CONFIDENCES) + \
            " | default before -> after |"
    print(head)
    print("|" + " --- |" * (len(CONFIDENCES) + 2))
    for rule in [*rules, "**total**"]:
        if old is None:
            cells = [str(_cell(now, rule, c)) for c in CONFIDENCES] + [str(_cell(now, rule, None))]
        else:
            cells = [f"{_cell(old, rule, c)} -> {_cell(now, rule, c)}" for c in CONFIDENCES] + \
                [f"{_cell(old, rule, None)} -> {_cell(now, rule, None)}"]
        print(f"| {rule} | " + " | ".join(cells) + " |")


def _cell(t: dict[str, collections.Counter], rule: str, conf: str | None) -> int:
    rows = list(t.values()) if rule == "**total**" else [t.get(rule, collections.Counter())]
    if conf is None:
        return sum(r[c] for r in rows for c in DEFAULT)
    return sum(r[conf] for r in rows)


def context(tree: Path, f: dict, before: int = 12, after: int = 4) -> str:
    try:
        lines = (tree / f["file"]).read_text(errors="replace").splitlines()
    except OSError:
        return "  (file not readable)"
    lo = max(0, f["line"] - 1 - before)
    hi = min(len(lines), f["line"] + after)
    return "\n".join(f"{'>' if i + 1 == f['line'] else ' '}{i + 1:5} {lines[i]}"
                     for i in range(lo, hi))


def print_severities(findings: list[dict]) -> None:
    """Per rule: the findings at each severity (medium or high confidence), what the
    default output shows, and each verdict."""
    sev = ("error", "warning", "info")
    table: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for f in findings:
        if f["confidence"] in DEFAULT:
            table[f["rule"]][f["severity"]] += 1
            table[f["rule"]][f.get("verdict") or "-"] += 1
    verdicts = ("bites", "contract", "dormant", "unknown")
    print("| rule | " + " | ".join(sev) + " | shown | " + " | ".join(verdicts) + " |")
    print("|" + " --- |" * (len(sev) + len(verdicts) + 2))
    total: collections.Counter = collections.Counter()
    for rule in sorted(table):
        total.update(table[rule])
        row = table[rule]
        print(f"| {rule} | " + " | ".join(str(row[s]) for s in sev)
              + f" | {row['error'] + row['warning']} | "
              + " | ".join(str(row[v]) for v in verdicts) + " |")
    print("| **total** | " + " | ".join(str(total[s]) for s in sev)
          + f" | {total['error'] + total['warning']} | "
          + " | ".join(str(total[v]) for v in verdicts) + " |")


def cmd_sample(args: argparse.Namespace) -> None:
    findings = json.loads(Path(args.scan).read_text())["findings"]
    labels = load_labels(tree=args.tree if args.default else None)
    tree = kernel_tree(args.tree)
    for f in sample(findings, args.per_rule, args.seed, default=args.default):
        if args.unlabelled and key(f) in labels:
            continue
        mark = labels.get(key(f), {}).get("verdict", "UNLABELLED")
        print(f"=== [{mark}] {f['rule']} ({f['confidence']}, {f['severity']}) "
              f"{f['file']}:{f['line']} {f['function']}() buffer={f['buffer']!r}")
        print(f"    {f['message']}")
        for k, v in f.get("details", []):
            print(f"    {k}: {v}")
        print(context(tree, f))
        print()


def precision_table(findings: list[dict], labels: dict, per_rule: int, seed: int) -> None:
    picked = sample(findings, per_rule, seed)
    stats: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for f in picked:
        label = labels.get(key(f))
        for k in ((f["rule"], f["confidence"]), (f["rule"], "all"), ("**overall**", "all"),
                  ("**overall**", f["confidence"])):
            cell = stats[k]
            if label is None:
                cell[2] += 1
            else:
                cell[0] += label["verdict"] == "true"
                cell[1] += 1
    print("| rule | confidence | labelled | true | precision | unlabelled in sample |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (rule, conf) in sorted(stats, key=lambda k: (k[0].startswith("*"), k[0],
                                                     k[1] != "all", k[1])):
        true, labelled, missing = stats[(rule, conf)]
        prec = f"{100 * true / labelled:.0f}%" if labelled else "-"
        print(f"| {rule} | {conf} | {labelled} | {true} | {prec} | {missing} |")


def right(label: dict, severity: str) -> bool:
    """Is a finding shown at ``severity`` right, by its label's kernel facts? An error
    must bite on the tree; a warning must bite or break the documented contract."""
    bites = label.get("bites")
    if bites is None:
        return label["verdict"] == "true"
    return bites == "yes" or (severity == "warning" and bites == "contract")


def default_table(findings: list[dict], labels: dict, per_rule: int, seed: int) -> None:
    """Precision of the default output, per rule and per severity."""
    picked = sample(findings, per_rule, seed, default=True)
    stats: dict[tuple[str, str], list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for f in picked:
        label = labels.get(key(f))
        for k in ((f["rule"], f["severity"]), (f["rule"], "all"), ("**overall**", "all"),
                  ("**overall**", f["severity"])):
            cell = stats[k]
            if label is None:
                cell[2] += 1
            else:
                cell[0] += right(label, f["severity"])
                cell[1] += 1
    print("| rule | severity | labelled | right | precision | unlabelled in sample |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (rule, sev) in sorted(stats, key=lambda k: (k[0].startswith("*"), k[0],
                                                    k[1] != "all", k[1])):
        good, labelled, missing = stats[(rule, sev)]
        prec = f"{100 * good / labelled:.0f}%" if labelled else "-"
        print(f"| {rule} | {sev} | {labelled} | {good} | {prec} | {missing} |")


def cmd_report(args: argparse.Namespace) -> None:
    now = json.loads(Path(args.scan).read_text())["findings"]
    if args.default:
        print(f"## Linux {args.tree}: whole-tree findings per rule and severity "
              "(medium and high confidence)\n")
        print_severities(now)
        print(f"\n## Linux {args.tree}: precision of the default output on the labelled "
              "sample\n")
        default_table(now, load_labels(tree=args.tree), args.per_rule, args.seed)
        return
    before = json.loads(Path(args.before).read_text())["findings"] if args.before else None
    labels = load_labels()
    print("## Whole-tree findings per rule and confidence\n")
    print_counts(now, before)
    if before is not None:
        print("\n## Precision on the labelled sample, before\n")
        precision_table(before, labels, args.per_rule, args.seed)
        lost = [k for k in {key(f) for f in sample(before, args.per_rule, args.seed)}
                if labels.get(k, {}).get("verdict") == "true"
                and k not in {key(f) for f in now if f["confidence"] in DEFAULT}]
        print(f"\ntrue findings of the before-sample missing now at default confidence: "
              f"{len(lost)}")
        for k in sorted(lost):
            print(f"  {k}")
    print("\n## Precision on the labelled sample" + (", after" if before else "") + "\n")
    precision_table(now, labels, args.per_rule, args.seed)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scan")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--cache-dir", type=Path, default=Path("/tmp/i11-scan-cache"))
    s.add_argument("--jobs", type=int)
    s.add_argument("--tree", default="6.1", help="the Debian tree: 6.1 or 6.12")
    for name in ("sample", "report"):
        q = sub.add_parser(name)
        q.add_argument("scan")
        q.add_argument("--tree", default="6.1", help="the Debian tree: 6.1 or 6.12")
        q.add_argument("--default", action="store_true",
                       help="only what the default output shows, judged on the tree")
        q.add_argument("--per-rule", type=int, default=12)
        q.add_argument("--seed", type=int, default=11)
        if name == "sample":
            q.add_argument("--unlabelled", action="store_true")
        else:
            q.add_argument("--before")
    args = p.parse_args(argv)
    if args.cmd == "scan":
        data = run_scan(args.out, args.cache_dir, args.jobs, args.tree)
        print(f"{len(data['findings'])} findings, stats {data['stats']}, "
              f"judged on {data.get('judged_on')}")
        print_counts(data["findings"])
        print()
        print_severities(data["findings"])
    elif args.cmd == "sample":
        cmd_sample(args)
    else:
        cmd_report(args)


if __name__ == "__main__":
    main()
