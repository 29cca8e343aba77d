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
    assert {"arm", "mips"} <= set(f.arches) and "x86" not in f.arches
    if profile == "6.1":
        assert "it bites on arm64, arm, riscv and " in f.message
    else:  # a 4-byte read is bounced there (test below)
        assert "it bites on arm, powerpc, mips in this tree" in f.message


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
    # ruleid: the same driver with a device-tree table runs on any arm64 SoC (6.1: no
    # bounce of small inbound mappings there)
    [f] = _judge(tree, knowledge, ACPI, MEMBER + ACPI_TABLE + OF_TABLE, "6.1")
    assert (f.verdict, f.arches) == ("bites", ("arm64",))


STACK = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/spi/spi.h>
#include <linux/usb.h>

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

static int chip_usb_status(struct usb_device *udev)
{
\tu8 st[2];

\treturn usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 0x01, 0xc0, 0, 0, st, 2, 1000);
}
"""


@pytest.mark.parametrize("path", [ANY, PSERIES, ACPI])
def test_stack_memory_fails_for_usb_and_breaks_the_spi_contract(tree, knowledge,
                                                                 path) -> None:
    found = {f.function: f for f in _judge(tree, knowledge, path, STACK)}
    # ruleid: dma-stack, USB: the HCD refuses a stack buffer wherever the driver runs
    assert (found["chip_usb_status"].verdict, found["chip_usb_status"].severity.value) == \
        ("bites", "error")
    # ruleid: dma-stack, SPI either way: the core maps the stack page by page; whether
    # it corrupts depends on the controller and the stack around it: the contract says no
    for fn in ("chip_reset", "chip_status"):
        assert (found[fn].verdict, found[fn].severity.value) == ("contract", "warning"), fn
    assert "discards CPU writes to the stack lines around it" in found["chip_status"].message


KMACRO = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/spi/spi.h>

struct chip {
\tstruct spi_device *spi;
\tunsigned long flags;
\tu8 rx[200] __aligned(ARCH_KMALLOC_MINALIGN);
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
    # ruleid on 6.12: arm64 and riscv define it as 8, and a 200-byte mapping is not
    # bounced (kmalloc_size_roundup(200) = 256, a multiple of the line)
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


def test_a_small_inbound_member_is_bounced_on_612_arm64_and_riscv(tree, knowledge) -> None:
    """dma_kmalloc_needs_bounce() tests the mapping's size, not where the memory is: a
    4-byte member read is bounced through swiotlb on 6.12's arm64 and riscv."""
    # ruleid on 6.1: arm64 bites
    [old] = _judge(tree, knowledge, ANY, MEMBER, "6.1")
    assert "arm64" in old.arches and "riscv" in old.arches
    # ok on 6.12 for arm64 and riscv; arm and mips still bite
    [new] = _judge(tree, knowledge, ANY, MEMBER, "6.12")
    assert new.verdict == "bites" and {"arm", "mips"} <= set(new.arches)
    assert "arm64" not in new.arches and "riscv" not in new.arches
    # a driver only for arm64 is dormant on 6.12: bounced, slower
    small = KMACRO.replace("rx[200]", "rx[4]")
    [only] = _judge(tree, knowledge, ANY, small, "6.12")
    assert (only.verdict, only.severity.value) == ("dormant", "info")
    assert "the DMA core bounces" in only.message


def test_a_member_sized_by_a_define_of_the_file_is_bounced_by_that_size(tree, knowledge) -> None:
    """u8 rx[CHIP_PACKET] ____cacheline_aligned with #define CHIP_PACKET 169 (elants_i2c's
    shape): it shares a line only on CPUs with 128-byte lines, and a 169-byte read rounds
    to kmalloc-192, not a multiple of 128, so 6.12's arm64 bounces it there."""
    sized = MEMBER.replace("#include <linux/mutex.h>\n",
                           "#include <linux/mutex.h>\n\n#define CHIP_PACKET 169\n")
    sized = sized.replace("u8 rx[4];", "u8 rx[CHIP_PACKET] ____cacheline_aligned;")
    [new] = _judge(tree, knowledge, ANY, sized, "6.12")
    assert new.rule == "dma-cacheline-l1"
    assert new.hazard is not None and new.hazard.length == 169
    assert new.verdict == "bites" and "arm64" not in new.arches  # mips still bites
    # 256 bytes and more are never bounced by size: arm64 bites again
    [big] = _judge(tree, knowledge, ANY, sized.replace("169", "300"), "6.12")
    assert "arm64" in big.arches


REMAP = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/dma-mapping.h>

static int chip_alloc(struct device *dev)
{
\tdma_addr_t bus, again;
\tvoid *ring = dma_alloc_coherent(dev, 4096, &bus, GFP_KERNEL);

\tif (!ring)
\t\treturn -ENOMEM;
\tagain = dma_map_single(dev, ring, 4096, DMA_FROM_DEVICE);
\treturn dma_mapping_error(dev, again);
}
"""

OLD32 = "drivers/input/old32.c"  # depends on X86_32: x86 without 64BIT, and UML


def test_coherent_memory_mapped_again_fails_where_the_allocator_remaps(tree, knowledge) -> None:
    # ruleid: dma-coherent-remap, any architecture: arm, arm64, riscv remap; x86_64 under
    # an IOMMU does
    [f] = _judge(tree, knowledge, ANY, REMAP)
    assert (f.rule, f.verdict, f.severity.value) == ("dma-coherent-remap", "bites", "error")
    assert set(f.arches) == {"arm", "arm64", "riscv", "x86"}
    # ok: a 32-bit x86 driver gets linear-map memory, which maps back to itself
    [old] = _judge(tree, knowledge, OLD32, REMAP)
    assert (old.verdict, old.severity.value) == ("dormant", "info")
    assert "only where dma_alloc_coherent() memory is in the linear map" in old.message
