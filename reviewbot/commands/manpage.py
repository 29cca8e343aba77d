"""``reviewbot manpage``: reviewbot(1) in roff, generated from the parser.

The page is built from the argparse parser that parses the command line
(each command's usage, description, options and examples), so it cannot
describe an option that does not exist or miss one that does.
"""

from __future__ import annotations

import argparse
import sys

HELP = "print the reviewbot(1) manual page (roff), generated from the parser"

DESCRIPTION = """
Print the manual page, generated from the same parser as --help.
"""

EXAMPLES = (
    "reviewbot manpage | man -l -",
    "reviewbot manpage > ~/.local/share/man/man1/reviewbot.1",
)

EXIT_STATUS = (
    ("0", "done (for check: nothing at or above --fail-on)"),
    ("1", "findings at or above the threshold (check)"),
    ("2", "usage or input error: one line on stderr naming the input and the reason"),
    ("3", "network or server failure after retries"),
    ("4", "internal error (a bug; -v shows the traceback)"),
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    del p  # no options of its own


def _esc(text: str) -> str:
    """roff-safe text: backslashes doubled, hyphens as minus signs, no control dots."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + line) if line[:1] in ".'" else line for line in text.split("\n"))


def _paragraphs(text: str) -> str:
    return "\n.PP\n".join(_esc(par) for par in text.split("\n\n"))


def _options(parser: argparse.ArgumentParser) -> list[str]:
    out: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            metavar = ""
            if action.nargs != 0:
                mv = action.metavar or (
                    "{" + ",".join(action.choices) + "}" if action.choices else action.dest.upper()
                )
                metavar = f" {mv}"
            names = ", ".join(f"\\fB{_esc(o)}\\fR{_esc(metavar)}" for o in action.option_strings)
        else:
            names = f"\\fI{_esc(str(action.metavar or action.dest))}\\fR"
        out += [".TP", names, _esc(action.help or "")]
    return out


def _usage(parser: argparse.ArgumentParser) -> str:
    usage = parser.format_usage().removeprefix("usage: ").strip()
    return " ".join(usage.split())


def manpage(parser: argparse.ArgumentParser, version: str) -> str:
    """reviewbot(1) as roff, one subsection per command."""
    lines = [
        f'.TH REVIEWBOT 1 "" "reviewbot {_esc(version)}" "User Commands"',
        ".SH NAME",
        "reviewbot \\- review Linux kernel patch series for DMA\\-alignment hazards",
        ".SH SYNOPSIS",
        f".B {_esc(_usage(parser))}",
        ".SH DESCRIPTION",
        _paragraphs(parser.description or ""),
        ".SH OPTIONS",
        *_options(parser),
        ".SH COMMANDS",
    ]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, cmd in sub.choices.items():
        lines += [
            f".SS {_esc(name)}",
            _esc(helps.get(name) or ""),
            ".PP",
            f".B {_esc(_usage(cmd))}",
            ".PP",
            _paragraphs(cmd.description or ""),
            *_options(cmd),
        ]
        if cmd.epilog:
            lines += [".PP", "Examples:", ".nf", ".RS"]
            lines += [_esc(e.strip()) for e in cmd.epilog.splitlines()[1:]]
            lines += [".RE", ".fi"]
    lines.append(".SH EXIT STATUS")
    for code, meaning in EXIT_STATUS:
        lines += [".TP", f"\\fB{code}\\fR", _esc(meaning)]
    lines += [".SH SEE ALSO", "\\fBb4\\fR(5), \\fBgit\\-format\\-patch\\fR(1)"]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from reviewbot import __version__

    # cli.main hands over the parser it built (commands never import cli: layering)
    sys.stdout.write(manpage(args.parser, __version__))
    return 0
