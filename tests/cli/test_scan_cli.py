"""``reviewbot scan`` of files, and its text grouped by driver (issue 13)."""

from __future__ import annotations

import shutil

from reviewbot.cli import main
from tests.conftest import EXAMPLES

LED = "drivers/usb/misc/acme_led.c"
LED_LINE = (
    "  drivers/usb/misc/acme_led.c:27: warning: buf is kmalloc() memory (line 23), passed to "
    "usb_control_msg() for DMA from the device"
)


def _scan(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["scan", "--no-cache", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_text_is_grouped_by_driver_with_a_summary(capsys):
    status, out, _ = _scan([str(EXAMPLES / "tree")], capsys)
    assert status == 0
    lines = out.splitlines()
    header = lines.index(f"{LED} (CONFIG_ACME_LED; Linus Example <linus@example.org>)")
    assert lines[header + 1].startswith(LED_LINE)
    assert lines[-1].startswith("1 finding(s) (1 warning) in 1 driver(s); 9 files seen, ")


def test_one_file_inside_a_tree_keeps_its_driver(capsys):
    status, out, _ = _scan([str(EXAMPLES / "tree" / LED)], capsys)
    assert status == 0
    assert out.splitlines()[0] == f"{LED} (CONFIG_ACME_LED; Linus Example <linus@example.org>)"
    assert out.splitlines()[-1].startswith("1 finding(s) (1 warning) in 1 driver(s); 1 files seen")


def test_files_outside_any_tree(tmp_path, capsys):
    a, b = tmp_path / "led.c", tmp_path / "sub" / "adc.c"
    b.parent.mkdir()
    shutil.copy(EXAMPLES / "tree" / LED, a)
    shutil.copy(EXAMPLES / "tree" / "drivers/iio/adc/acme-adc.c", b)
    status, out, _ = _scan([str(a), str(b)], capsys)
    assert status == 0
    assert "  led.c:27: warning: buf is kmalloc() memory" in out
    assert out.splitlines()[-1].startswith("1 finding(s) (1 warning) in 1 driver(s); 2 files seen")


def test_a_directory_after_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "a.c"
    f.write_text("int x;\n")
    status, out, err = _scan([str(f), str(tmp_path)], capsys)
    assert (status, out) == (2, "")
    assert err == f"reviewbot: {tmp_path}: with a file as PATH, every argument must be a file\n"
