"""``reviewbot review SOURCE``: one series in, findings and drafts out."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

HELP = "review a series: message-id, lore URL, mbox, maildir, -, or git range"

logger = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="SOURCE")
    p.add_argument("--lore-url", metavar="URL", help="public-inbox base (default: lore.url)")
    p.add_argument("--tree", type=Path, metavar="PATH", help="kernel tree to apply the series to")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--outbox", type=Path, metavar="DIR", help="write reply drafts here")
    p.add_argument("--revision", type=int, metavar="N", help="review vN instead of the latest")
    p.add_argument("--no-cache", action="store_true", help="do not use the lore download cache")
    p.add_argument("--always", action="store_true", help="draft a reply for clean patches too")
    p.add_argument("--send", action="store_true", help="send the drafts by SMTP (config [smtp])")
    p.add_argument("--dry-run", action="store_true", help="show what --send would send")


def run(args: argparse.Namespace) -> int:
    from reviewbot.errors import UsageError
    from reviewbot.intake import IntakeOptions, LorePolicy, load_series
    from reviewbot.pipeline import review_series
    from reviewbot.render import as_json, as_text
    from reviewbot.settings import load_settings

    settings = load_settings(args.config)
    tree = args.tree or settings.tree
    replies = None
    if args.outbox:
        from reviewbot.outbox import sender_settings
        from reviewbot.settings import reply_settings

        # Before minutes of review: drafts nobody can send are not worth making.
        replies = sender_settings(reply_settings(settings), tree)
    options = IntakeOptions(
        lore_url=args.lore_url or settings.lore_url,
        revision=args.revision,
        repo=tree,
        lore=LorePolicy(
            attempts=settings.lore_attempts,
            backoff=settings.lore_backoff,
            timeout=settings.lore_timeout,
            cache_dir=settings.cache_dir / "lore",
            nocache=args.no_cache,
        ),
    )
    series = load_series(args.source, options)
    review = review_series(series, tree=tree, cache_dir=settings.cache_dir / "scan")
    if replies is not None:
        review = _drafts(args, settings, replies, review)
    elif args.send or args.dry_run:
        raise UsageError("--send and --dry-run need --outbox DIR (drafts are sent from there)")
    if args.format == "json":
        for note in series.notes:
            logger.warning("%s: %s", args.source, note)
        sys.stdout.write(as_json.dumps(as_json.review_dict(review)))
    else:
        sys.stdout.write(as_text.render_review(review))
    return 0


def _drafts(args: argparse.Namespace, settings, replies, review):
    """Compose and write reply drafts into --outbox; send them with --send."""
    import dataclasses

    from reviewbot.outbox import write_outbox
    from reviewbot.render.reply import compose_drafts, unthreaded_reason
    from reviewbot.settings import smtp_settings

    reason = unthreaded_reason(review.series)
    if reason:
        logger.warning("reviewbot: no reply drafts: %s", reason)
        return review
    drafts = compose_drafts(review, replies, always=args.always)
    series = review.series
    answers = [p.msgid for p in series.patches] + ([series.cover.msgid] if series.cover else [])
    review = dataclasses.replace(review, drafts=write_outbox(drafts, args.outbox, answers))
    if args.send or args.dry_run:
        from reviewbot.smtp_send import send_drafts

        names = {Path(d.path).name for d in review.drafts}
        for r in send_drafts(args.outbox, smtp_settings(settings), args.dry_run, only=names):
            sys.stderr.write(f"{r.status}: {r.path.name} to {', '.join(r.recipients)}\n")
    return review
