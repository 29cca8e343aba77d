"""The bundled 8-patch series end to end: exactly the planted findings, nothing on clean patches."""

from __future__ import annotations

import json

import pytest

from reviewbot.cli import main
from reviewbot.intake import IntakeOptions, load_series
from reviewbot.pipeline import review_series
from tests.conftest import EXAMPLES

PLANTED = {
    (1, "dma-stack", "drivers/usb/serial/acme_serial.c", "ret = acme_get_status(port, &status);"),
    (
        2,
        "dma-embedded-unaligned",
        "drivers/iio/adc/acme-adc.c",
        "ret = spi_read(st->spi, st->status, sizeof(st->status));",
    ),
    (
        4,
        "dma-vmalloc",
        "drivers/usb/misc/acme_fw.c",
        "ret = usb_bulk_msg(fw->udev, usb_sndbulkpipe(fw->udev, ACME_FW_EP_OUT),",
    ),
    (
        7,
        "minalign-definition",
        "arch/arm64/include/asm/cache.h",
        "#define ARCH_KMALLOC_MINALIGN\t(8)",
    ),
}


def _post_line(series, index: int, path: str, line: int) -> str:
    """The text at ``line`` of ``path`` after patch ``index``, from the diff itself."""
    patch = next(p for p in series.patches if p.index == index)
    for pf in patch.diff:
        if pf.path == path:
            for hunk in pf:
                for ln in hunk:
                    if ln.target_line_no == line:
                        return ln.value.strip()
    raise AssertionError(f"line {line} of {path} is not in patch {index}")


def _planted(series, findings):
    return {
        (f.patch, f.rule, f.file, _post_line(series, f.patch, f.file, f.line))
        for f in findings
        if f.introduced
    }


@pytest.fixture(scope="module")
def series():
    return load_series(str(EXAMPLES / "series.mbox"), IntakeOptions())


def test_from_the_mbox_alone(series):
    review = review_series(series)
    assert _planted(series, review.findings) == PLANTED
    assert all(f.introduced for f in review.findings)
    assert review.base is None


def test_with_a_git_tree(series, example_repo):
    repo = example_repo
    review = review_series(series, tree=repo)
    assert _planted(series, review.findings) == PLANTED
    assert [s.applied for s in review.patch_status] == [True] * 8
    assert len(review.base) == 40


def test_cli_json_findings(capsys):
    assert (
        main(
            [
                "review",
                "--format",
                "json",
                "--tree",
                str(EXAMPLES / "tree"),
                str(EXAMPLES / "series.mbox"),
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    got = {(f["patch"], f["rule"], f["severity"], f["introduced"]) for f in data["findings"]}
    assert got == {
        (1, "dma-stack", "error", True),
        # the example tree's arm64 does non-coherent DMA: a shared line bites there
        (2, "dma-embedded-unaligned", "error", True),
        (4, "dma-vmalloc", "error", True),
        (7, "minalign-definition", "info", True),
    }
    assert all(p["applied"] for p in data["series"]["patches"])
    assert data["series"]["base"] == "a plain source tree (no git commit)"
    assert str(EXAMPLES) not in json.dumps(data)  # no local path reaches the output
    stack = next(f for f in data["findings"] if f["rule"] == "dma-stack")
    assert stack["function"] == "acme_open" and stack["buffer"] == "&status"
    assert stack["direction"] == "from_device" and "usb_control_msg" in stack["message"]
