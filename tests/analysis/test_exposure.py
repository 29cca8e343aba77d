"""Issue 23: each finding judged on the tree's profile, by where its driver can run.

The same kernel-style drivers, each placed in a kernel-style tree
(tests/analysis/test_platforms.py's Kconfig and Makefiles) where it builds
for every architecture, only for a cache-coherent platform (PPC_PSERIES), or
binds only ACPI devices, judged on the 6.1 and 6.12 profiles shipped (read
from Debian's trees): error where it corrupts data on an architecture the
driver builds for, warning where it breaks a contract but works, info
(dormant, hidden by default) where this tree does not meet its condition.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.analysis import analyse_source
from reviewbot.analysis.facts.headers import HeaderIndex
from reviewbot.analysis.trees import judged_tree
from tests.analysis.kconfig_tree import reader, write_tree
from tests.analysis.test_platforms import DRIVERS

# a lock beside the buffer: the CPU writes its line while the transfer is in flight
MEMBER = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/spi/spi.h>
#include <linux/mutex.h>

struct chip {
\tstruct spi_device *spi;
\tstruct mutex lock;
\tu8 rx[4];
};

static int chip_read(struct chip *c)
{
\tint ret;

\tmutex_lock(&c->lock);
\tret = spi_read(c->spi, c->rx, sizeof(c->rx));
\tmutex_unlock(&c->lock);
\treturn ret;
}
"""

ACPI_TABLE = """
static const struct acpi_device_id chip_acpi_ids[] = {
\t{ "ACME0001", 0 },
\t{ }
};
MODULE_DEVICE_TABLE(acpi, chip_acpi_ids);
"""

OF_TABLE = """
static const struct of_device_id chip_of_ids[] = {
\t{ .compatible = "acme,chip" },
\t{ }
};
"""

ANY = "drivers/misc/misc_any.c"  # depends on SPI: every architecture
PSERIES = "drivers/scsi/ibmvscsi/ibmvscsi.c"  # depends on PPC_PSERIES (64-bit, coherent)
ACPI = "drivers/misc/acpi_dev.c"  # depends on ACPI: arm64 and x86


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return write_tree(tmp_path_factory.mktemp("linux"), DRIVERS)


def _judge(tree: Path, knowledge, path: str, text: str, profile: str = "6.12",
           *whatif: str):
    return analyse_source(path, text, knowledge, headers=HeaderIndex(reader(tree), knowledge),
                          tree=judged_tree(None, None, [profile, *whatif], knowledge))


@pytest.mark.parametrize("profile", ["6.1", "6.12"])
def test_a_shared_line_bites_where_the_driver_can_run_non_coherent(tree, knowledge,
                                                                   profile) -> None:
    # ruleid: dma-embedded-unaligned (bites: arm64 among others)
    [f] = _judge(tree, knowledge, ANY, MEMBER, profile)
    assert (f.rule, f.verdict, f.severity.value) == ("dma-embedded-unaligned", "bites", "error")
    assert {"arm64", "arm", "riscv"} <= set(f.arches) and "x86" not in f.arches
    assert "it bites on arm64, arm, riscv and " in f.message


def test_a_driver_only_for_a_coherent_platform_is_dormant(tree, knowledge) -> None:
    # ok: PPC_PSERIES is 64-bit; powerpc is non-coherent only with 32-bit CPUs
    [f] = _judge(tree, knowledge, PSERIES, MEMBER)
    assert (f.verdict, f.severity.value, f.arches) == ("dormant", "info", ())
    assert "cannot be built where DMA on powerpc is non-coherent" in f.message


def test_an_acpi_only_driver_is_dormant_and_one_with_a_dt_table_is_not(tree, knowledge) -> None:
    # ok: binds only ACPI devices (x86, arm64 servers with coherent DMA)
    [f] = _judge(tree, knowledge, ACPI, MEMBER + ACPI_TABLE)
    assert (f.verdict, f.severity.value) == ("dormant", "info")
    assert "matches only ACPI devices" in f.message
    # ruleid: the same driver with a device-tree table runs on any arm64 SoC
    [f] = _judge(tree, knowledge, ACPI, MEMBER + ACPI_TABLE + OF_TABLE)
    assert (f.verdict, f.arches) == ("bites", ("arm64",))


STACK = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/spi/spi.h>

static int chip_reset(struct spi_device *spi)
{
\tu8 cmd[2] = { 0x01, 0x00 };

\treturn spi_write(spi, cmd, sizeof(cmd));
}

static int chip_status(struct spi_device *spi)
{
\tu8 st[2];
\tint ret;

\tret = spi_read(spi, st, sizeof(st));
\treturn ret ?: st[0];
}
"""


@pytest.mark.parametrize("path", [ANY, PSERIES, ACPI])
def test_stack_memory_fails_anywhere_and_outbound_spi_is_a_contract(tree, knowledge,
                                                                    path) -> None:
    found = {f.function: f for f in _judge(tree, knowledge, path, STACK)}
    # ruleid: dma-stack, inbound: not DMA-able wherever the driver runs
    assert (found["chip_status"].verdict, found["chip_status"].severity.value) == \
        ("bites", "error")
    # ruleid: dma-stack, outbound SPI: the core maps it page by page; the contract says no
    assert (found["chip_reset"].verdict, found["chip_reset"].severity.value) == \
        ("contract", "warning")


KMACRO = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/spi/spi.h>

struct chip {
\tstruct spi_device *spi;
\tunsigned long flags;
\tu8 rx[4] __aligned(ARCH_KMALLOC_MINALIGN);
};

static void chip_event(struct chip *c)
{
\tset_bit(0, &c->flags);
}

static int chip_read(struct chip *c)
{
\treturn spi_read(c->spi, c->rx, sizeof(c->rx));
}
"""


def test_kmalloc_minalign_isolation_is_dormant_on_61_and_bites_on_612(tree, knowledge) -> None:
    # ok on 6.1: every architecture's ARCH_KMALLOC_MINALIGN is its ARCH_DMA_MINALIGN
    [old] = _judge(tree, knowledge, ANY, KMACRO, "6.1")
    assert (old.rule, old.verdict, old.severity.value) == ("minalign-usage", "dormant", "info")
    assert "ARCH_KMALLOC_MINALIGN is ARCH_DMA_MINALIGN on every non-coherent" in old.message
    # ruleid on 6.12: arm64 and riscv define it as 8
    [new] = _judge(tree, knowledge, ANY, KMACRO, "6.12")
    assert (new.verdict, new.severity.value, new.arches) == ("bites", "error",
                                                             ("arm64", "riscv"))
    # the what-if brings it back on 6.1 too
    [whatif] = _judge(tree, knowledge, ANY, KMACRO, "6.1", "kmalloc-minalign=8")
    assert whatif.verdict == "bites" and "arm64" in whatif.arches


SMALL = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/usb.h>

static int chip_get_status(struct usb_device *udev)
{
\tu8 *buf = kmalloc(2, GFP_KERNEL);
\tint ret;

\tif (!buf)
\t\treturn -ENOMEM;
\tret = usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 0x01, 0xc0, 0, 0, buf, 2, 1000);
\tkfree(buf);
\treturn ret;
}
"""


@pytest.mark.parametrize(("profile", "whatif", "verdict"), [
    ("6.1", (), "dormant"),  # kmalloc is DMA-aligned there
    ("6.12", (), "dormant"),  # small inbound kmalloc buffers are bounced
    ("6.1", ("kmalloc-minalign=8",), "bites"),  # the audit of a minalign change
])
def test_small_kmalloc_bites_only_in_the_what_if(tree, knowledge, profile, whatif,
                                                 verdict) -> None:
    [f] = _judge(tree, knowledge, ANY, SMALL, profile, *whatif)
    assert (f.rule, f.verdict) == ("dma-kmalloc-small", verdict)
    assert f.severity.value == ("error" if verdict == "bites" else "info")
