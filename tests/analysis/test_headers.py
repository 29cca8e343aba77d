"""Issue 11: struct definitions from a driver's own header and from include/ are used.

Real files in a temporary kernel-like tree, read through the same HeaderIndex
the scan and ``review --tree`` use; without the index the same driver is silent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.analysis import analyse_series, analyse_source
from reviewbot.analysis.facts.headers import HeaderIndex, includes
from reviewbot.scan import scan_tree

from .diffs import series, unified

LOCAL_H = """\
/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ADC_FOO_H
#define _ADC_FOO_H
#include <linux/mutex.h>

struct foo_state {
\tstruct spi_device *spi;
\tstruct mutex lock;
\tu8 rx[4];
\tu8 tx[4];
};

struct foo_cmd {
\t__le16 op;
\t__le16 len;
\tu8 pad[2];
};
#endif
"""

SHARED_H = """\
/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_WIDGET_H
#define _LINUX_WIDGET_H

struct widget_chip {
\tstruct spi_device *spi;
\tunsigned long flags;
\tu8 buf[8] ____cacheline_aligned;
};
#endif
"""

DRIVER = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/spi/spi.h>
#include <linux/widget.h>
#include "foo.h"

static void foo_event(struct widget_chip *chip)
{
\tset_bit(1, &chip->flags);
}

static int foo_read(struct foo_state *st)
{
\treturn spi_read(st->spi, st->rx, sizeof(st->rx));
}

static int foo_chip_read(struct widget_chip *chip)
{
\treturn spi_read(chip->spi, chip->buf, sizeof(chip->buf));
}

static int foo_cmd(struct spi_device *spi)
{
\tstruct foo_cmd *cmd = kmalloc(sizeof(struct foo_cmd), GFP_KERNEL);

\treturn spi_read(spi, cmd, sizeof(*cmd));
}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel, text in (("drivers/iio/adc/foo.h", LOCAL_H), ("include/linux/widget.h", SHARED_H),
                      ("drivers/iio/adc/foo.c", DRIVER)):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def reader(root: Path):
    def read(rel: str) -> str | None:
        p = root / rel
        return p.read_text() if p.is_file() else None
    return read


def rules_by_line(findings) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for f in findings:
        out.setdefault(f.function, []).append((f.rule, f.confidence.value))
    return out


def test_includes_resolve_beside_the_file_and_in_include() -> None:
    assert includes("drivers/iio/adc/foo.c", DRIVER) == [
        "include/linux/spi/spi.h", "include/linux/widget.h", "drivers/iio/adc/foo.h"]
    assert includes("drivers/a/b.c", '#include "../../../etc/passwd"\n') == []


def test_header_structs_are_used(tree: Path, knowledge) -> None:
    path = "drivers/iio/adc/foo.c"
    alone = analyse_source(path, DRIVER, knowledge)
    # one file at a time every layout is invisible: only a guess about an unknown size
    assert [(f.rule, f.confidence.value) for f in alone] == [("dma-kmalloc-small", "low")]
    found = analyse_source(path, DRIVER, knowledge,
                           headers=HeaderIndex(reader(tree), knowledge))
    by_fn = rules_by_line(found)
    assert by_fn["foo_read"] == [("dma-embedded-unaligned", "high")]  # beside a mutex
    assert by_fn["foo_chip_read"] == [("dma-cacheline-l1", "high")]  # flags set_bit()
    assert by_fn["foo_cmd"] == [("dma-kmalloc-small", "high")]  # sizeof from the header
    (local,) = [f for f in found if f.function == "foo_read"]
    assert "member 'rx' of struct foo_state (drivers/iio/adc/foo.h:9)" in local.message
    (shared,) = [f for f in found if f.function == "foo_chip_read"]
    assert "(include/linux/widget.h:8)" in shared.message
    (small,) = [f for f in found if f.function == "foo_cmd"]
    assert "a 6-byte kmalloc buffer is smaller than ARCH_DMA_MINALIGN" in small.message


def test_scan_reads_the_headers_of_the_tree(tree: Path, knowledge) -> None:
    result = scan_tree(tree, knowledge, [], 1, None)
    got = sorted((f.file, f.function, f.rule) for f in result.findings)
    assert got == [("drivers/iio/adc/foo.c", "foo_chip_read", "dma-cacheline-l1"),
                   ("drivers/iio/adc/foo.c", "foo_cmd", "dma-kmalloc-small"),
                   ("drivers/iio/adc/foo.c", "foo_read", "dma-embedded-unaligned")]


def _found(result) -> list[tuple[str, str, str]]:
    return sorted((f.file, f.function, f.rule) for f in result.findings)


def test_a_warm_rescan_after_a_header_edit_finds_what_a_cold_scan_finds(
        tree: Path, knowledge, tmp_path: Path) -> None:
    """The driver's text is unchanged, but its findings depend on the header's layout:
    the cache must not answer with the old one (the same for a header that appears)."""
    cache = tmp_path / "cache"
    first = scan_tree(tree, knowledge, [], 1, cache)
    assert ("drivers/iio/adc/foo.c", "foo_read", "dma-embedded-unaligned") in _found(first)
    assert scan_tree(tree, knowledge, [], 1, cache).stats.parsed == 0  # nothing changed
    header = tree / "drivers/iio/adc/foo.h"
    header.write_text(LOCAL_H.replace("\tu8 rx[4];\n\tu8 tx[4];\n",  # the kernel's fix
                                      "\tu8 tx[4];\n\tu8 rx[4] __aligned(ARCH_DMA_MINALIGN);\n"))
    warm = scan_tree(tree, knowledge, [], 1, cache)
    cold = scan_tree(tree, knowledge, [], 1, None)
    assert warm.stats.parsed == 1
    assert _found(warm) == _found(cold)
    assert ("drivers/iio/adc/foo.c", "foo_read", "dma-embedded-unaligned") not in _found(warm)
    # an include that did not resolve, then appears: foo.c includes <linux/spi/spi.h>
    spi_h = tree / "include/linux/spi/spi.h"
    spi_h.parent.mkdir(parents=True)
    spi_h.write_text("struct spi_device { int x; };\n")
    assert scan_tree(tree, knowledge, [], 1, cache).stats.parsed == 1
    # a copy of the same text in another folder includes another foo.h: analysed afresh
    other = tree / "drivers/iio/dac"
    other.mkdir(parents=True)
    (other / "foo.c").write_text(DRIVER)
    (other / "foo.h").write_text(LOCAL_H)
    again = scan_tree(tree, knowledge, [], 1, cache)
    assert again.stats.parsed == 1
    assert _found(again) == _found(scan_tree(tree, knowledge, [], 1, None))
    assert ("drivers/iio/dac/foo.c", "foo_read", "dma-embedded-unaligned") in _found(again)


def test_review_with_a_tree_reads_headers_as_the_series_leaves_them(tree: Path,
                                                                    knowledge) -> None:
    path = "drivers/iio/adc/foo.c"
    before = DRIVER.replace("st->rx, sizeof(st->rx)", "st->tx, 0")
    diff = unified(path, before, DRIVER)
    files = {rel: (tree / rel).read_text() for rel in ("drivers/iio/adc/foo.h",
                                                        "include/linux/widget.h")}

    def images(p: str, index: int):
        if p == path:
            return before, DRIVER
        return (files[p], files[p]) if p in files else None

    found = analyse_series(series(diff), knowledge, images)
    assert [(f.rule, f.function, f.introduced) for f in found if f.introduced] == [
        ("dma-embedded-unaligned", "foo_read", True)]
