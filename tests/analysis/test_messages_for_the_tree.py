"""Messages say what is true of the buffer on any tree, and the tree's verdict on top.

A finding's message must not claim a kmalloc bucket or a kernel version it
cannot know from one file (issue 11); what the tree under review makes of it
is the judge's clause, different on 6.1 (kmalloc is DMA-aligned) and 6.12
(small inbound kmalloc buffers are bounced), and error only where it bites.
"""

from __future__ import annotations

import pytest

from reviewbot.analysis import analyse_source
from reviewbot.analysis.trees import judged_tree

TEXT = """\
static int probe(struct spi_device *spi, struct usb_device *udev)
{
\tu8 *a = kmalloc(16, GFP_KERNEL);
\tu8 *b = devm_kzalloc(&spi->dev, 3, GFP_KERNEL);

\tspi_read(spi, a, 16);
\treturn spi_read(spi, b, 3);
}
"""


def test_small_kmalloc_message_claims_no_bucket_or_version(knowledge) -> None:
    plain, devm = analyse_source("m.c", TEXT, knowledge)
    assert "a 16-byte kmalloc buffer is smaller than ARCH_DMA_MINALIGN" in plain.message
    assert "bounced where the DMA core bounces small kmalloc buffers (slower)" \
        in plain.message
    assert "a 3-byte devm buffer (after its devres header)" in devm.message
    for f in (plain, devm):
        assert "kmalloc-16" not in f.message and "since v6" not in f.message
        assert f.verdict is None  # nothing judged it: no tree named


@pytest.mark.parametrize(("profile", "why"), [
    ("6.1", "kmalloc memory is aligned to ARCH_DMA_MINALIGN on every non-coherent "
            "architecture it builds for in this tree"),
    ("6.12", "the DMA core bounces small inbound kmalloc buffers in this tree"),
])
def test_the_tree_says_why_small_kmalloc_is_dormant(knowledge, profile, why) -> None:
    tree = judged_tree(None, None, [profile], knowledge)
    for f in analyse_source("m.c", TEXT, knowledge, tree=tree):
        assert f.verdict == "dormant" and f.severity.value == "info"
        assert f"it does not bite on this tree: {why}" in f.message


def test_a_minalign_what_if_makes_small_kmalloc_bite(knowledge) -> None:
    tree = judged_tree(None, None, ["6.1", "kmalloc-minalign=8"], knowledge)
    found = analyse_source("m.c", TEXT, knowledge, tree=tree)
    assert [(f.verdict, f.severity.value) for f in found] == [("bites", "error")] * 2
    assert "arm64" in found[0].arches


HELPER_STORES = """\
static int get_status(struct spi_device *spi, unsigned long *status)
{
\tstruct spi_message msg;
\tstruct spi_transfer rx = { .rx_buf = status, .len = 4 };

\tspi_message_init(&msg);
\tspi_message_add_tail(&rx, &msg);
\treturn spi_sync(spi, &msg);
}

static int wait_ready(struct spi_device *spi)
{
\tunsigned long status;

\treturn get_status(spi, &status);
}
"""


def test_a_helper_that_stores_the_buffer_in_a_transfer_is_said_so(knowledge) -> None:
    [f] = [f for f in analyse_source("m.c", HELPER_STORES, knowledge)
           if f.function == "wait_ready"]
    assert "passed to get_status(), which stores it in spi_transfer.rx_buf for DMA from " \
        "the device" in f.message
