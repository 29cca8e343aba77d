"""Issue 15, item 12: one clear line (or a warning and a result) instead of exit 4 or a hang.

Each case used to be an internal error (exit 4), a hang, or a scan of files
outside the tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, git
from tests.hardening.series import edit, mail, mbox, new_file, reviewbot

SERIES = str(EXAMPLES / "series.mbox")


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(EXAMPLES / "tree", tree)
    return tree


def _last(proc) -> str:
    return proc.stderr.decode().strip().splitlines()[-1]


# --- the scan cache ------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_scan_cache_is_rebuilt_with_a_warning(tmp_path, damage):
    tree, cache = _tree(tmp_path), tmp_path / "cache"
    first = reviewbot("scan", "--format", "json", "--all", "--cache-dir", str(cache), str(tree))
    assert first.returncode == 0 and json.loads(first.stdout)["findings"]
    db = cache / "scan-cache.sqlite"
    for extra in cache.glob("scan-cache.sqlite-*"):
        extra.unlink()
    data = db.read_bytes()
    db.write_bytes(os.urandom(5000) if damage == "garbage" else data[:3000])
    proc = reviewbot("scan", "--format", "json", "--all", "--cache-dir", str(cache), str(tree))
    assert proc.returncode == 0, proc.stderr.decode()
    assert "is unreadable" in proc.stderr.decode() and "rebuilding it" in proc.stderr.decode()
    assert json.loads(proc.stdout)["findings"] == json.loads(first.stdout)["findings"]
    again = reviewbot("scan", "--format", "json", "--cache-dir", str(cache), str(tree))
    assert again.returncode == 0 and "unreadable" not in again.stderr.decode()
    assert json.loads(again.stdout)["stats"]["parsed"] == 0  # the rebuilt cache serves


def test_a_damaged_scan_cache_does_not_break_review_tree_of_a_minalign_series(tmp_path):
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "reviewbot" / "scan"
    cache.mkdir(parents=True)
    (cache / "scan-cache.sqlite").write_bytes(b"not sqlite at all" * 100)
    proc = reviewbot("review", "--tree", str(_tree(tmp_path)), "--format", "json", SERIES)
    assert proc.returncode == 0, proc.stderr.decode()
    # the driver the tree scan (through the rebuilt cache) finds, and the macro's user
    drivers = json.loads(proc.stdout)["affected_drivers"]
    assert "drivers/usb/misc/acme_led.c" in {s["file"] for d in drivers for s in d["sites"]}
    assert "include/linux/iio" in [d["path"] for d in drivers]


def test_a_read_only_scan_cache_is_skipped_with_a_warning(tmp_path):
    tree, cache = _tree(tmp_path), tmp_path / "cache"
    assert reviewbot("scan", "--cache-dir", str(cache), str(tree)).returncode == 0
    (tree / "drivers/spi/new.c").write_text("int spi_write_then_read;\n")
    mounted = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(cache), str(cache)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot make a read-only mount here: {mounted.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(cache)], check=False)
        proc = reviewbot("scan", "--format", "json", "--all", "--cache-dir", str(cache),
                         str(tree))
    finally:
        subprocess.run(["umount", str(cache)], check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "scan cache" in proc.stderr.decode()
    assert json.loads(proc.stdout)["findings"]


# --- the watcher's state ----------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"garbage " * 500])
def test_a_bad_watch_database_is_one_line_naming_it(tmp_path, content):
    state = tmp_path / "state"
    (state / "outbox").mkdir(parents=True)
    db = state / "watch.sqlite3"
    db.write_bytes(content)
    cfg = tmp_path / "w.toml"
    cfg.write_text(
        f'[watch]\nstate_dir = "{state}"\n[[watch.subscriptions]]\nname = "a"\n'
        'url = "http://127.0.0.1:9/x"\n'
    )
    for mode in ("--once", "--status"):
        proc = reviewbot("watch", "--config", str(cfg), mode)
        assert proc.returncode == 2, proc.stderr.decode()
        line = proc.stderr.decode().strip()
        assert "\n" not in line and line.startswith(f"reviewbot: {db}: ")
        assert "not a reviewbot watch database" in line
    assert db.read_bytes() == content  # nothing written into a file that is not ours
    assert sorted(p.name for p in state.iterdir()) == ["outbox", "watch.lock", "watch.sqlite3"]
    assert list((state / "outbox").iterdir()) == []  # and no .tmp folder


# --- apply ---------------------------------------------------------------------


def test_a_file_folder_clash_inside_one_series(tmp_path):
    """Patch 1 makes drivers/hwmon/Makefile a folder; patch 2 edits it as a file."""
    src = tmp_path / "clash.mbox"
    src.write_bytes(
        mbox(
            mail(1, 2, "hwmon: folder", new_file("drivers/hwmon/Makefile/x.c", ["int x;"]),
                 tag="clash"),
            mail(2, 2, "hwmon: edit", edit("drivers/hwmon/Makefile",
                                           "obj-$(CONFIG_SENSORS_ACME) += acme-hwmon.o",
                                           "obj-y += y.o"), tag="clash"),
        )
    )
    proc = reviewbot("review", "--tree", str(_tree(tmp_path)), "--format", "json", str(src))
    assert proc.returncode == 0, proc.stderr.decode()
    patches = json.loads(proc.stdout)["series"]["patches"]
    assert [p["applied"] for p in patches] == [True, False]
    assert "drivers/hwmon/Makefile: is a folder, not a file" in proc.stderr.decode()


@pytest.mark.parametrize("kind", ["plain", "git"])
def test_a_symlink_loop_in_the_tree(tmp_path, kind):
    tree = _tree(tmp_path)
    (tree / "drivers/spi/loop1.c").symlink_to("loop2.c")
    (tree / "drivers/spi/loop2.c").symlink_to("loop1.c")
    if kind == "git":
        git(tree, "init", "-q", "-b", "master")
        git(tree, "add", "-A")
        git(tree, "-c", "user.name=D", "-c", "user.email=d@example.org", "commit", "-q", "-m", "b")
    src = tmp_path / "loop.mbox"
    src.write_bytes(mbox(mail(1, 1, "spi: loop", edit("drivers/spi/loop1.c", "a", "b"))))
    proc = reviewbot("review", "--tree", str(tree), str(src), timeout=20)
    if kind == "plain":
        assert proc.returncode == 0, proc.stderr.decode()
        assert "patch 1 does not apply" in proc.stderr.decode()
    else:
        assert proc.returncode == 2
        assert _last(proc) == (
            "reviewbot: drivers/spi/loop1.c: too many levels of symbolic links in the tree"
        )


# --- scan -----------------------------------------------------------------------


def test_a_scanned_tree_with_a_fifo_a_dev_zero_link_and_a_loop_does_not_hang(tmp_path):
    tree = _tree(tmp_path)
    os.mkfifo(tree / "drivers/spi/fifo.c")
    (tree / "drivers/spi/zero.c").symlink_to("/dev/zero")
    (tree / "drivers/spi/loop1.c").symlink_to("loop2.c")
    (tree / "drivers/spi/loop2.c").symlink_to("loop1.c")
    (tree / "drivers/up").symlink_to("..")
    start = time.monotonic()
    proc = reviewbot("scan", "--no-cache", "--format", "json", str(tree), timeout=20)
    assert time.monotonic() - start < 10
    assert proc.returncode == 0, proc.stderr.decode()
    plain = reviewbot("scan", "--no-cache", "--format", "json", str(_tree(tmp_path / "b")))
    assert json.loads(proc.stdout)["stats"]["files"] == json.loads(plain.stdout)["stats"]["files"]


@pytest.mark.parametrize("sub", ["/etc/passwd", "ABS"])
def test_scan_subpaths_outside_the_tree_are_refused(tmp_path, sub):
    tree = _tree(tmp_path)
    if sub == "ABS":
        sub = str(EXAMPLES / "tree" / "drivers")  # a real folder, but not under this tree
    proc = reviewbot("scan", "--no-cache", str(tree), sub)
    assert proc.returncode == 2
    assert _last(proc) == f"reviewbot: {sub}: not a path inside {tree}"
    assert proc.stdout == b""


def test_a_symlinked_folder_leading_out_is_refused_as_a_subpath(tmp_path):
    tree = _tree(tmp_path)
    (tree / "elsewhere").symlink_to(EXAMPLES / "tree" / "drivers")
    proc = reviewbot("scan", "--no-cache", str(tree), "elsewhere")
    assert proc.returncode == 2
    assert _last(proc) == f"reviewbot: elsewhere: leads outside {tree}; refused"


# --- check, output ----------------------------------------------------------------


def test_a_200k_deep_baseline(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    proc = reviewbot("check", "--baseline", str(deep), SERIES)
    assert proc.returncode == 2
    assert _last(proc) == f"reviewbot: {deep}: not a reviewbot baseline (JSON nested too deeply)"


@pytest.mark.parametrize(
    "argv",
    [["review", SERIES], ["check", "--format", "sarif", SERIES], ["scan", "--no-cache", "TREE"]],
)
def test_output_to_a_full_device(tmp_path, argv):
    argv = [str(_tree(tmp_path)) if a == "TREE" else a for a in argv]
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "reviewbot", *argv], stdout=full, stderr=subprocess.PIPE,
            timeout=30, check=False,
        )
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().splitlines()[-1] == (
        "reviewbot: cannot write the output: No space left on device"
    )
    assert "Exception ignored" not in proc.stderr.decode()


def test_fifos_in_the_tree_do_not_hang_review_tree_of_a_minalign_series(tmp_path):
    """The impact step greps the tree and reads Makefiles and Kconfigs next to drivers."""
    tree = _tree(tmp_path)
    os.mkfifo(tree / "drivers/usb/misc/fifo.c")
    for name in ("Makefile", "Kconfig"):  # next to acme_led.c, an affected driver
        (tree / "drivers/usb/misc" / name).unlink(missing_ok=True)
        os.mkfifo(tree / "drivers/usb/misc" / name)
    start = time.monotonic()
    proc = reviewbot("review", "--no-cache", "--tree", str(tree), "--format", "json", SERIES,
                     timeout=30)
    assert time.monotonic() - start < 10
    assert proc.returncode == 0, proc.stderr.decode()
    # acme_led.c is found; with its Makefile unreadable it is grouped by its folder
    drivers = json.loads(proc.stdout)["affected_drivers"]
    assert "drivers/usb/misc/acme_led.c" in {s["file"] for d in drivers for s in d["sites"]}
    assert "include/linux/iio" in [d["path"] for d in drivers]
