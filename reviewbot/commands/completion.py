"""``reviewbot completion bash|zsh``: a shell completion script generated from the parser.

shtab reads the same argparse parser that parses the command line, so
the script cannot fall out of step with the options.
"""

from __future__ import annotations

import argparse
import sys

HELP = "print a bash or zsh completion script"

DESCRIPTION = """
Print a shell completion script generated from reviewbot's own parser, so it
always knows the current commands and options.
"""

EXAMPLES = (
    "reviewbot completion bash > ~/.local/share/bash-completion/completions/reviewbot",
    "reviewbot completion zsh > ~/.zfunc/_reviewbot   # with fpath+=(~/.zfunc)",
)

SHELLS = ("bash", "zsh")

# What to complete for arguments that name files or folders.
_FILE = {"bash": "_shtab_compgen_files", "zsh": "_files"}
_DIR = {"bash": "_shtab_compgen_dirs", "zsh": "_files -/"}
_FILE_METAVARS = {"SOURCE", "FILE", "PATH", "SUBPATH"}
_DIR_METAVARS = {"DIR"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash or zsh")


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for ``shell``, with file names offered where paths go."""
    import shtab

    for action in _actions(parser):
        metavar = action.metavar if isinstance(action.metavar, str) else None
        if metavar in _DIR_METAVARS:
            action.complete = _DIR  # type: ignore[attr-defined]
        elif metavar in _FILE_METAVARS:
            action.complete = _FILE  # type: ignore[attr-defined]
    return shtab.complete(parser, shell=shell)


def _actions(parser: argparse.ArgumentParser):
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from _actions(sub)


def run(args: argparse.Namespace) -> int:
    # cli.main hands over the parser it built (commands never import cli: layering)
    sys.stdout.write(completion_script(args.parser, args.shell))
    return 0
