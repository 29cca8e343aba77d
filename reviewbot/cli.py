"""Command line: parse arguments, wire stages, print, return an exit status.

Only this module prints or exits. Commands import their stages lazily so
``--help`` stays fast. Exit status (docs/architecture.md, docs/usage.md):
0 done and nothing at or above the threshold, 1 findings at or above it,
2 usage or input error, 3 network failure after retries; 4 an internal
error (a bug: please report).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import logging
import os
import re
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from reviewbot import __version__
from reviewbot.commands import COMMANDS

logger = logging.getLogger("reviewbot")

EXIT_INTERNAL = 4


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples are laid out by ``_text`` (paragraphs filled, examples kept)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


def _text(description: str, examples: Sequence[str] = ()) -> tuple[str, str | None]:
    """Plain text for --help: filled paragraphs, no reStructuredText, examples as an epilog."""
    plain = re.sub(r"``([^`]*)``", r"\1", description.strip())
    paragraphs = [" ".join(par.split()) for par in plain.split("\n\n") if par.strip()]
    body = "\n\n".join(textwrap.fill(par, 78, break_on_hyphens=False) for par in paragraphs)
    epilog = None
    if examples:
        epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
    return body, epilog


def _global_options(
    parser: argparse.ArgumentParser, *, config: bool = True, suppress: bool
) -> None:
    """--config, -v, -q: on the main parser, and again on each command (``review -q ...``).

    On a command they default to SUPPRESS, so a value given before the
    command is not reset by the command's parser.
    """
    default: dict[str, Any] = {"default": argparse.SUPPRESS} if suppress else {}
    if config:
        parser.add_argument(
            "--config", type=Path, metavar="FILE", help="settings file (TOML)", **default
        )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logs and tracebacks", **default
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="warnings and errors only", **default
    )


MAIN_EXAMPLES = (
    "reviewbot review --tree examples/tree examples/series.mbox",
    "reviewbot review 20261102-acme-dma-v1-3@example.org",
    "reviewbot check --format github origin/master..HEAD",
    "reviewbot scan --format markdown ~/linux drivers/usb",
    "reviewbot watch --config watch.toml --status",
    "reviewbot explain dma-stack",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``only``, the options of that command alone (every
    command is still listed): building all of them cost a tenth of a warm rescan."""
    description, epilog = _text(
        "Review Linux kernel patch series for DMA-alignment hazards, and draft the reply a "
        "careful maintainer would send. 'reviewbot COMMAND --help' describes each command.",
        MAIN_EXAMPLES,
    )
    parser = _Parser(
        prog="reviewbot", description=description, epilog=epilog, formatter_class=_Formatter
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {__version__}")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, title="commands"
    )
    sub.required = True
    for name in COMMANDS:
        if only is not None and name != only:
            # listed, never parsed or described (argv names another command), so not
            # imported: the eight other command modules were 0.04 s of a warm rescan
            sub.add_parser(name, formatter_class=_Formatter)
            continue
        module = importlib.import_module(f"reviewbot.commands.{name}")
        description, epilog = _text(
            getattr(module, "DESCRIPTION", module.__doc__ or module.HELP),
            getattr(module, "EXAMPLES", ()),
        )
        cmd = sub.add_parser(
            name,
            help=module.HELP,
            description=description,
            epilog=epilog,
            formatter_class=_Formatter,
        )
        module.add_arguments(cmd)
        # watch has a --config of its own (the watch file, which also holds settings)
        has_config = any("--config" in a.option_strings for a in cmd._actions)
        _global_options(cmd, config=not has_config, suppress=True)
        cmd.set_defaults(func=module.run)
    return parser


class _Visible(logging.Formatter):
    """Log lines name subjects and file names from mail: their control characters are shown."""

    def format(self, record: logging.LogRecord) -> str:
        from reviewbot.render.terminal import visible

        return visible(super().format(record))


def _say(text: str) -> None:
    """One line on stderr (an error's message names inputs: shown, never obeyed)."""
    from reviewbot.render.terminal import visible

    print(visible(text), file=sys.stderr)


@contextlib.contextmanager
def _logging(args: argparse.Namespace) -> Iterator[None]:
    """Log to stderr at the level -q/-v ask for, while the command runs.

    The process's logging is left as it was found: a handler bound to this
    run's ``sys.stderr`` must not outlive the run, or a thread that logs
    later (an SMTP server in the same process, a test's captured stream
    that has since been closed) writes to a closed file.
    """
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _Visible("%(levelname)s: %(message)s" if args.verbose else "%(message)s")
    )
    root = logging.getLogger()
    quiet = {
        # b4 and liblore narrate their own progress and errors; we report ours.
        "b4": logging.DEBUG if args.verbose else logging.CRITICAL + 1,
        "liblore": logging.DEBUG if args.verbose else logging.CRITICAL + 1,
        # httpx logs every request at INFO; only -v wants that.
        "httpx": logging.DEBUG if args.verbose else logging.WARNING,
        "httpcore": logging.DEBUG if args.verbose else logging.WARNING,
    }
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in quiet})
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, value in quiet.items():
        logging.getLogger(name).setLevel(value)
    try:
        yield
    finally:
        handler.flush()
        handlers, old_level, levels = saved
        root.handlers[:] = handlers
        root.setLevel(old_level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


def _command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names, when it surely names one whose options alone are
    needed: the first word that is neither an option nor ``--config``'s value. None
    (build every command) for anything else: an unknown or abbreviated option before
    the command, ``--help``, and the commands that describe the whole parser."""
    value = False
    for word in argv:
        if value:
            value = False
        elif word == "--config":
            value = True
        elif word.startswith("--config=") or word in ("-v", "-q", "--verbose", "--quiet"):
            continue
        elif word.startswith("-"):
            return None
        else:
            return word if word in COMMANDS and word not in ("completion", "manpage") else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_in(words))
    args = parser.parse_args(words)
    args.parser = parser  # for the commands that describe the parser (completion, manpage)
    with _logging(args):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """The command, with every failure turned into one line on stderr and a status."""
    from reviewbot.errors import ReviewbotError

    try:
        status = int(args.func(args))
        sys.stdout.flush()  # a full device fails here, inside the handlers below
        return status
    except ReviewbotError as exc:
        if args.verbose:
            logger.exception("traceback:")
        _say(f"reviewbot: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        print("reviewbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _drop_stdout()
        return 0
    except OSError as exc:
        if exc.filename is None and exc.errno in _OUTPUT_ERRNOS:
            # Output to a full device (/dev/full, a full disk): say so in one line.
            _drop_stdout()
            print(f"reviewbot: cannot write the output: {exc.strerror}", file=sys.stderr)
            return 2
        return _internal(args, exc)
    except Exception as exc:
        return _internal(args, exc)


# Errors writing standard output that are the device's, not a bug of ours.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _internal(args: argparse.Namespace, exc: Exception) -> int:
    if args.verbose:
        logger.exception("traceback:")
    what = getattr(args, "source", None) or args.command
    _say(
        f"reviewbot: internal error on {what}: {type(exc).__name__}: {exc} "
        "(run with -v for a traceback; please report it)"
    )
    return EXIT_INTERNAL


def run() -> NoReturn:
    """Console-script entry point.

    Two costs of a short run that buy nothing (measured on a warm rescan of Linux 6.1,
    0.5 s in all): the cyclic collector ran 200 times (0.05 s) over objects that hold
    no cycles, and tearing down the interpreter freed every object one by one (0.02 s).
    So the collector waits for 100,000 new objects, as mypy's does, and a run that
    leaves no other thread ends with ``os._exit`` once the output is flushed and the
    ``atexit`` handlers have run (mypy's --fast-exit). ``main`` (what tests call) is
    left as it is.
    """
    import gc

    gc.set_threshold(100_000, 50, 100)
    status = main()
    _exit(status)


def _exit(status: int) -> NoReturn:
    import atexit
    import threading

    if threading.active_count() > 1:  # a thread still at work: the usual way out waits for it
        sys.exit(status)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or full stdout: the usual way says so
        sys.exit(status)
    atexit._run_exitfuncs()
    os._exit(status)
