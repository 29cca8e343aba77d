"""README and docs true to the letter: every fenced block is run, compared or checked (issue 13).

Each fenced block of README.md and docs/*.md is one of: commands (run here,
offline, against the example or a local public-inbox, unless ``SKIP`` names
the command and says why),
a synopsis (its options and choices must be exactly the parser's), a file
shipped under examples/ (same text, and its commands run too), or the
layout (every path exists). A block this test does not know fails it, so
a new README command cannot go untested, and one that stops working fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.cli import build_parser
from tests.conftest import EXAMPLES, ROOT, git

README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
FRONT_DOOR_LINES = 150  # issue 25: README is the front door, docs/ holds the rest
BIN = Path(sys.executable).parent  # the venv holding the reviewbot console script

# Commands that are not run here, and why. Everything else in a shell block runs.
SKIP = {
    "python3 -m venv .venv": "makes the venv this test runs in",
    ".venv/bin/pip install -q .": "needs the package index (PyPI)",
    "bash scripts/test.sh": "the test suite itself",
    "bash scripts/test.sh --quick": "the test suite itself (tests/test_contributing.py)",
    "bash scripts/test.sh --quick -x -k dma_stack": "the test suite itself",
    "bash scripts/test.sh --quick --collect-only -q": "the test suite itself",
    "reviewbot watch --config FILE": "the daemon runs until stopped (tests/watch/test_crash.py)",
    "reviewbot watch --config FILE --once": "polls lore (tests/watch run it on a local inbox)",
    "bash scripts/queue-demo.sh": "serves until stopped (tests/queue/test_demo.py runs it)",
    ".venv/bin/python bench/tree_profile.py --write": "needs the real 6.1 and 6.12 trees (bench)",
    ".venv/bin/python bench/tree_profile.py": "needs the real 6.1 and 6.12 trees (bench)",
}


def blocks() -> list[tuple[str, int, str, str]]:
    """(file, line number, language, text) of every fenced block of README and docs."""
    out = []
    for doc in DOCS:
        lines = doc.read_text().splitlines(keepends=True)
        i = 0
        while i < len(lines):
            m = re.match(r"^```(\w*)\s*$", lines[i])
            if m:
                start, body = i + 1, []
                i += 1
                while not lines[i].startswith("```"):
                    body.append(lines[i])
                    i += 1
                out.append((str(doc.relative_to(ROOT)), start, m.group(1), "".join(body)))
            i += 1
    return out


def kind(lang: str, text: str) -> str:
    first = text.splitlines()[0]
    if lang == "yaml" and first == "name: reviewbot":
        return "workflow"
    if lang == "sh" and first == "#!/bin/sh":
        return "hook"
    if first.startswith("reviewbot/"):
        return "layout"
    if lang == "python":
        return "example"
    if lang == "sh" or (lang == "" and first.startswith("reviewbot watch --config FILE ")):
        return "commands"
    if lang == "text":
        return "output"
    if lang == "" and re.match(r"reviewbot \w+ +(\[|--|RULE)", first):
        return "synopsis"
    return "unknown"


def commands(text: str) -> list[str]:
    """Shell commands of a block: comments dropped, ``&&`` chains split."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"\s+#\s.*$", "", line).strip()
        if not line or line.startswith("#"):
            continue
        out += [part.strip() for part in line.split(" && ")]
    return out


def test_every_block_is_known():
    unknown = [
        (f, n, text.splitlines()[0])
        for f, n, lang, text in blocks()
        if kind(lang, text) == "unknown"
    ]
    assert unknown == [], "README/docs blocks not checked here: add them to tests/test_readme.py"


def test_readme_is_a_front_door_and_docs_hold_the_rest():
    """README stays short (issue 25); the documents it links to exist."""
    text = README.read_text()
    assert len(text.splitlines()) <= FRONT_DOOR_LINES
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text()):
            path = (doc.parent / target).resolve()
            assert path.exists(), f"{doc.name} links to {target}, which is missing"


# --- commands ----------------------------------------------------------------------------


@pytest.fixture()
def sandbox(tmp_path, monkeypatch) -> Path:
    """A folder like a fresh clone's top: examples/, config/, and .venv/bin/reviewbot."""
    top = tmp_path / "clone"
    top.mkdir()
    shutil.copytree(EXAMPLES, top / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "config", top / "config")
    (top / ".venv" / "bin").mkdir(parents=True)
    (top / ".venv" / "bin" / "reviewbot").symlink_to(BIN / "reviewbot")
    # the example watch config, with its state (and tree) on this machine
    watch = (ROOT / "config" / "watch.example.toml").read_text()
    watch = watch.replace("/var/lib/reviewbot", str(tmp_path / "state"))
    watch = watch.replace('tree = "/srv/linux"', f'tree = "{top / "examples" / "tree"}"')
    (top / "watch.toml").write_text(watch)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    # A developer's machine has a git identity: review --outbox takes the
    # drafts' From: from it when reply.from is not set (issue 12).
    subprocess.run(["git", "config", "--global", "user.name", "Dana Developer"], check=True)
    subprocess.run(["git", "config", "--global", "user.email", "dana@example.org"], check=True)
    monkeypatch.setenv("MANPAGER", "cat")
    monkeypatch.setenv("PAGER", "cat")
    return top


def _run(command: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, input=stdin, timeout=300
    )


def readme_commands() -> list[str]:
    """Every command of README and docs, once (a command two documents give is run once)."""
    out: dict[str, None] = {}
    for _f, _n, lang, text in blocks():
        if kind(lang, text) == "commands":
            out.update(dict.fromkeys(commands(text)))
    return list(out)


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_works(command, sandbox, request):
    if command in SKIP:
        pytest.skip(SKIP[command])
    check = CHECKS.get(command)
    assert check is not None, f"no check for README command {command!r} (add it to CHECKS)"
    if check in NEEDS_INBOX:
        # lore is the local public-inbox holding the example series
        inbox = request.getfixturevalue("public_inbox")
        request.getfixturevalue("monkeypatch").setenv("REVIEWBOT_LORE_URL", inbox.base_url)
    check(command, sandbox)


def _try_it(command: str, top: Path) -> None:
    proc = _run(command, top)
    assert proc.returncode == 0, proc.stderr
    assert "Patch 1/8: usb: serial: acme: report line status\n" in proc.stdout
    assert "4 findings introduced (3 errors, 1 info) by 4 patches" in proc.stdout
    assert "Affected drivers (2), core code first, then the worst:" in proc.stdout
    drafts = sorted(p.name for p in (top / "drafts").iterdir())
    # cover reply + patches 1, 2, 4, and the whole affected-driver list the cover reply names
    assert drafts[-1] == "drafts.mbox" and len(drafts) == 6
    assert drafts[-2].startswith("affected-drivers-") and drafts[-2].endswith(".md")


def _review_msgid(command: str, top: Path) -> None:
    """A message-id of the example series, fetched through b4 from the local inbox."""
    proc = _run(command.replace("~/linux", "examples/tree"), top)
    assert proc.returncode == 0, proc.stderr
    assert "4 findings introduced (3 errors, 1 info) by 4 patches" in proc.stdout
    drafts = sorted(p.name for p in (top / "drafts").iterdir())
    assert drafts[-1] == "drafts.mbox" and len(drafts) == 6  # with the affected-driver list


def _check_range(command: str, top: Path) -> None:
    """The example series committed on top of origin/master: the gate fails on its errors."""
    repo = _series_repo(top)
    git(repo, "update-ref", "refs/remotes/origin/master", "base")
    proc = _run(command, repo)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stdout.splitlines() if ": error: " in line]
    # the stack buffer, the vmalloc buffer, and the member sharing arm64's line
    assert len(errors) == 3, proc.stdout


def _scan(command: str, top: Path) -> None:
    """The what-if: the LED driver's small kmalloc buffer bites once kmalloc aligns to 8."""
    proc = _run(command, top)
    assert proc.returncode == 0, proc.stderr
    assert "drivers/usb/misc/acme_led.c:27: error: " in proc.stdout
    assert "1 finding(s) (1 error) in 1 driver(s)" in proc.stdout
    assert "judged on Linux 6.1.0-acme, assuming kmalloc-minalign=8" in proc.stdout
    plain = _run(command.replace("--assume kmalloc-minalign=8 ", ""), top)
    assert plain.stdout.startswith("0 finding(s) (of 1; 1 below warning hidden")


def _scan_filtered(command: str, top: Path) -> None:
    proc = _run(command, top)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("drivers/usb/misc/acme_led.c:27: error: ")
    assert "(of 1; --maintainer ACME USB DRIVERS) in 1 driver(s)" in proc.stdout


def _scan_markdown_for_a_list(command: str, top: Path) -> None:
    """linux-iio looks after no affected driver of the example: said on stderr, empty report."""
    proc = _run(command, top)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# DMA-alignment report\n\n0 finding(s) (of 1; 1 below warning "
                                  "hidden, --all shows them, --maintainer ")
    assert "no affected driver is looked after by linux-iio@vger.kernel.org" in proc.stderr


def _completion(command: str, top: Path) -> None:
    proc = _run(f"{command}\ncomplete -p reviewbot", top)
    assert proc.returncode == 0, proc.stderr
    assert "reviewbot" in proc.stdout


def _manpage(command: str, top: Path) -> None:
    if not shutil.which("man"):
        pytest.skip("man is not installed")
    proc = _run(command, top)
    assert proc.returncode == 0, proc.stderr
    assert "REVIEWBOT(1)" in proc.stdout


def _status(command: str, top: Path) -> None:
    proc = _run(command.replace("FILE", "watch.toml"), top)
    assert proc.returncode == 0, proc.stderr
    assert "  linux-usb: https://lore.kernel.org/linux-usb every 300s" in proc.stdout
    assert "no watcher state yet" in proc.stdout and "problem:" not in proc.stdout


def _b4_check(command: str, top: Path) -> None:
    """Set the hook in a repository as README says, then run what b4 would run on patch 1."""
    repo = top / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    proc = _run(command, repo)
    assert proc.returncode == 0, proc.stderr
    hook = git(repo, "config", "b4.review-perpatch-check-cmd").strip()
    mbox = (top / "examples" / "series.mbox").read_text()
    patch1 = "From " + mbox.split("\nFrom ")[1]
    result = _run(hook, top, stdin=patch1)
    assert result.returncode == 1, result.stderr  # the patch introduces an error
    [entry] = json.loads(result.stdout)
    assert (entry["tool"], entry["status"]) == ("reviewbot", "fail")


def _hook_in_repo(command: str, top: Path, key: str) -> str:
    repo = top / "repo"
    repo.mkdir(exist_ok=True)
    git(repo, "init", "-q")
    proc = _run(command, repo)
    assert proc.returncode == 0, proc.stderr
    return git(repo, "config", key).strip()


def _example_mails(top: Path) -> list[str]:
    mbox = (top / "examples" / "series.mbox").read_text()
    return ["From " + m for m in mbox.split("\nFrom ")[1:]]


def _b4_series_check(command: str, top: Path) -> None:
    """The series-level hook on the cover letter (no b4 tracking data: nothing to see)."""
    hook = _hook_in_repo(command, top, "b4.review-series-check-cmd")
    cover = (top / "examples" / "series.mbox").read_text().split("\nFrom ")[0]
    result = _run(hook, top, stdin=cover)
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)
    assert (entry["tool"], entry["status"]) == ("reviewbot", "pass")


def _checkpatch_hook(key: str):
    def check(command: str, top: Path) -> None:
        hook = _hook_in_repo(command, top, key)
        result = _run(hook, top, stdin=_example_mails(top)[0])  # patch 1: a stack buffer
        assert result.returncode == 1 and result.stderr == "", result.stderr
        # one line per report, no "total:" summary (b4 would count it as a warning)
        (line,) = result.stdout.splitlines()
        assert re.fullmatch(r"-:\d+: ERROR: .* \[dma-stack\]", line), line

    return check


def _send_email(command: str, top: Path) -> None:
    """Drafts from the Try-it command, then README's git send-email line (dry run)."""
    if (
        "<file|directory>"
        not in _run("git send-email -h", top).stdout + _run("git send-email -h 2>&1", top).stdout
    ):
        pytest.skip("git send-email (Debian git-email) is not installed")
    made = _run(
        ".venv/bin/reviewbot review --tree examples/tree --outbox drafts examples/series.mbox", top
    )
    assert made.returncode == 0, made.stderr
    dry = command.replace("--confirm=always", "--confirm=never --dry-run").replace("DIR", "drafts")
    proc = _run(dry, top)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Result: OK") == 4  # the cover reply and patches 1, 2, 4
    assert "From: Dana Developer <dana@example.org>" in proc.stdout


def _profile(command: str, top: Path) -> None:
    proc = _run(command, top)
    assert proc.returncode == 0, proc.stderr
    if "--format json" in command:
        assert json.loads(proc.stdout)["version"]
    else:
        assert proc.stdout.startswith("Linux "), proc.stdout[:200]


def _scan_by_maintainer(command: str, top: Path) -> None:
    """The what-if's affected drivers, core code first, under their MAINTAINERS sections."""
    proc = _run(command, top)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("# Affected drivers\n"), out[:200]
    usb, iio = out.index("## ACME USB DRIVERS"), out.index("## IIO SUBSYSTEM AND DRIVERS")
    assert iio < usb  # the IIO core's section (one fix for every IIO driver) first
    assert "`drivers/usb/misc/acme_led.c:27` acme_led_read_state(): dma-kmalloc-small" in out
    row = "| 2 | acme_led | `drivers/usb/misc/acme_led.c` | CONFIG_ACME_LED | corrupts | 1 |"
    assert row in out


CHECKS = {
    "reviewbot profile examples/tree": _profile,
    "reviewbot profile --format json examples/tree": _profile,
    "reviewbot profile --assume 6.1": _profile,
    ".venv/bin/reviewbot review --tree examples/tree --outbox drafts examples/series.mbox": _try_it,
    "reviewbot review --tree ~/linux --outbox drafts 20261102-acme-dma-v1-3@example.org": (
        _review_msgid
    ),
    "reviewbot check --fail-on error origin/master..HEAD": _check_range,
    "reviewbot scan --assume kmalloc-minalign=8 examples/tree": _scan,
    'reviewbot scan --assume kmalloc-minalign=8 --severity error --maintainer "ACME USB DRIVERS" '
    'examples/tree': (
        _scan_filtered
    ),
    "reviewbot scan --assume kmalloc-minalign=8 --by-maintainer examples/tree": (
        _scan_by_maintainer
    ),
    "reviewbot scan --maintainer linux-iio@vger.kernel.org --format markdown examples/tree": (
        _scan_markdown_for_a_list
    ),
    "source <(reviewbot completion bash)": _completion,
    "reviewbot manpage | man -l -": _manpage,
    "reviewbot watch --config FILE --status": _status,
    'git config b4.review-perpatch-check-cmd "reviewbot check --format b4"': _b4_check,
    'git config b4.review-series-check-cmd "reviewbot check --format b4"': _b4_series_check,
    'git config b4.am-perpatch-check-cmd "reviewbot check --format checkpatch"': _checkpatch_hook(
        "b4.am-perpatch-check-cmd"
    ),
    'git config b4.prep-perpatch-check-cmd "reviewbot check --format checkpatch"': (
        _checkpatch_hook("b4.prep-perpatch-check-cmd")
    ),
    "git send-email --confirm=always --suppress-cc=self"
    " --from=\"$(sed -n 's/^From: //p' DIR/*.eml | head -n1)\" DIR/*.eml": _send_email,
}

NEEDS_INBOX = {_review_msgid}

# --- synopses ----------------------------------------------------------------------------


def _subparsers():
    import argparse

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


GLOBAL = {"--config", "-v", "--verbose", "-q", "--quiet", "-h", "--help"}


def synopses() -> dict[str, list[str]]:
    """Command -> the synopsis texts README gives for it (Usage, CI check, watch)."""
    out: dict[str, list[str]] = {}
    for _f, _n, lang, text in blocks():
        k = kind(lang, text)
        if k not in ("synopsis", "commands") or lang:
            continue
        current = None
        for line in text.splitlines():
            m = re.match(r"reviewbot (\w+)\s", line + " ")
            if m:
                current = m.group(1)
                out.setdefault(current, []).append("")
            if current:
                out[current][-1] += " " + re.sub(r"\s+#\s.*$", "", line)
    return out


def test_usage_names_every_option_and_choice_of_every_command():
    subs = _subparsers()
    given = synopses()
    assert set(given) == set(subs), "README Usage lists other commands than the parser has"
    for name, parser in subs.items():
        text = " ".join(given[name])
        options = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", text))
        have = {o for a in parser._actions for o in a.option_strings}
        assert options <= have, f"README names options {name} lacks: {options - have}"
        missing = {o for o in have - GLOBAL if o.startswith("--")} - options
        assert not missing, f"README Usage misses {name} {sorted(missing)}"
        for action in parser._actions:
            if action.choices and not isinstance(action.choices, dict):
                shown = "|".join(action.choices)
                assert shown in text, f"README Usage: {name} {action.dest} is not {shown}"


# --- shipped files -----------------------------------------------------------------------


def _block(k: str) -> str:
    [text] = [text for _f, _n, lang, text in blocks() if kind(lang, text) == k]
    return text


def test_the_workflow_in_readme_is_the_shipped_file_and_its_steps_work(tmp_path, monkeypatch):
    shipped = EXAMPLES / "github" / "reviewbot.yml"
    assert _block("workflow") == shipped.read_text()
    steps = re.findall(r"^\s+run: (.*)$", shipped.read_text(), re.M)
    checks = [s for s in steps if s.startswith("reviewbot ")]
    assert len(checks) == 2
    repo = _series_repo(tmp_path)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    env = dict(os.environ, RANGE="base..HEAD")
    # the SARIF step keeps going on findings (exit 1) and leaves the log
    proc = subprocess.run(["bash", "-c", checks[0]], cwd=repo, env=env, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    sarif = json.loads((repo / "reviewbot.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == 4
    # the gate fails the job on the planted errors, with annotations
    proc = subprocess.run(
        ["bash", "-c", checks[1]], cwd=repo, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert proc.stdout.count("::error ") == 3


def _series_repo(tmp_path: Path) -> Path:
    """The example tree as a git repository with the series committed (tag base)."""
    repo = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", repo)
    git(repo, "init", "-q", "-b", "master")
    git(repo, "config", "user.name", "Dana Developer")
    git(repo, "config", "user.email", "dana@example.org")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "tag", "base")
    git(repo, "am", "-q", "--empty=drop", str(EXAMPLES / "series.mbox"))
    return repo


def test_the_hook_in_readme_is_the_shipped_file_and_refuses_a_bad_push(tmp_path, monkeypatch):
    shipped = EXAMPLES / "hooks" / "pre-push"
    assert _block("hook") == shipped.read_text()
    assert os.access(shipped, os.X_OK)
    repo = _series_repo(tmp_path)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "base:refs/heads/master")
    git(repo, "fetch", "-q", "origin")
    shutil.copy(shipped, repo / ".git" / "hooks" / "pre-push")
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(
        ["git", "-C", str(repo), "push", "origin", "HEAD:refs/heads/master"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "pre-push: reviewbot check" in proc.stderr and "failed" in proc.stderr
    # a clean change on top of master goes through (the hook runs reviewbot on it)
    git(repo, "checkout", "-q", "-b", "clean", "base")
    hwmon = repo / "drivers/hwmon/acme-hwmon.c"
    hwmon.write_text(hwmon.read_text() + "/* end of the acme hwmon driver */\n")
    git(repo, "commit", "-q", "-am", "hwmon: acme: mark the end of the file")
    proc = subprocess.run(
        ["git", "-C", str(repo), "push", "origin", "HEAD:refs/heads/master"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "reviewbot: 0 finding(s)" in proc.stderr


# What a command prints, as docs show it: (the command, run twice, the second run shown).
OUTPUTS = {
    "drivers/usb/misc/acme_led.c:27: error: buf: kmalloc() -> usb_control_msg() (DMA in)"
    " [dma-kmalloc-small]":
        "reviewbot scan --assume kmalloc-minalign=8 --cache-dir cache examples/tree",
}


def test_every_output_shown_is_what_the_command_prints(sandbox):
    shown = [text for _f, _n, lang, text in blocks() if kind(lang, text) == "output"]
    assert shown, "no output block found"
    for text in shown:
        command = OUTPUTS.get(text.splitlines()[0])
        assert command is not None, f"output block not checked here: {text.splitlines()[0]!r}"
        _run(command, sandbox)
        proc = _run(command, sandbox)
        assert proc.returncode == 0, proc.stderr
        seconds = re.compile(r"in \d+\.\ds\b")
        assert seconds.sub("in Ts", proc.stdout) == seconds.sub("in Ts", text)


def test_code_examples_compile():
    """A Python example in the docs (a rule in docs/architecture.md) is Python."""
    examples = [(f, n, text) for f, n, lang, text in blocks() if kind(lang, text) == "example"]
    assert examples
    for f, n, text in examples:
        compile(text, f"{f}:{n}", "exec")


def test_layout_paths_exist():
    for line in _block("layout").splitlines():
        for path in line.split("  ")[0].split():
            assert (ROOT / path).exists(), f"README Layout names {path}, which does not exist"
