"""``reviewbot watch --config FILE [--once | --status]``: follow lore, review each revision once.

The daemon polls each subscription, reviews every new series revision
once (when complete, or when its grace period ends) and files reply drafts
in the outbox; SIGTERM stops it after the review in progress.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

HELP = "follow lore lists and searches, review each new series revision once"

DESCRIPTION = """
Follow public-inbox inboxes (lore lists) and lore searches, review every new
series revision exactly once and file the reply drafts in the outbox. Without
--once or --status it runs until SIGTERM, which stops it after the review in
progress. --status works before the first poll and while the daemon runs.
"""

EXAMPLES = (
    "reviewbot watch --config config/watch.example.toml --status",
    "reviewbot watch --config /etc/reviewbot/watch.toml --once",
    "reviewbot watch --config /etc/reviewbot/watch.toml",
)

logger = logging.getLogger(__name__)

# Test hook: REVIEWBOT_WATCH_TEST_PAUSE=STAGE[:SECONDS] (planned, written or
# renamed) makes the watcher wait at that point of a review (an hour unless
# SECONDS says), so a test can kill it there. Never set it in production.
PAUSE_ENV = "REVIEWBOT_WATCH_TEST_PAUSE"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        dest="watch_config",
        type=Path,
        metavar="FILE",
        help="watch configuration (TOML with [watch]; may also hold [reply], [smtp], ...)",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one cycle (poll all, review), then exit")
    mode.add_argument("--status", action="store_true", help="show subscriptions and series, exit")


def _pause_hook():
    value = os.environ.get(PAUSE_ENV)
    if not value:
        return None
    stage, _, seconds = value.partition(":")

    def pause(at: str) -> None:
        if at == stage:
            print(f"reviewbot watch: test pause at {at}", file=sys.stderr, flush=True)
            time.sleep(float(seconds or 3600))

    return pause


def run(args: argparse.Namespace) -> int:
    from reviewbot.errors import UsageError
    from reviewbot.settings import load_settings
    from reviewbot.watch.config import load_watch_config

    path = args.watch_config or args.config
    if path is None:
        raise UsageError("watch needs --config FILE (see config/watch.example.toml)")
    config = load_watch_config(path)
    settings = load_settings(path)
    from reviewbot.settings import reply_settings

    replies = reply_settings(settings)
    if args.status:
        from reviewbot.render.terminal import visible
        from reviewbot.watch.service import state_path
        from reviewbot.watch.state import open_state
        from reviewbot.watch.status import status_text

        if not state_path(config).exists():
            sys.stdout.write(
                visible(status_text(config, None, default_tree=settings.tree, replies=replies))
            )
            return 0
        state = open_state(state_path(config))
        try:
            sys.stdout.write(
                visible(status_text(config, state, default_tree=settings.tree, replies=replies))
            )
        finally:
            state.close()
        return 0

    from reviewbot.watch.service import Watcher
    from reviewbot.watch.status import sender_problems, subscription_problems

    # Drafts git send-email cannot send are not worth hours of watching:
    # refuse now, naming the file and the key (reply.from) to set.
    missing = sender_problems(config, settings.tree, replies)
    if missing:
        raise UsageError("\n".join(missing))

    for sub in config.subscriptions:  # said at start, not after hours of failed reviews
        for problem in subscription_problems(sub, settings.tree):
            logger.warning("%s: subscription %s: %s", path, sub.name, problem)
    stop = threading.Event()

    def on_signal(signum, _frame) -> None:
        logger.info("%s: stopping after the work in progress", signal.Signals(signum).name)
        stop.set()

    saved = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        from reviewbot.progress import progress_wanted

        with Watcher(
            config, settings, stop=stop, pause=_pause_hook(), show_progress=progress_wanted(args)
        ) as watcher:
            if args.once:
                report = watcher.cycle(all_subscriptions=True)
                return 3 if report.poll_errors else 0
            watcher.run_forever()
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    return 0
