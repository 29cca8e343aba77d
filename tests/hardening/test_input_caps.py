"""Issue 15, item 6 (inputs): what is read is capped after decompression.

A 0.5 MB ``.mbox.gz`` reached 5.8 GB RSS; ``/dev/zero`` as SOURCE or on
stdin, or a 200 MB maildir message, ran out of memory. Each is now one
clear line and exit 2, with memory bounded by ``limits.input_bytes``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.hardening.badserver import zeros_gz
from tests.hardening.series import reviewbot

CAP = 8 * 1024 * 1024


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "limits.toml"
    path.write_text(f"[limits]\ninput_bytes = {CAP}\n")
    return path


def _peak(argv: list[str], stdin=None) -> tuple[subprocess.CompletedProcess, float]:
    """Run the CLI in a fresh interpreter; its peak RSS (VmHWM, MiB) from /proc."""
    code = (
        "import sys\nfrom reviewbot.cli import main\nrc = main(sys.argv[1:])\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
        "print(hwm.split()[1], file=sys.stderr)\nsys.exit(rc)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv], stdin=stdin, capture_output=True, timeout=30,
        check=False,
    )
    return proc, int(proc.stderr.decode().strip().splitlines()[-1]) / 1024


def _last_line(proc) -> str:
    return proc.stderr.decode().strip().splitlines()[-2]


def test_a_gzip_bomb_mbox_is_refused_with_bounded_memory(tmp_path, cfg):
    bomb = tmp_path / "series.mbox.gz"
    bomb.write_bytes(zeros_gz(400))
    proc, rss = _peak(["--config", str(cfg), "review", str(bomb)])
    assert proc.returncode == 2, proc.stderr.decode()
    assert _last_line(proc) == (
        f"reviewbot: {bomb}: more than 8 MiB after decompression (limits.input_bytes); "
        "not a patch series, refused"
    )
    assert rss < 250, f"peak RSS {rss:.0f} MiB"


def test_dev_zero_as_source(cfg):
    proc, rss = _peak(["--config", str(cfg), "review", "/dev/zero"])
    assert proc.returncode == 2
    assert _last_line(proc) == (
        "reviewbot: /dev/zero: more than 8 MiB (limits.input_bytes); not a patch series, refused"
    )
    assert rss < 250


@pytest.mark.parametrize("command", ["review", "check"])
def test_dev_zero_on_stdin(cfg, command):
    with open("/dev/zero", "rb") as zero:
        proc, rss = _peak(["--config", str(cfg), command, "-"], stdin=zero)
    assert proc.returncode == 2, proc.stderr.decode()
    assert _last_line(proc) == (
        "reviewbot: <stdin>: more than 8 MiB (limits.input_bytes); not a patch series, refused"
    )
    assert rss < 250


def test_an_oversized_maildir_message(tmp_path, cfg):
    md = tmp_path / "md"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    big = md / "new" / "1700000000.1.host"
    with big.open("wb") as fh:
        fh.write(b"From: a@example.org\nSubject: [PATCH] x\n\n")
        for _ in range(9):
            fh.write(b"x" * (1 << 20))
    proc = reviewbot("--config", str(cfg), "review", str(md))
    assert proc.returncode == 2
    err = proc.stderr.decode().strip().splitlines()[-1]
    assert err == (
        f"reviewbot: {md}: message 1700000000.1.host: more than 8 MiB (limits.input_bytes); "
        "not a patch series, refused"
    )


def test_a_bad_limit_in_the_settings_is_a_one_line_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[limits]\ninput_bytes = -1\n")
    proc = reviewbot("--config", str(cfg), "review", "/dev/null")
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == (
        f"reviewbot: {cfg}: limits.input_bytes must be a positive number, not -1"
    )


def test_each_cap_has_one_default_in_config_default_toml():
    import dataclasses
    import tomllib

    from reviewbot.httpget import HttpPolicy
    from reviewbot.intake.lore import LorePolicy
    from reviewbot.limits import default_limits
    from tests.conftest import ROOT

    table = tomllib.loads((ROOT / "config/default.toml").read_text())["limits"]
    limits = default_limits()
    assert dataclasses.asdict(limits) == table
    assert HttpPolicy().deadline == LorePolicy().deadline == table["http_deadline"]
    assert HttpPolicy().max_body == LorePolicy().max_body == table["http_body_bytes"]
