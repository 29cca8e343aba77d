"""MAINTAINERS matching with get_maintainer.pl semantics, and Makefile module lookup."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reviewbot.impact.kbuild import Kbuild, Module
from reviewbot.impact.maintainers import Maintainers, parse_maintainers

TEXT = """\
List of maintainers
-------------------

Descriptions of section entries:

\tM: *Mail* patches to: FullName <address@domain>
\tF: *Files* and directories wildcard patterns.

USB SUBSYSTEM
M:\tGreg K-H <greg@example.org>
L:\tlinux-usb@vger.kernel.org
S:\tSupported
F:\tdrivers/usb/
X:\tdrivers/usb/isp1760/

USB SERIAL DRIVERS
M:\tJohan H <johan@example.org>
L:\tlinux-usb@vger.kernel.org
S:\tMaintained
F:\tdrivers/usb/serial/

USB SERIAL ARK3116
M:\tArk Person <ark@example.org>
R:\tRita Reviewer <rita@example.org>
S:\tOdd Fixes
F:\tdrivers/usb/serial/ark3116.c

USB TOP-LEVEL GLOB
M:\tGlob Person <glob@example.org>
S:\tMaintained
F:\tdrivers/usb/*

IIO DRIVERS
M:\tJonathan <jic@example.org>
L:\tlinux-iio@vger.kernel.org
S:\tMaintained
F:\tdrivers/iio

ANALOG DEVICES INC IIO DRIVERS
M:\tMichael <michael@example.org>
S:\tSupported
N:\tad7[0-9]+
F:\tDocumentation/iio/adi/

ARM64 PORT
M:\tCat <cat@example.org>
L:\tlinux-arm-kernel@lists.infradead.org (moderated for non-subscribers)
S:\tMaintained
F:\tarch/arm64/
"""

DIRS = {"drivers/iio", "drivers/usb", "drivers/usb/serial"}


@pytest.fixture(scope="module")
def maint():
    return Maintainers(parse_maintainers(TEXT), lambda p: p.rstrip("/") in DIRS)


def titles(maint, path):
    return [s.title for s in maint.lookup(path)]


def test_parse_skips_preamble_and_reads_tags():
    sections = parse_maintainers(TEXT)
    assert [s.title for s in sections][:2] == ["USB SUBSYSTEM", "USB SERIAL DRIVERS"]
    ark = next(s for s in sections if s.title == "USB SERIAL ARK3116")
    assert ark.maintainers == ("Ark Person <ark@example.org>",)
    assert ark.reviewers == ("Rita Reviewer <rita@example.org>",)
    assert ark.status == "Odd Fixes"
    arm = next(s for s in sections if s.title == "ARM64 PORT")
    assert arm.lists == ("linux-arm-kernel@lists.infradead.org",)


def test_most_specific_first(maint):
    assert titles(maint, "drivers/usb/serial/ark3116.c") == [
        "USB SERIAL ARK3116",
        "USB SERIAL DRIVERS",
        "USB SUBSYSTEM",
    ]


def test_glob_does_not_cross_directories(maint):
    assert "USB TOP-LEVEL GLOB" in titles(maint, "drivers/usb/usb-common.c")
    assert "USB TOP-LEVEL GLOB" not in titles(maint, "drivers/usb/serial/ftdi_sio.c")


def test_exclusion(maint):
    assert titles(maint, "drivers/usb/isp1760/isp1760-hcd.c") == []


def test_directory_without_trailing_slash_and_n_regex(maint):
    assert titles(maint, "drivers/iio/adc/ad7124.c") == [
        "IIO DRIVERS",
        "ANALOG DEVICES INC IIO DRIVERS",
    ]
    assert titles(maint, "drivers/iio/adc/max1363.c") == ["IIO DRIVERS"]


def test_no_match(maint):
    assert titles(maint, "fs/ext4/inode.c") == []


MAKEFILES = {
    "drivers/usb/Makefile": "obj-$(CONFIG_USB_SERIAL)\t+= serial/\nobj-y += misc/\n",
    "drivers/usb/serial/Makefile": (
        "obj-$(CONFIG_USB_SERIAL)\t\t\t+= usbserial.o\n"
        "usbserial-y := usb-serial.o generic.o bus.o\n"
        "obj-$(CONFIG_USB_SERIAL_ARK3116)\t\t+= ark3116.o \\\n\t\tother.o\n"
    ),
    "drivers/usb/misc/Makefile": "# nothing about this file\n",
}


def test_kbuild_lookup():
    kb = Kbuild(MAKEFILES.get)
    assert kb.module_of("drivers/usb/serial/ark3116.c") == Module(
        "ark3116", "drivers/usb/serial/ark3116.c", "USB_SERIAL_ARK3116"
    )
    assert kb.module_of("drivers/usb/serial/other.c").kconfig == "USB_SERIAL_ARK3116"
    assert kb.module_of("drivers/usb/serial/generic.c") == Module(
        "usbserial", "drivers/usb/serial", "USB_SERIAL"
    )
    assert kb.module_of("drivers/usb/misc/stray.c") == Module("misc", "drivers/usb/misc", None)
    assert kb.module_of("drivers/usb/serial/unknown.c") == Module(
        "serial", "drivers/usb/serial", "USB_SERIAL"
    )


# --- who is responsible: every covering section, as get_maintainer.pl names them (issue 25)

NETDEV = """\
NETWORKING DRIVERS
M:\t"David S. Miller" <davem@davemloft.net>
M:\tJakub Kicinski <kuba@kernel.org>
L:\tnetdev@vger.kernel.org
S:\tMaintained
F:\tdrivers/net/

USB NETWORKING DRIVERS
L:\tlinux-usb@vger.kernel.org
S:\tOdd Fixes
F:\tdrivers/net/usb/

HSO 3G MODEM DRIVER
L:\tlinux-usb@vger.kernel.org
S:\tOrphan
F:\tdrivers/net/usb/hso.c

PARPORT
M:\tTim Parport <tim@example.org>
L:\tlinux-parport@lists.infradead.org (subscribers-only)
S:\tMaintained
F:\tdrivers/net/plip/

MELLANOX
M:\tLeon Romanovsky <leonro@nvidia.com>
M:\tLeon Romanovsky <leon@kernel.org>
S:\tSupported
F:\tdrivers/net/mlx/

MEDIATEK ANYWHERE
M:\tMedia Person <media@example.org>
S:\tMaintained
K:\tmediatek

THE REST
M:\tLinus Torvalds <torvalds@linux-foundation.org>
L:\tlinux-kernel@vger.kernel.org
S:\tBuried alive in reporters
F:\t*
F:\t*/
"""
MAILMAP = """\
# comment
Leon Romanovsky <leon@kernel.org> <leonro@nvidia.com>
"""
FILES = {"drivers/net/usb/hso.c": "/* hso */\n", "drivers/net/usb/mtk.c": "mediatek,mt7601\n"}


def _netdev() -> Maintainers:
    from reviewbot.impact.maintainers import parse_mailmap

    dirs = {"drivers/net", "drivers/net/usb", "drivers/net/plip", "drivers/net/mlx"}
    return Maintainers(
        parse_maintainers(NETDEV),
        lambda p: p.rstrip("/") in dirs,
        FILES.get,
        parse_mailmap(MAILMAP),
    )


def test_an_orphan_driver_names_the_maintainers_of_the_sections_above_it():
    who = _netdev().responsible("drivers/net/usb/hso.c")
    assert who.section is not None and who.section.title == "HSO 3G MODEM DRIVER"
    assert who.maintainers == (
        '"David S. Miller" <davem@davemloft.net>',
        "Jakub Kicinski <kuba@kernel.org>",
    )
    # THE REST covers every file: not its chief penguin, nor its list on every row
    assert who.lists == ("linux-usb@vger.kernel.org", "netdev@vger.kernel.org")


def test_the_mailmap_gives_current_addresses_and_a_person_is_named_once():
    who = _netdev().responsible("drivers/net/mlx/core.c")
    assert who.maintainers[0] == "Leon Romanovsky <leon@kernel.org>"
    assert sum("Leon" in m for m in who.maintainers) == 1


def test_a_keyword_in_the_files_text_adds_its_section_and_subscriber_lists_are_left_out():
    assert (
        "Media Person <media@example.org>"
        in _netdev().responsible("drivers/net/usb/mtk.c").maintainers
    )
    assert (
        "Media Person <media@example.org>"
        not in _netdev().responsible("drivers/net/usb/hso.c").maintainers
    )
    plip = _netdev().responsible("drivers/net/plip/plip.c")
    assert plip.maintainers[0] == "Tim Parport <tim@example.org>"
    assert "linux-parport@lists.infradead.org" not in plip.lists


def test_affected_driver_of_an_orphan_lists_the_netdev_maintainers():
    from reviewbot.impact.drivers import DriverIndex
    from reviewbot.model import DriverSite

    files = {"MAINTAINERS": NETDEV, ".mailmap": MAILMAP, **FILES}
    dirs = {"drivers/net", "drivers/net/usb"}
    files["drivers/net/mtk/mtk.c"] = "mediatek,mt7601\n"
    mtk, driver = DriverIndex(files.get, lambda p: p.rstrip("/") in dirs).group(
        [
            DriverSite("drivers/net/usb/hso.c", 10, "hso_probe", "dma-stack"),
            DriverSite("drivers/net/mtk/mtk.c", 10, "mtk_probe", "dma-stack"),
        ]
    )
    # a keyword in a file's text says which API it uses, not who owns it
    assert "Media Person <media@example.org>" not in mtk.maintainers
    assert driver.section == "HSO 3G MODEM DRIVER" and driver.status == "Orphan"
    assert "Jakub Kicinski <kuba@kernel.org>" in driver.maintainers
    assert driver.lists == ("linux-usb@vger.kernel.org", "netdev@vger.kernel.org")


LINUX_61 = Path("/root/.cache/reviewbot/linux-6.1")


@pytest.mark.parametrize("path", ["drivers/net/usb/hso.c", "drivers/net/usb/cx82310_eth.c"])
def test_on_linux_61_the_people_are_those_get_maintainer_pl_names(path):
    """The real tree's scripts/get_maintainer.pl is the reference (bench/ compares 100)."""
    import subprocess

    from reviewbot.impact.drivers import DriverIndex
    from reviewbot.model import DriverSite

    if not (LINUX_61 / "scripts/get_maintainer.pl").is_file() or not shutil.which("perl"):
        pytest.skip("the Linux 6.1 tree is not unpacked here (bench/kernel_tree.py)")
    want = subprocess.run(
        [
            "perl",
            "scripts/get_maintainer.pl",
            "--nogit",
            "--nogit-fallback",
            "--norolestats",
            "-f",
            path,
        ],
        cwd=LINUX_61,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")

    def read(p: str) -> str | None:
        f = LINUX_61 / p
        return f.read_text(errors="replace") if f.is_file() else None

    [driver] = DriverIndex(read, lambda p: (LINUX_61 / p).is_dir()).group(
        [DriverSite(path, 1, None, "dma-stack")]
    )
    people = [w for w in want if "<" in w]
    assert list(driver.maintainers) + list(driver.reviewers) == people
    assert "Jakub Kicinski <kuba@kernel.org>" in people
    lists = [w for w in want if w and "<" not in w and w != "linux-kernel@vger.kernel.org"]
    assert list(driver.lists) == lists
