"""Golden drafts for the bundled series, and the real pipeline's choice of patches.

The golden files are the drafts byte for byte (headers and body). When a
template or the wording changes on purpose, rerun with ``--regen-golden``
(see conftest) and read the diff: it is the review of the change.
"""

from __future__ import annotations

import email
from email import policy

import pytest

from reviewbot.outbox import body_text, draft_name, message_bytes
from reviewbot.render.reply import compose_drafts
from tests.replies.conftest import GOLDEN, fixed_clock, fixed_msgid
from tests.replies.planted import planted_review


def _drafts(series, settings):
    return compose_drafts(
        planted_review(series), settings, clock=fixed_clock, msgid_factory=fixed_msgid
    )


def test_golden_drafts_of_the_bundled_series(example_series, reply_settings, regen_golden):
    drafts = _drafts(example_series, reply_settings)
    names = [draft_name(d) for d in drafts]
    if regen_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for old in GOLDEN.glob("*.eml"):
            old.unlink()
        for name, d in zip(names, drafts, strict=True):
            (GOLDEN / name).write_bytes(message_bytes(d.message))
        pytest.skip("golden drafts rewritten; review the diff")
    assert sorted(names) == sorted(p.name for p in GOLDEN.glob("*.eml")), (
        "a draft appeared or went; rerun with --regen-golden if that is intended"
    )
    for name, d in zip(names, drafts, strict=True):
        want = (GOLDEN / name).read_text(encoding="utf-8")
        assert message_bytes(d.message).decode("utf-8") == want, name


def test_exactly_the_planted_patches_get_a_draft_each_threaded_to_its_patch(
    example_series, reply_settings
):
    drafts = _drafts(example_series, reply_settings)
    # patch 7 (arm64's ARCH_KMALLOC_MINALIGN) is said in the series reply only
    assert [d.index for d in drafts] == [0, 1, 2, 4]
    by_index = {p.index: p for p in example_series.patches}
    offending = {
        1: "> +\tret = acme_get_status(port, &status);",
        2: "> +\t\tret = spi_read(st->spi, st->status, sizeof(st->status));",
        4: "> +\tret = usb_bulk_msg(fw->udev, usb_sndbulkpipe(fw->udev, ACME_FW_EP_OUT),",
    }
    # and where the memory comes from, when the patch adds that line too
    origin = {1: "> +\tu8 status;", 4: "> +\timage = vmalloc(blob->size);"}
    for d in drafts[1:]:
        msg = email.message_from_bytes(message_bytes(d.message), policy=policy.default)
        patch = by_index[d.index]
        assert msg["In-Reply-To"] == f"<{patch.msgid}>"
        assert msg["References"].split() == [f"<{r}>" for r in (*patch.references, patch.msgid)]
        assert msg["Subject"] == f"Re: {patch.subject}"
        body = body_text(msg)
        assert offending[d.index] in body.splitlines()
        if d.index in origin:
            assert origin[d.index] in body.splitlines()
        # a trimmed quote, never the whole patch
        assert sum(1 for line in body.splitlines() if line.startswith(">")) <= 10


def test_series_reply_lists_affected_drivers_with_maintainers(example_series, reply_settings):
    series_draft = _drafts(example_series, reply_settings)[0]
    msg = series_draft.message
    assert msg["In-Reply-To"] == f"<{example_series.cover.msgid}>"
    body = body_text(msg)
    assert "arm64  ARCH_KMALLOC_MINALIGN  ARCH_DMA_MINALIGN (128)  8" in body
    lines = body.splitlines()
    for path, change, kconfig, people, mlist in (
        ("drivers/usb/misc/acme_led.c", "corrupts", "ACME_LED",
         "Linus Example <linus@example.org>", "linux-usb@vger.kernel.org"),
        ("include/linux/iio", "relies", "-",
         "Jonathan Example <jic@example.org>", "linux-iio@vger.kernel.org"),
    ):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"  {path} "))
        assert lines[at].split() == [path, change, "1", kconfig]
        # the people under the row: indented, no "name:" label b4 could take for a trailer
        assert lines[at + 1] == f"      {people}"
        assert lines[at + 2] == f"      list {mlist}"
    # the whole list travels attached
    [listing] = list(msg.iter_attachments())
    assert listing.get_filename().startswith("affected-drivers-")
    assert "`drivers/usb/misc/acme_led.c:27` acme_led_read_state()" in listing.get_content()


def _analysis_available() -> bool:
    try:
        from reviewbot.analysis import analyse_series  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(
    not _analysis_available(), reason="reviewbot.analysis.analyse_series is not importable yet"
)
def test_real_pipeline_drafts_exactly_the_patches_with_introduced_findings(
    example_series, reply_settings
):
    from reviewbot.pipeline import review_series

    review = review_series(example_series)
    introduced = {f.patch for f in review.findings if f.introduced is True}
    assert introduced == {1, 2, 4, 7}, "the bundled series has planted problems"
    drafts = compose_drafts(review, reply_settings, clock=fixed_clock, msgid_factory=fixed_msgid)
    # patch 7 only changes ARCH_KMALLOC_MINALIGN: said in the series reply (0), not its own
    assert [d.index for d in drafts] == [0, 1, 2, 4]
    for d in drafts:
        if d.index:
            assert d.in_reply_to == next(
                p.msgid for p in example_series.patches if p.index == d.index
            )
