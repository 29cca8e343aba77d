"""``reviewbot check``: a CI gate on a git range, patch files, an mbox or stdin.

Exit 0 when nothing the series introduced reaches ``--fail-on``, 1 when
something does, 2 on a usage or input error, 3 on a network failure.
Pre-existing hazards are reported but never fail the check. ``--format b4``
speaks b4's review check protocol (one message on stdin, a JSON list out),
so the check appears inside ``b4 review``.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewbot.model import Finding, Review, Series, Severity

HELP = "CI check of a git range, patch files or an mbox (text, json, sarif, github, b4)"

DESCRIPTION = """
The same review as a gate for CI, git hooks and b4 review. SOURCE is a git
range (A..B), several git format-patch files (one series, in the order given),
an mbox, or - for standard input. The tree is --tree, else config tree.path,
else the kernel tree the current directory is in.

Exit status: 0 when nothing the series introduced reaches --fail-on, 1 when
something does, 2 on a usage or input error, 3 on a network failure.
Hazards that were already there are reported but never fail the check.
--format b4 speaks b4's review check protocol (one message on standard input,
a JSON list out).
"""

EXAMPLES = (
    "reviewbot check origin/master..HEAD",
    "reviewbot check --format sarif base..HEAD > reviewbot.sarif",
    "reviewbot check --tree ~/linux outgoing/*.patch",
    'git config b4.review-perpatch-check-cmd "reviewbot check --format b4"',
)

FORMATS = ("text", "json", "sarif", "github", "b4")
LEVELS = ("error", "warning", "info")

logger = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from reviewbot.commands._common import add_cache_arguments

    p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="git range (A..B), patch files (one series, in order), an mbox, or - "
        "(default for --format b4: -)",
    )
    p.add_argument(
        "--tree",
        type=Path,
        metavar="PATH",
        help="kernel tree: where a git range is read, and the base patches are applied to "
        "(default: config tree.path, else the kernel tree the current directory is in)",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="output format (default: text; sarif for code scanning, github for annotations, "
        "b4 for b4 review)",
    )
    p.add_argument(
        "--fail-on",
        choices=LEVELS,
        default="error",
        help="lowest severity of an introduced finding that fails the check (default: error)",
    )
    p.add_argument(
        "--baseline", type=Path, metavar="FILE", help="do not report findings recorded in FILE"
    )
    p.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="record the current findings in FILE (and exit 0: they are accepted)",
    )
    add_cache_arguments(p)


def run(args: argparse.Namespace) -> int:
    from reviewbot.baseline import blocking, load_baseline, split_by_baseline, write_baseline
    from reviewbot.commands._common import (
        ScanProgress,
        classify_sources,
        progress_wanted,
        scan_cache_dir,
    )
    from reviewbot.errors import InputError, UsageError
    from reviewbot.kerneltree import choose_tree
    from reviewbot.model import Severity
    from reviewbot.pipeline import review_series
    from reviewbot.render import b4check
    from reviewbot.settings import load_settings

    sources: list[str] = list(args.sources) or (["-"] if args.format == "b4" else [])
    if not sources:
        raise UsageError("check: give a git range, patch files, an mbox or - (see --help)")
    if args.format == "b4" and sources != ["-"]:
        raise UsageError("check --format b4 reads one message on standard input (SOURCE: -)")
    fail_on = Severity(args.fail_on)
    settings = load_settings(args.config)
    kinds = classify_sources(sources, args.tree or settings.tree)
    choice = choose_tree(args.tree, settings.tree, kinds)
    # Read the baseline first: a bad file should fail before minutes of analysis.
    known = load_baseline(args.baseline) if args.baseline else None

    stdin_data = sys.stdin.buffer.read() if "-" in sources else None
    try:
        series = _load(sources, choice.path, stdin_data)
    except InputError as exc:
        if args.format != "b4":
            raise
        reason = _mail_without_patch(stdin_data or b"", exc)
        sys.stdout.write(b4check.dumps(b4check.not_a_patch(reason)))
        return 0

    with ScanProgress(progress_wanted(args), "finding the affected drivers") as progress:
        review = review_series(
            series, tree=choice.path, cache_dir=scan_cache_dir(args, settings), progress=progress
        )
    if args.format not in ("text", "b4"):
        logger.info("reviewbot: tree %s", choice.describe())
    if args.write_baseline:
        n = write_baseline(args.write_baseline, review.findings)
        logger.info("reviewbot: wrote %d finding(s) to the baseline %s", n, args.write_baseline)
    suppressed: list[Finding] = []
    if known is not None:
        kept, suppressed = split_by_baseline(review.findings, known)
        if suppressed:
            note = f"{len(suppressed)} finding(s) suppressed by the baseline {args.baseline}"
            review = replace(review, findings=tuple(kept), notes=(*review.notes, note))

    failing = blocking(review.findings, fail_on)
    sys.stdout.write(
        _render(review, args.format, fail_on, failing, len(suppressed), choice.describe())
    )
    logger.info(
        "reviewbot: %d finding(s), %d introduced at or above %s",
        len(review.findings),
        len(failing),
        fail_on.value,
    )
    if args.write_baseline:
        return 0
    return 1 if failing else 0


def _load(sources: list[str], tree: Path | None, stdin_data: bytes | None) -> Series:
    """One Series from the sources; a git range is read in the tree, else the current repo."""
    from reviewbot.commands._common import local_base
    from reviewbot.intake import IntakeOptions, load_files, load_series

    options = IntakeOptions(repo=tree or Path.cwd())
    if len(sources) == 1:
        stdin = io.BytesIO(stdin_data) if stdin_data is not None else None
        series = load_series(sources[0], options, stdin=stdin)
    else:  # several files (git format-patch output): one series, in the order given
        series = load_files(sources, options)
    return local_base(series, sources, tree, stdin_data)


def _mail_without_patch(data: bytes, exc: Exception) -> str:
    """Why a readable message gave no series; re-raise if it is not mail at all."""
    from reviewbot.intake.mail import split_bytes

    split_bytes(data, "<stdin>")  # raises InputError for empty, binary or header-less input
    reason = str(exc)
    return reason.removeprefix("<stdin>: ")


def _render(
    review: Review,
    fmt: str,
    fail_on: Severity,
    failing: list[Finding],
    suppressed: int,
    tree: str | None = None,
) -> str:
    from reviewbot.render import as_json, as_text, b4check, github, sarif

    if fmt == "json":
        data: dict[str, Any] = as_json.review_dict(review)
        data["check"] = {
            "fail_on": fail_on.value,
            "failed": bool(failing),
            "failing": [as_json.finding_dict(f) for f in failing],
            "suppressed_by_baseline": suppressed,
        }
        return as_json.dumps(data)
    if fmt == "sarif":
        return as_json.dumps(sarif.sarif_log(review))
    if fmt == "github":
        return github.render_annotations(review)
    if fmt == "b4":
        return b4check.dumps(b4check.check_results(review, fail_on))
    return as_text.render_review(review, tree=tree)
