"""``reviewbot review SOURCE``: one series in, findings and drafts out."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

HELP = "review a series: message-id, lore URL, mbox, maildir, -, or git range"

DESCRIPTION = """
Review one patch series for DMA-alignment hazards: what the series introduces,
apart from what was already there, and the drivers a change of a
minimum-alignment macro affects.

SOURCE is a message-id (any patch of the series or its cover letter), a lore or
public-inbox URL, an mbox, a single message, a maildir, - for standard input,
or a git range A..B. With a kernel tree (--tree, config tree.path, or the
kernel tree the current directory is in, whatever the source) the series is
applied in a scratch folder, at its base-commit when the tree has it, and
whole functions are analysed; the tree is never written. --no-tree reviews
the patches alone.
"""

EXAMPLES = (
    "reviewbot review --tree examples/tree examples/series.mbox",
    "reviewbot review --outbox drafts 20261102-acme-dma-v1-3@example.org",
    "b4 mbox -o - MSGID | reviewbot review -",
    "reviewbot review --tree ~/linux --format json origin/master..HEAD",
)

logger = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from reviewbot.commands._common import add_cache_arguments, add_intake_arguments

    p.add_argument(
        "source",
        metavar="SOURCE",
        help="message-id, lore URL, mbox, single message, maildir, - (stdin) or git range A..B",
    )
    add_intake_arguments(p)
    p.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        metavar="{text,json}",
        help="output format (default: text)",
    )
    p.add_argument("--outbox", type=Path, metavar="DIR", help="write reply drafts here")
    add_cache_arguments(p, no_cache=False)
    p.add_argument("--always", action="store_true", help="draft a reply for clean patches too")
    p.add_argument("--send", action="store_true", help="send the drafts by SMTP (config [smtp])")
    p.add_argument("--dry-run", action="store_true", help="show what --send would send")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from reviewbot.commands._common import (
        ScanProgress,
        classify_sources,
        hide_dormant,
        intake_options,
        local_base,
        progress_wanted,
        scan_cache_dir,
    )
    from reviewbot.errors import UsageError
    from reviewbot.intake import load_series
    from reviewbot.kerneltree import choose_tree
    from reviewbot.limits import limits_of
    from reviewbot.pipeline import review_series
    from reviewbot.render import as_json, as_text
    from reviewbot.settings import load_settings

    if (args.send or args.dry_run) and not args.outbox:
        raise UsageError("--send and --dry-run need --outbox DIR (drafts are sent from there)")
    settings = load_settings(args.config)
    limits = limits_of(settings)
    kinds = classify_sources([args.source], args.tree or settings.tree)
    choice = choose_tree(args.tree, settings.tree, no_tree=args.no_tree)
    tree = choice.path
    replies = None
    if args.outbox:
        from reviewbot.outbox import sender_settings
        from reviewbot.settings import reply_settings

        # Before minutes of review: drafts nobody can send are not worth making.
        replies = sender_settings(reply_settings(settings), tree)
    options = intake_options(settings, limits, tree, args)
    series = load_series(args.source, options)
    if kinds == {"path"}:  # format-patch files made in this tree: their base, as for a range
        series = local_base(series, [args.source], tree)
    with ScanProgress(progress_wanted(args), "finding the affected drivers") as progress:
        review = review_series(
            series, tree=tree, cache_dir=scan_cache_dir(args, settings), progress=progress,
            parse_work=limits.parse_work, assume=args.assume,
        )
    shown = review if args.all else hide_dormant(review)
    if replies is not None:
        # drafts answer what bites on the tree (or breaks a contract), never a what-if
        shown = _drafts(args, settings, replies, shown)
        review = replace(review, drafts=shown.drafts)
    if args.format == "json":
        for note in series.notes:
            logger.warning("%s: %s", args.source, note)
        logger.info("reviewbot: tree %s", choice.describe())
        sys.stdout.write(as_json.dumps(as_json.review_dict(review)))
    elif args.format == "markdown":
        from reviewbot.render.impact_report import review_markdown

        logger.info("reviewbot: tree %s", choice.describe())
        sys.stdout.write(review_markdown(review))
    else:
        sys.stdout.write(as_text.render_review(shown, tree=choice.describe()))
    return 0


def _drafts(args: argparse.Namespace, settings, replies, review):
    """Compose and write reply drafts into --outbox; send them with --send."""
    import dataclasses

    from reviewbot.outbox import write_outbox
    from reviewbot.render.impact_report import attachments
    from reviewbot.render.reply import compose_drafts, unthreaded_reason
    from reviewbot.settings import smtp_settings

    reason = unthreaded_reason(review.series)
    if reason:
        logger.warning("reviewbot: no reply drafts: %s", reason)
        return review
    drafts = compose_drafts(review, replies, always=args.always)
    series = review.series
    answers = [p.msgid for p in series.patches] + ([series.cover.msgid] if series.cover else [])
    review = dataclasses.replace(review, drafts=write_outbox(drafts, args.outbox, answers,
                                                             attachments(review)))
    if args.send or args.dry_run:
        from reviewbot.smtp_send import send_drafts

        names = {Path(d.path).name for d in review.drafts}
        for r in send_drafts(args.outbox, smtp_settings(settings), args.dry_run, only=names):
            sys.stderr.write(f"{r.status}: {r.path.name} to {', '.join(r.recipients)}\n")
    return review
