"""Drafts a maintainer would send as they are (issue 25).

The minalign series shaped like v6.5's (IIO and crypto move to
ARCH_DMA_MINALIGN, then arm64 lowers ARCH_KMALLOC_MINALIGN) drew "1
problem" replies to the two patches that are the fix, advising what they
already do, with Reported-by/Closes tags; its cover reply's macro table ran
to 125 columns with a macro defined two ways; each patch reply repeated
the cover reply; a one-finding draft was half boilerplate; and a quote
started below the allocation it was about.
"""

from __future__ import annotations

import dataclasses
import re

from reviewbot.model import Finding, Review, Severity
from reviewbot.outbox import body_text
from reviewbot.render.reply import compose_drafts
from reviewbot.render.reply_quote import quote_lines
from tests.replies.conftest import fixed_clock, fixed_msgid
from tests.replies.planted import planted_findings, planted_review
from tests.replies.realtree import realtree_review
from tests.replies.test_realtree import SETTINGS


def _compose(review, settings=SETTINGS):
    return compose_drafts(review, settings, clock=fixed_clock, msgid_factory=fixed_msgid)


def _body(d) -> str:
    return body_text(d.message)


def _joined(text: str) -> str:
    return " ".join(text.split())


def test_the_patches_that_are_the_fix_get_no_draft_and_the_cover_says_so_once():
    drafts = _compose(realtree_review("minalign"))
    assert [d.index for d in drafts] == [0]  # patches 1-3 get no reply of their own
    body = _joined(_body(drafts[0]))
    assert body.count(
        "Patches 1/3 and 2/3 move IIO_DMA_MINALIGN and CRYPTO_MINALIGN from "
        "ARCH_KMALLOC_MINALIGN to ARCH_DMA_MINALIGN: that is the fix"
    ) == 1
    assert "problem" not in body and "Reported-by" not in body and "Closes:" not in body
    # no version history the tree may contradict: on 6.1 this series is what makes it 8
    assert "since v6.5" not in body
    # the fix is not a row of "switches" as if it were a hazard
    assert "It also switches code" not in body


def test_a_move_to_kmalloc_level_is_still_a_problem_of_its_patch(example_series):
    """The other direction loses DMA isolation: that patch gets its reply, tags and all."""
    back = Finding(
        "minalign-usage", Severity.WARNING, "include/linux/iio/iio.h", 723, None, None, None,
        None, "IIO_DMA_MINALIGN switches from ARCH_DMA_MINALIGN to ARCH_KMALLOC_MINALIGN: the "
        "kmalloc minimum replaces the DMA minimum", introduced=True, patch=3,
        macro="IIO_DMA_MINALIGN",
        details=(("before", "ARCH_DMA_MINALIGN"), ("after", "ARCH_KMALLOC_MINALIGN"),
                 ("level", "kmalloc")),
    )
    fix = dataclasses.replace(
        back, patch=5, file="include/linux/crypto.h", line=170, macro="CRYPTO_MINALIGN",
        details=(("before", "ARCH_KMALLOC_MINALIGN"), ("after", "ARCH_DMA_MINALIGN"),
                 ("level", "dma")),
    )
    drafts = {d.index: d for d in _compose(Review(example_series, findings=(back, fix)))}
    assert sorted(drafts) == [0, 3]
    assert "| Reported-by:" in _body(drafts[3])
    cover = _joined(_body(drafts[0]))
    assert "Patch 5/8 moves CRYPTO_MINALIGN from ARCH_KMALLOC_MINALIGN to ARCH_DMA_MINALIGN" in (
        cover
    )
    assert "include/linux/iio/iio.h:723 ARCH_DMA_MINALIGN ARCH_KMALLOC_MINALIGN 3/8" in cover


def test_a_table_value_too_wide_is_named_and_the_reply_fits_80_columns(example_series):
    """A macro defined two ways by one hunk (slab.h's #ifdef branches)."""
    [seven] = [f for f in planted_findings() if f.patch == 7]
    two_ways = "ARCH_DMA_MINALIGN / __alignof__(unsigned long long)"
    slab = dataclasses.replace(
        seven, file="include/linux/slab.h", line=236, details=(
            ("macro", "ARCH_KMALLOC_MINALIGN"), ("arch", "generic"), ("before", two_ways),
            ("after", "ARCH_DMA_MINALIGN / 8"),
            ("meaning", "the minimum alignment of kmalloc() memory")),
    )
    [cover] = _compose(Review(example_series, findings=(slab,)))
    lines = _body(cover).splitlines()
    for line in lines:
        assert len(line.expandtabs(8)) <= 80 or line.startswith("\t"), line
    row = next(line for line in lines if line.startswith("  generic  "))
    assert "[1]" in row and two_ways not in row
    assert f"  [1] {two_ways}" in lines


def test_a_patch_reply_says_only_what_is_about_its_own_lines(example_series):
    drafts = _compose(planted_review(example_series))
    assert [d.index for d in drafts] == [0, 1, 2, 4]
    for d in drafts[1:]:
        body = _body(d)
        for series_matter in ("ARCH_KMALLOC_MINALIGN", "minimum-alignment", "affected", "7/8"):
            assert series_matter not in body, (d.index, series_matter)


def _boilerplate(body: str) -> int:
    """Lines of a one-finding draft that are not about the finding (quote to Fix)."""
    lines = [line for line in body.splitlines() if line.strip()]
    first = next(i for i, line in enumerate(lines) if line.startswith(">"))
    fix = next(i for i, line in enumerate(lines) if line.startswith("Fix: "))
    end = fix + 1
    while end < len(lines) and not lines[end].startswith(("For a fix", "-- ", "|")):
        end += 1
    return first + len(lines) - end


def test_a_one_finding_draft_has_half_the_boilerplate_it_had():
    """20 lines around the finding before (greeting, intro, url/base/version/reproduce,
    explain, tags, disclaimer, signature); 11 now (the tags and the opt-out stay)."""
    for d in _compose(realtree_review("driver")):
        body = _body(d)
        assert _boilerplate(body) <= 11, body
        assert len(body.splitlines()) <= 40  # 43 to 50 before


def test_the_quote_reaches_back_to_the_line_the_memory_comes_from(example_series):
    patch4 = example_series.patches[3]
    without = quote_lines(patch4.diff, "drivers/usb/misc/acme_fw.c", 46, 3, "image")
    with_origin = quote_lines(patch4.diff, "drivers/usb/misc/acme_fw.c", 46, 3, "image", origin=41)
    assert without is not None and with_origin is not None
    assert "> +\timage = vmalloc(blob->size);" not in without.lines
    assert with_origin.lines[1] == "> +\timage = vmalloc(blob->size);"
    assert re.match(r"> @@ -\d+,0 \+41,7 @@ ", with_origin.lines[0])
    marked = with_origin.lines[with_origin.marked]
    assert marked.endswith("image, blob->size, &actual, ACME_FW_TIMEOUT);")
    # an origin far above (another function, a struct in a header) is not dragged in
    far = quote_lines(patch4.diff, "drivers/usb/misc/acme_fw.c", 46, 3, "image", origin=2)
    assert far == without
