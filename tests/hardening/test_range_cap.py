"""Issue 26, item 10: a git range is capped by ``limits.input_bytes`` like any input.

A commit with one 300 MB line took 3.5 GB and a minute (``git
format-patch`` output read whole, then parsed), and under a 2 GiB limit
ended in "not mail". The output is now read as a stream and git is killed
at the cap: one line naming the range and the limit.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.check.conftest import KernelRepo
from tests.check.kernel import BASE, DRIVER
from tests.hardening.series import reviewbot


def _one_line_commit(tmp_path: Path, size: int) -> KernelRepo:
    """A repository whose last commit adds a C file of one ``size``-byte line."""
    repo = KernelRepo(tmp_path / "linux")
    repo.commit(DRIVER, BASE, "usb: widget: add driver")
    repo.git("tag", "base")
    big = repo.root / "drivers/usb/misc/table.c"
    with big.open("w") as fh:
        fh.write('static const char table[] = "')
        for _ in range(size // (1 << 20)):
            fh.write("a" * (1 << 20))
        fh.write('";\n')
    repo.git("add", "drivers/usb/misc/table.c")
    repo.git("commit", "-q", "-m", "usb: widget: add a table")
    big.unlink()  # the blob is in git (a few KB compressed); no need to keep the file
    repo.git("checkout", "-q", "--", "drivers/usb/misc/table.c")
    big.unlink()
    return repo


def test_a_range_over_input_bytes_is_refused_naming_the_range_and_limit(tmp_path):
    repo = _one_line_commit(tmp_path, 3 << 20)
    config = tmp_path / "small.toml"
    config.write_text("[limits]\ninput_bytes = 1048576\n")
    proc = reviewbot("--config", str(config), "check", "base..HEAD", cwd=repo.root)
    assert proc.returncode == 2, proc.stderr.decode()
    assert proc.stderr.decode() == (
        "reviewbot: base..HEAD: more than 1 MiB of git format-patch output "
        "(limits.input_bytes); not a patch series, refused\n"
    )


def test_a_range_within_input_bytes_is_still_reviewed(tmp_path):
    repo = _one_line_commit(tmp_path, 1 << 20)
    proc = reviewbot("check", "--format", "json", "base..HEAD", cwd=repo.root)
    assert proc.returncode == 0, proc.stderr.decode()


@pytest.mark.skipif(sys.platform != "linux", reason="reads ru_maxrss in KiB (Linux)")
def test_a_150_mb_line_costs_reviewbot_no_more_than_the_cap(tmp_path):
    repo = _one_line_commit(tmp_path, 150 << 20)
    probe = textwrap.dedent("""\
        import resource, sys
        from reviewbot.cli import main
        status = main(["-q", "check", "base..HEAD"])
        print(status, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """)
    proc = subprocess.run([sys.executable, "-c", probe], cwd=repo.root, capture_output=True,
                          timeout=120, check=False)
    status, peak_mib = map(int, proc.stdout.split())
    assert status == 2, proc.stderr.decode()
    assert b"more than 64 MiB of git format-patch output" in proc.stderr
    # read whole it was 3.5 GB for 300 MB; streamed, the cap (64 MiB) and the interpreter
    assert peak_mib < 400, f"reviewbot itself peaked at {peak_mib} MiB"
