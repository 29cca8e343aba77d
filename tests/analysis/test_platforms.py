"""Issue 23, item 3: the architectures a driver can build for, read from Makefiles and Kconfig.

A kernel-style tree (tests/analysis/kconfig_tree.py: arch/*/Kconfig files
sourced through ``arch/$(SRCARCH)/Kconfig``) with drivers of each shape the
labelled samples met: 32-bit ARM only through a platform symbol defined in
arch/arm/mach-omap2/Kconfig, PPC_PSERIES only, x86 only, inside ``if ARCH_X``,
under a directory the parent Makefile enters only for one architecture, with
COMPILE_TEST, ARM || ARM64, unrestricted, and the unknown cases.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.analysis.facts.headers import HeaderIndex
from reviewbot.analysis.facts.kconfig import parse_kconfig
from reviewbot.analysis.facts.kexpr import And, Cmp, Macro, Not, Or, Str, Sym, parse
from reviewbot.analysis.facts.platforms import Platforms
from tests.analysis.kconfig_tree import ARCHES, reader, write_tree

DRIVERS = {
    "drivers/Kconfig": "".join(f'source "drivers/{d}/Kconfig"\n'
                               for d in ("bus", "scsi", "input", "soc", "platform", "misc")),
    "drivers/Makefile": "obj-y += bus/ input/ soc/ platform/ misc/\n"
                        "obj-$(CONFIG_SCSI) += scsi/\n",
    # 32-bit ARM only: ARCH_OMAP2PLUS exists only in arch/arm/mach-omap2/Kconfig
    "drivers/bus/Kconfig": "config TI_SYSC\n\tbool \"TI sysc interconnect target module\"\n"
                           "\tdepends on ARCH_OMAP2PLUS\n\n"
                           "config OMAP_OCP2SCP\n\ttristate \"OCP2SCP\"\n\tdepends on SOC_OMAP5\n\n"
                           "config OMAP_INTERCONNECT\n\ttristate \"interconnect\"\n"
                           "\tdepends on ARCH_OMAP2PLUS || COMPILE_TEST\n\n"
                           "config BUS_HELPER\n\ttristate \"helper\"\n\tdepends on TI_SYSC\n",
    "drivers/bus/Makefile": "obj-$(CONFIG_TI_SYSC) += ti-sysc.o\n"
                            "obj-$(CONFIG_OMAP_OCP2SCP) += omap-ocp2scp.o\n"
                            "obj-$(CONFIG_OMAP_INTERCONNECT) += omap_l3_noc.o\n"
                            "obj-$(CONFIG_BUS_HELPER) += bus-helper.o\n",
    # a cache-coherent platform, reached through a subdirectory
    "drivers/scsi/Kconfig": "menuconfig SCSI\n\ttristate \"SCSI device support\"\n\nif SCSI\n"
                            "config SCSI_IBMVSCSI\n\ttristate \"IBM Virtual SCSI support\"\n"
                            "\tdepends on PPC_PSERIES\nendif\n",
    "drivers/scsi/Makefile": "obj-$(CONFIG_SCSI_IBMVSCSI) += ibmvscsi/\n",
    "drivers/scsi/ibmvscsi/Makefile": "obj-$(CONFIG_SCSI_IBMVSCSI) += ibmvscsi.o\n",
    "drivers/input/Kconfig": "config KEYBOARD_APPLESPI\n\ttristate \"Apple SPI keyboard\"\n"
                             "\tdepends on X86 && SPI\n\n"
                             "config INPUT_OLD32\n\ttristate \"old\"\n\tdepends on X86_32\n",
    "drivers/input/Makefile": "obj-$(CONFIG_KEYBOARD_APPLESPI) += applespi.o\n"
                              "obj-$(CONFIG_INPUT_OLD32) += old32.o\n",
    "drivers/soc/Kconfig": "if ARCH_QCOM\n\nconfig QCOM_RPMH\n\ttristate \"RPMH\"\n\nendif\n",
    "drivers/soc/Makefile": "obj-$(CONFIG_QCOM_RPMH) += rpmh.o\n",
    # no Kconfig restriction: the parent directory is entered only for MIPS
    "drivers/platform/Kconfig": "config CPU_HWMON\n\ttristate \"Loongson CPU hwmon\"\n\n"
                                'if X86\nsource "drivers/platform/x86/Kconfig"\nendif\n',
    "drivers/platform/Makefile": "obj-$(CONFIG_MIPS) += mips/\nobj-y += x86/\n",
    # no condition of its own: its Kconfig file is sourced only inside "if X86"
    "drivers/platform/x86/Kconfig": "config APPLE_GMUX\n\ttristate \"Apple gmux\"\n",
    "drivers/platform/x86/Makefile": "obj-$(CONFIG_APPLE_GMUX) += apple-gmux.o\n",
    "drivers/platform/mips/Makefile": "obj-$(CONFIG_CPU_HWMON) += cpu_hwmon.o\n",
    "drivers/misc/Kconfig": "config ARM_ANY\n\ttristate \"arm\"\n\tdepends on ARM || ARM64\n\n"
                            "config MISC_ANY\n\ttristate \"any\"\n\tdepends on SPI\n\n"
                            "config MISC_NOT_ARM64\n\ttristate \"x\"\n\tdepends on !ARM64\n\n"
                            "config MISC_32\n\ttristate \"32\"\n\tdepends on !64BIT\n\n"
                            "config MISC_LE\n\ttristate \"le\"\n"
                            "\tdepends on ARM64 && !CPU_BIG_ENDIAN\n\n"
                            "config ACPI_ONLY_DEV\n\ttristate \"acpi\"\n\tdepends on ACPI\n\n"
                            "config WIDGET\n\ttristate \"widget\"\n\tdepends on ARM\n\n"
                            "config WIDGET_EXTRA\n\tbool \"extra\"\n\tdepends on WIDGET\n\n"
                            "config BAD_EXPR\n\ttristate \"bad\"\n\tdepends on ARM &&\n",
    "drivers/misc/Makefile": "obj-$(CONFIG_ARM_ANY) += arm_any.o\n"
                             "obj-$(CONFIG_MISC_ANY) += misc_any.o\n"
                             "obj-$(CONFIG_MISC_NOT_ARM64) += not_arm64.o\n"
                             "obj-$(CONFIG_MISC_LE) += le.o\n"
                             "obj-$(CONFIG_MISC_32) += misc_32.o\n"
                             "obj-$(CONFIG_ACPI_ONLY_DEV) += acpi_dev.o\n"
                             "widget-y := widget_core.o $(widget-extra-y)\n"
                             "widget-extra-$(CONFIG_WIDGET_EXTRA) += widget_extra.o\n"
                             "obj-$(CONFIG_WIDGET) += widget.o\n"
                             "ifdef CONFIG_PPC64\nobj-$(CONFIG_MISC_ANY) += ppc64_only.o\n"
                             "else\nobj-$(CONFIG_MISC_ANY) += elsewhere.o\nendif\n"
                             "obj-$(if $(CONFIG_ARM)$(CONFIG_X86),y) += weird.o\n"
                             "obj-$(CONFIG_NOT_DEFINED_ANYWHERE) += ghost.o\n"
                             "obj-$(CONFIG_BAD_EXPR) += bad_expr.o\n",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_tree(tmp_path, DRIVERS)


@pytest.mark.parametrize(("path", "arches"), [
    ("drivers/bus/ti-sysc.c", {"arm"}),  # depends on ARCH_OMAP2PLUS (arch/arm/mach-omap2)
    ("drivers/bus/omap-ocp2scp.c", {"arm"}),  # SOC_OMAP5, inside "if ARCH_OMAP2PLUS" there
    ("drivers/bus/omap_l3_noc.c", {"arm"}),  # ARCH_OMAP2PLUS || COMPILE_TEST
    ("drivers/bus/bus-helper.c", {"arm"}),  # depends on TI_SYSC, which depends on ARM's
    ("drivers/scsi/ibmvscsi/ibmvscsi.c", {"powerpc"}),  # PPC_PSERIES, through a subdirectory
    ("drivers/input/applespi.c", {"x86"}),  # X86 && SPI
    ("drivers/input/old32.c", {"x86", "um"}),  # X86_32: UML's arch/x86/um/Kconfig has it too
    ("drivers/soc/rpmh.c", {"arm64"}),  # inside "if ARCH_QCOM"
    ("drivers/platform/mips/cpu_hwmon.c", {"mips"}),  # obj-$(CONFIG_MIPS) += mips/
    ("drivers/platform/x86/apple-gmux.c", {"x86"}),  # source "..." inside "if X86"
    ("drivers/misc/arm_any.c", {"arm", "arm64"}),  # ARM || ARM64
    ("drivers/misc/misc_any.c", set(ARCHES)),  # no architecture named
    ("drivers/misc/not_arm64.c", set(ARCHES) - {"arm64"}),  # !ARM64: ARM64 is def_bool y
    ("drivers/misc/le.c", {"arm64"}),  # ARM64 && !CPU_BIG_ENDIAN: big endian is a choice
    # !64BIT: forced on arm64 (def_bool y), a prompt on x86 and UML
    ("drivers/misc/misc_32.c", set(ARCHES) - {"arm64"}),
    ("drivers/misc/acpi_dev.c", {"arm64", "x86"}),  # drivers/acpi/Kconfig is sourced there
    ("drivers/misc/widget_extra.c", {"arm"}),  # part of widget.o through $(widget-extra-y)
    ("drivers/misc/widget_core.c", {"arm"}),
    ("drivers/misc/ppc64_only.c", {"powerpc"}),  # ifdef CONFIG_PPC64 in the Makefile
    ("drivers/misc/elsewhere.c", set(ARCHES)),  # its else: PPC64 may be unset anywhere
    ("arch/arm/mach-omap2/pm.c", None),  # no Makefile there
    ("drivers/misc/orphan.c", None),  # no Makefile line builds it
    ("drivers/misc/weird.c", None),  # a condition written in a form not read
    ("drivers/misc/ghost.c", None),  # a symbol no Kconfig defines
    ("drivers/misc/bad_expr.c", None),  # "depends on ARM &&"
])
def test_arches_of_reads_makefiles_and_kconfig(tree: Path, path: str, arches) -> None:
    got = Platforms(reader(tree), ARCHES).arches_of(path)
    assert got == (None if arches is None else frozenset(arches))


def test_only_arch_is_the_one_architecture(tree: Path) -> None:
    platforms = Platforms(reader(tree), ARCHES)
    assert platforms.only_arch("drivers/bus/ti-sysc.c") == "arm"
    assert platforms.only_arch("drivers/misc/arm_any.c") is None
    assert platforms.only_arch("drivers/misc/orphan.c") is None


def test_symbol_arches_of_acpi_are_where_its_kconfig_is_sourced(tree: Path) -> None:
    assert Platforms(reader(tree), ARCHES).symbol_arches("ACPI") == {"arm64", "x86"}


def test_a_tree_without_an_architecture_knows_nothing(tmp_path: Path) -> None:
    write_tree(tmp_path, DRIVERS)
    (tmp_path / "arch/arm/Kconfig").unlink()
    platforms = Platforms(reader(tmp_path), ("arm",))
    assert platforms.arches_of("drivers/bus/ti-sysc.c") is None


def test_every_answer_names_the_files_it_was_read_from(tree: Path) -> None:
    platforms = Platforms(reader(tree), ARCHES)
    platforms.arches_of("drivers/bus/bus-helper.c")
    first = set(platforms.consulted)
    assert {"drivers/bus/Makefile", "drivers/Makefile", "drivers/bus/Kconfig",
            "arch/arm/mach-omap2/Kconfig", "arch/arm/Kconfig", "arch/Kconfig",
            "init/Kconfig", "Kconfig", "drivers/Kconfig"} <= first
    assert "drivers/scsi/Kconfig" not in first and "arch/powerpc/Kconfig" not in first
    # asked again, the remembered answer records the same files
    platforms.consulted = set()
    platforms.arches_of("drivers/bus/bus-helper.c")
    assert platforms.consulted == first


def test_an_unknown_answer_names_the_kconfig_that_was_not_understood(tree: Path) -> None:
    reach = Platforms(reader(tree), ARCHES).reach("drivers/misc/bad_expr.c")
    assert reach.arches is None and "not understood" in reach.why
    # fixing "depends on ARM &&" there must redo the file in a cached scan
    assert {"drivers/misc/Kconfig", "drivers/misc/Makefile"} <= reach.files


def test_header_index_records_what_arch_of_read(tree: Path, knowledge) -> None:
    headers = HeaderIndex(reader(tree), knowledge)
    assert headers.arch_of("drivers/scsi/ibmvscsi/ibmvscsi.c") == "powerpc"
    assert {"drivers/scsi/ibmvscsi/Makefile", "drivers/scsi/Makefile", "drivers/scsi/Kconfig",
            "arch/powerpc/platforms/pseries/Kconfig"} <= headers.consulted
    headers.consulted = set()
    assert headers.arch_of("drivers/scsi/ibmvscsi/ibmvscsi.c") == "powerpc"
    assert "arch/powerpc/platforms/pseries/Kconfig" in headers.consulted


# ---- the parts


def test_expressions_parse_with_kconfig_precedence() -> None:
    assert parse("A || B && !C") == Or(Sym("A"), And(Sym("B"), Not(Sym("C"))))
    assert parse("!(A || B)") == Not(Or(Sym("A"), Sym("B")))
    assert parse('FOO = y && BAR != "x"') == And(Cmp("=", Sym("FOO"), Sym("y")),
                                                 Cmp("!=", Sym("BAR"), Str("x")))
    assert parse("64BIT && LD_VERSION >= 23600") == And(
        Sym("64BIT"), Cmp(">=", Sym("LD_VERSION"), Str("23600")))
    assert parse("$(cc-option,-mfoo) || X") == Or(Macro("$(cc-option,-mfoo)"), Sym("X"))
    for bad in ("ARM &&", "(ARM", "ARM ARM64", "you have one."):
        with pytest.raises(ValueError):
            parse(bad)


def test_kconfig_blocks_help_texts_and_continuations() -> None:
    text = ("menu \"Platform\"\n\tdepends on A\n\n"
            "config ONE\n\tbool \"one\"\n\tselect X \\\n\t\tif Y\n\tdepends on B\n"
            "\thelp\n\tSay Y here\n\tif you have it.\n\n"
            "choice\n\tprompt \"pick\"\n\tdepends on C\nconfig TWO\n\tbool \"two\"\nendchoice\n"
            "endmenu\n\nif D\nsource \"sub/Kconfig\"\nendif\n"
            "config THREE\n\tdef_bool y\n")
    f = parse_kconfig(text)
    by_name = {d.name: d for d in f.definitions}
    assert by_name["ONE"].depends == ("B",) and by_name["ONE"].context == ("A",)
    assert by_name["TWO"].context == ("A", "C") and by_name["TWO"].prompt
    assert by_name["THREE"].context == () and by_name["THREE"].defaults == (("y", ""),)
    assert [(s.path, s.context) for s in f.sources] == [("sub/Kconfig", ("D",))]


# ---- the scan cache: a file's findings depend on the files its platform answer read

L1_DRIVER = """\
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


def test_a_cached_scan_redoes_a_driver_when_a_kconfig_it_read_changes(tree: Path,
                                                                       tmp_path: Path) -> None:
    import os

    from reviewbot.analysis.facts.profile_store import load_profile
    from reviewbot.analysis.rules.exposure import tree_facts
    from reviewbot.knowledge import load_knowledge
    from reviewbot.scan import scan_tree

    (tree / "drivers/bus/ti-sysc.c").write_text(L1_DRIVER)
    k = load_knowledge()
    cache = tmp_path / "cache"
    judged = tree_facts(load_profile("6.1"), "6.1", k.line_of_its_cpu)

    def l1() -> tuple[list[str], int]:
        """The files whose L1-isolated buffer bites, and how many files were parsed."""
        result = scan_tree(tree, k, jobs=1, cache_dir=cache, tree=judged)
        return [f.file for f in result.findings
                if f.rule == "dma-cacheline-l1" and f.verdict == "bites"], result.stats.parsed

    assert l1() == ([], 1)  # 32-bit ARM only: its L1 line is its DMA alignment
    assert l1() == ([], 0)
    # the driver's own Kconfig lets arm64 build it
    kconfig = tree / "drivers/bus/Kconfig"
    kconfig.write_text(kconfig.read_text().replace(
        "depends on ARCH_OMAP2PLUS\n", "depends on ARCH_OMAP2PLUS || ARM64\n", 1))
    os.utime(kconfig, ns=(1, 1))
    assert l1() == (["drivers/bus/ti-sysc.c"], 1)
    # back, then a platform Kconfig two symbols away makes ARCH_OMAP2PLUS unselectable:
    # no architecture is known, so the finding is reported
    kconfig.write_text(kconfig.read_text().replace(" || ARM64", ""))
    os.utime(kconfig, ns=(2, 2))
    assert l1() == ([], 1)
    arm = tree / "arch/arm/Kconfig"
    arm.write_text(arm.read_text().replace('bool "ARMv7 based platforms"',
                                           'bool "ARMv7 based platforms"\n\tdepends on GONE'))
    os.utime(arm, ns=(3, 3))
    assert l1() == (["drivers/bus/ti-sysc.c"], 1)


def test_a_tree_before_4_18_writes_its_variables_without_parentheses(tmp_path: Path) -> None:
    write_tree(tmp_path, DRIVERS)
    arch = tmp_path / "arch/Kconfig"
    arch.write_text(arch.read_text().replace("$(SRCARCH)", "$SRCARCH"))
    um = tmp_path / "arch/um/Kconfig"
    um.write_text(um.read_text().replace("$(HEADER_ARCH)", "$HEADER_ARCH"))
    platforms = Platforms(reader(tmp_path), ARCHES)
    assert platforms.arches_of("drivers/bus/ti-sysc.c") == {"arm"}
    assert platforms.arches_of("drivers/input/old32.c") == {"x86", "um"}


STACK_READ = """\
static int ibmvscsi_probe_version(struct usb_device *udev)
{
	u8 version[4];

	return usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 0x01, 0xc0, 0, 0,
				version, sizeof(version), 1000);
}
"""

HEAP_READ = """\
static int ibmvscsi_probe_version(struct usb_device *udev)
{
	u8 *version = kmalloc(512, GFP_KERNEL);

	return usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 0x01, 0xc0, 0, 0,
				version, 512, 1000);
}
"""


def test_where_a_driver_runs_is_asked_only_for_a_finding(tree: Path, knowledge) -> None:
    from reviewbot.analysis import analyse_source

    path = "drivers/scsi/ibmvscsi/ibmvscsi.c"
    headers = HeaderIndex(reader(tree), knowledge)
    found = analyse_source(path, STACK_READ, knowledge, headers=headers)
    assert [f.rule for f in found] == ["dma-stack"]
    assert found[0].platform is not None and found[0].platform.arches == frozenset({"powerpc"})
    # the finding depends on the Kconfig and Makefiles that say where it runs
    assert {"drivers/scsi/ibmvscsi/Makefile", "drivers/scsi/Kconfig"} <= headers.consulted

    headers = HeaderIndex(reader(tree), knowledge)
    assert analyse_source(path, HEAP_READ, knowledge, headers=headers) == []
    # no finding, no question: a cached empty result does not depend on them
    assert not {f for f in headers.consulted if f.endswith(("Kconfig", "Makefile"))}
