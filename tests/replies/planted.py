"""A hand-made Review of the bundled series: findings at the real planted lines.

The analysis engine is tested on its own; the reply tests must not move
when its wording changes, so these findings are written here, at the
post-image lines of patches 1, 2, 4 and 7 where the problems were planted
(read from the diffs: acme_serial.c:49 ``acme_get_status(port, &status)``,
acme-adc.c:38 ``spi_read(..., st->status, ...)``, acme_fw.c:46
``usb_bulk_msg(..., image, ...)``, cache.h:19 the new
``ARCH_KMALLOC_MINALIGN``). The affected drivers are what an impact scan of
``examples/tree`` would name, with the maintainers from its MAINTAINERS.
"""

from __future__ import annotations

from reviewbot.model import (
    AffectedDriver,
    Condition,
    Confidence,
    Consequence,
    DriverSite,
    Finding,
    PatchStatus,
    Review,
    Series,
    Severity,
)

USB_PEOPLE = ("Linus Example <linus@example.org>", "Ken Reviewer <ken@example.org>")


def planted_findings() -> tuple[Finding, ...]:
    return (
        Finding(
            rule="dma-stack",
            severity=Severity.ERROR,
            file="drivers/usb/serial/acme_serial.c",
            line=49,
            function="acme_open",
            buffer="&status",
            sink="acme_get_status",
            direction="from_device",
            message="&status is the stack variable 'status' (line 46), passed to "
            "acme_get_status(), which hands it to usb_control_msg() for DMA from the "
            "device: stack memory is not DMA-able",
            introduced=True,
            patch=1,
            details=(("origin", "stack"), ("origin_line", "46")),
        ),
        Finding(
            rule="dma-embedded-unaligned",
            severity=Severity.WARNING,
            file="drivers/iio/adc/acme-adc.c",
            line=38,
            function="acme_adc_read_channel",
            buffer="st->status",
            sink="spi_read",
            direction="from_device",
            message="st->status is member 'status' of struct acme_adc_state (line 16), "
            "passed to spi_read() for DMA from the device, and shares a cache line "
            "with 'lock' and 'last_channel'",
            introduced=True,
            patch=2,
            details=(
                ("origin", "embedded"),
                ("origin_line", "16"),
                ("struct", "acme_adc_state.status"),
            ),
        ),
        Finding(
            rule="dma-vmalloc",
            severity=Severity.ERROR,
            file="drivers/usb/misc/acme_fw.c",
            line=46,
            function="acme_fw_load",
            buffer="image",
            sink="usb_bulk_msg",
            direction="to_device",
            message="image is vmalloc() memory (line 41), passed to usb_bulk_msg() for "
            "DMA to the device",
            introduced=True,
            patch=4,
            details=(
                ("origin", "heap"),
                ("origin_line", "41"),
                ("allocator", "vmalloc"),
                ("size", "blob->size"),
            ),
        ),
        Finding(
            rule="minalign-definition",
            severity=Severity.INFO,
            file="arch/arm64/include/asm/cache.h",
            line=19,
            function=None,
            buffer=None,
            sink=None,
            direction=None,
            macro="ARCH_KMALLOC_MINALIGN",
            message="ARCH_KMALLOC_MINALIGN for arm64 changes from ARCH_DMA_MINALIGN (128) to 8",
            introduced=True,
            patch=7,
            details=(
                ("macro", "ARCH_KMALLOC_MINALIGN"),
                ("arch", "arm64"),
                ("before", "ARCH_DMA_MINALIGN (128)"),
                ("after", "8"),
                ("meaning", "the minimum alignment of kmalloc() memory"),
            ),
        ),
        # Pre-existing in code patch 8 touches: mentioned in no draft, because
        # patch 8 introduces nothing (no findings, no mail).
        Finding(
            rule="dma-kmalloc-small",
            severity=Severity.WARNING,
            file="drivers/usb/misc/acme_fw.c",
            line=49,
            function="acme_fw_load",
            buffer="image",
            sink="usb_bulk_msg",
            direction="to_device",
            message="placeholder for a pre-existing problem",
            confidence=Confidence.LOW,
            introduced=False,
            patch=8,
        ),
    )


def affected_drivers() -> tuple[AffectedDriver, ...]:
    """What the impact finds for this series on examples/tree (review --tree --format json),
    in its order: the IIO header (core) computing with the changed macro, and a small
    inbound kmalloc buffer that now shares its line."""
    return (
        AffectedDriver(
            name="iio",
            path="include/linux/iio",
            kconfig=None,
            maintainers=("Jonathan Example <jic@example.org>",),
            lists=("linux-iio@vger.kernel.org",),
            sites=(
                DriverSite("include/linux/iio/iio.h", 11, None, "minalign-usage",
                           consequence=Consequence.RELIES),
            ),
            section="IIO SUBSYSTEM AND DRIVERS",
            status="Maintained",
            sections=("IIO SUBSYSTEM AND DRIVERS",),
            consequence=Consequence.RELIES,
            core=True,
        ),
        AffectedDriver(
            name="acme_led",
            path="drivers/usb/misc/acme_led.c",
            kconfig="CONFIG_ACME_LED",
            maintainers=("Linus Example <linus@example.org>",),
            lists=("linux-usb@vger.kernel.org",),
            sites=(
                DriverSite(
                    "drivers/usb/misc/acme_led.c", 27, "acme_led_read_state",
                    "dma-kmalloc-small",
                    Condition("ARCH_KMALLOC_MINALIGN", "ARCH_DMA_MINALIGN"),
                    Consequence.CORRUPTS, ("arm64",), Confidence.HIGH,
                ),
            ),
            section="ACME USB DRIVERS",
            reviewers=("Ken Reviewer <ken@example.org>",),
            status="Supported",
            sections=("ACME USB DRIVERS",),
            consequence=Consequence.CORRUPTS,
        ),
    )


def planted_review(series: Series) -> Review:
    return Review(
        series=series,
        findings=planted_findings(),
        affected_drivers=affected_drivers(),
        # as review --tree examples/tree has it: a plain tree, every patch applied
        base="a plain source tree (no git commit)",
        patch_status=tuple(PatchStatus(p.index, True) for p in series.patches),
        notes=("judged on Linux 6.1.0-acme",),
    )
