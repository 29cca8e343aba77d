"""Issue 15, items 1-2: a series' symlinks are never followed, for writing or reading.

Patch 1 turns ``drivers/hwmon`` into a symlink to a folder outside the
tree and patch 2 edits ``drivers/hwmon/Makefile``: the scratch copy must
not be written through the link. A patch adding ``leak.c`` as a symlink to
a C file outside must not get that file read into the findings or the
drafts. Both on a plain tree and on a git tree; the surroundings (every
file beside the tree and the outbox) are snapshotted before and after.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, git
from tests.hardening import surroundings
from tests.hardening.series import edit, mail, mbox, new_symlink, reviewbot

SECRET_C = """\
static int outside_secret_probe(struct spi_device *spi)
{
\tu8 outside_secret_buf[4];

\treturn spi_write(spi, outside_secret_buf, sizeof(outside_secret_buf));
}
"""


def _world(tmp_path: Path, kind: str) -> tuple[Path, Path, Path]:
    """(tree, outside folder, outbox) under tmp_path; the tree plain or git."""
    tree = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", tree)
    if kind == "git":
        git(tree, "init", "-q", "-b", "master")
        git(tree, "config", "user.name", "Dana")
        git(tree, "config", "user.email", "dana@example.org")
        git(tree, "add", "-A")
        git(tree, "commit", "-q", "-m", "base")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Makefile").write_text("outside Makefile: not to be touched\n")
    (outside / "secret.c").write_text(SECRET_C)
    return tree, outside, tmp_path / "outbox"


def _run_guarded(tmp_path: Path, tree: Path, outbox: Path, series: bytes, *args: str):
    """Run a review and assert nothing beside the tree and outbox was read or written."""
    src = tmp_path / "series.mbox"
    src.write_bytes(series)
    keep = [tree, outbox]
    before = surroundings.snapshot(tmp_path, keep)
    see_reads = surroundings.atime_works(tmp_path / "outside")
    surroundings.age_atimes(tmp_path / "outside")
    atimes = surroundings.atimes(tmp_path / "outside")
    proc = reviewbot(
        "review", "--tree", str(tree), "--outbox", str(outbox), "--format", "json", *args,
        str(src),
    )
    if see_reads:
        assert surroundings.atimes(tmp_path / "outside") == atimes, "a file outside was read"
    after = surroundings.snapshot(tmp_path, keep)
    assert after == before, "a file outside the tree and outbox was written"
    return proc


@pytest.mark.parametrize("kind", ["plain", "git"])
def test_a_symlinked_folder_made_by_patch_1_is_not_written_through(tmp_path, kind):
    tree, outside, outbox = _world(tmp_path, kind)
    series = mbox(
        mail(1, 2, "hwmon: move", new_symlink("drivers/hwmon", str(outside))),
        mail(
            2,
            2,
            "hwmon: build",
            edit(
                "drivers/hwmon/Makefile",
                "obj-$(CONFIG_SENSORS_ACME) += acme-hwmon.o",
                "obj-y += pwned.o",
            ),
        ),
    )
    proc = _run_guarded(tmp_path, tree, outbox, series)
    assert proc.returncode == 0, proc.stderr.decode()
    assert (outside / "Makefile").read_text() == "outside Makefile: not to be touched\n"
    out = json.loads(proc.stdout)
    status = {p["index"]: p["applied"] for p in out["series"]["patches"]}
    # the symlink itself is recorded; the edit beyond it does not apply
    assert status == {1: True, 2: False}
    assert "beyond a symbolic link" in proc.stderr.decode() + proc.stdout.decode()


@pytest.mark.parametrize("kind", ["plain", "git"])
def test_a_symlinked_file_added_by_a_patch_is_not_read(tmp_path, kind):
    tree, outside, outbox = _world(tmp_path, kind)
    series = mbox(
        mail(1, 1, "spi: add leak", new_symlink("drivers/spi/leak.c", str(outside / "secret.c")))
    )
    proc = _run_guarded(tmp_path, tree, outbox, series, "--always")
    assert proc.returncode == 0, proc.stderr.decode()
    out = json.loads(proc.stdout)
    assert out["series"]["patches"][0]["applied"] is True
    assert out["findings"] == []
    drafts = b"".join(p.read_bytes() for p in outbox.rglob("*") if p.is_file())
    assert drafts, "--always writes a draft; it must not quote the outside file"
    for text in (proc.stdout, proc.stderr, drafts):
        assert b"outside_secret" not in text


@pytest.mark.parametrize("kind", ["plain", "git"])
def test_a_relative_symlink_inside_the_tree_is_not_followed_either(tmp_path, kind):
    """Even pointing inside, a series' symlink stays a symlink: no write lands in its target."""
    tree, _outside, outbox = _world(tmp_path, kind)
    before = (tree / "drivers/spi").exists() and {
        p.name: p.read_bytes() for p in (tree / "drivers/spi").iterdir()
    }
    series = mbox(
        mail(1, 2, "hwmon: alias", new_symlink("drivers/hwmon", "spi")),
        mail(
            2,
            2,
            "hwmon: build",
            edit(
                "drivers/hwmon/Makefile",
                "obj-$(CONFIG_SENSORS_ACME) += acme-hwmon.o",
                "obj-y += pwned.o",
            ),
        ),
    )
    proc = _run_guarded(tmp_path, tree, outbox, series)
    assert proc.returncode == 0, proc.stderr.decode()
    assert {p.name: p.read_bytes() for p in (tree / "drivers/spi").iterdir()} == before
    status = {p["index"]: p["applied"] for p in json.loads(proc.stdout)["series"]["patches"]}
    assert status == {1: True, 2: False}
