"""``reviewbot scan``: planned, not built yet (see README)."""

from __future__ import annotations

import argparse
import sys

HELP = "tree-wide list of affected drivers (planned)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("args", nargs="*")


def run(args: argparse.Namespace) -> int:
    print("reviewbot scan: not built yet (planned; see README)", file=sys.stderr)
    return 2
