"""``reviewbot check``: planned, not built yet (see README)."""

from __future__ import annotations

import argparse
import sys

HELP = "CI check of a git range or patch files (planned)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("args", nargs="*")


def run(args: argparse.Namespace) -> int:
    print("reviewbot check: not built yet (planned; see README)", file=sys.stderr)
    return 2
