"""reviewbot scan on a small kernel-like tree: findings, drivers, formats and the cache."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from reviewbot.cli import main
from reviewbot.knowledge import load_knowledge
from reviewbot.scan import scan_tree
from tests.conftest import EXAMPLES

BAD_USB = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/usb.h>

static int widget_get_status(struct usb_device *udev, u8 *out)
{
\tu8 status[2];
\tint ret;

\tret = usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 0x01,
\t\t\t      USB_TYPE_VENDOR | USB_DIR_IN, 0, 0, status, sizeof(status), 1000);
\t*out = status[0];
\treturn ret;
}
"""

QUIET = """\
// SPDX-License-Identifier: GPL-2.0
static int widget_add(int a, int b)
{
\treturn a + b;
}
"""


@pytest.fixture()
def tree(tmp_path) -> Path:
    root = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", root)
    (root / "drivers/usb/misc/widget.c").write_text(BAD_USB)
    (root / "drivers/usb/misc/Makefile").write_text(
        "obj-$(CONFIG_ACME_FW) += acme_fw.o\nobj-$(CONFIG_USB_WIDGET) += widget.o\n"
    )
    (root / "drivers/usb/misc/quiet.c").write_text(QUIET)
    return root


def test_scan_finds_the_stack_buffer_and_skips_files_without_sinks(tree, tmp_path):
    result = scan_tree(tree, load_knowledge(), jobs=1, cache_dir=tmp_path / "cache")
    got = {(f.file, f.line, f.rule) for f in result.findings if f.file.endswith("widget.c")}
    assert got == {("drivers/usb/misc/widget.c", 9, "dma-stack")}
    assert not any(f.file.endswith("quiet.c") for f in result.findings)
    assert result.stats.files == len([p for p in tree.rglob("*") if p.suffix in (".c", ".h")])
    assert result.stats.parsed == result.stats.candidates < result.stats.files


def test_cache_reparses_only_the_changed_file(tree, tmp_path):
    k = load_knowledge()
    cache = tmp_path / "cache"
    first = scan_tree(tree, k, jobs=1, cache_dir=cache)
    again = scan_tree(tree, k, jobs=1, cache_dir=cache)
    assert again.stats.parsed == 0 and again.findings == first.findings
    widget = tree / "drivers/usb/misc/widget.c"
    widget.write_text(widget.read_text().replace("u8 status[2];", "u8 status[2]; /* x */"))
    os.utime(widget, ns=(1, 1))
    third = scan_tree(tree, k, jobs=1, cache_dir=cache)
    assert third.stats.parsed == 1
    assert {f.rule for f in third.findings if f.file.endswith("widget.c")} == {"dma-stack"}
    # content-keyed: putting the old text back finds it in the cache, parsing nothing
    widget.write_text(BAD_USB)
    os.utime(widget, ns=(2, 2))
    assert scan_tree(tree, k, jobs=1, cache_dir=cache).stats.parsed == 0


def test_pool_and_single_process_agree(tree):
    k = load_knowledge()
    assert scan_tree(tree, k, jobs=2).findings == scan_tree(tree, k, jobs=1).findings


def test_json_contract_and_drivers(tree, capsys, tmp_path):
    assert main(["scan", "--format", "json", "--cache-dir", str(tmp_path / "c"), str(tree)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"tool", "version", "schema", "findings", "drivers", "unanalysed",
                         "stats", "judged_on"}
    assert data["unanalysed"] == []
    assert {"files", "parsed", "seconds"} <= set(data["stats"])
    f = next(f for f in data["findings"] if f["file"] == "drivers/usb/misc/widget.c")
    assert "patch" not in f and "introduced" not in f
    assert f["rule"] == "dma-stack" and f["line"] == 9 and f["function"] == "widget_get_status"
    widget = next(d for d in data["drivers"] if d["name"] == "widget")
    assert widget["kconfig"] == "CONFIG_USB_WIDGET"
    assert widget["path"] == "drivers/usb/misc/widget.c"
    # the example MAINTAINERS has no entry for widget.c: no guess
    assert widget["maintainers"] == [] and widget["section"] is None


def test_markdown_groups_by_maintainers_section(tree, capsys):
    (tree / "MAINTAINERS").write_text(
        (tree / "MAINTAINERS").read_text()
        + "\nUSB WIDGET DRIVER\nM:\tWendy Widget <wendy@example.org>\n"
        "L:\tlinux-usb@vger.kernel.org\nS:\tMaintained\nF:\tdrivers/usb/misc/widget.c\n"
    )
    assert main(["scan", "--no-cache", "--format", "markdown", str(tree), "drivers/usb"]) == 0
    out = capsys.readouterr().out
    assert "## USB WIDGET DRIVER" in out
    assert "Maintainers: Wendy Widget <wendy@example.org>" in out
    assert "| widget | `drivers/usb/misc/widget.c` | CONFIG_USB_WIDGET | 1 |" in out
    assert "`drivers/usb/misc/widget.c:9` `dma-stack`" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["/nonexistent/tree"], "no such file"), (["{tree}", "drivers/nope"], "no such file")],
)
def test_bad_paths_are_one_line(tree, capsys, argv, message):
    assert main(["scan", "--no-cache", *[a.format(tree=tree) for a in argv]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def _drivers(capsys, tree: Path, cache: Path) -> list[dict]:
    assert main(["scan", "--format", "json", "--cache-dir", str(cache), str(tree)]) == 0
    return json.loads(capsys.readouterr().out)["drivers"]


def test_a_warm_scan_groups_from_the_cache_until_maintainers_or_makefiles_change(
        tree, tmp_path, capsys, monkeypatch):
    from reviewbot.impact import drivers as impact

    cache = tmp_path / "cache"
    cold = _drivers(capsys, tree, cache)
    assert cold == _drivers(capsys, tree, tmp_path / "other-cache")  # the same grouping
    groupings = []
    real = impact.DriverIndex.group
    monkeypatch.setattr(impact.DriverIndex, "group",
                        lambda self, sites: groupings.append(1) or real(self, sites))
    assert _drivers(capsys, tree, cache) == cold and groupings == []  # nothing read again
    (tree / "MAINTAINERS").write_text(
        (tree / "MAINTAINERS").read_text()
        + "\nUSB WIDGET DRIVER\nM:\tWendy Widget <wendy@example.org>\n"
        "S:\tMaintained\nF:\tdrivers/usb/misc/widget.c\n")
    widget = next(d for d in _drivers(capsys, tree, cache) if d["name"] == "widget")
    assert widget["maintainers"] == ["Wendy Widget <wendy@example.org>"] and groupings == [1]
    makefile = tree / "drivers/usb/misc/Makefile"
    makefile.write_text(makefile.read_text().replace("CONFIG_USB_WIDGET)", "CONFIG_USB_GADGETRY)"))
    os.utime(makefile, ns=(3, 3))
    widget = next(d for d in _drivers(capsys, tree, cache) if d["name"] == "widget")
    assert widget["kconfig"] == "CONFIG_USB_GADGETRY" and groupings == [1, 1]


def test_a_damaged_grouping_in_the_cache_is_grouped_again(tree, tmp_path, capsys):
    import sqlite3

    from reviewbot.scan.cache import NAME

    cache = tmp_path / "cache"
    cold = _drivers(capsys, tree, cache)
    db = sqlite3.connect(cache / NAME)
    with db:
        db.execute("UPDATE memos SET value = ?", (json.dumps({"reads": [], "dirs": [],
                                                               "drivers": [{"name": 1}]}),))
    db.close()
    assert _drivers(capsys, tree, cache) == cold


def _age(tree: Path) -> None:
    """Every file of ``tree`` last changed ten seconds ago (a fresh file's scan keeps no
    snapshot: it may be changing while it is read)."""
    old = 1_700_000_000_000_000_000
    for dirpath, _dirs, files in os.walk(tree):
        for name in files:
            os.utime(Path(dirpath) / name, ns=(old, old))


def test_an_unchanged_tree_is_answered_by_the_snapshot(tree, tmp_path, monkeypatch):
    """Issue 27: a warm rescan of an unchanged tree reads one memo, not the stat table
    and every stored result; any change of a file it depends on misses it."""
    from reviewbot.scan.cache import ScanCache

    k = load_knowledge()
    cache = tmp_path / "cache"
    _age(tree)
    first = scan_tree(tree, k, jobs=1, cache_dir=cache)
    real_results = ScanCache.results

    def refused(self):
        raise AssertionError("the per-file results were read")

    monkeypatch.setattr(ScanCache, "results", refused)
    again = scan_tree(tree, k, jobs=1, cache_dir=cache)
    assert again.findings == first.findings and again.unanalysed == first.unanalysed
    assert (again.stats.files, again.stats.candidates, again.stats.parsed, again.stats.cached) \
        == (first.stats.files, first.stats.candidates, 0, first.stats.parsed)
    # a Makefile the findings depend on (outside the walk) changes: the snapshot is not used
    monkeypatch.setattr(ScanCache, "results", real_results)
    makefile = tree / "drivers/usb/misc/Makefile"
    makefile.write_text(makefile.read_text().replace("CONFIG_USB_WIDGET", "CONFIG_NOWHERE"))
    moved = scan_tree(tree, k, jobs=1, cache_dir=cache)
    assert moved.stats.parsed >= 1
    widget = next(f for f in moved.findings if f.file.endswith("widget.c"))
    assert widget.platform is not None and widget.platform.arches is None  # no Kconfig says
    # a file of the walk changes: its digest differs, the per-file cache answers
    _age(tree)
    scan_tree(tree, k, jobs=1, cache_dir=cache)
    monkeypatch.setattr(ScanCache, "results", refused)
    assert scan_tree(tree, k, jobs=1, cache_dir=cache).findings == moved.findings
    monkeypatch.setattr(ScanCache, "results", real_results)
    (tree / "drivers/usb/misc/quiet.c").write_text(QUIET + "\n")
    os.utime(tree / "drivers/usb/misc/quiet.c", ns=(1, 1))
    assert scan_tree(tree, k, jobs=1, cache_dir=cache).findings == moved.findings


def test_a_tree_changed_during_the_scan_keeps_no_snapshot(tree, tmp_path, monkeypatch):
    from reviewbot.scan.cache import ScanCache

    k = load_knowledge()
    cache = tmp_path / "cache"
    scan_tree(tree, k, jobs=1, cache_dir=cache)  # the fixture's files were written just now
    called = []
    real = ScanCache.results
    monkeypatch.setattr(ScanCache, "results", lambda self: called.append(1) or real(self))
    scan_tree(tree, k, jobs=1, cache_dir=cache)
    assert called  # answered file by file: no snapshot was kept


@pytest.mark.parametrize("grep", [True, False])
def test_the_streamed_cold_scan_finds_what_the_batch_scan_finds(tree, tmp_path, monkeypatch,
                                                                grep):
    """Issue 27: a cold scan of thousands of files hands each file grep finds to the workers
    as it is found (GrepStream); without grep, or when it fails, the files it did not name
    are tested in Python. Either way the result is the batch scan's."""
    import reviewbot.scan as scan
    import reviewbot.scan.files as files
    import reviewbot.treewalk as treewalk

    k = load_knowledge()
    for i in range(12):  # enough files for several four-file tasks
        (tree / f"drivers/usb/misc/copy{i}.c").write_text(BAD_USB.replace("widget", f"w{i}"))
    batch = scan_tree(tree, k, jobs=2, cache_dir=tmp_path / "batch")
    monkeypatch.setattr(scan, "_EARLY_POOL", 0)
    monkeypatch.setattr(treewalk, "SPLIT", ("no-such-folder",))
    if not grep:
        real_which = files.shutil.which
        monkeypatch.setattr(files.shutil, "which",
                            lambda name: None if name == "grep" else real_which(name))
    streams = []
    real_stream = scan.GrepStream
    monkeypatch.setattr(scan, "GrepStream", lambda *a: streams.append(1) or real_stream(*a))
    streamed = scan_tree(tree, k, jobs=2, cache_dir=tmp_path / "streamed")
    assert streams == [1]  # the streamed path was taken
    assert streamed.findings == batch.findings and len(batch.findings) >= 13
    assert streamed.unanalysed == batch.unanalysed
    assert (streamed.stats.files, streamed.stats.candidates, streamed.stats.parsed) == \
        (batch.stats.files, batch.stats.candidates, batch.stats.parsed)
    # what the streamed scan stored answers the next one, file by file
    again = scan_tree(tree, k, jobs=2, cache_dir=tmp_path / "streamed")
    assert again.findings == batch.findings and again.stats.parsed == 0


def test_a_file_that_could_not_be_read_is_tried_again_despite_the_snapshot(tree, tmp_path,
                                                                           monkeypatch):
    """A file unreadable in one scan (mode 000) and readable in the next has the same
    mtime (chmod changes none): the snapshot must not answer for it (issue 26's rule that
    such a file is tried again, kept by issue 27's snapshot)."""
    import reviewbot.scan as scan

    k = load_knowledge()
    cache = tmp_path / "cache"
    _age(tree)
    real = scan.analyse_file

    def refuse_widget(job):
        if job[1].endswith("widget.c"):
            return job[1], None, [], [], "cannot be read (Permission denied)"
        return real(job)

    monkeypatch.setattr(scan, "analyse_file", refuse_widget)
    first = scan_tree(tree, k, jobs=1, cache_dir=cache)
    assert [u.file for u in first.unanalysed] == ["drivers/usb/misc/widget.c"]
    monkeypatch.setattr(scan, "analyse_file", real)
    again = scan_tree(tree, k, jobs=1, cache_dir=cache)
    assert again.unanalysed == () and any(f.file.endswith("widget.c") for f in again.findings)


def test_a_split_walk_is_answered_without_moving_the_other_part(tree, tmp_path, monkeypatch):
    """Issue 27: with two jobs a forked process walks drivers/ and the folders after it
    (treewalk.DriversWalk). An unchanged tree is answered by the snapshot on the digest
    that process sends; its stats are never asked for. A scan with one job keys the same
    snapshot, and a change in either process's part misses it."""
    from reviewbot.scan.cache import ScanCache
    from reviewbot.treewalk import DriversWalk

    (tree / "fs").mkdir(exist_ok=True)
    (tree / "fs/f.c").write_text("int f;\n")
    k = load_knowledge()
    cache = tmp_path / "cache"
    _age(tree)
    first = scan_tree(tree, k, jobs=2, cache_dir=cache)
    real_stats, real_results = DriversWalk.stats, ScanCache.results

    def refused(self):
        raise AssertionError("asked for what an unchanged tree does not need")

    monkeypatch.setattr(DriversWalk, "stats", refused)
    monkeypatch.setattr(ScanCache, "results", refused)
    assert scan_tree(tree, k, jobs=2, cache_dir=cache).findings == first.findings
    assert scan_tree(tree, k, jobs=1, cache_dir=cache).findings == first.findings
    monkeypatch.setattr(DriversWalk, "stats", real_stats)
    monkeypatch.setattr(ScanCache, "results", real_results)
    # the other process's part, then this one's: the digest misses, the stats are fetched
    for changed in ("fs/f.c", "arch/arm64/include/asm/cache.h"):
        os.utime(tree / changed, ns=(1, 1))
        asked: list[str] = []
        monkeypatch.setattr(DriversWalk, "stats",
                            lambda self, asked=asked: asked.append("stats") or real_stats(self))
        monkeypatch.setattr(ScanCache, "results",
                            lambda self, asked=asked: asked.append("results")
                            or real_results(self))
        again = scan_tree(tree, k, jobs=2, cache_dir=cache)
        assert again.findings == first.findings and asked == ["stats", "results"], changed


def test_a_walk_whose_other_process_died_keeps_no_snapshot(tree, tmp_path, monkeypatch):
    """Should the forked walker die after sending its digest, its part is walked again here
    and the scan is complete, but its snapshot would be keyed by a digest of other stats:
    none is kept."""
    from reviewbot.scan.cache import open_cache
    from reviewbot.scan.snapshot import SNAPSHOT
    from reviewbot.treewalk import DriversWalk

    k = load_knowledge()
    _age(tree)
    whole = scan_tree(tree, k, jobs=1, cache_dir=tmp_path / "one")
    monkeypatch.setattr(DriversWalk, "stats", lambda self: None)
    cache = tmp_path / "cache"
    split = scan_tree(tree, k, jobs=2, cache_dir=cache)
    assert split.findings == whole.findings and split.stats.files == whole.stats.files
    kept = open_cache(cache, tree, "any")
    assert kept is not None
    try:
        assert kept.latest_memo(SNAPSHOT, "") is None
    finally:
        kept.close()


def test_a_walker_not_waited_for_is_stopped(tmp_path, monkeypatch):
    """A scan that fails before it reads the walk (a bad setting, say) must not wait for a
    whole tree to be walked, nor leave the process behind."""
    import time

    import reviewbot.treewalk as treewalk

    root = tmp_path / "tree"
    (root / "drivers/usb").mkdir(parents=True)
    (root / "drivers/usb/x.c").write_text("int x;\n")
    # the forked walker takes a minute over its stats, as a cold tree on a slow disk may
    monkeypatch.setattr(treewalk, "_stats", lambda root, paths: time.sleep(60) or {})
    walker = treewalk.DriversWalk(root)
    started = time.monotonic()
    walker.close()
    assert time.monotonic() - started < 5
    assert not walker._child.is_alive()


def test_a_walker_started_before_the_knowledge_skips_what_it_says(tmp_path):
    """``scan`` forks its walker before it loads the knowledge: the walker reads the bundled
    knowledge's skip_dirs itself (without the model), and its part is used only if they are
    the scan's; else the scan walks that part itself."""
    from reviewbot.treewalk import DriversWalk, _bundled_skip_dirs

    skip = frozenset(load_knowledge().skip_dirs)
    assert _bundled_skip_dirs() == skip
    root = tmp_path / "tree"
    (root / "drivers/usb").mkdir(parents=True)
    (root / "drivers/usb/x.c").write_text("int x;\n")
    for asked, used in ((skip, True), (skip | {"usb"}, False)):
        walker = DriversWalk(root)
        try:
            assert (walker.summary(asked) is not None) is used
        finally:
            walker.close()


def _children() -> list[str]:
    """This process's children, zombies included (their /proc stat lines)."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            out.append(f"{pid} {fields[0]}")
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_no_walker_is_left_behind(tree, tmp_path, capsys):
    """The forked walker is let go as soon as a warm rescan has its answer, and reaped:
    by scan_tree when it started it, by the scan command (which starts it first thing)
    once the output is written. Neither leaves a process, running or zombie."""
    from reviewbot.cli import main

    k = load_knowledge()
    _age(tree)
    before = set(_children())  # the suite's own servers, started by other tests
    for _ in range(2):  # cold, then answered by the snapshot
        scan_tree(tree, k, jobs=2, cache_dir=tmp_path / "cache")
        assert set(_children()) - before == set()
        assert main(["scan", "--format", "json", "--jobs", "2", "--cache-dir",
                     str(tmp_path / "cache2"), str(tree)]) == 0
        capsys.readouterr()
        assert set(_children()) - before == set()
