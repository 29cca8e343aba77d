"""``reviewbot profile TREE``: the DMA facts a kernel tree states, as reviewbot reads them.

A debugging aid: what the tree profile (analysis/facts/profile.py) holds for a
tree, each fact with the file and line that states it, or a shipped profile
(``--assume 6.1``) that a review without a tree uses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reviewbot.errors import UsageError

HELP = "print the DMA facts of a kernel tree (its tree profile)"

DESCRIPTION = """
Print the tree profile of a kernel tree: per architecture ARCH_DMA_MINALIGN,
ARCH_KMALLOC_MINALIGN and L1_CACHE_BYTES and the configurations they depend
on, whether it can do non-coherent DMA and bounces small kmalloc buffers, how
kmalloc's alignment is decided, what dma_kmalloc_needs_bounce() checks, and
the other facts findings are judged against, each with the file and line
that states it. A fact the tree does not state is printed as unknown.
--assume NAME prints a profile shipped with reviewbot instead (mainline: the
newest).
"""

EXAMPLES = (
    "reviewbot profile ~/linux",
    "reviewbot profile --format json ~/linux",
    "reviewbot profile --assume 6.1",
)

FORMATS = ("text", "json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("tree", metavar="TREE", nargs="?", type=Path, help="a kernel tree")
    # the names are checked when loading (a wrong one lists them): listing them here
    # would load the profile module on every start of reviewbot
    p.add_argument("--assume", metavar="NAME",
                   help="print a shipped profile (6.1, 6.12, mainline) instead of reading a tree")
    p.add_argument("--format", choices=FORMATS, default="text", help="text (default) or json")


def run(args: argparse.Namespace) -> int:
    from reviewbot.analysis.facts.profile import read_tree_profile
    from reviewbot.analysis.facts.profile_store import load_profile, render_text, to_json
    from reviewbot.kerneltree import check_kernel_tree

    if (args.tree is None) == (args.assume is None):
        raise UsageError("profile: give TREE or --assume NAME (one of them)")
    if args.assume:
        profile = load_profile(args.assume)
    else:
        profile = read_tree_profile(check_kernel_tree(args.tree, "TREE"))
    sys.stdout.write(to_json(profile) if args.format == "json" else render_text(profile))
    return 0
