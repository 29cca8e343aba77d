"""Issue 11: messages say which kernels a finding is true for, and name the right bucket."""

from __future__ import annotations

from reviewbot.analysis import analyse_source

TEXT = """\
static int probe(struct spi_device *spi, struct usb_device *udev)
{
\tu8 *a = kmalloc(16, GFP_KERNEL);
\tu8 *b = devm_kzalloc(&spi->dev, 3, GFP_KERNEL);

\tspi_read(spi, a, 16);
\treturn spi_read(spi, b, 3);
}
"""


def test_small_kmalloc_message_is_true_before_and_after_v6_5(knowledge) -> None:
    plain, devm = analyse_source("m.c", TEXT, knowledge)
    assert "a 16-byte buffer comes from kmalloc-16" in plain.message
    assert "ARCH_KMALLOC_MINALIGN is 128 on arm64 before v6.5, so this is safe there" \
        in plain.message
    assert "bounced through swiotlb when the device is not coherent (slower)" in plain.message
    assert "a 3-byte devm buffer follows a 128-byte devres header in a kmalloc-192 object" \
        in devm.message
