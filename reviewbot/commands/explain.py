"""``reviewbot explain RULE``: the rule's own documentation; ``--list`` for all rules."""

from __future__ import annotations

import argparse
import sys

from reviewbot.errors import UsageError

HELP = "what a rule means, why it matters and how to fix it"

DESCRIPTION = """
Print a rule's own documentation: what it finds, why it matters on
non-coherent machines, how to fix it. Rule ids are those in brackets at the
end of each finding.
"""

EXAMPLES = ("reviewbot explain dma-stack", "reviewbot explain minalign-definition")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("rule", metavar="RULE", nargs="?", help="a rule id, such as dma-stack")
    p.add_argument("--list", action="store_true",
                   help="list every rule id with its severity and one-line summary")


def run(args: argparse.Namespace) -> int:
    from reviewbot.analysis import explain, summary_list
    from reviewbot.commands._common import wrap_for_terminal

    if args.list:
        if args.rule:
            raise UsageError("explain: give RULE or --list, not both")
        sys.stdout.write(summary_list())
        return 0
    if not args.rule:
        raise UsageError("explain: name a RULE (reviewbot explain --list shows them)")
    sys.stdout.write(wrap_for_terminal(explain(args.rule).rstrip("\n") + "\n"))
    return 0
