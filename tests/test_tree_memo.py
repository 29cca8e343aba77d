"""Issue 27: the Kconfig walk and the tree profile kept in the scan cache (scan/tree_memo.py).

A memo must give exactly what reading the tree gives, and must never be used
once a file it was read from has changed: a review answered from a stale walk
would name the wrong architectures.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from reviewbot.analysis.facts.kconfig import KconfigWalk
from reviewbot.analysis.facts.platforms import Platforms
from reviewbot.scan import tree_memo
from reviewbot.scan.cache import open_cache
from tests.analysis.kconfig_tree import ARCHES, reader, write_tree
from tests.analysis.test_platforms import DRIVERS

PATHS = ["drivers/bus/ti-sysc.c", "drivers/scsi/ibmvscsi/ibmvscsi.c", "drivers/input/old32.c",
         "drivers/soc/rpmh.c", "drivers/platform/mips/cpu_hwmon.c", "drivers/misc/le.c",
         "drivers/misc/ghost.c", "drivers/misc/orphan.c", "drivers/misc/acpi_dev.c"]


def _answers(p: Platforms) -> list:
    return [(p.reach(f), p.builds_on_with(f, "powerpc", {"PPC64": False})) for f in PATHS]


def _walk(tree: Path) -> tuple[Platforms, KconfigWalk]:
    p = Platforms(reader(tree), ARCHES)
    answers = _answers(p)
    walk = p.walked()
    assert walk is not None and answers
    return p, walk


def test_a_kept_walk_answers_as_the_walk_did(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "t", DRIVERS)
    walked, walk = _walk(tree)
    again = KconfigWalk.from_json(json.loads(json.dumps(walk.to_json())))
    assert again == walk
    given = Platforms(reader(tree), ARCHES, again)
    assert _answers(given) == _answers(walked)
    assert given.walked() is None  # it made no walk of its own to keep


def test_a_damaged_walk_is_not_used() -> None:
    assert KconfigWalk.from_json({"arches": ["arm"]}) is None
    assert KconfigWalk.from_json([1, 2]) is None


def test_the_memo_is_dropped_when_a_file_it_read_changes(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "t", DRIVERS)
    old = time.time_ns() - 10**10
    for dirpath, _dirs, files in os.walk(tree):
        for name in files:
            os.utime(Path(dirpath) / name, ns=(old, old))
    _walked, walk = _walk(tree)
    cache = open_cache(tmp_path / "cache", tree, "t")
    assert cache is not None
    memo = tree_memo.KconfigMemo(cache, tree, None)
    assert memo.walk is None
    memo.keep(walk)
    assert tree_memo.KconfigMemo(cache, tree, None).walk == walk
    # an edited Kconfig the walk read: the memo is not trusted
    kconfig = tree / "drivers/soc/Kconfig"
    kconfig.write_text(kconfig.read_text().replace("if ARCH_QCOM", "if ARM64"))
    assert tree_memo.KconfigMemo(cache, tree, None).walk is None
    # for a git base the commit is the key, and the folder's files do not matter
    tree_memo.KconfigMemo(cache, tree, "c0ffee").keep(walk)
    assert tree_memo.KconfigMemo(cache, tree, "c0ffee").walk == walk
    assert tree_memo.KconfigMemo(cache, tree, "beef").walk is None
    cache.close()


def test_a_walk_of_files_changing_while_read_is_not_kept(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "t", DRIVERS)  # files written just now
    cache = open_cache(tmp_path / "cache", tree, "t")
    assert cache is not None
    memo = tree_memo.KconfigMemo(cache, tree, None)
    memo.started = time.time_ns() - 10**10  # the walk began before the files were written
    memo.keep(_walk(tree)[1])
    assert tree_memo.KconfigMemo(cache, tree, None).walk is None
    cache.close()


def test_the_profile_memo_gives_the_profile_and_follows_an_edit(tmp_path: Path) -> None:
    import shutil

    from reviewbot.analysis.facts.profile import directory_reader, read_profile, tree_arches
    from tests.conftest import EXAMPLES

    tree = tmp_path / "tree"
    shutil.copytree(EXAMPLES / "tree", tree, symlinks=True)
    old = time.time_ns() - 10**10
    for dirpath, _dirs, files in os.walk(tree):
        for name in files:
            os.utime(Path(dirpath) / name, ns=(old, old))
    arches = tree_arches(tree)
    cache = open_cache(tmp_path / "cache", tree, "t")
    assert cache is not None
    read = directory_reader(tree)
    first = tree_memo.tree_profile(cache, tree, None, read, arches)
    assert first == read_profile(read, arches)

    def refuse(path: str) -> str | None:
        raise AssertionError(f"{path} read: the memo was not used")

    assert tree_memo.tree_profile(cache, tree, None, refuse, arches) == first
    slab = tree / "include/linux/slab.h"
    assert "include/linux/slab.h" in first.files
    slab.write_text(slab.read_text() + "\n")
    asked: list[str] = []

    def counting(path: str) -> str | None:
        asked.append(path)
        return read(path)

    assert tree_memo.tree_profile(cache, tree, None, counting, arches) == first
    assert "include/linux/slab.h" in asked  # read again, not answered from the memo
    cache.close()


def test_a_kept_walk_is_read_only_when_a_question_needs_it(tmp_path: Path,
                                                           monkeypatch) -> None:
    tree = write_tree(tmp_path / "t", DRIVERS)
    _walked, walk = _walk(tree)
    loads: list[int] = []

    def load() -> KconfigWalk:
        loads.append(1)
        return walk

    lazy = Platforms(reader(tree), ARCHES, load_walk=load)
    assert loads == []  # a review whose series makes no finding never reads it
    assert _answers(lazy) == _answers(Platforms(reader(tree), ARCHES, walk))
    assert loads == [1]  # read once, on the first question
    assert lazy.walked() is None  # given, not walked: nothing new to keep

    cache = open_cache(tmp_path / "cache", tree, "test")
    assert cache is not None
    tree_memo.KconfigMemo(cache, tree, "c0ffee").keep(walk)
    reads: list[str] = []
    real = tree_memo.load

    def spy(*args):
        reads.append("read")
        return real(*args)

    monkeypatch.setattr(tree_memo, "load", spy)
    memo = tree_memo.KconfigMemo(cache, tree, "c0ffee")
    assert reads == []
    assert memo.walk == walk and memo.walk == walk
    assert reads == ["read"]
