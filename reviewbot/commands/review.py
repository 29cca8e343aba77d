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
    from reviewbot.limits import limits_of
    from reviewbot.pipeline import review_series
    from reviewbot.render import as_json, as_text
    from reviewbot.settings import load_settings

    settings = load_settings(args.config)
    limits = limits_of(settings)
    tree = args.tree or settings.tree
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
            deadline=limits.http_deadline,
            max_body=limits.http_body_bytes,
        ),
        limits=limits,
    )
    series = load_series(args.source, options)
    review = review_series(series, tree=tree, cache_dir=settings.cache_dir / "scan")
    if args.outbox:
        review = _drafts(args, settings, review)
    elif args.send or args.dry_run:
        raise UsageError("--send and --dry-run need --outbox DIR (drafts are sent from there)")
    if args.format == "json":
        for note in series.notes:
            logger.warning("%s: %s", args.source, note)
        sys.stdout.write(as_json.dumps(as_json.review_dict(review)))
    else:
        sys.stdout.write(as_text.render_review(review))
    return 0


def _drafts(args: argparse.Namespace, settings, review):
    """Compose and write reply drafts into --outbox; send them with --send."""
    import dataclasses
    import shlex

    from reviewbot.outbox import write_outbox
    from reviewbot.render.reply import compose_drafts
    from reviewbot.settings import reply_settings, smtp_settings

    words = ["reviewbot", "review"]
    for flag, value in (
        ("--lore-url", args.lore_url),
        ("--tree", args.tree),
        ("--revision", args.revision),
    ):
        if value is not None:
            words += [flag, str(value)]
    command = shlex.join([*words, args.source])  # what reproduces this review
    drafts = compose_drafts(review, reply_settings(settings), command, always=args.always)
    review = dataclasses.replace(review, drafts=write_outbox(drafts, args.outbox))
    if args.send or args.dry_run:
        from reviewbot.smtp_send import send_drafts

        names = {Path(d.path).name for d in review.drafts}
        for r in send_drafts(args.outbox, smtp_settings(settings), args.dry_run, only=names):
            sys.stderr.write(f"{r.status}: {r.path.name} to {', '.join(r.recipients)}\n")
    return review
