"""Intake from files, maildirs, stdin and git ranges; b4 configuration stays isolated."""

from __future__ import annotations

import gzip
import io
import json
import mailbox
import subprocess
import sys
from pathlib import Path

import b4
import pytest

from reviewbot.cli import main
from reviewbot.errors import InputError
from reviewbot.intake import IntakeOptions, classify, load_series
from reviewbot.intake.lore import split_lore_url
from tests import mailgen
from tests.conftest import EXAMPLES, example_messages
from tests.skeleton import make_kernel_skeleton

SERIES = EXAMPLES / "series.mbox"


def test_mbox_file_gives_the_series():
    series = load_series(str(SERIES), IntakeOptions())
    assert series.expected == 8 and series.complete
    assert series.cover is not None and series.cover.subject.startswith("[PATCH 0/8]")
    p1 = series.patches[0]
    assert p1.subject == "[PATCH 1/8] usb: serial: acme: report line status"
    assert p1.author.email == "dana@example.org"
    assert [a.email for a in p1.to] == ["linux-usb@vger.kernel.org"]
    assert "linux-iio@vger.kernel.org" in [a.email for a in p1.cc]
    assert p1.commit_message.startswith("Read the line status register")
    assert "Signed-off-by: Dana Developer" in p1.commit_message
    assert "diffstat" not in p1.diff_text and p1.diff_text.startswith("diff --git")
    assert [pf.path for pf in p1.diff] == ["drivers/usb/serial/acme_serial.c"]
    assert series.patches[6].files == ["arch/arm64/include/asm/cache.h"]


def test_gzip_mbox_and_single_message_file(tmp_path):
    gz = tmp_path / "t.mbox.gz"
    gz.write_bytes(gzip.compress(SERIES.read_bytes()))
    assert len(load_series(str(gz), IntakeOptions()).patches) == 8
    single = tmp_path / "one.eml"
    single.write_bytes(example_messages()[7])
    series = load_series(str(single), IntakeOptions())
    assert [p.index for p in series.patches] == [7]
    assert series.incomplete_message() == "v1 is incomplete: have 7 of 8"


def test_maildir(tmp_path):
    md = mailbox.Maildir(str(tmp_path / "md"), create=True)
    for raw in example_messages():
        md.add(raw)
    series = load_series(str(tmp_path / "md"), IntakeOptions())
    assert [p.index for p in series.patches] == list(range(1, 9))


def test_stdin():
    series = load_series("-", IntakeOptions(), stdin=io.BytesIO(SERIES.read_bytes()))
    assert len(series.patches) == 8


def test_revision_choice_in_a_file(tmp_path):
    mails = mailgen.series("w", 3, rev=1) + mailgen.series("w", 3, rev=2, minutes=50)
    mails.append(mailgen.review_reply("w", 2, 2))
    path = tmp_path / "two.mbox"
    path.write_bytes(
        b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + m + b"\n" for m in mails)
    )
    assert load_series(str(path), IntakeOptions()).revision == 2
    v1 = load_series(str(path), IntakeOptions(revision=1))
    assert v1.revision == 1 and len(v1.patches) == 3
    assert all(p.diff_error is None and len(p.diff) == 1 for p in v1.patches)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty input"),
        (b"\x00\x01\x02binary", "binary data, not mail"),
        (b"just some text\nwith lines\n", "not mail"),
        (mailgen.message("q@x", "a question", "no diff here\n"), "no patch found in this mail"),
    ],
)
def test_bad_files_are_one_line_exit_2(tmp_path, capsys, content, reason):
    path = tmp_path / "input.mbox"
    path.write_bytes(content)
    assert main(["review", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"reviewbot: {path}: ") and reason in err


def test_directory_that_is_not_a_maildir(tmp_path, capsys):
    assert main(["review", str(tmp_path)]) == 2
    assert "not a maildir" in capsys.readouterr().err


def test_source_that_is_nothing(capsys):
    assert main(["review", "no such thing"]) == 2
    assert "not a message-id, URL or git range" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("-", "stdin"),
        ("a@b", "msgid"),
        ("<a@b>", "msgid"),
        ("HEAD~3..HEAD", "range"),
        ("origin/master..", "range"),
        ("https://lore.kernel.org/x/a@b/", "url"),
    ],
)
def test_classify(source, kind):
    assert classify(source) == kind


@pytest.mark.parametrize(
    ("url", "base", "msgid"),
    [
        (
            "https://lore.kernel.org/linux-usb/a%2Bb@c.d/",
            "https://lore.kernel.org/linux-usb",
            "a+b@c.d",
        ),
        ("https://lore.kernel.org/all/a@b/T/#u", "https://lore.kernel.org/all", "a@b"),
        ("http://127.0.0.1:8080/test/a@b/t.mbox.gz", "http://127.0.0.1:8080/test", "a@b"),
        ("http://h/x/y/a@b/raw", "http://h/x/y", "a@b"),
    ],
)
def test_split_lore_url(url, base, msgid):
    assert split_lore_url(url) == (base, msgid)


@pytest.mark.parametrize(
    "url", ["https://lore.kernel.org/", "https://lore.kernel.org/a@b/", "ftp://x/y/a@b"]
)
def test_split_lore_url_rejects(url):
    with pytest.raises(InputError):
        split_lore_url(url)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture()
def small_repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.name", "Pat Author")
    _git(repo, "config", "user.email", "pat@example.org")
    (repo / "drv.c").write_text("int x;\n")
    # a kernel tree's landmarks, or `review --tree` refuses it before reading the range
    _git(repo, "add", "drv.c", *make_kernel_skeleton(repo))
    _git(repo, "commit", "-q", "-m", "base")
    for n in (1, 2):
        (repo / "drv.c").write_text((repo / "drv.c").read_text() + f"int y{n};\n")
        _git(repo, "commit", "-q", "-am", f"drv: add y{n}\n\nBecause {n}.")
    return repo


def test_git_range_gives_the_same_series_shape(small_repo):
    series = load_series("HEAD~2..HEAD", IntakeOptions(repo=small_repo))
    assert [p.index for p in series.patches] == [1, 2]
    assert [p.subject for p in series.patches] == [
        "[PATCH 1/2] drv: add y1",
        "[PATCH 2/2] drv: add y2",
    ]
    assert series.base_commit == _git(small_repo, "rev-parse", "HEAD~2").strip()
    shas = _git(small_repo, "rev-list", "--reverse", "HEAD~2..HEAD").split()
    assert [p.msgid for p in series.patches] == [f"{s}@git.reviewbot" for s in shas]
    assert series.patches[1].commit_message.startswith("drv: add y2") is False
    assert "Because 2." in series.patches[1].commit_message
    assert [h.target_line_no for h in series.patches[1].diff[0][0] if h.is_added] == [3]


def test_git_range_errors(small_repo, capsys):
    assert main(["review", "--tree", str(small_repo), "HEAD..HEAD"]) == 2
    assert "no commits in this range" in capsys.readouterr().err
    assert main(["review", "--tree", str(small_repo), "nosuch..HEAD"]) == 2
    assert capsys.readouterr().err.startswith("reviewbot: nosuch..HEAD: not a range in ")


def test_users_b4_config_does_not_leak_in_or_out(tmp_path, monkeypatch, capsys):
    """A developer's b4.midmask must not redirect us, and we must not change b4's globals."""
    gitconfig = Path(tmp_path / "gc")
    gitconfig.write_text("[b4]\n\tmidmask = http://127.0.0.1:9/nowhere/%s\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    before = (b4.MAIN_CONFIG, b4.LORENODE)
    data = main(["review", "--format", "json", str(SERIES)])
    assert data == 0
    assert json.loads(capsys.readouterr().out)["series"]["expected"] == 8
    assert before == (b4.MAIN_CONFIG, b4.LORENODE)
    assert gitconfig.read_text() == "[b4]\n\tmidmask = http://127.0.0.1:9/nowhere/%s\n"


def test_console_script_never_prints_a_traceback(tmp_path):
    bad = tmp_path / "bad.mbox"
    bad.write_bytes(b"From x\n\n\x00\xff")
    proc = subprocess.run(
        [sys.executable, "-m", "reviewbot", "review", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
