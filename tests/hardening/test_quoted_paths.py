"""Issue 26, item 1: the CI gate reads a file whose path git quotes.

Git writes a path holding a non-ASCII byte C-quoted:
``diff --git "a/drivers/usb/misc/caf\\303\\251.c" "b/..."``. unidiff keeps
the quotes, so the analysis saw a name ending in ``.c"``, took it for "not
C", and ``check`` passed a stack buffer it never read. The same for a
format-patch file and for an ASCII path quoted by hand.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reviewbot.diffpaths import file_path, tree_path, unquote
from reviewbot.intake.series import parse_diff
from tests.check.conftest import KernelRepo
from tests.check.kernel import BASE, STACK_FUNC, line_of
from tests.hardening.series import mail, mbox, reviewbot

CAFE = "drivers/usb/misc/café.c"


@pytest.fixture
def cafe_repo(tmp_path: Path) -> KernelRepo:
    """A repository whose second commit adds a stack-buffer transfer to ``café.c``."""
    repo = KernelRepo(tmp_path / "linux")
    repo.commit(CAFE, BASE, "usb: café: add driver")
    repo.git("tag", "base")
    repo.commit(CAFE, BASE + STACK_FUNC, "usb: café: read the status")
    return repo


def test_git_quotes_the_path_in_the_range_we_check(cafe_repo: KernelRepo):
    # the premise: without this the test below would prove nothing
    patch = cafe_repo.git("format-patch", "--stdout", "base..HEAD")
    assert '"a/drivers/usb/misc/caf\\303\\251.c"' in patch


def test_check_on_a_git_range_reads_a_non_ascii_path(cafe_repo: KernelRepo):
    proc = reviewbot("check", "--format", "json", "base..HEAD", cwd=cafe_repo.root)
    assert proc.returncode == 1, proc.stderr.decode()
    data = json.loads(proc.stdout)
    got = [(f["rule"], f["file"], f["line"]) for f in data["findings"]]
    line = line_of(cafe_repo.read(CAFE), "usb_control_msg(", after="widget_read_status")
    assert got == [("dma-stack", CAFE, line)]
    assert data["series"]["patches"][0]["applied"] is True


def test_check_on_a_format_patch_file_reads_a_non_ascii_path(cafe_repo: KernelRepo, tmp_path):
    patch = tmp_path / "0001.patch"
    patch.write_bytes(
        subprocess.run(["git", "-C", str(cafe_repo.root), "format-patch", "--stdout", "-1"],
                       capture_output=True, check=True).stdout
    )
    # without a tree the hunks alone are analysed: the file name must still be read
    proc = reviewbot("check", "--format", "github", str(patch), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr.decode()
    assert f"::error file={CAFE}," in proc.stdout.decode()


def test_the_annotation_follows_a_later_patch_in_a_non_ascii_file(cafe_repo: KernelRepo):
    """render/locations.py carries a finding through later patches by their paths: it read
    git's quoted names and lost café.c, so GitHub pointed 5 lines above the call."""
    cafe_repo.commit(CAFE, "/* 1 */\n/* 2 */\n/* 3 */\n/* 4 */\n/* 5 */\n" + BASE + STACK_FUNC,
                     "usb: café: comments")
    proc = reviewbot("check", "--format", "github", "base..HEAD", cwd=cafe_repo.root)
    assert proc.returncode == 1, proc.stderr.decode()
    line = line_of(cafe_repo.read(CAFE), "usb_control_msg(", after="widget_read_status")
    assert f"::error file={CAFE},line={line}," in proc.stdout.decode()


def test_a_patch_the_tree_holds_is_found_in_a_non_ascii_file(tmp_path):
    """apply/applied.py finds a mailed patch already in the tree by the paths it touches:
    with git's quoted name it found none, and b4 prep --check reviewed hunks only."""
    repo = KernelRepo(tmp_path / "linux")
    repo.commit(CAFE, BASE + "/* marker */\n", "usb: café: add driver")
    repo.commit(CAFE, BASE + STACK_FUNC, "usb: café: read the status")
    msg = subprocess.run(["git", "-C", str(repo.root), "format-patch", "--stdout", "-1"],
                         capture_output=True, check=True).stdout.split(b"\n", 1)[1]
    proc = reviewbot("check", "--format", "b4", cwd=repo.root, stdin=msg)
    assert proc.returncode == 1, proc.stderr.decode()
    [entry] = json.loads(proc.stdout)
    assert entry["summary"].startswith("in the tree as "), entry["summary"]
    assert f"dma-stack at {CAFE}:" in entry["summary"]


def test_check_reads_a_hand_quoted_ascii_path(tmp_path):
    diff = (
        'diff --git "a/drivers/usb/misc/quoted.c" "b/drivers/usb/misc/quoted.c"\n'
        "new file mode 100644\n"
        "index 0000000..3333333\n"
        "--- /dev/null\n"
        '+++ "b/drivers/usb/misc/quoted.c"\n'
        f"@@ -0,0 +1,{STACK_FUNC.count(chr(10))} @@\n"
        + "".join(f"+{line}\n" for line in STACK_FUNC.splitlines())
    )
    src = tmp_path / "quoted.mbox"
    src.write_bytes(mbox(mail(1, 1, "usb: quoted: read the status", diff)))
    proc = reviewbot("check", "--format", "json", str(src), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr.decode()
    files = [f["file"] for f in json.loads(proc.stdout)["findings"]]
    assert files == ["drivers/usb/misc/quoted.c"]


@pytest.mark.parametrize(
    ("quoted", "path"),
    [
        ('"a/drivers/usb/misc/caf\\303\\251.c"', "drivers/usb/misc/café.c"),
        ('"b/tab\\there.c"', "tab\there.c"),
        ('"b/say \\"hi\\".c"', 'say "hi".c'),
        ('"b/back\\\\slash.c"', "back\\slash.c"),
        ('"b/bell\\a\\b\\f\\n\\r\\v.c"', "bell\a\b\f\n\r\v.c"),
        ("b/plain.c", "plain.c"),
        ("/dev/null", None),
    ],
)
def test_tree_path_undoes_git_quoting(quoted, path):
    assert tree_path(quoted) == path


def test_unquote_keeps_bytes_that_are_not_utf8():
    name = unquote('"caf\\351.c"')  # latin-1 é
    assert name.encode("utf-8", "surrogateescape") == b"caf\xe9.c"


def test_every_reader_of_a_diff_path_sees_it_unquoted():
    diff = (
        'diff --git "a/drivers/caf\\303\\251.c" "b/drivers/caf\\303\\251.c"\n'
        "index 1111111..2222222 100644\n"
        '--- "a/drivers/caf\\303\\251.c"\n'
        '+++ "b/drivers/caf\\303\\251.c"\n'
        "@@ -1 +1 @@\n-a\n+b\n"
    )
    (pf,) = parse_diff(diff)[0]
    assert file_path(pf) == "drivers/café.c"
    from reviewbot.render.checkpatch import read_mail_diff

    assert read_mail_diff(diff.split("\n"), 1).added_at("drivers/café.c", 1) == 7
