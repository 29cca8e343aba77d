"""``reviewbot profile``: a tree's profile as text or JSON, a shipped one, and one-line refusals."""

from __future__ import annotations

import json

from reviewbot.cli import main
from tests.analysis.profile_trees import tree_61, write_tree


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_profile_of_a_tree_as_text_and_json(tmp_path, capsys):
    tree = write_tree(tmp_path, tree_61())
    status, out, err = run(["profile", str(tree)], capsys)
    assert (status, err) == (0, "")
    assert out.startswith("Linux 6.1.192\n")
    assert "small kmalloc bounce: none (no dma_kmalloc_needs_bounce())\n" in out
    assert "  arm64 (ARM64)\n" in out
    status, out, err = run(["profile", "--format", "json", str(tree)], capsys)
    assert (status, err) == (0, "")
    data = json.loads(out)
    assert data["version"] == "6.1.192"
    assert [a["name"] for a in data["arches"]][:3] == ["alpha", "arm", "arm64"]


def test_profile_prints_a_shipped_profile(capsys):
    status, out, _ = run(["profile", "--assume", "6.1"], capsys)
    assert status == 0 and out.startswith("Linux 6.1.192\n")
    status, out, _ = run(["profile", "--assume", "mainline"], capsys)
    assert status == 0 and out.startswith("Linux 6.12.118\n")


def test_profile_refuses_in_one_line(tmp_path, capsys):
    status, out, err = run(["profile", str(tmp_path)], capsys)
    assert (status, out) == (2, "")
    assert err == (f"reviewbot: TREE {tmp_path}: not a kernel tree (missing: MAINTAINERS, "
                   "arch/, include/linux/, a top-level Makefile with VERSION =)\n")
    status, out, err = run(["profile"], capsys)
    assert (status, err) == (2, "reviewbot: profile: give TREE or --assume NAME (one of them)\n")
    status, out, err = run(["profile", "--assume", "6.1", str(tmp_path)], capsys)
    assert status == 2 and err.count("\n") == 1
    status, out, err = run(["profile", "--assume", "5.10"], capsys)
    assert (status, err) == (
        2, "reviewbot: no shipped tree profile '5.10' (shipped: 6.1, 6.12, mainline)\n")
