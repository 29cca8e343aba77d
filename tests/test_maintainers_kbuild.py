"""MAINTAINERS matching with get_maintainer.pl semantics, and Makefile module lookup."""

from __future__ import annotations

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
