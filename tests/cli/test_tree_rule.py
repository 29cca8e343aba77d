"""Where the tree comes from, and what is refused as one (issue 13).

One rule for every command: ``--tree``, else config ``tree.path``, else the
kernel tree the current directory is in (for local sources). These tests
use real git repositories made from the example tree.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewbot.cli import main
from reviewbot.kerneltree import enclosing_kernel_tree, kernel_tree_problem
from tests.conftest import EXAMPLES, git

SERIES = EXAMPLES / "series.mbox"


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture()
def series_repo(example_repo: Path) -> Path:
    """The example tree with the example series committed on top (``git am``), tag ``base``."""
    git(example_repo, "tag", "base")
    am = ["git", "-C", str(example_repo), "am", "-q", "--empty=drop", str(SERIES)]
    subprocess.run(am, check=True, capture_output=True)
    return example_repo


def test_the_example_tree_is_a_kernel_tree():
    assert kernel_tree_problem(EXAMPLES / "tree") is None


def test_ordinary_folder_is_refused_at_once_with_the_reason(tmp_path, capsys):
    folder = tmp_path / "photos"
    (folder / "drivers").mkdir(parents=True)
    (folder / "drivers" / "a.c").write_text("int x;\n")
    started = time.monotonic()
    status, out, err = run(["review", "--tree", str(folder), str(SERIES)], capsys)
    elapsed = time.monotonic() - started
    assert status == 2 and out == ""
    assert err == (
        f"reviewbot: --tree {folder}: not a kernel tree (missing: MAINTAINERS, arch/, "
        "include/linux/, a top-level Makefile with VERSION =)\n"
    )
    assert elapsed < 1.0
    status, _, err = run(["check", "--tree", str(folder / "nope"), str(SERIES)], capsys)
    assert (status, err) == (2, f"reviewbot: --tree {folder / 'nope'}: no such directory\n")


def test_a_tree_missing_one_landmark_names_it(tmp_path):
    import shutil

    tree = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", tree)
    (tree / "Makefile").write_text("all:\n\techo not a kernel\n")
    assert kernel_tree_problem(tree) == (
        "not a kernel tree (missing: a top-level Makefile with VERSION =)"
    )


def test_config_tree_path_is_checked_too(tmp_path, capsys):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[tree]\npath = "{tmp_path}"\n')
    status, _, err = run(["--config", str(cfg), "review", str(SERIES)], capsys)
    assert status == 2
    assert err.startswith(f"reviewbot: config tree.path {tmp_path}: not a kernel tree")


def test_config_tree_path_may_start_with_a_tilde(tmp_path, monkeypatch):
    import shutil

    from reviewbot.kerneltree import choose_tree

    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copytree(EXAMPLES / "tree", tmp_path / "linux")
    choice = choose_tree(None, Path("~/linux"))
    assert (choice.path, choice.origin) == (tmp_path / "linux", "config tree.path")


def test_enclosing_tree_is_found_from_a_subdirectory(series_repo):
    assert enclosing_kernel_tree(series_repo / "drivers" / "usb") == series_repo.resolve()
    assert enclosing_kernel_tree(series_repo.parent) is None


def _findings(out: str) -> tuple[list, list, str, list]:
    data = json.loads(out)
    keys = [
        (f["rule"], f["file"], f["line"], f["patch"], f["introduced"]) for f in data["findings"]
    ]
    applied = [p["applied"] for p in data["series"]["patches"]]
    return keys, [d["path"] for d in data["affected_drivers"]], data["series"]["base"], applied


def test_patch_files_inside_a_kernel_repo_find_what_the_range_finds(
    series_repo, tmp_path, monkeypatch, capsys
):
    """Same folder, same series, same answer: range, format-patch files, mbox, stdin."""
    outdir = tmp_path / "fp"
    git(series_repo, "format-patch", "-q", "-o", str(outdir), "base..HEAD")
    files = sorted(str(p) for p in outdir.glob("*.patch"))
    assert len(files) == 8
    monkeypatch.chdir(series_repo / "drivers")  # anywhere inside the tree
    status_range, out_range, _err_range = run(
        ["check", "--format", "json", "base..HEAD"], capsys
    )
    status_files, out_files, err_files = run(["check", "--format", "json", *files], capsys)
    assert status_range == status_files == 1
    by_range, by_files = _findings(out_range), _findings(out_files)
    assert by_files == by_range
    # the tree was really used: the minalign change lists drivers, which needs the tree
    # ranked: the IIO header (core) defines IIO_DMA_MINALIGN through
    # ARCH_KMALLOC_MINALIGN, the fix point of the ADC driver; the LED driver's small
    # kmalloc buffer corrupts
    assert by_range[1] == ["include/linux/iio", "drivers/usb/misc/acme_led.c"]
    # on the same base (the files' commits are in the tree), where every patch applies
    assert by_range[2] == git(series_repo, "rev-parse", "base").strip()
    assert by_range[3] == [True] * 8
    # one mbox of the same commits, and the same on standard input
    mbox = tmp_path / "series.mbox"
    mbox.write_bytes(b"".join(Path(f).read_bytes() for f in files))
    assert _findings(run(["check", "--format", "json", str(mbox)], capsys)[1]) == by_range
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(mbox.read_bytes())))
    assert _findings(run(["check", "--format", "json", "-"], capsys)[1]) == by_range
    assert f"tree {series_repo.resolve()} (from the current directory)" in err_files
    # and the text output says which tree and base
    _status, out, _ = run(["check", *files], capsys)
    assert f"  tree: {series_repo.resolve()} (from the current directory)\n" in out
    assert "  base: " in out and "(applied)" in out


def test_outside_a_kernel_tree_patch_files_are_reviewed_alone(series_repo, tmp_path, capsys,
                                                               monkeypatch):
    outdir = tmp_path / "fp"
    git(series_repo, "format-patch", "-q", "-o", str(outdir), "base..HEAD")
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(["check", *sorted(str(p) for p in outdir.glob("*.patch"))], capsys)
    assert status == 1
    assert "  tree: none (reviewed from the patches alone)\n" in out
    assert "Affected drivers" not in out


def test_the_tree_rule_is_the_same_for_every_source_and_no_tree_opts_out(
    series_repo, monkeypatch
):
    """Issue 25: a message-id reviewed inside a kernel tree uses it, as an mbox does."""
    from reviewbot.kerneltree import choose_tree

    monkeypatch.chdir(series_repo / "drivers")
    inside = choose_tree(None, None)
    assert (inside.path, inside.origin) == (series_repo.resolve(), "the current directory")
    assert choose_tree(series_repo, None).origin == "--tree"
    none = choose_tree(None, None, no_tree=True)
    assert none.path is None
    assert none.describe() == "none (--no-tree: reviewed from the patches alone)"


def test_one_commit_suggests_ranges(series_repo, monkeypatch, capsys):
    monkeypatch.chdir(series_repo)
    status, out, err = run(["check", "HEAD~1"], capsys)
    assert status == 2 and out == ""
    assert err == (
        "reviewbot: HEAD~1: one commit, not a range: give HEAD~1^..HEAD~1 for that commit "
        "alone, or HEAD~1..HEAD for the commits after it\n"
    )
