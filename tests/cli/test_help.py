"""--help is plain text; completion and man page follow the parser (issue 13)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess

import pytest

from reviewbot.cli import build_parser, main
from reviewbot.commands import COMMANDS
from tests.conftest import EXAMPLES


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _help(argv: list[str], capsys) -> str:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_is_plain_text_with_examples(command, capsys):
    text = _help([command] if command else [], capsys)
    assert "``" not in text and ":func:" not in text
    assert "examples:\n  reviewbot " in text or "examples:\n  b4 " in text or command in (
        "completion", "manpage"
    )
    # every argument has a help line and a metavar
    parser = build_parser() if command is None else _subparsers(build_parser())[command]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        assert action.help, f"{command}: {action.dest} has no help"
        if action.nargs != 0 and not action.option_strings:
            assert action.metavar and action.metavar in text


def test_global_options_work_after_the_command(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[tree]\npath = \"/nonexistent/linux\"\n")
    series = str(EXAMPLES / "series.mbox")
    # --config after the command is read (its tree.path is refused), not taken for SOURCE
    for argv in (
        ["--config", str(cfg), "review", series],
        ["review", "--config", str(cfg), series],
        ["review", series, "--config", str(cfg), "-q"],
    ):
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err == "reviewbot: config tree.path /nonexistent/linux: no such directory\n"
    # -q after the command silences the info lines, as before it
    capsys.readouterr()
    assert main(["review", "-q", "--format", "json", series]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-q", "review", "--format", "json", series]) == 0
    assert capsys.readouterr().err == ""


def _options_of(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings if o.startswith("--")}


def test_completion_scripts_know_every_command_and_option(capsys):
    parser = build_parser()
    for shell in ("bash", "zsh"):
        capsys.readouterr()
        assert main(["completion", shell]) == 0
        script = capsys.readouterr().out
        for name, sub in _subparsers(parser).items():
            assert name in script, (shell, name)
            for option in _options_of(sub):
                assert option in script, (shell, name, option)
    assert main(["completion", "bash"]) == 0
    bash = capsys.readouterr().out
    proc = subprocess.run(["bash", "-n"], input=bash, text=True, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    if shutil.which("zsh"):
        assert main(["completion", "zsh"]) == 0
        zsh = capsys.readouterr().out
        proc = subprocess.run(["zsh", "-n"], input=zsh, text=True, capture_output=True)
        assert proc.returncode == 0, proc.stderr


def test_bash_completion_completes_commands_and_options(tmp_path, capsys):
    """Source the script in a real bash and ask it, as the shell would on TAB."""
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "reviewbot.bash"
    script.write_text(capsys.readouterr().out)
    probe = f"""
source {script}
complete_for() {{
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}
    COMPREPLY=(); _shtab_reviewbot; printf '%s\\n' "${{COMPREPLY[@]}}"
}}
echo "== commands"; complete_for reviewbot ""
echo "== check"; complete_for reviewbot check --fa
"""
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True).stdout
    commands = out.split("== check")[0].split()
    assert set(COMMANDS) <= set(commands)
    assert "--fail-on" in out.split("== check")[1].split()


def test_manpage_documents_every_command_and_option(capsys):
    assert main(["manpage"]) == 0
    page = capsys.readouterr().out
    assert page.startswith(".TH REVIEWBOT 1 ")
    unescaped = page.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "")
    parser = build_parser()
    for option in _options_of(parser):
        assert option in unescaped, option
    for name, sub in _subparsers(parser).items():
        assert f".SS {name}\n" in unescaped
        for option in _options_of(sub):
            assert option in unescaped, (name, option)
    if shutil.which("man"):
        proc = subprocess.run(
            ["man", "-l", "-"], input=page, capture_output=True, text=True,
            env={**os.environ, "MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat"},
        )
        assert proc.returncode == 0 and "REVIEWBOT(1)" in proc.stdout
        assert "--fail-on" in proc.stdout.replace("\u2010", "-")


def test_explain_is_folded_to_the_terminal_without_losing_a_word(monkeypatch, capsys):
    from reviewbot.analysis import explain

    monkeypatch.setenv("COLUMNS", "60")
    assert main(["explain", "dma-stack"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 60
    assert out.split() == explain("dma-stack").split()
    assert "\n  A local variable" in out  # paragraphs keep their indent


@pytest.mark.parametrize(("argv", "only"), [
    (["scan", "tree"], "scan"),
    (["-q", "review", "x.mbox"], "review"),
    (["--config", "review", "scan", "tree"], "scan"),  # "review" is --config's file
    (["--config=c.toml", "-v", "check"], "check"),
    (["--conf", "c.toml", "scan"], None),  # an abbreviation: argparse decides
    (["--help"], None),
    (["completion", "bash"], None),  # describes every command
    (["manpage"], None),
    (["scna", "tree"], None),  # not a command: the full parser says so
    ([], None),
])
def test_only_the_named_command_is_built(argv, only):
    """Building every command's options was a tenth of a warm rescan (issue 27); the
    command is taken from argv only where that is sure."""
    from reviewbot.cli import _command_in

    assert _command_in(argv) == only


def test_a_command_parsed_alone_parses_as_in_the_whole_parser():
    argv = ["-q", "scan", "--jobs", "2", "--format", "json", "tree", "drivers/usb"]
    alone = build_parser("scan").parse_args(argv)
    whole = build_parser().parse_args(argv)
    assert {k: v for k, v in vars(alone).items() if k != "func"} == \
        {k: v for k, v in vars(whole).items() if k != "func"}
