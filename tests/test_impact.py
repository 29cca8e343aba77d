"""Impact of a minalign change on a small kernel-like git tree, and tree-only flows.

The tree is the bundled example (arm64 cache.h, slab.h, iio.h, MAINTAINERS,
Makefiles, drivers) made into a git repository; series are real commits
turned into mail with git format-patch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.intake import IntakeOptions, load_series
from reviewbot.intake.mail import split_bytes
from reviewbot.intake.series import build_series
from reviewbot.pipeline import review_series
from tests.conftest import EXAMPLES, git

ARM64_CACHE = "arch/arm64/include/asm/cache.h"
IIO_H = "include/linux/iio/iio.h"


@pytest.fixture()
def repo(example_repo) -> Path:
    return example_repo


def edit(repo: Path, path: str, old: str, new: str, subject: str) -> None:
    f = repo / path
    text = f.read_text()
    assert text.count(old) == 1, f"{old!r} not once in {path}"
    f.write_text(text.replace(old, new))
    git(
        repo,
        "commit",
        "-q",
        "-am",
        f"{subject}\n\nSigned-off-by: Dana Developer <dana@example.org>",
    )


def series_since(repo: Path, base: str, state_base: bool = False):
    extra = [f"--base={base}"] if state_base else []
    mbox = git(repo, "format-patch", "--stdout", "--numbered", *extra, f"{base}..HEAD").encode()
    series = build_series(split_bytes(mbox, "series").messages, "series")
    # the series is reviewed against its base, as a maintainer's tree would be before applying
    git(repo, "checkout", "-q", base)
    return series


def lower_kmalloc_minalign(repo: Path) -> None:
    edit(
        repo,
        ARM64_CACHE,
        "#define ARCH_KMALLOC_MINALIGN\tARCH_DMA_MINALIGN",
        "#define ARCH_KMALLOC_MINALIGN\t(8)",
        "arm64: reduce ARCH_KMALLOC_MINALIGN to 8",
    )


def test_minalign_change_lists_exactly_the_dependent_drivers(repo):
    base = git(repo, "rev-parse", "HEAD").strip()
    lower_kmalloc_minalign(repo)
    review = review_series(series_since(repo, base), tree=repo)
    drivers = {d.name: d for d in review.affected_drivers}
    # the IIO header defines IIO_DMA_MINALIGN through ARCH_KMALLOC_MINALIGN: the fix
    # point of every IIO driver behind it, listed once (not one entry per user)
    assert set(drivers) == {"acme_led", "iio"}
    # ranked: the header (core: one fix reaches every IIO driver) relies on the macro,
    # then the LED driver, whose buffer corrupts
    assert [d.name for d in review.affected_drivers] == ["iio", "acme_led"]
    assert [(d.consequence.value, d.core) for d in review.affected_drivers] == [
        ("relies", True), ("corrupts", False)]
    iio = drivers["iio"]
    assert [(s.file, s.rule) for s in iio.sites] == [("include/linux/iio/iio.h",
                                                      "minalign-usage")]
    assert iio.section == "IIO SUBSYSTEM AND DRIVERS"
    assert iio.lists == ("linux-iio@vger.kernel.org",)
    led = drivers["acme_led"]
    assert led.maintainers == ("Linus Example <linus@example.org>",)
    assert led.reviewers == ("Ken Reviewer <ken@example.org>",)
    assert [(s.line, s.rule, s.function, s.arches) for s in led.sites] == [
        (27, "dma-kmalloc-small", "acme_led_read_state", ("arm64",))
    ]
    assert not any("checked out" in n for n in review.notes)


def test_checkout_away_from_the_stated_base_is_said(repo):
    base = git(repo, "rev-parse", "HEAD").strip()
    lower_kmalloc_minalign(repo)
    series = series_since(repo, base, state_base=True)
    assert series.base_commit == base
    git(repo, "checkout", "-q", "master")  # HEAD is now the tip, not the base
    review = review_series(series, tree=repo)
    assert review.base == base != git(repo, "rev-parse", "HEAD").strip()
    assert any("checked out in the tree" in n for n in review.notes)


def test_series_that_also_moves_iio_to_dma_minalign_takes_iio_out(repo):
    base = git(repo, "rev-parse", "HEAD").strip()
    edit(
        repo,
        IIO_H,
        "#define IIO_DMA_MINALIGN ARCH_KMALLOC_MINALIGN",
        "#define IIO_DMA_MINALIGN ARCH_DMA_MINALIGN",
        "iio: use ARCH_DMA_MINALIGN for DMA buffers",
    )
    lower_kmalloc_minalign(repo)
    review = review_series(series_since(repo, base), tree=repo)
    assert {d.name for d in review.affected_drivers} == {"acme_led"}


def test_no_minalign_change_no_impact(repo):
    base = git(repo, "rev-parse", "HEAD").strip()
    edit(
        repo,
        "drivers/hwmon/acme-hwmon.c",
        "#define ACME_REG_CONFIG\t\t0x01",
        "#define ACME_REG_CONFIG\t\t0x01\n#define ACME_REG_LIMIT\t\t0x02",
        "hwmon: acme: limit reg",
    )
    review = review_series(series_since(repo, base), tree=repo)
    assert review.affected_drivers == () and review.findings == ()


def test_without_a_tree_the_review_says_how_to_get_the_list():
    series = load_series(str(EXAMPLES / "series.mbox"), IntakeOptions())
    review = review_series(series)
    assert review.affected_drivers == ()
    assert any("give --tree" in n for n in review.notes)


PROBE_READ = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/usb.h>
#include <linux/slab.h>

struct skel {
\tstruct usb_device *udev;
\tunsigned char *bulk_in_buffer;
\tsize_t bulk_in_size;
\t__u8 bulk_in_endpointAddr;
};

static ssize_t skel_read(struct skel *dev, size_t count)
{
\tint actual, rv;

\trv = usb_bulk_msg(dev->udev, usb_rcvbulkpipe(dev->udev, dev->bulk_in_endpointAddr),
\t\t\t  dev->bulk_in_buffer, min(dev->bulk_in_size, count), &actual, 1000);
\treturn rv ? rv : actual;
}

static int skel_probe(struct skel *dev)
{
\tdev->bulk_in_size = 4096;
\tdev->bulk_in_buffer = kmalloc(dev->bulk_in_size, GFP_KERNEL);
\tif (!dev->bulk_in_buffer)
\t\treturn -ENOMEM;
\treturn 0;
}
"""


def test_probe_read_field_flow_is_found_only_with_the_tree(repo):
    """kmalloc -> kvmalloc in probe; the sink is in an untouched read function."""
    (repo / "drivers/usb/misc/skel.c").write_text(PROBE_READ)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "skel")
    base = git(repo, "rev-parse", "HEAD").strip()
    edit(
        repo,
        "drivers/usb/misc/skel.c",
        "\tdev->bulk_in_buffer = kmalloc(dev->bulk_in_size, GFP_KERNEL);",
        "\tdev->bulk_in_buffer = kvmalloc(dev->bulk_in_size, GFP_KERNEL);",
        "usb: skel: allow large buffers",
    )
    series = series_since(repo, base)
    with_tree = review_series(series, tree=repo)
    introduced = [(f.rule, f.function, f.introduced) for f in with_tree.findings]
    assert ("dma-vmalloc", "skel_read", True) in introduced
    alone = review_series(series)
    assert not [f for f in alone.findings if f.rule == "dma-vmalloc"]


CRYPTO_H = "include/linux/crypto.h"
ACME_AES = """// SPDX-License-Identifier: GPL-2.0
#include <crypto/internal/skcipher.h>
#include <linux/dma-mapping.h>

struct acme_aes_reqctx {
\tu32 mode;
\tu8 iv[16] __aligned(ARCH_DMA_MINALIGN);
};

struct acme_edesc {
\tint nents;
\tu32 hw_desc[8];
};

static int acme_aes_crypt(struct skcipher_request *req, struct device *dev)
{
\tstruct acme_aes_reqctx *rctx = skcipher_request_ctx(req);

\treturn dma_map_single(dev, rctx->iv, 16, DMA_BIDIRECTIONAL) ? 0 : -EIO;
}

static int acme_aes_result(struct device *dev, size_t len)
{
\tstruct acme_edesc *d = kmalloc(ALIGN(sizeof(*d), ARCH_DMA_MINALIGN) + len, GFP_KERNEL);
\tu8 *out = (u8 *)d + ALIGN(sizeof(*d), ARCH_DMA_MINALIGN);

\treturn dma_map_single(dev, out, len, DMA_FROM_DEVICE) ? 0 : -EIO;
}
"""


def _with_crypto_driver(repo: Path) -> str:
    (repo / "include/linux/crypto.h").write_text(
        "#define CRYPTO_MINALIGN ARCH_KMALLOC_MINALIGN\n"
        "#define CRYPTO_MINALIGN_ATTR __attribute__ ((__aligned__(CRYPTO_MINALIGN)))\n")
    (repo / "drivers/crypto").mkdir(parents=True)
    (repo / "drivers/crypto/acme-aes.c").write_text(ACME_AES)
    (repo / "drivers/crypto/Makefile").write_text("obj-$(CONFIG_CRYPTO_ACME_AES) += acme-aes.o\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "acme-aes")
    return git(repo, "rev-parse", "HEAD").strip()


def _conditional_sites(review) -> dict[tuple[str, str], str]:
    return {(s.function, s.rule): s.bites_when.text() for d in review.affected_drivers
            for s in d.sites if s.bites_when is not None and s.file.startswith("drivers/crypto")}


def test_minalign_change_lists_conditional_hazards_with_their_condition(repo):
    base = _with_crypto_driver(repo)
    lower_kmalloc_minalign(repo)
    review = review_series(series_since(repo, base), tree=repo)
    sites = _conditional_sites(review)
    assert set(sites) == {("acme_aes_crypt", "dma-crypto-ctx"),
                          ("acme_aes_result", "dma-tail-unaligned")}
    assert sites[("acme_aes_crypt", "dma-crypto-ctx")].startswith(
        "CRYPTO_MINALIGN < ARCH_DMA_MINALIGN")
    assert sites[("acme_aes_result", "dma-tail-unaligned")].startswith(
        "ARCH_KMALLOC_MINALIGN < ARCH_DMA_MINALIGN")


def test_series_moving_crypto_minalign_to_dma_keeps_only_the_kmalloc_tail(repo):
    base = _with_crypto_driver(repo)
    edit(repo, CRYPTO_H, "#define CRYPTO_MINALIGN ARCH_KMALLOC_MINALIGN",
         "#define CRYPTO_MINALIGN ARCH_DMA_MINALIGN", "crypto: use ARCH_DMA_MINALIGN")
    lower_kmalloc_minalign(repo)
    review = review_series(series_since(repo, base), tree=repo)
    assert set(_conditional_sites(review)) == {("acme_aes_result", "dma-tail-unaligned")}
