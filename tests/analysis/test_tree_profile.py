"""The tree profile: each fact read from the tree under review, None when the tree does not say.

The fixture trees (profile_trees.py) hold only the files the profile reads,
cut from Linux 6.1.192 and 6.12.118; every assertion below names a fact
whose value differs between the two, or that the reader must work out
from the ``#if`` and Kconfig text around it.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from reviewbot.analysis.facts.profile import (
    TreeProfile,
    directory_reader,
    fingerprint,
    read_profile,
    read_tree_profile,
)
from tests.analysis.profile_trees import tree_61, tree_612, write_tree

ARCHES = ("alpha", "arm", "arm64", "mips", "parisc", "powerpc", "riscv", "x86")


@pytest.fixture(scope="module")
def p61(tmp_path_factory) -> TreeProfile:
    return read_tree_profile(write_tree(tmp_path_factory.mktemp("t61"), tree_61()))


@pytest.fixture(scope="module")
def p612(tmp_path_factory) -> TreeProfile:
    return read_tree_profile(write_tree(tmp_path_factory.mktemp("t612"), tree_612()))


def _arch(p: TreeProfile, name: str):
    a = p.arch(name)
    assert a is not None, name
    return a


# ------------------------------------------------------------------ version and arches

def test_version_is_the_makefiles(p61, p612):
    assert p61.version == "6.1.192" and p61.version_tuple == (6, 1, 192)
    assert p612.version == "6.12.118"


def test_the_architectures_are_the_trees_own(p61):
    assert tuple(a.name for a in p61.arches) == ARCHES
    assert _arch(p61, "arm64").symbol == "ARM64"
    assert _arch(p61, "powerpc").symbol == "PPC"  # no POWERPC entry: the one selecting most


# ------------------------------------------------------------------ the three macros

def test_arm64_kmalloc_follows_dma_minalign_in_61_and_is_8_in_612(p61, p612):
    a61, a612 = _arch(p61, "arm64"), _arch(p612, "arm64")
    assert a61.dma_minalign.values == (128,) and a612.dma_minalign.values == (128,)
    assert a61.l1_cache_bytes.values == (64,)
    # 6.1: arm64 defines no ARCH_KMALLOC_MINALIGN; slab.h makes it ARCH_DMA_MINALIGN
    assert a61.kmalloc_minalign.values == (128,)
    (d,) = a61.kmalloc_minalign.definitions
    assert d.expression == "ARCH_DMA_MINALIGN" and d.at == "include/linux/slab.h:16"
    # 6.12: arch/arm64/include/asm/cache.h says (8)
    assert a612.kmalloc_minalign.values == (8,)
    assert a612.kmalloc_minalign.definitions[0].at == "arch/arm64/include/asm/cache.h:19"


def test_a_shift_from_kconfig_takes_every_default(p61):
    arm = _arch(p61, "arm")
    # 1 << CONFIG_ARM_L1_CACHE_SHIFT, whose defaults in arch/arm/mm/Kconfig are 6 and 5
    assert arm.l1_cache_bytes.values == (32, 64)
    assert arm.dma_minalign.values == (32, 64)
    assert arm.kmalloc_minalign.values == (32, 64)
    x86 = _arch(p61, "x86")
    assert x86.l1_cache_bytes.values == (16, 32, 64, 128)


def test_an_architecture_without_dma_minalign_gets_the_generic_one(p61):
    x86 = _arch(p61, "x86")
    (d,) = x86.dma_minalign.definitions
    assert (d.expression, d.at, d.when) == (
        "__alignof__(unsigned long long)", "include/linux/cache.h:19", None)
    assert x86.dma_minalign.values == (8,) and x86.kmalloc_minalign.values == (8,)


def test_a_conditional_definition_keeps_its_condition_and_the_fallback_the_rest(p61):
    ppc = _arch(p61, "powerpc")
    own, generic = ppc.dma_minalign.definitions
    assert own.when == "NOT_COHERENT_CACHE" and own.bytes == (16, 32, 64, 128)
    assert generic.when == "!NOT_COHERENT_CACHE" and generic.bytes == (8,)
    kmalloc = {d.when: d.bytes for d in ppc.kmalloc_minalign.definitions}
    assert kmalloc == {"NOT_COHERENT_CACHE": (16, 32, 64, 128), "!NOT_COHERENT_CACHE": (8,)}
    (l1,) = ppc.l1_cache_bytes.definitions  # 4, 6, 7 or 5 in the #if chain
    assert l1.bytes == (16, 32, 64, 128)


def test_if_and_else_cover_every_configuration_without_the_fallback(p61):
    parisc = _arch(p61, "parisc")
    assert parisc.dma_minalign.values == (32, 128)  # PA20 or not; never the generic 8
    assert [d.when for d in parisc.dma_minalign.definitions] == ["PA20", "!PA20"]
    assert parisc.kmalloc_minalign.values == (16,)
    alpha = _arch(p61, "alpha")
    assert alpha.l1_cache_bytes.values == (32, 64)
    assert alpha.l1_cache_bytes.definitions[1].when == "!(ALPHA_GENERIC || ALPHA_EV6)"


def test_riscv_kmalloc_is_dma_aligned_when_noncoherent_in_61_and_8_in_612(p61, p612):
    r61, r612 = _arch(p61, "riscv"), _arch(p612, "riscv")
    assert r61.dma_minalign.values == (8, 64)
    assert {d.when: d.bytes for d in r61.kmalloc_minalign.definitions} == {
        "RISCV_DMA_NONCOHERENT": (64,), "!RISCV_DMA_NONCOHERENT": (8,)}
    assert r612.kmalloc_minalign.values == (8,)


def test_a_machine_header_counts_under_the_platform_that_includes_it(p61):
    mips = _arch(p61, "mips")
    by_when = {d.when: (d.bytes, d.at) for d in mips.dma_minalign.definitions}
    assert by_when["SGI_IP32 && (CPU_R5000 || CPU_RM7000)"] == (
        (32,), "arch/mips/include/asm/mach-ip32/kmalloc.h:7")
    assert by_when["!SGI_IP32 && DMA_NONCOHERENT"] == (
        (128,), "arch/mips/include/asm/mach-generic/kmalloc.h:10")
    assert mips.dma_minalign.values == (8, 32, 128)


# ------------------------------------------------------------------ Kconfig selects

def test_noncoherent_dma_comes_from_the_selects_dma_map_ops_names(p61):
    assert p61.noncoherent_symbols == (
        "ARCH_HAS_SYNC_DMA_FOR_DEVICE", "ARCH_HAS_SYNC_DMA_FOR_CPU",
        "ARCH_HAS_SYNC_DMA_FOR_CPU_ALL")
    assert p61.noncoherent_symbols_at == "include/linux/dma-map-ops.h:2"
    assert _arch(p61, "arm64").can_be_noncoherent is True
    assert [s.when for s in _arch(p61, "arm64").noncoherent] == [None, None]
    assert _arch(p61, "x86").can_be_noncoherent is False
    assert {s.when for s in _arch(p61, "powerpc").noncoherent} == {"NOT_COHERENT_CACHE"}
    assert {s.when for s in _arch(p61, "parisc").noncoherent} == {"PA11"}


def test_bounce_select_is_arm64s_always_and_riscvs_with_swiotlb(p61, p612):
    assert _arch(p61, "arm64").bounces_kmalloc is False
    (arm64,) = _arch(p612, "arm64").bounce_unaligned_kmalloc
    assert arm64.when is None and arm64.at == "arch/arm64/Kconfig:8"
    (riscv,) = _arch(p612, "riscv").bounce_unaligned_kmalloc
    assert riscv.by == "RISCV_DMA_NONCOHERENT"
    assert riscv.when == "RISCV_DMA_NONCOHERENT && SWIOTLB"


def test_vmap_stack_and_swiotlb_selects(p61):
    (x86,) = _arch(p61, "x86").vmap_stack
    assert x86.when == "X86_64"
    assert _arch(p61, "arm64").has_vmap_stack is True
    assert _arch(p61, "alpha").has_vmap_stack is False
    (swiotlb,) = _arch(p61, "x86").swiotlb
    assert swiotlb.by == "X86_64" and swiotlb.when == "X86_64"


# ------------------------------------------------------------------ tree-wide facts

def test_kmalloc_minimum_is_the_macro_in_61_and_decided_at_boot_in_612(p61, p612):
    k61 = p61.kmalloc_minimum
    assert k61 is not None and k61.function is None
    assert (k61.starts_from, k61.at) == ("ARCH_KMALLOC_MINALIGN", "mm/slab_common.c:9")
    k612 = p612.kmalloc_minimum
    assert k612 is not None and k612.function == "__kmalloc_minalign"
    assert k612.starts_from == "dma_get_cache_alignment()"
    assert k612.lowered_to == "ARCH_KMALLOC_MINALIGN"
    assert k612.lowered_when == ("DMA_BOUNCE_UNALIGNED_KMALLOC", "is_swiotlb_allocated()")


def test_the_bounce_check_exists_only_in_612_and_says_what_it_checks(p61, p612):
    assert p61.has_bounce_check is False and p61.bounce_check is None
    b = p612.bounce_check
    assert p612.has_bounce_check is True and b is not None
    assert b.requires == ("DMA_BOUNCE_UNALIGNED_KMALLOC",)
    assert b.depends == ("SWIOTLB",)
    assert b.skips_coherent and b.skips_directions == ("DMA_TO_DEVICE",)
    assert b.size_bound == "2 * ARCH_DMA_MINALIGN" and b.checks_size_class
    assert b.callers == ("kernel/dma/direct.h",)  # drivers/iommu/dma-iommu.c is not here


def test_devres_iio_and_crypto_alignment_per_tree(p61, p612):
    assert p61.devres_align.expression == "ARCH_KMALLOC_MINALIGN"
    assert p612.devres_align.expression == "ARCH_DMA_MINALIGN"
    assert p612.devres_align.at == "drivers/base/devres.c:16"
    assert [d.expression for d in p61.iio_dma_minalign] == ["ARCH_KMALLOC_MINALIGN"]
    assert [d.expression for d in p612.iio_dma_minalign] == ["ARCH_DMA_MINALIGN"]
    assert p612.macro_values("IIO_DMA_MINALIGN", "arm64") == (128,)
    assert p61.macro_values("CRYPTO_MINALIGN", "arm64") == (128,)
    assert p612.macro_values("CRYPTO_MINALIGN", "arm64") == (8,)
    assert p61.crypto_dma_align == ()  # algapi.h is there and does not define it
    assert [(d.expression, d.when) for d in p612.crypto_dma_align] == [
        ("ARCH_DMA_MINALIGN", "defined(ARCH_DMA_MINALIGN)"),
        ("CRYPTO_MINALIGN", "!defined(ARCH_DMA_MINALIGN)")]


def test_ctx_dma_helpers_exist_only_in_612(p61, p612):
    assert p61.ctx_dma_helpers == ()
    assert p612.ctx_dma_helpers == ("crypto_skcipher_ctx_dma", "crypto_tfm_ctx_dma")


def test_spi_usb_and_copying_apis(p61):
    assert p61.spi_maps_vmalloc is not None and p61.spi_maps_vmalloc.value is True
    assert p61.spi_maps_vmalloc.at == "drivers/spi/spi.c:6"  # is_vmalloc_addr, in the helper
    assert p61.usb_hcd_refuses_stack is not None and p61.usb_hcd_refuses_stack.value is True
    assert p61.usb_hcd_refuses_stack.at == "drivers/usb/core/hcd.c:14"
    apis = {a.name: (a.exists, a.at) for a in p61.copying_apis}
    assert apis["usb_control_msg_recv"] == (True, "include/linux/usb.h:9")
    assert apis["spi_write_then_read"] == (True, "include/linux/spi/spi.h:2")
    assert apis["spi_w8r16be"][0] is True


def test_what_the_tree_states_otherwise_is_false_not_unknown(tmp_path):
    files = tree_61()
    files["drivers/spi/spi.c"] = files["drivers/spi/spi.c"].replace(
        "const bool vmalloced_buf = is_vmalloc_addr(buf);", "const bool vmalloced_buf = false;")
    files["drivers/usb/core/hcd.c"] = files["drivers/usb/core/hcd.c"].replace(
        "object_is_on_stack(urb->transfer_buffer)", "0")
    files["include/linux/usb.h"] = "/* no control-message helpers yet */\n"
    p = read_tree_profile(write_tree(tmp_path, files))
    assert p.spi_maps_vmalloc is not None and p.spi_maps_vmalloc.value is False
    assert p.usb_hcd_refuses_stack is not None and p.usb_hcd_refuses_stack.value is False
    assert {a.name: a.exists for a in p.copying_apis}["usb_control_msg_send"] is False


# ------------------------------------------------------------------ unknown, never borrowed

def test_a_tree_that_does_not_state_a_fact_leaves_it_unknown(tmp_path):
    root = write_tree(tmp_path, {
        "arch/arm64/include/asm/cache.h": tree_612()["arch/arm64/include/asm/cache.h"]
        .replace("#define ARCH_KMALLOC_MINALIGN\t(8)\n", ""),
    })
    p = read_tree_profile(root)
    assert p.version is None
    arm64 = _arch(p, "arm64")
    assert arm64.dma_minalign.values == (128,)
    # no include/linux/slab.h: what kmalloc follows is not stated, so not known
    assert arm64.kmalloc_minalign.values is None
    assert arm64.noncoherent is None and arm64.can_be_noncoherent is None
    assert arm64.bounces_kmalloc is None and arm64.symbol is None
    for fact in ("noncoherent_symbols", "kmalloc_minimum", "has_bounce_check",
                 "bounce_check", "devres_align", "iio_dma_minalign", "crypto_minalign",
                 "crypto_dma_align", "ctx_dma_helpers", "spi_maps_vmalloc",
                 "usb_hcd_refuses_stack"):
        assert getattr(p, fact) is None, fact
    assert {a.exists for a in p.copying_apis} == {None}
    assert p.macro_values("IIO_DMA_MINALIGN", "arm64") is None


def test_files_lists_every_path_asked_found_or_not(tmp_path):
    p = read_tree_profile(write_tree(tmp_path, tree_612()))
    for rel in tree_612():
        if rel != "MAINTAINERS":
            assert rel in p.files, rel
    assert "drivers/iommu/dma-iommu.c" in p.files  # asked, absent: its arrival must count
    assert not (tmp_path / "drivers/iommu/dma-iommu.c").exists()


def test_read_profile_takes_any_reader_and_the_known_architectures(tmp_path):
    files = tree_612()
    asked = []

    def read(path: str) -> str | None:
        asked.append(path)
        return files.get(path)

    p = read_profile(read)
    assert tuple(a.name for a in p.arches) == ARCHES  # those of [arch] symbols it has
    listed = read_tree_profile(write_tree(tmp_path, files))
    assert dataclasses.replace(p, files=()) == dataclasses.replace(listed, files=())
    assert "arch/sparc/Kconfig" in asked and "arch/sparc/Kconfig" in p.files


def test_a_symlink_out_of_the_tree_reads_as_absent(tmp_path):
    outside = tmp_path / "outside.h"
    outside.write_text("#define ARCH_DMA_MINALIGN 4096\n")
    root = write_tree(tmp_path / "tree", {"Makefile": "VERSION = 6\n"})
    (root / "arch/x86/include/asm").mkdir(parents=True)
    os.symlink(outside, root / "arch/x86/include/asm/cache.h")
    os.symlink(tmp_path, root / "up")
    read = directory_reader(root)
    assert read("arch/x86/include/asm/cache.h") is None
    assert read("up/outside.h") is None
    assert read("Makefile") == "VERSION = 6\n"
    assert read("nothing/here.h") is None


def test_reading_again_gives_the_same_profile(tmp_path):
    root = write_tree(tmp_path, tree_612())
    assert read_tree_profile(root) == read_tree_profile(Path(root))


def test_the_fingerprint_changes_with_a_file_read_and_only_then(tmp_path):
    root = write_tree(tmp_path, tree_612())
    files = read_tree_profile(root).files
    read = directory_reader(root)
    before = fingerprint(read, files)
    (root / "drivers/gpu").mkdir(parents=True)
    (root / "drivers/gpu/unrelated.c").write_text("int x;\n")
    assert fingerprint(read, files) == before
    (root / "drivers/iommu").mkdir(parents=True)  # asked for, absent until now
    (root / "drivers/iommu/dma-iommu.c").write_text("x = dma_kmalloc_needs_bounce(dev, s, d);\n")
    after = fingerprint(read, files)
    assert after != before
    assert read_tree_profile(root).bounce_check.callers == (
        "kernel/dma/direct.h", "drivers/iommu/dma-iommu.c")
    cache_h = root / "arch/arm64/include/asm/cache.h"
    cache_h.write_text(cache_h.read_text().replace("(128)", "(256)"))
    assert fingerprint(read, files) != after
