"""Command line: parse arguments, wire stages, print, return an exit status.

Only this module prints or exits. Commands import their stages lazily so
``--help`` stays fast. Exit status (design.md): 0 done and nothing at or
above the threshold, 1 findings at or above it, 2 usage or input error,
3 network failure after retries; 4 an internal error (a bug: please report).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from reviewbot import __version__

logger = logging.getLogger("reviewbot")

EXIT_INTERNAL = 4


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reviewbot", description="Review kernel patch series for DMA-alignment hazards."
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {__version__}")
    parser.add_argument("--config", type=Path, metavar="FILE", help="settings file (TOML)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs and tracebacks")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    review = sub.add_parser(
        "review", help="review a series: message-id, lore URL, mbox, maildir, -, or git range"
    )
    review.add_argument("source", metavar="SOURCE")
    review.add_argument(
        "--lore-url", metavar="URL", help="public-inbox base (default: config lore.url)"
    )
    review.add_argument(
        "--tree", type=Path, metavar="PATH", help="kernel tree to apply the series to"
    )
    review.add_argument("--format", choices=("text", "json"), default="text")
    review.add_argument("--outbox", type=Path, metavar="DIR", help="write reply drafts here")
    review.add_argument("--revision", type=int, metavar="N", help="review vN instead of the latest")
    review.add_argument(
        "--no-cache", action="store_true", help="do not use the lore download cache"
    )
    review.set_defaults(func=cmd_review)

    for name, what in (
        ("check", "CI check of a git range or patch files (planned)"),
        ("scan", "tree-wide list of affected drivers (planned)"),
        ("watch", "follow lore lists and searches (planned)"),
    ):
        planned = sub.add_parser(name, help=what)
        planned.add_argument("args", nargs="*")
        planned.set_defaults(func=cmd_planned)

    explain = sub.add_parser("explain", help="what a rule means and how to fix it")
    explain.add_argument("rule", metavar="RULE")
    explain.set_defaults(func=cmd_explain)
    return parser


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(levelname)s: %(message)s" if args.verbose else "%(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # b4 and liblore narrate their own progress and errors; we report ours.
    for name in ("b4", "liblore"):
        logging.getLogger(name).setLevel(logging.DEBUG if args.verbose else logging.CRITICAL + 1)


def cmd_review(args: argparse.Namespace) -> int:
    from reviewbot.intake import IntakeOptions, LorePolicy, load_series
    from reviewbot.pipeline import review_series
    from reviewbot.render import as_json, as_text
    from reviewbot.settings import load_settings

    settings = load_settings(args.config)
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
        ),
    )
    series = load_series(args.source, options)
    for note in series.notes:
        logger.warning("%s: %s", args.source, note)
    review = review_series(series)
    if args.format == "json":
        sys.stdout.write(as_json.dumps(as_json.review_dict(review)))
    else:
        sys.stdout.write(as_text.render_review(review))
    return 0


def cmd_planned(args: argparse.Namespace) -> int:
    print(f"reviewbot {args.command}: not built yet (planned; see README)", file=sys.stderr)
    return 2


def cmd_explain(args: argparse.Namespace) -> int:
    from reviewbot.analysis import explain

    sys.stdout.write(explain(args.rule).rstrip("\n") + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args)
    from reviewbot.errors import ReviewbotError

    try:
        return int(args.func(args))
    except ReviewbotError as exc:
        if args.verbose:
            logger.exception("traceback:")
        print(f"reviewbot: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("reviewbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if args.verbose:
            logger.exception("traceback:")
        what = getattr(args, "source", None) or args.command
        print(
            f"reviewbot: internal error on {what}: {type(exc).__name__}: {exc} "
            "(run with -v for a traceback; please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
