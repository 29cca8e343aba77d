"""Issue 24: the shapes a minalign change needs fixed, found by judging before and after.

The bundled example tree made a git repository, with kernel-style drivers of each
shape the real fixes had (a carved piece at ARCH_DMA_MINALIGN steps of a kmalloc
block, a crypto context member, a driver only for x86), reviewed with a series
that lowers arm64's ARCH_KMALLOC_MINALIGN without bouncing, and with one that
also bounces (the v6.5 shape), where small inbound kmalloc buffers are only
slower.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.cli import main
from reviewbot.pipeline import review_series
from tests.conftest import EXAMPLES
from tests.test_impact import edit, git, lower_kmalloc_minalign, series_since

CARVED = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/dma-mapping.h>
#include <linux/slab.h>

#define ACME_DMA_ALIGN 128

struct acme_info {
\tint nents;
\tu8 *in_buffer;
\tu8 *req_buffer;
\tdma_addr_t dma;
};

static int acme_info_create(struct device *dev, int len)
{
\tstruct acme_info *info;
\tu32 off;

\toff = ALIGN(sizeof(*info), ACME_DMA_ALIGN);
\tinfo = kzalloc(off + len, GFP_ATOMIC);
\tif (!info)
\t\treturn -ENOMEM;
\tinfo->in_buffer = (u8 *)info + off;
\tinfo->dma = dma_map_single(dev, info->in_buffer, len, DMA_BIDIRECTIONAL);
\treturn dma_mapping_error(dev, info->dma);
}

/* the step in a local given one value (as otx_cptvf_reqmgr.c writes it) */
static int acme_info_create_local(struct device *dev, int len)
{
\tint align = ACME_DMA_ALIGN;
\tstruct acme_info *info;
\tu32 info_len;

\tinfo_len = ALIGN(sizeof(*info), align);
\tinfo = kzalloc(info_len + len, GFP_ATOMIC);
\tif (!info)
\t\treturn -ENOMEM;
\tinfo->req_buffer = (u8 *)info + info_len;
\tinfo->dma = dma_map_single(dev, info->req_buffer, len, DMA_BIDIRECTIONAL);
\treturn dma_mapping_error(dev, info->dma);
}
"""

X86_ONLY = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/usb.h>
#include <linux/slab.h>

static int acme_pc_status(struct usb_device *udev)
{
\tu8 *buf = kmalloc(2, GFP_KERNEL);
\tint ret;

\tif (!buf)
\t\treturn -ENOMEM;
\tret = usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 1, 0xc0, 0, 0, buf, 2, 1000);
\tkfree(buf);
\treturn ret;
}
"""

# a buffer whose size is a parameter: small or not is not known here (low confidence)
UNSIZED = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/usb.h>
#include <linux/slab.h>

static int acme_blob_read(struct usb_device *udev, size_t len)
{
\tu8 *buf = kmalloc(len, GFP_KERNEL);
\tint ret;

\tif (!buf)
\t\treturn -ENOMEM;
\tret = usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 2, 0xc0, 0, 0, buf, len, 1000);
\tkfree(buf);
\treturn ret;
}
"""

# code comparing kmalloc's macro with a constant: the outcome at 128 and at 8 decides
COMPARED = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/slab.h>

#define ACME_INFOMASK\t7UL

/* the low bits of a kmalloc pointer are free for flags: true at 128 and at 8 */
static bool acme_ptr_flags_fit(void)
{
\treturn !(ARCH_KMALLOC_MINALIGN <= ACME_INFOMASK);
}

/* a 32-byte pool makes sense only below 32: false at 128, true at 8 */
static unsigned int acme_pool_min(void)
{
\tif (ARCH_KMALLOC_MINALIGN <= 32)
\t\treturn 32;
\treturn 64;
}
"""

X86_KCONFIG = ("config ACME_PC\n\ttristate \"ACME PC-only USB gadget\"\n\tdepends on X86\n")


def _with_drivers(repo: Path) -> str:
    (repo / "drivers/crypto").mkdir(parents=True, exist_ok=True)
    (repo / "drivers/crypto/acme-info.c").write_text(CARVED)
    (repo / "drivers/crypto/Makefile").write_text("obj-$(CONFIG_ACME_INFO) += acme-info.o\n")
    (repo / "drivers/usb/misc/acme_pc.c").write_text(X86_ONLY)
    (repo / "drivers/usb/misc/acme_blob.c").write_text(UNSIZED)
    (repo / "drivers/usb/misc/acme_pool.c").write_text(COMPARED)
    with (repo / "drivers/usb/misc/Makefile").open("a") as fh:
        fh.write("obj-$(CONFIG_ACME_PC) += acme_pc.o\nobj-$(CONFIG_ACME_BLOB) += acme_blob.o\n")
    with (repo / "drivers/usb/misc/Kconfig").open("a") as fh:
        fh.write("\n" + X86_KCONFIG)
    # the Kconfig skeleton a tree has: architectures sourced through $(SRCARCH), the
    # drivers' Kconfig files under drivers/Kconfig, Makefiles that enter the folders
    (repo / "arch/x86").mkdir(parents=True, exist_ok=True)
    (repo / "arch/x86/Kconfig").write_text("config X86\n\tdef_bool y\n")
    (repo / "Kconfig").write_text('source "arch/$(SRCARCH)/Kconfig"\nsource "drivers/Kconfig"\n')
    (repo / "drivers/Kconfig").write_text("".join(
        f'source "drivers/{d}/Kconfig"\n' for d in ("usb/misc", "usb/serial", "spi", "hwmon",
                                                   "iio/adc")))
    (repo / "drivers/Makefile").write_text("obj-y += usb/ spi/ hwmon/ iio/ crypto/\n")
    (repo / "drivers/usb/Makefile").write_text("obj-y += misc/ serial/\n")
    (repo / "drivers/iio/Makefile").write_text("obj-y += adc/\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "acme: more drivers")
    return git(repo, "rev-parse", "HEAD").strip()


def _sites(review) -> dict[str, list]:
    return {d.path: d for d in review.affected_drivers}


def test_a_piece_carved_at_dma_steps_is_affected_and_an_x86_driver_is_not(example_repo):
    base = _with_drivers(example_repo)
    lower_kmalloc_minalign(example_repo)
    review = review_series(series_since(example_repo, base), tree=example_repo)
    drivers = _sites(review)
    carved = drivers["drivers/crypto/acme-info.c"]
    assert [(s.function, s.rule, s.consequence.value, s.arches, s.confidence.value)
            for s in carved.sites] == [
        ("acme_info_create", "dma-carved-unaligned", "corrupts", ("arm64",), "medium"),
        ("acme_info_create_local", "dma-carved-unaligned", "corrupts", ("arm64",), "medium")]
    # builds only for x86: arm64's kmalloc alignment is no matter of it
    assert "drivers/usb/misc/acme_pc.c" not in drivers
    # the allocator's and the architecture's own uses are not drivers
    assert not any(p.startswith(("mm/", "arch/")) for p in drivers)


def test_a_driver_resting_only_on_guesses_is_kept_apart_and_uncounted(example_repo, tmp_path):
    base = _with_drivers(example_repo)
    lower_kmalloc_minalign(example_repo)
    mbox = tmp_path / "series.mbox"
    mbox.write_text(git(example_repo, "format-patch", "--stdout", "--numbered", "--thread",
                        "--cover-letter", f"{base}..HEAD"))
    review = review_series(series_since(example_repo, base), tree=example_repo)
    guessed = {d.path: d for d in review.guessed_drivers}
    assert [(s.rule, s.confidence.value) for s in guessed["drivers/usb/misc/acme_blob.c"].sites] \
        == [("dma-kmalloc-small", "low")]
    assert "drivers/usb/misc/acme_blob.c" not in _sites(review)
    # not in the reply (table, Cc) but in the attachment, apart, under its own heading
    out = tmp_path / "out"
    assert main(["review", "--tree", str(example_repo), "--outbox", str(out),
                 str(mbox)]) in (0, 1)
    [listing] = out.glob("affected-drivers-*.md")
    md = listing.read_text()
    counted, apart = md.split("## To check by hand: 1 more driver(s)")
    assert "acme_blob" not in counted and "`drivers/usb/misc/acme_blob.c`" in apart
    from email import message_from_bytes, policy

    from reviewbot.outbox import body_text

    replies = [message_from_bytes(p.read_bytes(), policy=policy.default)
               for p in out.glob("*.eml")]
    [reply] = [m for m in replies if "affected-drivers-" in body_text(m)]
    text = " ".join(body_text(reply).split())
    assert "acme_blob" not in text  # not in the reply's table, only in its attachment
    assert "It also names 1 more driver(s) to check by hand, not counted here" in text


def test_a_comparison_that_comes_out_the_same_after_the_change_relies_on_nothing(
        example_repo):
    base = _with_drivers(example_repo)
    lower_kmalloc_minalign(example_repo)
    review = review_series(series_since(example_repo, base), tree=example_repo)
    pool = [s.line for d in review.affected_drivers for s in d.sites
            if s.file == "drivers/usb/misc/acme_pool.c"]
    # <= 7 is false at 128 and at 8 (not listed); <= 32 turns true at 8 (listed)
    assert pool == [COMPARED.splitlines().index("\tif (ARCH_KMALLOC_MINALIGN <= 32)") + 1]


def _lower_with_bounce(repo: Path) -> None:
    edit(repo, "include/linux/dma-map-ops.h", "#endif /* _LINUX_DMA_MAP_OPS_H */",
         "static inline bool dma_kmalloc_needs_bounce(struct device *dev, size_t size,\n"
         "\t\t\t\t\t    enum dma_data_direction dir)\n{\n"
         "\treturn IS_ENABLED(CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC) &&\n"
         "\t       !dev_is_dma_coherent(dev) && dir != DMA_TO_DEVICE &&\n"
         "\t       size < 2 * ARCH_DMA_MINALIGN;\n}\n\n#endif /* _LINUX_DMA_MAP_OPS_H */",
         "dma: bounce small inbound kmalloc buffers")
    edit(repo, "mm/slab_common.c", "/* Create a cache during boot",
         "static unsigned int __kmalloc_minalign(void)\n{\n"
         "\tunsigned int minalign = dma_get_cache_alignment();\n\n"
         "\tif (IS_ENABLED(CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC))\n"
         "\t\tminalign = ARCH_KMALLOC_MINALIGN;\n\treturn minalign;\n}\n\n"
         "/* Create a cache during boot", "mm: decide kmalloc's minimum at boot")
    edit(repo, "arch/arm64/Kconfig", "\tselect ARCH_HAS_SYNC_DMA_FOR_CPU\n",
         "\tselect ARCH_HAS_SYNC_DMA_FOR_CPU\n\tselect DMA_BOUNCE_UNALIGNED_KMALLOC\n"
         "\tselect SWIOTLB\n", "arm64: bounce small kmalloc buffers")
    lower_kmalloc_minalign(repo)


def test_with_bouncing_small_kmalloc_buffers_are_only_slower(example_repo):
    base = _with_drivers(example_repo)
    _lower_with_bounce(example_repo)
    review = review_series(series_since(example_repo, base), tree=example_repo)
    drivers = _sites(review)
    led = drivers["drivers/usb/misc/acme_led.c"]
    assert led.consequence.value == "bounced"
    assert [(s.rule, s.consequence.value, s.arches) for s in led.sites] == [
        ("dma-kmalloc-small", "bounced", ("arm64",))]
    # the carved piece: a small block's piece is a small mapping, bounced too
    assert drivers["drivers/crypto/acme-info.c"].consequence.value == "bounced"
    # ranked: what relies on the macro before what is only slower
    order = [d.consequence.value for d in review.affected_drivers]
    assert order == sorted(order, key=["corrupts", "relies", "bounced"].index)


def test_the_reply_names_the_whole_list_written_beside_the_drafts(example_repo, tmp_path,
                                                                  capsys):
    base = _with_drivers(example_repo)
    lower_kmalloc_minalign(example_repo)
    mbox = tmp_path / "series.mbox"
    mbox.write_text(git(example_repo, "format-patch", "--stdout", "--numbered",
                        "--cover-letter", f"{base}..HEAD"))
    git(example_repo, "checkout", "-q", base)
    assert main(["review", "--tree", str(example_repo), "--format", "markdown",
                 str(mbox)]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Affected drivers\n")
    assert "## ACME USB DRIVERS" in md
    assert "| 2 | acme_led | `drivers/usb/misc/acme_led.c` | CONFIG_ACME_LED | corrupts | 1 |" \
        in md


@pytest.mark.parametrize("args", [["--assume", "kmalloc-minalign=8"]])
def test_scan_by_maintainer_lists_what_a_what_if_changes(tmp_path, capsys, args):
    assert main(["scan", "--no-cache", *args, "--by-maintainer", str(EXAMPLES / "tree")]) == 0
    md = capsys.readouterr().out
    assert "What kmalloc-minalign=8 would change on Linux 6.1.0-acme" in md
    assert "`drivers/usb/misc/acme_led.c:27` acme_led_read_state(): dma-kmalloc-small, " \
        "corrupts on arm64, high confidence" in md
    # without a what-if there is nothing to compare: one line saying what to give
    assert main(["scan", "--no-cache", "--by-maintainer", str(EXAMPLES / "tree")]) == 2
    assert "give --assume kmalloc-minalign=N" in capsys.readouterr().err
