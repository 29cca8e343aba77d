"""What a draft says: quotes, wrapping, sections, and when there is no draft at all."""

from __future__ import annotations

import dataclasses
import re

import pytest

from reviewbot.model import Confidence, PatchStatus, Review
from reviewbot.outbox import body_text
from reviewbot.render.reply import compose_drafts
from reviewbot.render.reply_quote import quote_lines
from reviewbot.render.reply_text import rule_doc, tidy_body
from tests.replies.conftest import fixed_clock, fixed_msgid
from tests.replies.planted import affected_drivers, planted_findings, planted_review

_TRAILER = re.compile(r"^(\| )?[A-Z][A-Za-z-]*: \S+$")


def _compose(review, settings, **kw):
    return compose_drafts(review, settings, clock=fixed_clock, msgid_factory=fixed_msgid, **kw)


def _body(draft) -> str:
    return body_text(draft.message)


def _finding(patch):
    return next(f for f in planted_findings() if f.patch == patch)


def test_unquoted_lines_are_wrapped_at_72_and_quoted_code_is_not(example_series, reply_settings):
    drafts = _compose(planted_review(example_series), reply_settings)
    long_quotes = 0
    for d in drafts:
        for line in _body(d).splitlines():
            if line.startswith((">", "\t")):  # quoted code, a command to copy
                long_quotes += len(line) > 72
                continue
            # one unbreakable token (a URL) or a one-line trailer may run longer
            assert len(line) <= 72 or len(line.split()) <= 2 or _TRAILER.match(line), line
    assert long_quotes, "the diff --git line of the quote is longer than 72 and kept whole"


def test_tidy_body_wraps_prose_and_keeps_quotes_commands_and_signature():
    text = "word " * 40 + "\n> " + "code " * 30 + "\n\t" + "cmd " * 30 + "\n\n\n\n-- \nsig\n"
    out = tidy_body(text, 72).split("\n")
    assert all(len(line) <= 72 for line in out if not line.startswith((">", "\t")))
    assert "> " + ("code " * 30).rstrip() in out
    assert "\t" + ("cmd " * 30).rstrip() in out
    assert "-- " in out and "" in out and "\n\n\n" not in "\n".join(out)


def test_a_line_separator_in_mail_text_cannot_unquote_anything():
    out = tidy_body("> +\tfoo();\u2028Bcc: x\n> +\tbar();\x0c baz\n", 72)
    assert all(line.startswith(">") for line in out.splitlines())


def test_quote_is_trimmed_to_the_statement_around_the_offending_line(example_series):
    patch4 = example_series.patches[3]
    q = quote_lines(patch4.diff, "drivers/usb/misc/acme_fw.c", 46, before=2)
    assert q is not None
    assert q.lines == (
        # the function the quoted lines are in (the hunk starts in the one before it)
        "> @@ -47,0 +44,4 @@ static int acme_fw_load"
        "(struct acme_fw *fw, const struct firmware *blob)",
        "> +\tmemcpy(image, blob->data, blob->size);",
        "> +",
        "> +\tret = usb_bulk_msg(fw->udev, usb_sndbulkpipe(fw->udev, ACME_FW_EP_OUT),",
        "> +\t\t\t   image, blob->size, &actual, ACME_FW_TIMEOUT);",
    )
    assert q.lines[q.marked].endswith("usb_sndbulkpipe(fw->udev, ACME_FW_EP_OUT),")
    assert quote_lines(patch4.diff, "drivers/usb/misc/acme_fw.c", 5) is None
    assert quote_lines(patch4.diff, "drivers/other.c", 46) is None


def test_a_finding_outside_the_hunks_is_named_without_a_quote(example_series, reply_settings):
    f = dataclasses.replace(_finding(1), line=5)
    drafts = _compose(Review(series=example_series, findings=(f,)), reply_settings)
    body = _body(drafts[0])
    assert "(at drivers/usb/serial/acme_serial.c:5, outside the lines this patch" in body
    assert not any(line.startswith(">") for line in body.splitlines())


def test_no_findings_no_mail(example_series, reply_settings):
    assert _compose(Review(series=example_series), reply_settings) == []
    older = dataclasses.replace(_finding(4), introduced=False)
    assert _compose(Review(series=example_series, findings=(older,)), reply_settings) == []


def test_always_gives_clean_patches_a_short_reply(example_series, reply_settings):
    drafts = _compose(Review(series=example_series), reply_settings, always=True)
    assert [d.index for d in drafts] == list(range(1, 9))
    body = _body(drafts[2])
    assert "finds no problem it introduces" in body
    assert "Reported-by" not in body and "[...]" not in body


def test_pre_existing_problems_are_a_separate_plainly_marked_section(
    example_series, reply_settings
):
    older = dataclasses.replace(
        _finding(4),
        rule="dma-kmalloc-small",
        line=29,
        introduced=False,
        message="buf is a small kmalloc buffer",
        severity=_finding(2).severity,
    )
    review = Review(series=example_series, findings=(_finding(4), older))
    body = _body(_compose(review, reply_settings)[0])
    head, _, tail = body.partition("Not caused by this patch")
    assert "dma-vmalloc" in head and "dma-kmalloc-small" not in head
    assert "- drivers/usb/misc/acme_fw.c:29: warning: buf is a small kmalloc buffer" in tail
    assert "finds 1 problem it introduces" in " ".join(head.split())


def test_uncertainty_and_later_fixes_are_said(example_series, reply_settings):
    f = dataclasses.replace(_finding(2), confidence=Confidence.MEDIUM, fixed_in_patch=6)
    body = " ".join(
        _body(_compose(Review(example_series, findings=(f,)), reply_settings)[0]).split()
    )
    assert "I am not sure about this one (medium confidence)" in body
    assert "Patch 6/8 of this series removes it again" in body


def test_the_base_is_stated(example_series, reply_settings):
    f = _finding(1)
    review = Review(
        example_series,
        findings=(f,),
        base="v6.12-rc1 (2d5404caa8c7)",
        patch_status=(PatchStatus(1, True),),
    )
    body = " ".join(_body(_compose(review, reply_settings)[0]).split())
    assert "checked this patch against v6.12-rc1 (2d5404caa8c7) and finds 1 problem" in body
    review = dataclasses.replace(review, patch_status=(PatchStatus(1, False, "hunk #2 failed"),))
    body = " ".join(_body(_compose(review, reply_settings)[0]).split())
    assert (
        "checked this patch from its hunks alone, since it does not apply to "
        "v6.12-rc1 (2d5404caa8c7) (hunk #2 failed), and finds 1 problem"
    ) in body


def test_min_severity_silences_notes_but_not_the_series_reply(example_series, reply_settings):
    settings = dataclasses.replace(reply_settings, min_severity="warning")
    drafts = _compose(planted_review(example_series), settings)
    assert [d.index for d in drafts] == [0, 1, 2, 4]


def test_no_series_reply_without_minalign_change_or_drivers(example_series, reply_settings):
    review = Review(example_series, findings=(_finding(1),))
    assert [d.index for d in _compose(review, reply_settings)] == [1]
    with_drivers = dataclasses.replace(review, affected_drivers=affected_drivers())
    drafts = _compose(with_drivers, reply_settings)
    assert [d.index for d in drafts] == [0, 1]
    assert "This series changes what" not in _body(drafts[0])


def test_without_cover_the_series_reply_answers_patch_1(example_series, reply_settings):
    series = dataclasses.replace(example_series, cover=None)
    review = planted_review(series)
    # patch 1 has no reply of its own: the series reply answers it
    quiet = dataclasses.replace(review, findings=tuple(f for f in review.findings if f.patch != 1))
    drafts = _compose(quiet, reply_settings)
    assert drafts[0].index == 0
    assert drafts[0].in_reply_to == example_series.patches[0].msgid
    assert drafts[0].message["Subject"] == f"Re: {example_series.patches[0].subject}"
    assert [d.in_reply_to for d in drafts].count(example_series.patches[0].msgid) == 1
    others = [_body(d) for d in drafts if d.index]
    assert all("in a separate reply to patch 1/8" in b for b in others if "minalign" in b)


def test_without_cover_patch_1s_own_reply_carries_the_series_part(example_series, reply_settings):
    series = dataclasses.replace(example_series, cover=None)
    drafts = _compose(planted_review(series), reply_settings)
    answering = [d for d in drafts if d.in_reply_to == example_series.patches[0].msgid]
    assert len(answering) == 1 and answering[0].index == 1  # never two replies to patch 1
    body = _body(answering[0])
    assert "acme_serial.c:49: error:" in body  # patch 1's own remark
    assert "About the series as a whole" in body and "This series changes what" in body
    assert body.count("Hi Dana,") == 1 and body.count("\n-- \n") == 1
    assert "separate reply" not in body
    # patch 7 only lowers ARCH_KMALLOC_MINALIGN: said in that section, no reply of its own
    assert 7 not in [d.index for d in drafts]
    assert "7/8" in body


def test_users_templates_replace_the_bundled_ones_one_by_one(
    tmp_path, example_series, reply_settings
):
    (tmp_path / "patch-reply.txt.j2").write_text(
        "Dear {{ greeting_name }}, {{ findings|length }} finding(s) in patch {{ index }}.\n"
    )
    settings = dataclasses.replace(reply_settings, templates=tmp_path)
    drafts = _compose(planted_review(example_series), settings)
    assert _body(drafts[1]) == ("Dear Dana, 1 finding(s) in patch 1.\n")
    assert "This series changes what" in _body(drafts[0])  # bundled series template


def test_a_template_cannot_reach_outside_the_sandbox(tmp_path, example_series, reply_settings):
    from reviewbot.errors import ConfigError

    (tmp_path / "patch-reply.txt.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    settings = dataclasses.replace(reply_settings, templates=tmp_path)
    with pytest.raises(ConfigError, match="patch-reply"):
        _compose(planted_review(example_series), settings)


def test_rule_documentation_falls_back_to_the_explain_command():
    assert rule_doc("no-such-rule").read == "see `reviewbot explain no-such-rule`"
    assert "CONFIG_VMAP_STACK" in rule_doc("dma-stack").why


LINES_B4_MIGHT_READ = [
    "maintainers: Linus Example <linus@example.org>",
    "      lists: linux-usb@vger.kernel.org",
    "Reported-by: reviewbot <bot@example.net>",
    "| Reported-by: reviewbot <bot@example.net>",
    "Closes: https://lore.kernel.org/all/x@y/",
    "url:       https://lore.kernel.org/all/x@example.org/",
    "base:      38398fbd179940a9237be26d7d25ec2d2539a99c",
    'Fixes: 38398fbd1799 ("usb: x")',
    "Fixes: a bug",
    "base-commit: 38398fbd1799",
    "Why: stack memory is not DMA-able.",
    "drivers/usb/x.c:12: error: buf is on the stack [dma-stack]",
    "drivers/usb/x.c:12: error: ask foo@example.org [dma-stack]",
    "      Linus Example <linus@example.org>, Ken Reviewer <ken@example.org>",
    "      list linux-usb@vger.kernel.org",
    "M: Linus Example <linus@example.org>",
    "email: linus@example.org",
    "> +\tret = foo(a: b@c.d);",
]


@pytest.mark.parametrize("line", LINES_B4_MIGHT_READ)
def test_the_trailer_check_agrees_with_b4(line):
    import b4

    from reviewbot.render.reply_text import reads_as_trailer

    b4_reads = bool(b4.LoreMessage.find_trailers(line + "\n", followup=True)[0])
    assert reads_as_trailer(line) == b4_reads or line.startswith(">")


def test_tidy_body_defuses_trailer_lines_and_never_wraps_indented_ones():
    import b4

    row = "  drivers/media/radio/si470x/radio-si470x-usb.c      4  USB_SI470X" + " x" * 10
    text = (
        "lists: linux-usb@vger.kernel.org\n"
        "Ask " + "word " * 12 + "Ken Reviewer <ken@example.org> about it.\n"
        f"{row}\n"
        "\tcommand --with a very long line " + "arg " * 20 + "\n"
    )
    out = tidy_body(text, 40)
    assert out.splitlines()[0] == "| lists: linux-usb@vger.kernel.org"
    assert row in out.splitlines()
    assert b4.LoreMessage.find_trailers(out, followup=True)[0] == []
