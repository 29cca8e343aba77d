"""One tree-walk policy: scan and the impact search skip the same folders (knowledge data)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import reviewbot.impact as impact
from reviewbot.impact import ImpactInput, dependent_macros
from reviewbot.knowledge import load_knowledge
from reviewbot.scan import scan_tree

USER = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/usb.h>

struct ctx {
\tu8 key[16] __aligned(ARCH_KMALLOC_MINALIGN);
};

static int get(struct usb_device *udev)
{
\tu8 status[2];

\treturn usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 1, USB_DIR_IN, 0, 0,
\t\t\t       status, sizeof(status), 1000);
}
"""

SKIPPED = ("tools/usb/user.c", "samples/usb/user.c", "Documentation/usb/user.c",
           "drivers/usb/.pc/user.c")
WALKED = ("drivers/usb/user.c",)


@pytest.fixture()
def tree(tmp_path) -> Path:
    for rel in SKIPPED + WALKED:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(USER)
    return tmp_path


def test_the_policy_is_data() -> None:
    k = load_knowledge()
    assert {".git", "Documentation", "tools", "samples", "scripts"} <= set(k.skip_dirs)


def test_scan_skips_the_policy_s_folders(tree) -> None:
    found = scan_tree(tree, load_knowledge(), jobs=1).findings
    assert {f.file for f in found} == set(WALKED)


@pytest.mark.parametrize("grep", [True, False], ids=["grep", "python"])
def test_impact_search_skips_the_same_folders(tree, monkeypatch, grep) -> None:
    if not grep:
        monkeypatch.setattr(impact.shutil, "which", lambda _name: None)
    elif shutil.which("grep") is None:
        pytest.skip("no grep")
    k = load_knowledge()
    tree_in = ImpactInput(tree, frozenset(), lambda _p: None, k.skip_dirs)
    _macros, lines = dependent_macros(tree_in, {"ARCH_KMALLOC_MINALIGN"})
    assert {path for path, _line in lines} == set(WALKED)


def test_the_split_walk_is_the_one_process_walk(tmp_path):
    """walk_stat hands drivers/ to a forked process in a whole-tree scan (issue 27); paths,
    their order, refusals and stats are those of one process, and only the top-level
    drivers/ is left out of this process's part (sound/drivers is not)."""
    from reviewbot.treewalk import walk_stat

    root = tmp_path / "tree"
    for rel in ("Makefile.c", "arch/arm/a.c", "drivers/usb/u.c", "drivers/usb/u.h",
                "drivers/zz/z.c", "drivers/.git/no.c", "fs/f.c", "sound/drivers/s.c",
                "zz/last.c", "include/linux/usb.h"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    (tmp_path / "outside.c").write_text("x")
    (root / "drivers/usb/out.c").symlink_to(tmp_path / "outside.c")
    (root / "drivers/linked").symlink_to(root / "fs")
    (root / "fs/out.c").symlink_to(tmp_path / "outside.c")
    one = walk_stat(root, [], [".git"], 1)
    two = walk_stat(root, [], [".git"], 2)
    assert two.digest == one.digest and two.files == one.files == len(one.stats())
    assert two.refused == one.refused
    assert two.stats() == one.stats() and list(two.stats()) == list(one.stats())
    walked = list(one.stats())
    assert "sound/drivers/s.c" in walked and "drivers/.git/no.c" not in walked
    assert {u.file for u in one.refused} == {"drivers/usb/out.c", "fs/out.c"}
    assert walked.index("drivers/zz/z.c") < walked.index("fs/f.c") < walked.index(
        "include/linux/usb.h") < walked.index("sound/drivers/s.c")
    assert walked[0] == "Makefile.c" and walked[-1] == "zz/last.c"
