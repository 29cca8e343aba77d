"""Issue 26, items 5, 11 and 12: what a hostile tree can do to ``scan``.

- a ``.c`` symlink out of the tree had the outside file's code reported
  (headers reached that way were already refused): now one rule for both;
- 1,100 nested folders were a RecursionError (exit 4): the walk is a loop;
- a mode-000 file was a PermissionError (exit 4), and a read failing with
  EIO was reported as "cannot write the output": each is now one line
  naming the file, in the result's "not analysed" list.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewbot.treewalk import OUTSIDE
from tests.conftest import EXAMPLES
from tests.hardening.series import reviewbot
from tests.hardening.test_symlinks import SECRET_C

STACK_C = """\
static int deep_status(struct usb_device *udev)
{
\tu8 deep_buf[2];

\treturn usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 1, 0xc0, 0, 0, deep_buf, 2, 1000);
}
"""


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", root)
    return root


def _scan_json(tree: Path, *args: str) -> tuple[int, dict, str]:
    proc = reviewbot("scan", "--format", "json", "--no-cache", *args, str(tree), timeout=120)
    out = json.loads(proc.stdout) if proc.returncode == 0 else {}
    return proc.returncode, out, proc.stderr.decode()


def test_scan_does_not_follow_a_c_symlink_out_of_the_tree(tree, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.c").write_text(SECRET_C)
    (tree / "drivers/usb/misc/leak.c").symlink_to(outside / "secret.c")
    (tree / "drivers/usb/misc/alias.c").symlink_to("acme_led.c")  # inside: still the tree's
    status, data, err = _scan_json(tree, "--all")
    assert status == 0, err
    assert "outside_secret" not in json.dumps(data)
    assert data["unanalysed"] == [{"file": "drivers/usb/misc/leak.c", "reason": OUTSIDE}]
    assert any(f["file"] == "drivers/usb/misc/alias.c" for f in data["findings"])


def test_scan_of_a_subpath_file_that_links_out_is_refused_the_same_way(tree, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.c").write_text(SECRET_C)
    (tree / "drivers/usb/misc/leak.c").symlink_to(outside / "secret.c")
    proc = reviewbot("scan", "--no-cache", str(tree), "drivers/usb/misc/leak.c")
    assert proc.returncode == 2
    assert b"outside_secret" not in proc.stdout
    assert proc.stderr.decode().strip().endswith("leads outside " + str(tree) + "; refused")


@pytest.fixture
def nested(tree) -> Iterator[Path]:
    """1,100 nested folders under drivers/, removed with ``rm -rf`` afterwards: Python's
    own rmtree (and so pytest's clean-up of old tmp folders) recurses and would fail."""
    deep = tree / "drivers"
    try:
        for _ in range(1100):  # one level at a time: Path.mkdir(parents=True) recurses too
            deep = deep / "d"
            deep.mkdir()
        yield deep
    finally:
        subprocess.run(["rm", "-rf", str(tree / "drivers" / "d")], check=True)


def test_scan_walks_1100_nested_folders(tree, nested):
    deep = nested
    (deep / "deep.c").write_text(STACK_C)
    status, data, err = _scan_json(tree)
    assert status == 0, err
    (found,) = [f for f in data["findings"] if f["buffer"] == "deep_buf"]
    assert found["file"] == "drivers/" + "d/" * 1100 + "deep.c"
    assert found["rule"] == "dma-stack"


# --- unreadable input: one line naming the file --------------------------------------


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder another account can reach (pytest's own tmp folders are private)."""
    path = Path(tempfile.mkdtemp(prefix="reviewbot-shared-"))
    path.chmod(0o755)
    yield path
    for p in path.rglob("*"):
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)
    shutil.rmtree(path)


def as_other_user(shared: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """reviewbot ARGS as an account mode 000 applies to (root reads everything)."""
    env = dict(os.environ)
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: mode 000 cannot be tested")
        home = shared / "home"
        home.mkdir(exist_ok=True)
        os.chown(home, 65534, 65534)
        env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
                   XDG_CONFIG_HOME=str(home / ".config"))
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    return subprocess.run([*prefix, sys.executable, "-m", "reviewbot", *args], env=env,
                          cwd=shared, capture_output=True, timeout=120, check=False)


def test_scan_lists_a_mode_000_file_and_folder_instead_of_failing(shared):
    tree = shared / "linux"
    shutil.copytree(EXAMPLES / "tree", tree)
    (tree / "drivers/usb/misc/acme_fw.c").chmod(0o000)
    secret = tree / "drivers/secret"
    secret.mkdir()
    (secret / "hidden.c").write_text(STACK_C)
    secret.chmod(0o000)
    proc = as_other_user(shared, "scan", "--format", "json", "--no-cache", str(tree))
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert data["unanalysed"] == [
        {"file": "drivers/secret/", "reason": "folder cannot be read (Permission denied)"},
        {"file": "drivers/usb/misc/acme_fw.c", "reason": "cannot be read (Permission denied)"},
    ]
    assert "internal error" not in proc.stderr.decode()


def test_review_of_a_mode_000_mbox_is_one_line_naming_it(shared):
    src = shared / "series.mbox"
    shutil.copy(EXAMPLES / "series.mbox", src)
    src.chmod(0o000)
    proc = as_other_user(shared, "review", str(src))
    assert proc.returncode == 2
    assert proc.stderr.decode() == f"reviewbot: {src}: cannot read (Permission denied)\n"


def test_a_read_failing_with_eio_is_named_as_the_input_not_the_output(tmp_path):
    # reading one's own /proc/PID/mem from offset 0 fails with EIO: a real failing read
    status, data, err = _scan_json(Path("/proc/self/mem"))
    assert "cannot write the output" not in err
    assert status == 0, err
    (u,) = data["unanalysed"]
    assert u["file"] == "mem" and u["reason"] == "cannot be read (Input/output error)"


def test_review_on_a_tree_with_a_mode_000_file_names_it(shared):
    tree = shared / "linux"
    shutil.copytree(EXAMPLES / "tree", tree)
    unreadable = tree / "drivers/usb/misc/acme_fw.c"  # patch 4 of the example series edits it
    unreadable.chmod(0o000)
    proc = as_other_user(shared, "review", "--tree", str(tree), str(EXAMPLES / "series.mbox"))
    assert proc.returncode == 2, proc.stderr.decode()
    assert proc.stderr.decode().splitlines()[-1] == \
        f"reviewbot: {unreadable}: cannot read (Permission denied)"
