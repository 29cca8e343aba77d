"""Apply a series to a real git tree and to a plain folder, never touching the user's tree."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from reviewbot.apply import apply_series
from reviewbot.errors import InputError
from reviewbot.intake import IntakeOptions, load_series
from reviewbot.intake.mail import split_bytes
from reviewbot.intake.series import build_series
from tests.conftest import EXAMPLES, git


def snapshot(repo: Path) -> dict:
    """Everything a user would notice: files, status, HEAD, refs, index, object store."""
    files = {
        str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if p.is_file()
    }
    return {
        "files": files,
        "status": git(repo, "status", "--porcelain", "--ignored"),
        "head": git(repo, "rev-parse", "HEAD"),
        "symbolic": git(repo, "symbolic-ref", "-q", "HEAD"),
        "refs": git(repo, "for-each-ref"),
        "worktrees": git(repo, "worktree", "list", "--porcelain"),
    }


@pytest.fixture()
def kernel_repo(example_repo) -> Path:
    return example_repo


def example_series():
    return load_series(str(EXAMPLES / "series.mbox"), IntakeOptions())


def test_applies_every_patch_and_gives_pre_and_post_images(kernel_repo):
    series = example_series()
    view = apply_series(series, kernel_repo)
    try:
        assert [s.applied for s in view.status] == [True] * 8
        head = git(kernel_repo, "rev-parse", "HEAD").strip()
        assert view.base_name == head
        assert any("base-commit 759b225e5b35 is not in" in n for n in view.notes)
        cache = "arch/arm64/include/asm/cache.h"
        assert "ARCH_KMALLOC_MINALIGN\tARCH_DMA_MINALIGN" in view.text(cache, 6)
        assert "ARCH_KMALLOC_MINALIGN\t(8)" in view.text(cache, 7)
        assert "ARCH_KMALLOC_MINALIGN\t(8)" in view.text(cache, 8)
        fw = "drivers/usb/misc/acme_fw.c"
        assert "vmalloc(blob->size)" not in view.text(fw, 3)
        assert "vmalloc(blob->size)" in view.text(fw, 4)
        assert "acme_fw_reset" in view.text(fw, 8) and "acme_fw_reset" not in view.text(fw, 7)
        # an untouched file comes from the base commit
        assert view.text("MAINTAINERS", 8).startswith("List of maintainers")
    finally:
        view.close()


def test_stated_base_commit_is_used_when_the_repo_has_it(kernel_repo):
    base = git(kernel_repo, "rev-parse", "HEAD").strip()
    cache = kernel_repo / "arch/arm64/include/asm/cache.h"
    cache.write_text(cache.read_text().replace("(128)", "(64)"))
    git(kernel_repo, "commit", "-q", "-am", "later change that breaks patch 7")
    raw = (
        (EXAMPLES / "series.mbox")
        .read_bytes()
        .replace(
            b"base-commit: 759b225e5b3500aed4f49996e9822e33992f7a8b",
            f"base-commit: {base}".encode(),
        )
    )
    series = build_series(split_bytes(raw, "x").messages, "x")
    view = apply_series(series, kernel_repo)
    assert view.base_name == base and view.notes == ()
    assert all(s.applied for s in view.status)
    # at HEAD, patch 7 no longer applies
    series_no_base = example_series()
    view2 = apply_series(series_no_base, kernel_repo)
    failed = [s for s in view2.status if not s.applied]
    assert [s.index for s in failed] == [7]
    assert failed[0].error == "arch/arm64/include/asm/cache.h: hunk at line 16 does not apply"
    # the others were applied and the failed one left its file at the base version
    assert "(64)" in view2.text("arch/arm64/include/asm/cache.h", 8)


def test_user_tree_is_unchanged(kernel_repo):
    (kernel_repo / "drivers/hwmon/acme-hwmon.c").write_text("/* local edit */\n")
    (kernel_repo / "untracked.txt").write_text("mine\n")
    git(kernel_repo, "checkout", "-q", "-b", "topic")
    before = snapshot(kernel_repo)
    objects_before = sorted(p.name for p in (kernel_repo / ".git/objects").rglob("*"))
    view = apply_series(example_series(), kernel_repo)
    view.close()
    assert snapshot(kernel_repo) == before
    assert sorted(p.name for p in (kernel_repo / ".git/objects").rglob("*")) == objects_before


def test_plain_directory(tmp_path):
    tree = tmp_path / "plain"
    shutil.copytree(EXAMPLES / "tree", tree)
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    view = apply_series(example_series(), tree)
    assert all(s.applied for s in view.status)
    assert "not a git repository" in view.notes[0]
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == before


def _one_patch(path: str) -> bytes:
    return (
        "From: A <a@example.org>\nSubject: [PATCH] evil\nMessage-Id: <evil@x>\n\n"
        f"x\n---\ndiff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        "@@ -1 +1 @@\n-a\n+b\n"
    ).encode()


@pytest.mark.parametrize("path", ["../outside.c", "drivers/../../outside.c", "/etc/passwd"])
def test_paths_leaving_the_tree_are_refused(kernel_repo, path):
    series = build_series(split_bytes(_one_patch(path), "evil").messages, "evil")
    with pytest.raises(InputError, match="refused"):
        apply_series(series, kernel_repo)


def test_symlink_pointing_outside_is_refused(tmp_path):
    tree = tmp_path / "plain"
    tree.mkdir()
    (tmp_path / "secret.c").write_text("a\n")
    (tree / "link.c").symlink_to(tmp_path / "secret.c")
    series = build_series(split_bytes(_one_patch("link.c"), "evil").messages, "evil")
    with pytest.raises(InputError, match="symlink pointing outside"):
        apply_series(series, tree)
    assert (tmp_path / "secret.c").read_text() == "a\n"


def test_not_a_directory(tmp_path):
    with pytest.raises(InputError, match="no such kernel tree"):
        apply_series(example_series(), tmp_path / "nope")


def test_plain_base_reads_what_resolve_would(tmp_path):
    """PlainBase resolves each folder once (speed, issue 27); every answer stays that
    of resolving the whole path: inside links read, outside links and folders are
    refused, loops, FIFOs and folders read as absent, an unreadable file is an error."""
    import os

    from reviewbot.apply.base import PlainBase

    tree = tmp_path / "tree"
    (tree / "drivers" / "usb").mkdir(parents=True)
    (tree / "drivers" / "usb" / "a.c").write_text("a\n")
    (tree / "drivers" / "alias").symlink_to(tree / "drivers" / "usb")
    (tree / "b.c").symlink_to("drivers/usb/a.c")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "c.c").write_text("secret\n")
    (tree / "escape").symlink_to(tmp_path / "out")
    (tree / "loop").symlink_to(tree / "loop")
    os.mkfifo(tree / "fifo.c")
    (tree / "locked.c").write_text("x\n")
    (tree / "locked.c").chmod(0)
    base = PlainBase(tree)
    assert base.read("drivers/usb/a.c") == b"a\n"
    assert base.read("drivers/alias/a.c") == b"a\n"
    assert base.read("b.c") == b"a\n"
    assert base.read("drivers/usb/missing.c") is None
    assert base.read("nowhere/at/all.c") is None
    assert base.read("drivers/usb") is None
    assert base.read("loop/x.c") is None
    assert base.read("fifo.c") is None
    for _ in range(2):  # the refusal is remembered with the folder, and said again
        with pytest.raises(InputError, match="symlink pointing outside"):
            base.read("escape/c.c")
    with pytest.raises(InputError, match="leaving the tree"):
        base.read("../out/c.c")
    if os.geteuid() != 0:  # root reads mode 000 files
        with pytest.raises(InputError, match="cannot read"):
            base.read("locked.c")


def test_plain_base_reads_1100_nested_folders(tmp_path):
    """Folders are resolved by a loop, not recursion (issue 26's deep trees)."""
    import subprocess

    from reviewbot.apply.base import PlainBase

    tree = tmp_path / "tree"
    deep = tree
    try:
        for _ in range(1100):
            deep = deep / "d"
            deep.mkdir(parents=deep.parent == tree)
        (deep / "x.c").write_text("x\n")
        assert PlainBase(tree).read("d/" * 1100 + "x.c") == b"x\n"
    finally:
        subprocess.run(["rm", "-rf", str(tree)], check=True)
