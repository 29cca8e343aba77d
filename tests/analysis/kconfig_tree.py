"""A small kernel-style Kconfig and Makefile skeleton for platform-reach tests.

The shape of Linux's own: the top-level Kconfig sources arch/Kconfig, which
sources ``arch/$(SRCARCH)/Kconfig``; each architecture's Kconfig defines its
own symbol (``config ARM64 def_bool y``) and sources its platform files
(arch/arm/mach-omap2/Kconfig, arch/powerpc/platforms/pseries/Kconfig); UML
sources ``arch/$(HEADER_ARCH)/um/Kconfig``. Tests add their drivers' Kconfig
and Makefile lines to these files.
"""

from __future__ import annotations

from pathlib import Path

ARCHES = ("arm", "arm64", "mips", "powerpc", "riscv", "um", "x86")

SKELETON = {
    "Kconfig": 'mainmenu "Linux/$(ARCH) Kernel Configuration"\n\n'
               'source "init/Kconfig"\nsource "drivers/Kconfig"\n',
    "Kbuild": "obj-y += init/\nobj-y += arch/$(SRCARCH)/\nobj-y += drivers/\n",
    "init/Kconfig": 'config COMPILE_TEST\n\tbool "Compile also drivers which will not load"\n'
                    '\thelp\n\t  if you are a developer, say Y\n\n'
                    'config EXPERT\n\tbool "Configure standard kernel features"\n\n'
                    'source "arch/Kconfig"\n',
    "arch/Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\n\nmenu "General options"\n'
                    'config HAVE_DMA_CONTIGUOUS\n\tbool\nendmenu\n',
    "arch/arm/Kconfig": "config ARM\n\tbool\n\tdefault y\n\tselect HAVE_DMA_CONTIGUOUS\n\n"
                        "config CPU_BIG_ENDIAN\n\tbool \"Big endian\"\n\n"
                        'menu "System Type"\nconfig ARCH_MULTI_V7\n\tbool "ARMv7 based platforms"\n'
                        '\nsource "arch/arm/mach-omap2/Kconfig"\nendmenu\n',
    # the platform symbol's help text (indented no deeper than "help", as
    # drivers/hid/Kconfig's are) says "if" at the start of a line, and a select
    # continues onto a line starting with "if": neither opens a block
    "arch/arm/mach-omap2/Kconfig": "menuconfig ARCH_OMAP2PLUS\n"
                                   '\tbool "TI OMAP2/3/4/5 SoCs with device tree support"\n'
                                   "\tdepends on ARCH_MULTI_V7\n"
                                   "\tselect HAVE_DMA_CONTIGUOUS \\\n\t\tif ARCH_MULTI_V7\n"
                                   "\thelp\n\tOMAP2, OMAP3, OMAP4 or OMAP5 systems: say Y\n"
                                   "\tif you have one.\n\n"
                                   'if ARCH_OMAP2PLUS\n\nconfig SOC_OMAP5\n\tbool "TI OMAP5"\n'
                                   "\nendif\n",
    "arch/arm64/Kconfig": "config ARM64\n\tdef_bool y\n\nconfig 64BIT\n\tdef_bool y\n\n"
                          "config CPU_BIG_ENDIAN\n\tbool \"Big endian\"\n\n"
                          'source "arch/arm64/Kconfig.platforms"\n'
                          'source "drivers/acpi/Kconfig"\n',
    "arch/arm64/Kconfig.platforms": 'menu "Platform selection"\n\n'
                                    'config ARCH_QCOM\n\tbool "Qualcomm Platforms"\n\nendmenu\n',
    "arch/mips/Kconfig": "config MIPS\n\tbool\n\tdefault y\n",
    "arch/powerpc/Kconfig": "config PPC\n\tbool\n\tdefault y\n\n"
                            'config PPC64\n\tbool "64-bit kernel"\n\n'
                            'source "arch/powerpc/platforms/Kconfig"\n',
    "arch/powerpc/platforms/Kconfig": 'source "arch/powerpc/platforms/pseries/Kconfig"\n',
    "arch/powerpc/platforms/pseries/Kconfig": "config PPC_PSERIES\n\tdepends on PPC64\n"
                                              '\tbool "IBM pSeries"\n',
    "arch/riscv/Kconfig": "config RISCV\n\tdef_bool y\n",
    "arch/um/Kconfig": "config UML\n\tbool\n\tdefault y\n\n"
                       'source "arch/$(HEADER_ARCH)/um/Kconfig"\n',
    "arch/x86/Kconfig": 'config X86\n\tdef_bool y\n\nconfig 64BIT\n\tbool "64-bit kernel"\n\n'
                        'config X86_32\n\tdef_bool !64BIT\n\nsource "drivers/acpi/Kconfig"\n',
    # sourced by the architectures that have ACPI, as in Linux 6.1
    "drivers/acpi/Kconfig": 'menuconfig ACPI\n\tbool "ACPI Support"\n',
    "arch/x86/um/Kconfig": 'config 64BIT\n\tbool "64-bit kernel"\n\n'
                           "config X86_32\n\tdef_bool !64BIT\n",
    "drivers/Kconfig": 'menu "Device Drivers"\n\nconfig SPI\n\tbool "SPI support"\n\n'
                       "endmenu\n",
    "drivers/Makefile": "",
}


def write_tree(root: Path, extra: dict[str, str]) -> Path:
    """The skeleton under ``root`` with ``extra`` appended to (or creating) its files."""
    files = dict(SKELETON)
    for rel, text in extra.items():
        files[rel] = files.get(rel, "") + text
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def reader(root: Path):
    def read(rel: str) -> str | None:
        p = root / rel
        return p.read_text() if p.is_file() else None
    return read
