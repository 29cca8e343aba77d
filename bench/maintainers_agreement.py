#!/usr/bin/env python3
"""Who reviewbot names for a driver, beside what scripts/get_maintainer.pl names.

Takes N seeded-random C files under drivers/ of the real 6.1 tree and asks
both: the tree's own ``scripts/get_maintainer.pl --nogit --nogit-fallback
--norolestats -f FILE`` (run with the tree as its working folder; it only
reads) and reviewbot's MAINTAINERS matching (``Maintainers.responsible``,
what the affected-driver tables and ``scan`` print: patterns, not K:
keywords). Compares the people (M: and R:) and the lists, and prints the
agreement and every difference, then the agreement with K: keywords
matched on the file's text as get_maintainer.pl -f does.

``linux-kernel@vger.kernel.org`` (THE REST, which covers every file) is left
out of both list sets: get_maintainer.pl names it for every file, reviewbot
leaves it out of per-driver tables on purpose.

Usage: bench/maintainers_agreement.py [--count 100] [--seed 25] [--tree DIR]
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from kernel_tree import kernel_tree  # noqa: E402

CATCH_ALL_LIST = "linux-kernel@vger.kernel.org"
_ADDRESS = re.compile(r"<([^>]+)>|(\S+@\S+)")


def address(entry: str) -> str:
    m = _ADDRESS.search(entry)
    return (m.group(1) or m.group(2)).lower() if m else entry.lower()


def get_maintainer(tree: Path, path: str, all_lists: set[str]) -> tuple[set[str], set[str]]:
    """(people, lists) as get_maintainer.pl prints them, by address.

    A list is an address some section names in L:; anything else is a person
    (a maintainer without a name is printed as a bare address too).
    """
    proc = subprocess.run(
        ["perl", "scripts/get_maintainer.pl", "--nogit", "--nogit-fallback", "--norolestats",
         "-f", path],
        cwd=tree, capture_output=True, text=True, check=True,
    )
    people, lists = set(), set()
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        (lists if address(line) in all_lists and "<" not in line else people).add(address(line))
    return people, lists - {CATCH_ALL_LIST}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=25)
    ap.add_argument("--tree", type=Path)
    args = ap.parse_args()
    from reviewbot.impact.maintainers import Maintainers, parse_mailmap, parse_maintainers

    tree = args.tree or kernel_tree()
    files = sorted(
        str(p.relative_to(tree)) for p in (tree / "drivers").rglob("*.c") if p.is_file()
    )
    sample = random.Random(args.seed).sample(files, args.count)
    sections = parse_maintainers((tree / "MAINTAINERS").read_text(errors="replace"))
    all_lists = {address(x) for s in sections for x in s.lists}
    mailmap = parse_mailmap((tree / ".mailmap").read_text(errors="replace"))
    # as the affected-driver tables match (no K: keywords), and as get_maintainer.pl -f
    # does (K: regexes on the file's text too)
    index = Maintainers(sections, lambda p: (tree / p).is_dir(), None, mailmap)
    keywords = Maintainers(
        sections,
        lambda p: (tree / p).is_dir(),
        lambda p: (tree / p).read_text(errors="replace"),
        mailmap,
    )
    same_people = same_lists = same_both = with_keywords = 0
    differences = []
    for path in sample:
        want_people, want_lists = get_maintainer(tree, path, all_lists)
        k = keywords.responsible(path)
        with_keywords += (
            {address(p) for p in (*k.maintainers, *k.reviewers)} == want_people
            and {address(x) for x in k.lists} - {CATCH_ALL_LIST} == want_lists
        )
        r = index.responsible(path)
        have_people = {address(p) for p in (*r.maintainers, *r.reviewers)}
        have_lists = {address(x) for x in r.lists} - {CATCH_ALL_LIST}
        ok_people, ok_lists = have_people == want_people, have_lists == want_lists
        same_people += ok_people
        same_lists += ok_lists
        same_both += ok_people and ok_lists
        if not (ok_people and ok_lists):
            differences.append(
                f"  {path} ({r.section.title if r.section else 'no section'})\n"
                + (f"    people only get_maintainer.pl: {sorted(want_people - have_people)}\n"
                   f"    people only reviewbot:         {sorted(have_people - want_people)}\n"
                   if not ok_people else "")
                + (f"    lists only get_maintainer.pl:  {sorted(want_lists - have_lists)}\n"
                   f"    lists only reviewbot:          {sorted(have_lists - want_lists)}\n"
                   if not ok_lists else "")
            )
    n = len(sample)
    print(f"{n} files under drivers/ of {tree} (seed {args.seed}):")
    print(f"  same people (M:, R:):   {same_people}/{n}")
    print(f"  same lists (but LKML):  {same_lists}/{n}")
    print(f"  same people and lists:  {same_both}/{n}")
    print(f"  the same with K: keywords matched on the file's text: {with_keywords}/{n}")
    if differences:
        print("differences:")
        print("".join(differences), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
