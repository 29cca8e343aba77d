"""``reviewbot explain RULE``: the rule's own documentation; ``--list`` for all rules."""

from __future__ import annotations

import argparse
import sys

from reviewbot.errors import UsageError

HELP = "what a rule means, why it matters and how to fix it"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("rule", metavar="RULE", nargs="?")
    p.add_argument("--list", action="store_true",
                   help="list every rule id with its severity and one-line summary")


def run(args: argparse.Namespace) -> int:
    from reviewbot.analysis import explain, summary_list

    if args.list:
        if args.rule:
            raise UsageError("explain: give RULE or --list, not both")
        sys.stdout.write(summary_list())
        return 0
    if not args.rule:
        raise UsageError("explain: name a RULE (reviewbot explain --list shows them)")
    sys.stdout.write(explain(args.rule).rstrip("\n") + "\n")
    return 0
