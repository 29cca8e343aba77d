"""``reviewbot watch``: planned, not built yet (see README)."""

from __future__ import annotations

import argparse
import sys

HELP = "follow lore lists and searches, review each series once (planned)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("args", nargs="*")


def run(args: argparse.Namespace) -> int:
    print("reviewbot watch: not built yet (planned; see README)", file=sys.stderr)
    return 2
