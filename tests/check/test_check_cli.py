"""``reviewbot check`` end to end on real git repositories.

Tests taking ``needs_engine`` need the analysis engine to find the planted
bugs; the others pin the command's own behaviour (usage errors, exit codes
on hand-made reviews) and do not depend on it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reviewbot.model import Review
from tests.check.conftest import KernelRepo
from tests.check.kernel import (
    BASE,
    CLEAN_FUNC,
    DRIVER,
    KMALLOC_SMALL_FUNC,
    PADDING,
    STACK_FUNC,
    STACK_FUNC_2,
    line_of,
)
from tests.check.test_formats import finding, sarif_validator


def stack_line(text: str, func: str = "widget_read_status") -> int:
    return line_of(text, "usb_control_msg(", after=func)


# --- git ranges --------------------------------------------------------------------------


def test_sarif_on_a_range_with_a_stack_buffer(repo: KernelRepo, check, needs_engine):
    repo.commit(DRIVER, BASE + CLEAN_FUNC, "usb: widget: add disconnect")
    repo.commit(DRIVER, BASE + CLEAN_FUNC + STACK_FUNC, "usb: widget: read the status")
    status, out, err = check(
        "check", "--format", "sarif", "--fail-on", "error", "base..HEAD", cwd=repo.root
    )
    assert status == 1, err
    log = json.loads(out)
    assert not list(sarif_validator().iter_errors(log))
    results = log["runs"][0]["results"]
    stack = [r for r in results if r["ruleId"] == "dma-stack"]
    assert len(stack) == 1, results
    loc = stack[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == DRIVER
    assert loc["region"]["startLine"] == stack_line(repo.read(DRIVER))
    assert stack[0]["level"] == "error"
    assert stack[0]["properties"]["patch"] == 2


def test_clean_range_passes_at_every_threshold(repo: KernelRepo, check, needs_engine):
    repo.commit(DRIVER, BASE + CLEAN_FUNC, "usb: widget: add disconnect")
    for level in ("error", "warning", "info"):
        status, out, err = check("check", "--fail-on", level, "base..HEAD", cwd=repo.root)
        assert status == 0, (level, out, err)
        assert "No DMA-alignment findings." in out


def test_fail_on_thresholds(repo: KernelRepo, check, needs_engine):
    repo.commit(DRIVER, BASE + KMALLOC_SMALL_FUNC, "usb: widget: read the version")
    status, out, _ = check("check", "--format", "json", "base..HEAD", cwd=repo.root)
    data = json.loads(out)
    assert [f["rule"] for f in data["findings"]] == ["dma-kmalloc-small"]
    assert data["findings"][0]["severity"] == "warning"
    assert status == 0
    assert data["check"] == {
        "fail_on": "error",
        "failed": False,
        "failing": [],
        "suppressed_by_baseline": 0,
        "unanalysed": [],
        "hunks_only": [],
    }
    assert check("check", "--fail-on", "warning", "base..HEAD", cwd=repo.root)[0] == 1
    assert check("check", "--fail-on", "info", "base..HEAD", cwd=repo.root)[0] == 1


def test_pre_existing_hazard_never_fails(repo: KernelRepo, check, needs_engine):
    before = BASE + STACK_FUNC
    repo.commit(DRIVER, before, "usb: widget: read the status")
    repo.git("tag", "-f", "base")
    # Touch the hazardous function without fixing it: the bug is older than the series.
    repo.commit(DRIVER, before.replace("1000);", "500);"), "usb: widget: shorter timeout")
    status, out, err = check(
        "check", "--fail-on", "info", "--format", "github", "base..HEAD", cwd=repo.root
    )
    assert status == 0, (out, err)
    (line,) = out.splitlines()
    assert line.startswith("::notice file=drivers/usb/misc/widget.c,line=")
    assert "title=reviewbot dma-stack (pre-existing)::" in line


def test_github_format_on_a_range(repo: KernelRepo, check, needs_engine):
    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    status, out, _ = check("check", "--format", "github", "base..HEAD", cwd=repo.root)
    assert status == 1
    (line,) = out.splitlines()
    expected = (
        f"::error file={DRIVER},line={stack_line(repo.read(DRIVER))},title=reviewbot dma-stack::"
    )
    assert line.startswith(expected)
    assert "buf" in line


def test_range_in_another_tree(repo: KernelRepo, check, needs_engine, tmp_path: Path):
    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    status, out, _ = check(
        "check", "--tree", str(repo.root), "--format", "json", "base..HEAD", cwd=elsewhere
    )
    assert status == 1
    data = json.loads(out)
    assert [f["rule"] for f in data["findings"]] == ["dma-stack"]
    assert data["series"]["patches"][0]["applied"] is True


# --- patch files ---------------------------------------------------------------------------


def test_format_patch_files_form_one_series(repo: KernelRepo, check, needs_engine, tmp_path):
    repo.commit(DRIVER, BASE + CLEAN_FUNC, "usb: widget: add disconnect")
    repo.commit(DRIVER, BASE + CLEAN_FUNC + STACK_FUNC, "usb: widget: read the status")
    outdir = tmp_path / "patches"
    repo.git("format-patch", "-q", "-o", str(outdir), "base..HEAD")
    files = sorted(str(p) for p in outdir.glob("*.patch"))
    assert len(files) == 2
    status, out, err = check("check", "--format", "json", *files, cwd=tmp_path)
    assert status == 1, err
    data = json.loads(out)
    assert [p["index"] for p in data["series"]["patches"]] == [1, 2]
    (f,) = data["findings"]
    assert (f["rule"], f["patch"], f["line"]) == ("dma-stack", 2, stack_line(repo.read(DRIVER)))
    # The clean first patch on its own passes.
    assert check("check", files[0], cwd=tmp_path)[0] == 0


def test_mbox_on_stdin(repo: KernelRepo, check, needs_engine):
    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    mbox = repo.git("format-patch", "--stdout", "base..HEAD").encode() + b"\n"
    status, out, _ = check("check", "-", stdin=mbox)
    assert status == 1
    assert f"{DRIVER}:{stack_line(repo.read(DRIVER))}: error: " in out
    finding, blank, summary = out.rstrip().splitlines()[-3:]
    assert finding.endswith("[dma-stack]") and blank == ""
    assert summary == "1 finding introduced (1 error) by 1 patch; 0 pre-existing."


# --- baseline ----------------------------------------------------------------------------


def test_baseline_round_trip_survives_moved_lines(repo: KernelRepo, check, needs_engine, tmp_path):
    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    baseline = tmp_path / "reviewbot-baseline.json"
    status, _, _ = check("check", "--write-baseline", str(baseline), "base..HEAD", cwd=repo.root)
    assert status == 0
    assert [e["rule"] for e in json.loads(baseline.read_text())["findings"]] == ["dma-stack"]

    status, out, _ = check("check", "--baseline", str(baseline), "base..HEAD")
    assert status == 0
    assert "1 finding(s) suppressed by the baseline" in out
    status, out, _ = check("check", "--format", "json", "--baseline", str(baseline), "base..HEAD")
    assert json.loads(out)["findings"] == []
    assert json.loads(out)["check"]["suppressed_by_baseline"] == 1

    # The same code, moved down by an unrelated edit: still the same finding.
    repo.branch("moved", "base")
    repo.commit(DRIVER, BASE + PADDING + STACK_FUNC, "usb: widget: read the status")
    status, out, _ = check("check", "--format", "sarif", "base..HEAD")
    assert status == 1  # without the baseline it still fails, at another line
    (res,) = json.loads(out)["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == stack_line(
        repo.read(DRIVER)
    )
    assert check("check", "--baseline", str(baseline), "base..HEAD")[0] == 0

    # A new hazard is not covered by the old baseline.
    repo.commit(DRIVER, BASE + PADDING + STACK_FUNC + STACK_FUNC_2, "usb: widget: read the mode")
    status, out, _ = check("check", "--baseline", str(baseline), "--format", "github", "base..HEAD")
    assert status == 1
    (line,) = out.splitlines()
    assert f"line={stack_line(repo.read(DRIVER), 'widget_read_mode')}," in line


def test_bad_baseline_is_one_line_exit_2(repo: KernelRepo, check, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    status, out, err = check("check", "--baseline", str(bad), "base..HEAD", cwd=repo.root)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"reviewbot: {bad}: not a reviewbot baseline")


# --- exit codes on hand-made reviews (engine-independent) ----------------------------------


@pytest.fixture
def patch_file(repo: KernelRepo, tmp_path: Path) -> Path:
    repo.commit(DRIVER, BASE + CLEAN_FUNC, "usb: widget: add disconnect")
    out = tmp_path / "one.patch"
    out.write_text(repo.git("format-patch", "-1", "--stdout", "HEAD") + "\n")
    return out


@pytest.mark.parametrize(
    ("findings", "argv", "expected"),
    [
        ((), (), 0),
        ((finding(),), (), 1),
        ((finding(introduced=False),), ("--fail-on", "info"), 0),
        ((finding(severity=finding().severity.WARNING),), (), 0),
        ((finding(severity=finding().severity.WARNING),), ("--fail-on", "warning"), 1),
        ((finding(severity=finding().severity.INFO),), ("--fail-on", "warning"), 0),
        ((finding(severity=finding().severity.INFO),), ("--fail-on", "info"), 1),
    ],
)
def test_exit_status_follows_threshold(monkeypatch, check, patch_file, findings, argv, expected):
    import reviewbot.pipeline

    def fake(series, **_kw):
        return Review(series=series, findings=findings)

    monkeypatch.setattr(reviewbot.pipeline, "review_series", fake)
    for fmt in ("text", "json", "sarif", "github"):
        status, _, err = check("check", "--format", fmt, *argv, str(patch_file))
        assert status == expected, (fmt, err)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("check",), "give a git range, patch files"),
        (("check", "--format", "b4", "base..HEAD"), "reads one message on standard input"),
        (("check", "no-such-file.patch"), "no-such-file.patch: no such file"),
        (("check", "nope..HEAD"), "nope"),
        (("check", "base..HEAD", "-"), "each must be a patch or mbox file"),
    ],
)
def test_usage_and_input_errors_exit_2(repo: KernelRepo, check, argv, words):
    status, out, err = check(*argv, cwd=repo.root)
    assert status == 2
    assert out == ""
    assert words in err
    assert err.count("\n") == 1


def test_console_script_exit_status(repo: KernelRepo, tmp_path):
    """The installed entry point, not just main(): argparse errors exit 2 too."""
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "reviewbot", "check", "--fail-on", "fatal", "x..y"],
        capture_output=True,
        text=True,
        cwd=repo.root,
    )
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


SPI_DRIVER = "drivers/iio/dac/widget-dac.c"
SPI_BASE = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/spi/spi.h>

static int widget_dac_probe(struct spi_device *spi)
{
\treturn 0;
}
"""
SPI_OUT_FUNC = """
static int widget_dac_write(struct spi_device *spi, u8 reg, u16 val)
{
\tu8 msg[3] = { reg, val >> 8, val };

\treturn spi_write(spi, msg, sizeof(msg));
}
"""


def test_outbound_spi_stack_is_a_warning_the_error_gate_passes(repo: KernelRepo, check,
                                                               needs_engine):
    """Issue 11: the SPI core maps a VMAP stack page by page; peers flag it, CI passes."""
    repo.commit(SPI_DRIVER, SPI_BASE, "iio: dac: widget: add driver")
    repo.git("tag", "-f", "base")
    repo.commit(SPI_DRIVER, SPI_BASE + SPI_OUT_FUNC, "iio: dac: widget: write a register")
    status, out, err = check("check", "--format", "json", "base..HEAD", cwd=repo.root)
    (f,) = json.loads(out)["findings"]
    assert (f["rule"], f["severity"], f["direction"]) == ("dma-stack", "warning", "to_device")
    assert "page by page" in f["message"] and "DMA_API_DEBUG" in f["message"]
    assert status == 0, err
    assert check("check", "--fail-on", "warning", "base..HEAD", cwd=repo.root)[0] == 1


def test_a_range_that_fixes_then_reintroduces_a_hazard_fails_on_the_third_patch(
    repo: KernelRepo, check, needs_engine
):
    """Three commits: the stack buffer comes, goes (a copying API) and comes back."""
    copying = STACK_FUNC.replace(
        "usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), WIDGET_REQ_STATUS,\n"
        "\t\t\t      USB_TYPE_VENDOR | USB_DIR_IN, 0, 0, buf, sizeof(buf), 1000);",
        "usb_control_msg_recv(udev, 0, WIDGET_REQ_STATUS, USB_TYPE_VENDOR | USB_DIR_IN,\n"
        "\t\t\t\t   0, 0, buf, sizeof(buf), 1000, GFP_KERNEL);",
    )
    assert copying != STACK_FUNC
    repo.commit(DRIVER, BASE + STACK_FUNC, "usb: widget: read the status")
    repo.commit(DRIVER, BASE + copying, "usb: widget: read the status with a copy")
    repo.commit(DRIVER, BASE + STACK_FUNC, "Revert \"usb: widget: read the status with a copy\"")
    status, out, err = check("check", "--format", "json", "base..HEAD", cwd=repo.root)
    assert status == 1, err
    data = json.loads(out)
    got = [(f["rule"], f["patch"], f["introduced"], f.get("fixed_in_patch"))
           for f in data["findings"]]
    assert got == [("dma-stack", 3, True, None)]
    assert [f["patch"] for f in data["check"]["failing"]] == [3]
    assert data["findings"][0]["line"] == stack_line(repo.read(DRIVER))
