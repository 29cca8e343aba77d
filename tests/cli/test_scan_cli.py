"""``reviewbot scan``: files, one line per finding, filters and counts (issues 13, 25)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reviewbot.cli import main
from reviewbot.model import Finding, Severity
from reviewbot.render.scan_report import WIDTH, short_line
from tests.conftest import EXAMPLES

LED = "drivers/usb/misc/acme_led.c"
LED_SHORT = (
    "drivers/usb/misc/acme_led.c:27: error: buf: kmalloc() -> usb_control_msg() (DMA in) "
    "[dma-kmalloc-small]"
)
LED_LINE = (
    "  drivers/usb/misc/acme_led.c:27: error: buf is kmalloc() memory (line 23), passed to "
    "usb_control_msg() for DMA from the device"
)
# The example tree is a 6.1-era arm64 tree: kmalloc is DMA-aligned there, so the LED
# driver's small kmalloc buffer is dormant until kmalloc's alignment drops; the audit
# for such a change is the what-if.
WHATIF = ["--assume", "kmalloc-minalign=8"]
LED_HEADER = f"{LED} (CONFIG_ACME_LED; Linus Example <linus@example.org>)"


def _scan(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["scan", *(["--no-cache"] if "--cache-dir" not in argv else []), *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_text_is_one_line_per_finding_then_the_summary(capsys):
    status, out, _ = _scan([*WHATIF, str(EXAMPLES / "tree")], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == LED_SHORT
    assert lines[-2] == "1 finding(s) (1 error) in 1 driver(s)"
    assert lines[-1].startswith("11 files seen, 5 name a DMA sink: 5 parsed, 0 from the cache")
    assert lines[-1].endswith("judged on Linux 6.1.0-acme, assuming kmalloc-minalign=8")


def test_what_does_not_bite_on_the_tree_is_hidden_and_counted(capsys):
    status, out, _ = _scan([str(EXAMPLES / "tree")], capsys)
    assert status == 0
    assert out.splitlines()[0] == \
        "0 finding(s) (of 1; 1 below warning hidden, --all shows them) in 0 driver(s)"
    _, out, _ = _scan(["--all", "-v", str(EXAMPLES / "tree")], capsys)
    assert "  drivers/usb/misc/acme_led.c:27: info: buf is kmalloc() memory" in out
    assert "it does not bite on this tree: kmalloc memory is aligned to ARCH_DMA_MINALIGN" in out


def test_verbose_text_is_grouped_by_driver_with_whole_messages(capsys):
    status, out, _ = _scan(["-v", *WHATIF, str(EXAMPLES / "tree")], capsys)
    assert status == 0
    lines = out.splitlines()
    header = lines.index(LED_HEADER)
    assert lines[header + 1].startswith(LED_LINE)


def test_one_file_inside_a_tree_keeps_its_driver(capsys):
    status, out, _ = _scan(["-v", *WHATIF, str(EXAMPLES / "tree" / LED)], capsys)
    assert status == 0
    assert out.splitlines()[0] == LED_HEADER
    assert out.splitlines()[-2] == "1 finding(s) (1 error) in 1 driver(s)"
    assert out.splitlines()[-1].startswith("1 files seen")


def test_files_outside_any_tree(tmp_path, capsys):
    a, b = tmp_path / "led.c", tmp_path / "sub" / "adc.c"
    b.parent.mkdir()
    shutil.copy(EXAMPLES / "tree" / LED, a)
    shutil.copy(EXAMPLES / "tree" / "drivers/iio/adc/acme-adc.c", b)
    status, out, _ = _scan([str(a), str(b)], capsys)
    assert status == 0
    # outside any kernel tree: judged on the newest shipped profile, where a small
    # kmalloc buffer taking inbound DMA is bounced (dormant, shown with --all)
    assert out.splitlines()[-1].startswith("2 files seen")
    assert "judged on the shipped 6.12 profile" in out.splitlines()[-1]
    assert "1 below warning hidden, --all shows them" in out
    status, out, _ = _scan(["--all", str(a), str(b)], capsys)
    assert out.startswith("led.c:27: info: buf: kmalloc() -> usb_control_msg() (DMA in)")
    status, out, _ = _scan(["--assume", "6.1", "--assume", "kmalloc-minalign=8", str(a), str(b)],
                           capsys)
    assert out.startswith("led.c:27: error: buf: kmalloc() -> usb_control_msg() (DMA in)")
    assert "judged on the shipped 6.1 profile, assuming kmalloc-minalign=8" in out


def test_a_directory_after_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "a.c"
    f.write_text("int x;\n")
    status, out, err = _scan([str(f), str(tmp_path)], capsys)
    assert (status, out) == (2, "")
    assert err == f"reviewbot: {tmp_path}: with a file as PATH, every argument must be a file\n"


# --- a maintainer's view of a whole tree (issue 25) ---------------------------------------

# dma_map_single() cannot map a (vmalloc'd) stack: an error wherever the driver runs
STACK_READ = """
static int acme_adc_read_status(struct device *dev)
{
\tu8 status[2];
\tdma_addr_t dma = dma_map_single(dev, status, sizeof(status), DMA_FROM_DEVICE);

\treturn dma_mapping_error(dev, dma);
}
"""


@pytest.fixture()
def tree(tmp_path) -> Path:
    """The example tree with an error in the IIO driver beside the USB driver's warning
    (a dormant finding, shown as a warning when the tree does not say: a profile-less copy)."""
    root = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", root)
    # without it the tree does not say what kmalloc's alignment starts from: the LED
    # driver's small kmalloc buffer keeps its rule's own severity (a warning)
    (root / "mm/slab_common.c").unlink()
    adc = root / "drivers/iio/adc/acme-adc.c"
    adc.write_text(adc.read_text() + STACK_READ)
    return root


def _findings(out: str) -> list[str]:
    return [line for line in out.splitlines() if re.match(r"\S+:\d+: (error|warning|info): ", line)]


def test_severity_hides_what_is_below_it_and_says_so(tree, capsys):
    _, out, _ = _scan([str(tree)], capsys)
    assert [f.split(": ")[1] for f in _findings(out)] == ["error", "warning"]
    _, out, _ = _scan(["--severity", "error", str(tree)], capsys)
    [line] = _findings(out)
    assert line.startswith("drivers/iio/adc/acme-adc.c:") and ": error: status: " in line
    assert "1 finding(s) (1 error) (of 2; --severity error) in 1 driver(s)" in out


@pytest.mark.parametrize(
    "who",
    ["IIO SUBSYSTEM AND DRIVERS", "acme ad1234 adc driver", "jic@example.org",
     "<ada@example.org>", "linux-iio@vger.kernel.org"],
)
def test_maintainer_keeps_the_drivers_a_section_or_an_address_covers(tree, capsys, who):
    """A section higher up the tree (IIO SUBSYSTEM) covers the ADC driver too."""
    status, out, err = _scan(["--maintainer", who, str(tree)], capsys)
    assert status == 0 and err == ""
    [line] = _findings(out)
    assert line.startswith("drivers/iio/adc/acme-adc.c:")
    assert f"(of 2; --maintainer {who}) in 1 driver(s)" in out


def test_a_maintainer_with_no_driver_is_said(tree, capsys):
    status, out, err = _scan(["--maintainer", "nobody@example.org", str(tree)], capsys)
    assert status == 0 and _findings(out) == []
    assert "no affected driver is looked after by nobody@example.org" in err


def test_markdown_gives_each_finding_its_severity(tree, capsys):
    _, out, _ = _scan(["--format", "markdown", str(tree)], capsys)
    assert re.search(r"^- \*\*error\*\* `drivers/iio/adc/acme-adc\.c:\d+` `dma-stack`", out, re.M)
    assert re.search(r"^- \*\*warning\*\* `drivers/usb/misc/acme_led\.c:27`", out, re.M)
    assert "| acme-adc | `drivers/iio/adc/acme-adc.c` | CONFIG_ACME_ADC | 1 | 0 | 0 |" in out


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_warm_run_says_what_came_from_the_cache(tree, tmp_path, capsys, fmt):
    argv = ["--format", fmt, "--cache-dir", str(tmp_path / "cache"), str(tree)]
    _, cold, _ = _scan(argv, capsys)
    assert "5 name a DMA sink: 5 parsed, 0 from the cache" in cold
    _, warm, _ = _scan(argv, capsys)
    assert "5 name a DMA sink: 0 parsed, 5 from the cache" in warm
    (tree / LED).write_text((tree / LED).read_text() + "\n/* edited */\n")
    _, edited, _ = _scan(argv, capsys)
    assert "5 name a DMA sink: 1 parsed, 4 from the cache" in edited


def test_a_finding_line_fits_120_columns_and_keeps_its_rule():
    long = Finding(
        "dma-kmalloc-small", Severity.WARNING,
        "drivers/net/wireless/realtek/rtlwifi/rtl8192cu/mac.c", 1234,
        "probe", "priv->status_buf", "usb_control_msg", "from_device",
        "priv->status_buf is kmalloc() memory (line 1200), passed to "
        "rtl_helper_with_a_long_name(), which hands it to usb_control_msg() for DMA from the "
        "device: a 4-byte buffer comes from kmalloc-8, whose objects are not a multiple of "
        "ARCH_DMA_MINALIGN (128 on arm64) and so on for another three hundred characters",
    )
    line = short_line(long)
    assert len(line) <= WIDTH
    assert line.startswith(f"{long.file}:1234: warning: priv->status_buf: kmalloc()")
    assert line.endswith(" [dma-kmalloc-small]")
