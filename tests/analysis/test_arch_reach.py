"""Where a driver runs decides whether a shared line bites (issue 23's platform reach).

A temporary tree with real Makefiles and Kconfig entries, judged on Linux
6.1's shipped profile: the same L1-isolated buffer bites for a driver any
architecture can build (arm64's L1 line is 64 of its 128-byte
ARCH_DMA_MINALIGN), and is dormant (info, not shown by default) for one whose
Kconfig requires 32-bit ARM (L1 is the DMA alignment there) or x86 (coherent).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.analysis import analyse_source
from reviewbot.analysis.facts.headers import HeaderIndex
from reviewbot.analysis.facts.platforms import Platforms
from tests.analysis.kconfig_tree import reader, write_tree

DRIVER = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/spi/spi.h>

struct chip {
\tstruct spi_device *spi;
\tunsigned long flags;
\tu8 rx[4] ____cacheline_aligned;
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

FILES = {
    "arch/arm/Kconfig": "config ARCH_FOO\n\tbool \"Foo SoCs\"\n",
    "drivers/Kconfig": 'config OF\n\tbool "Device Tree"\n\n'
                       'source "drivers/crypto/Kconfig"\nsource "drivers/input/Kconfig"\n',
    "drivers/Makefile": "obj-y += crypto/ input/\n",
    "drivers/crypto/Kconfig": """\
config CRYPTO_DEV_ARMONLY
\ttristate "32-bit ARM only"
\tdepends on ARM && (ARCH_FOO || COMPILE_TEST)
\tdepends on OF

config CRYPTO_DEV_ANY
\ttristate "any architecture"
\tdepends on SPI && (ARM || ARM64 || COMPILE_TEST)
""",
    "drivers/crypto/Makefile": "obj-$(CONFIG_CRYPTO_DEV_ANY) += anychip.o\n"
                               "obj-$(CONFIG_CRYPTO_DEV_ARMONLY) += armonly/\n",
    "drivers/crypto/armonly/Makefile": "obj-$(CONFIG_CRYPTO_DEV_ARMONLY) := armchip.o\n",
    "drivers/input/Kconfig": "config INPUT_X86CHIP\n\ttristate \"x86\"\n\tdepends on X86\n",
    "drivers/input/Makefile": "x86chip-objs := x86chip_core.o\n"
                              "obj-$(CONFIG_INPUT_X86CHIP) += x86chip.o\n",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path, FILES)


read_in = reader


@pytest.fixture(scope="module")
def linux61(knowledge_module):
    from reviewbot.analysis.facts.profile_store import load_profile
    from reviewbot.analysis.rules.exposure import tree_facts

    return tree_facts(load_profile("6.1"), "6.1", knowledge_module.line_of_its_cpu)


@pytest.fixture(scope="module")
def knowledge_module():
    from reviewbot.knowledge import load_knowledge

    return load_knowledge()


def test_only_arch_reads_makefile_and_kconfig(tree: Path, knowledge) -> None:
    platforms = Platforms(read_in(tree), [a for _, a in knowledge.arch_symbols])
    assert platforms.only_arch("drivers/crypto/armonly/armchip.c") == "arm"
    assert platforms.only_arch("drivers/input/x86chip_core.c") == "x86"
    assert platforms.only_arch("drivers/crypto/anychip.c") is None  # ARM || ARM64
    assert platforms.only_arch("drivers/crypto/unknown.c") is None


@pytest.mark.parametrize(("path", "verdict", "arches"), [
    ("drivers/crypto/anychip.c", "bites", ("arm64",)),  # ARM || ARM64
    ("drivers/crypto/armonly/armchip.c", "dormant", ()),
    ("drivers/input/x86chip_core.c", "dormant", ()),
])
def test_l1_isolation_bites_only_where_the_driver_builds_and_l1_is_short(
        tree: Path, knowledge, linux61, path, verdict, arches) -> None:
    found = analyse_source(path, DRIVER, knowledge,
                           headers=HeaderIndex(read_in(tree), knowledge), tree=linux61)
    assert [(f.rule, f.verdict, f.arches) for f in found] == [
        ("dma-cacheline-l1", verdict, arches)]
    assert found[0].severity.value == ("error" if verdict == "bites" else "info")


# artpec6's shape: explicit __aligned(64) members in an ARM-only driver, beside a list head
# and a counter the CPU writes. 64 is ARCH_DMA_MINALIGN on 32-bit ARM (at most), so the
# aligned member is isolated there; the member after it, only inside its region, is not.
EXPLICIT = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/dma-mapping.h>

struct descs {
\tu32 stat[16] __aligned(64);
\tu32 tail[4];
\tstruct list_head bounce;
\tatomic_t pending;
};

static void descs_event(struct descs *d)
{
\tatomic_inc(&d->pending);
}

static int descs_map(struct device *dev, struct descs *d)
{
\tdma_addr_t a, b;

\ta = dma_map_single(dev, d->stat, sizeof(d->stat), DMA_FROM_DEVICE);
\tb = dma_map_single(dev, d->tail, sizeof(d->tail), DMA_FROM_DEVICE);
\treturn dma_mapping_error(dev, a) || dma_mapping_error(dev, b);
}
"""


@pytest.mark.parametrize(("path", "biting"), [
    ("drivers/crypto/anychip.c", ["d->stat", "d->tail"]),  # arm64 too: 64 < 128
    ("drivers/crypto/armonly/armchip.c", ["d->tail"]),  # ARM only: 64 isolates stat
])
def test_explicit_alignment_counts_where_the_driver_runs(tree: Path, knowledge, linux61, path,
                                                         biting) -> None:
    found = analyse_source(path, EXPLICIT, knowledge,
                           headers=HeaderIndex(read_in(tree), knowledge), tree=linux61)
    members = [f for f in found if f.rule == "dma-embedded-unaligned"]
    assert sorted(f.buffer for f in members if f.verdict == "bites") == biting
    assert all(f.verdict == "dormant" for f in members if f.buffer not in biting)
