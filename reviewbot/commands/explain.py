"""``reviewbot explain RULE``: the rule's own documentation."""

from __future__ import annotations

import argparse
import sys

HELP = "what a rule means, why it matters and how to fix it"

DESCRIPTION = """
Print a rule's own documentation: what it finds, why it matters on
non-coherent machines, how to fix it. Rule ids are those in brackets at the
end of each finding.
"""

EXAMPLES = ("reviewbot explain dma-stack", "reviewbot explain minalign-definition")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("rule", metavar="RULE", help="a rule id, such as dma-stack")


def run(args: argparse.Namespace) -> int:
    from reviewbot.analysis import explain
    from reviewbot.commands._common import wrap_for_terminal

    sys.stdout.write(wrap_for_terminal(explain(args.rule).rstrip("\n") + "\n"))
    return 0
