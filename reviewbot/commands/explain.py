"""``reviewbot explain RULE``: the rule's own documentation."""

from __future__ import annotations

import argparse
import sys

HELP = "what a rule means, why it matters and how to fix it"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("rule", metavar="RULE")


def run(args: argparse.Namespace) -> int:
    from reviewbot.analysis import explain

    sys.stdout.write(explain(args.rule).rstrip("\n") + "\n")
    return 0
