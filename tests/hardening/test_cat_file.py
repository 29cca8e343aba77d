"""Issue 15, item 3: a diff path naming a folder of the base commit.

``git cat-file --batch`` answers such a path with a ``tree`` object. It
used to be left in the pipe: the next read got its bytes (a wrong "does not
apply") and ``close`` waited forever on git blocked writing a full pipe.
"""

from __future__ import annotations

import json
import threading
import time

from reviewbot.apply.base import GitBase, resolve_commit
from tests.conftest import git
from tests.hardening.series import edit, mail, mbox, reviewbot
from tests.skeleton import make_kernel_skeleton


def _repo_with_a_big_folder(tmp_path):
    repo = tmp_path / "linux"
    dts = repo / "arch/arm/boot/dts"
    dts.mkdir(parents=True)
    # a tree object well over a pipe buffer (64 KiB): 1500 entries of ~70 bytes
    for i in range(1500):
        (dts / f"vendor-board-with-a-rather-long-name-{i:05d}.dts").write_text("/ { };\n")
    (repo / "drivers").mkdir()
    (repo / "drivers/Makefile").write_text("obj-y += base/\n")
    make_kernel_skeleton(repo)
    git(repo, "init", "-q", "-b", "master")
    git(repo, "config", "user.name", "Dana")
    git(repo, "config", "user.email", "dana@example.org")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def _within(seconds: float, fn) -> None:
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it does not end."""
    errors: list[BaseException] = []

    def body() -> None:
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=body, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still running after {seconds}s (deadlock)"
    if errors:
        raise errors[0]


def test_reading_a_folder_neither_desyncs_nor_deadlocks(tmp_path):
    repo = _repo_with_a_big_folder(tmp_path)
    base = GitBase(repo, resolve_commit(repo, "HEAD"))
    _within(5, lambda: _reads(base))


def _reads(base: GitBase) -> None:
    assert base.read("arch/arm/boot/dts") is None
    assert base.read("drivers/Makefile") == b"obj-y += base/\n"
    assert base.read("arch/arm/boot") is None
    assert base.read("no/such/file") is None
    assert base.read("drivers/Makefile") == b"obj-y += base/\n"
    assert base.read("drivers/Make\nfile") is None
    assert base.read("drivers/Makefile") == b"obj-y += base/\n"
    base.close()


def test_close_with_an_unread_answer_does_not_block(tmp_path):
    repo = _repo_with_a_big_folder(tmp_path)
    base = GitBase(repo, resolve_commit(repo, "HEAD"))
    proc = base._batch()
    # ask for the big tree and never read the answer: git blocks on the full pipe
    proc.stdin.write(f"{base.commit}:arch/arm/boot/dts\n".encode())
    proc.stdin.flush()
    time.sleep(0.2)
    _within(5, base.close)


def test_check_on_a_mail_naming_a_folder_finishes(tmp_path):
    repo = _repo_with_a_big_folder(tmp_path)
    series = mbox(
        mail(1, 2, "dts: edit the folder", edit("arch/arm/boot/dts", "a", "b"), tag="dts"),
        mail(2, 2, "drivers: build", edit("drivers/Makefile", "obj-y += base/", "obj-y += x/"),
             tag="dts"),
    )
    src = tmp_path / "dts.mbox"
    src.write_bytes(series)
    start = time.monotonic()
    proc = reviewbot("check", "--tree", str(repo), "--format", "json", str(src), timeout=30)
    assert time.monotonic() - start < 10
    assert proc.returncode == 0, proc.stderr.decode()
    patches = json.loads(proc.stdout)["series"]["patches"]
    # patch 1 cannot apply (a folder is not a file); patch 2 reads the right Makefile
    assert [p["applied"] for p in patches] == [False, True]
