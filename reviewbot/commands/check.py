"""``reviewbot check``: a CI gate on a git range, patch files, an mbox or stdin.

Exit 0 when nothing the series introduced reaches ``--fail-on``, 1 when
something does or when a touched file could not be analysed (the gate
fails closed), 2 on a usage or input error, 3 on a network failure.
Pre-existing hazards are reported but never fail the check. ``--format b4``
speaks b4's review check protocol (one message on stdin, a JSON list out),
so the check appears inside ``b4 review``.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewbot.intake import IntakeOptions
    from reviewbot.model import Finding, Review, Series, Severity

HELP = "CI check of a git range, patch files or an mbox (text, json, sarif, github, b4, checkpatch)"

DESCRIPTION = """
The same review as a gate for CI, git hooks and b4 review. SOURCE is a git
range (A..B), several git format-patch files (one series, in the order given),
an mbox, - for standard input, or a message-id or lore URL (fetched from
--lore-url or lore.url, as review fetches it). The tree is --tree, else config
tree.path, else the kernel tree the current directory is in (--no-tree: none).

Exit status: 0 when nothing the series introduced reaches --fail-on, 1 when
something does, 2 on a usage or input error, 3 on a network failure.
Hazards that were already there are reported but never fail the check.
--format b4 speaks b4's review check protocol (one message on standard input,
a JSON list out); --format checkpatch prints what checkpatch.pl --terse
--mailback would, for b4 am/shazam and b4 prep --check.
"""

EXAMPLES = (
    "reviewbot check origin/master..HEAD",
    "reviewbot check --format sarif base..HEAD > reviewbot.sarif",
    "reviewbot check --tree ~/linux outgoing/*.patch",
    'git config b4.review-perpatch-check-cmd "reviewbot check --format b4"',
    'git config b4.am-perpatch-check-cmd "reviewbot check --format checkpatch"',
)

FORMATS = ("text", "json", "sarif", "github", "b4", "checkpatch")
LEVELS = ("error", "warning", "info")

logger = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from reviewbot.commands._common import add_cache_arguments, add_intake_arguments

    p.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="git range (A..B), patch files (one series, in order), an mbox, -, or a "
        "message-id or lore URL (default for --format b4: -)",
    )
    add_intake_arguments(p)
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
    add_cache_arguments(p, no_cache=False)


def run(args: argparse.Namespace) -> int:
    if args.format != "checkpatch":
        return _run(args)
    # b4 takes every stderr line of a checkpatch-style command for a failure:
    # only errors may go there (progress and notes such as "patch 1 does not
    # apply" would each fail the patch).
    root = logging.getLogger("reviewbot")
    level = root.level
    root.setLevel(max(logging.ERROR, level))
    try:
        return _run(args)
    finally:
        root.setLevel(level)


def _run(args: argparse.Namespace) -> int:
    from reviewbot.baseline import blocking, load_baseline, split_by_baseline, write_baseline
    from reviewbot.commands._common import (
        ScanProgress,
        classify_sources,
        hide_dormant,
        intake_options,
        progress_wanted,
        scan_cache_dir,
    )
    from reviewbot.errors import InputError, UsageError
    from reviewbot.kerneltree import choose_tree
    from reviewbot.model import Severity
    from reviewbot.pipeline import review_series
    from reviewbot.render import b4check
    from reviewbot.render.as_text import hunks_only_text
    from reviewbot.settings import load_settings

    on_stdin = args.format in ("b4", "checkpatch")  # what b4 feeds its check commands
    sources: list[str] = list(args.sources) or (["-"] if on_stdin else [])
    if not sources:
        raise UsageError("check: give a git range, patch files, an mbox or - (see --help)")
    if args.format == "b4" and sources != ["-"]:
        raise UsageError("check --format b4 reads one message on standard input (SOURCE: -)")
    fail_on = Severity(args.fail_on)
    settings = load_settings(args.config)
    classify_sources(sources, args.tree or settings.tree)  # a lone commit: say which range
    choice = choose_tree(args.tree, settings.tree, no_tree=args.no_tree)
    # Read the baseline first: a bad file should fail before minutes of analysis.
    known = load_baseline(args.baseline) if args.baseline else None

    from reviewbot.intake.mail import read_input
    from reviewbot.limits import limits_of

    limits = limits_of(settings)
    stdin_data = (
        read_input(sys.stdin.buffer, "<stdin>", limits.input_bytes) if "-" in sources else None
    )
    tracking = None
    if args.format == "b4":
        from reviewbot.b4tracking import tracking_from_env

        tracking = tracking_from_env(os.environ)
    cache_dir = scan_cache_dir(args, settings)
    try:
        options = intake_options(settings, limits, choice.path, args)
        series = _load(sources, choice.path, stdin_data, options)
    except InputError as exc:
        if not (on_stdin and stdin_data is not None):
            raise
        reason = _mail_without_patch(stdin_data or b"", exc)
        if args.format == "b4":
            review = _b4_series_review(choice.path, cache_dir, tracking, stdin_data or b"",
                                       args.assume)
            if review is not None:
                sys.stdout.write(b4check.dumps(b4check.series_results(review)))
            else:
                sys.stdout.write(b4check.dumps(b4check.not_a_patch(reason)))
        # checkpatch format: a mail with no patch has nothing to report (no output)
        return 0
    if tracking is not None and tracking.base_commit and not series.base_commit:
        # A patch mail does not say its base; b4's tracking data does.
        series = replace(series, base_commit=tracking.base_commit)

    review = _in_tracked_series(choice.path, cache_dir, tracking, series, args.assume)
    if review is None:
        with ScanProgress(progress_wanted(args), "finding the affected drivers") as progress:
            review = review_series(
                series,
                tree=choice.path,
                cache_dir=cache_dir,
                progress=progress,
                parse_work=limits.parse_work,
                assume=args.assume,
            )
    # b4 takes every stderr line of a checkpatch-style command for a failure.
    say = logger.debug if args.format == "checkpatch" else logger.info
    if args.format not in ("text", "b4"):
        say("reviewbot: tree %s", choice.describe())
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
    # what does not bite on the tree judged is shown on request; JSON always has it
    shown = review if args.all or args.format == "json" else hide_dormant(review)
    if args.format == "checkpatch":
        from reviewbot.render.checkpatch import render_checkpatch

        sys.stdout.write(render_checkpatch(shown, _input_text(sources, stdin_data)))
    else:
        sys.stdout.write(
            _render(shown, args.format, fail_on, failing, len(suppressed), choice.describe())
        )
    for index, why in review.hunks_only:
        say("reviewbot: patch %d: %s", index, hunks_only_text(why))
    # Fail closed: a file the analysis could not read is not a pass.
    for u in review.unanalysed:
        logger.error(
            "reviewbot: patch %d: %s was not analysed (%s); the check fails",
            u.patch,
            u.file,
            u.reason,
        )
    say(
        "reviewbot: %d finding(s), %d introduced at or above %s",
        len(review.findings),
        len(failing),
        fail_on.value,
    )
    if args.write_baseline and not review.unanalysed:
        return 0
    return 1 if failing or review.unanalysed or reads_less(review, fail_on) else 0


def reads_less(review: Review, fail_on: Severity) -> bool:
    """Whether patches read from their hunks only fail the check.

    Such a patch counts as a warning (issue 25): it fails the check at
    --fail-on warning or info, and every format says "hunks only" whatever
    the threshold, so a gate that read less never passes quietly.
    """
    from reviewbot.model import Severity

    return bool(review.hunks_only) and fail_on.rank <= Severity.WARNING.rank


def _load(
    sources: list[str], tree: Path | None, stdin_data: bytes | None, options: IntakeOptions
) -> Series:
    """One Series from the sources; a git range is read in the tree, else the current repo."""
    from reviewbot.commands._common import local_base
    from reviewbot.intake import load_files, load_series

    options = replace(options, repo=tree or Path.cwd())
    if len(sources) == 1:
        stdin = io.BytesIO(stdin_data) if stdin_data is not None else None
        series = load_series(sources[0], options, stdin=stdin)
    else:  # several files (git format-patch output): one series, in the order given
        series = load_files(sources, options)
    return local_base(series, sources, tree, stdin_data)


def _tracked_series(tree: Path | None, tracking) -> Series | None:
    """The series b4 is reviewing, from the thread blob it keeps in the repository."""
    from reviewbot.b4tracking import thread_mbox
    from reviewbot.errors import InputError
    from reviewbot.intake import IntakeOptions, load_series

    if tracking is None or not tracking.thread_blob:
        return None
    repo = tree or Path.cwd()
    mbox = thread_mbox(repo, tracking.thread_blob)
    if mbox is None:
        return None
    try:
        series = load_series("-", IntakeOptions(repo=repo), stdin=io.BytesIO(mbox))
    except InputError as exc:
        logger.warning("b4's thread blob %s: %s", tracking.thread_blob[:12], exc)
        return None
    if tracking.base_commit and not series.base_commit:
        series = replace(series, base_commit=tracking.base_commit)
    return series


def _in_tracked_series(
    tree: Path | None, cache_dir: Path | None, tracking, one: Series,
    assume: Sequence[str] = (),
) -> Review | None:
    """One patch reviewed inside its series (earlier patches applied first), for b4 review.

    b4 runs the per-patch check on each patch alone; patch 3 of 5 applied
    to the bare base may not apply, and a problem patch 4 fixes is not one
    to fail patch 3 for. With b4's thread at hand the series is reviewed
    whole and only this patch's findings are kept. None: no thread, or the
    patch is not in it.
    """
    from reviewbot.pipeline import review_series

    if len(one.patches) != 1:
        return None
    whole = _tracked_series(tree, tracking)
    if whole is None:
        return None
    mine = next((p for p in whole.patches if p.msgid == one.patches[0].msgid), None)
    if mine is None:
        return None
    review = review_series(whole, tree=tree, cache_dir=cache_dir, assume=assume)
    return replace(
        review,
        findings=tuple(f for f in review.findings if f.patch == mine.index),
        patch_status=tuple(s for s in review.patch_status if s.index == mine.index),
    )


def _b4_series_review(
    tree: Path | None, cache_dir: Path | None, tracking, data: bytes,
    assume: Sequence[str] = (),
) -> Review | None:
    """The whole series, when b4's series-level check hands us its cover letter.

    b4 passes only the cover letter; the thread comes from the blob b4 keeps
    in the repository (``B4_TRACKING_FILE``). None when this is not a cover
    letter or b4 gave no thread.
    """
    from reviewbot.intake.mail import parse_one
    from reviewbot.pipeline import review_series

    try:
        subject = str(parse_one(data).get("Subject", ""))
    except Exception:  # not mail: the caller says so
        return None
    if not re.search(r"\[[^\]]*\b0+/\d+\]", subject):
        return None
    series = _tracked_series(tree, tracking)
    if series is None:
        return None
    return review_series(series, tree=tree, cache_dir=cache_dir, assume=assume)


def _input_text(sources: list[str], stdin_data: bytes | None) -> str | None:
    """The one patch or mbox read, for checkpatch's line numbers (None: a range, several)."""
    if stdin_data is not None:
        return stdin_data.decode("utf-8", errors="replace")
    if len(sources) == 1 and Path(sources[0]).is_file():
        try:
            return Path(sources[0]).read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None
    return None


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
            "failed": bool(failing or review.unanalysed or reads_less(review, fail_on)),
            "failing": [as_json.finding_dict(f) for f in failing],
            "suppressed_by_baseline": suppressed,
            "unanalysed": [
                {"patch": u.patch, "file": u.file, "reason": u.reason} for u in review.unanalysed
            ],
            "hunks_only": [{"patch": i, "reason": why} for i, why in review.hunks_only],
        }
        return as_json.dumps(data)
    if fmt == "sarif":
        return as_json.dumps(sarif.sarif_log(review))
    if fmt == "github":
        return github.render_annotations(review)
    if fmt == "b4":
        return b4check.dumps(b4check.check_results(review, fail_on))
    return as_text.render_review(review, tree=tree)
