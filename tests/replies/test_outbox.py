"""Drafts on disk: safe names inside DIR only, readable .eml files, one mbox."""

from __future__ import annotations

import dataclasses
import email
import mailbox
import re
from email import policy
from pathlib import Path

from reviewbot.outbox import MBOX_NAME, body_text, draft_name, sent_record, slug, write_outbox
from reviewbot.render.reply import compose_drafts
from tests.replies.conftest import fixed_clock, fixed_msgid
from tests.replies.planted import planted_review

_SAFE = re.compile(r"^(v\d+-)?\d{4}-[a-z0-9-]+\.eml$")


def _drafts(series, settings, **kw):
    return compose_drafts(
        planted_review(series),
        settings,
        clock=fixed_clock,
        msgid_factory=fixed_msgid,
        **kw,
    )


def test_writes_eml_files_and_one_mbox_and_returns_records(
    tmp_path, example_series, reply_settings
):
    out = tmp_path / "out"
    drafts = _drafts(example_series, reply_settings)
    records = write_outbox(drafts, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MBOX_NAME, *(draft_name(d) for d in drafts)]
    )
    for rec, d in zip(records, drafts, strict=True):
        assert rec.path == str(out / draft_name(d))
        assert rec.in_reply_to == d.in_reply_to
        assert rec.subject == d.subject
        with open(rec.path, "rb") as fh:
            msg = email.message_from_binary_file(fh, policy=policy.default)
        assert msg["Message-Id"] == d.message["Message-Id"]
        assert body_text(msg) == body_text(d.message)
    box = mailbox.mbox(out / MBOX_NAME)
    assert [m["Message-Id"] for m in box] == [str(d.message["Message-Id"]) for d in drafts]
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_names_are_safe_whatever_the_mail_says(tmp_path, example_series, reply_settings):
    hostile = dataclasses.replace(
        example_series.patches[0],
        msgid="../../x@y",
        subject="[PATCH 1/8] ../../../etc/passwd\x00 \u00e9t\u00e9 /tmp/x",
    )
    series = dataclasses.replace(
        example_series, patches=(hostile, *example_series.patches[1:]), cover=None, revision=3
    )
    out = tmp_path / "deep" / "out"
    records = write_outbox(_drafts(series, reply_settings), out)
    names = sorted(p.name for p in out.iterdir())
    assert all(_SAFE.match(n) for n in names if n != MBOX_NAME), names
    assert "v3-0001-etc-passwd-t-tmp-x.eml" in names
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == names
    assert all(r.path.startswith(str(out)) for r in records)
    # a legal message-id, never a file name
    assert "../../x@y" in [r.in_reply_to for r in records]


def test_slug_is_format_patch_like():
    assert slug("Re: [PATCH v2 3/7] usb: dwc3: Fix DMA!") == "usb-dwc3-fix-dma"
    assert slug("[PATCH]") == "reply"
    assert len(slug("x" * 200)) == 52


def test_a_sent_draft_is_never_overwritten(tmp_path, example_series, reply_settings):
    drafts = _drafts(example_series, reply_settings)
    write_outbox(drafts, tmp_path)
    first = tmp_path / draft_name(drafts[1])
    sent_record(first).write_text("sent: earlier\n")
    before = first.read_bytes()
    again = compose_drafts(
        planted_review(example_series),
        reply_settings,
        clock=fixed_clock,
        msgid_factory=lambda i: f"second-{i}@example.net",
    )
    write_outbox(again, tmp_path)
    assert first.read_bytes() == before
    other = (tmp_path / draft_name(drafts[2])).read_text()
    assert "second-2@example.net" in other


def _ids(series):
    return [p.msgid for p in series.patches] + [series.cover.msgid]


def test_default_message_ids_are_stable_and_follow_the_findings(example_series, reply_settings):
    review = planted_review(example_series)
    first = compose_drafts(review, reply_settings, clock=fixed_clock)
    again = compose_drafts(review, reply_settings)
    assert [d.msgid for d in first] == [d.msgid for d in again]
    assert len({d.msgid for d in first}) == len(first)
    assert all(d.msgid.endswith("@reviewbot.example.net") for d in first)
    fewer = dataclasses.replace(review, findings=tuple(f for f in review.findings if f.patch != 2))
    changed = {d.index: d.msgid for d in compose_drafts(fewer, reply_settings)}
    assert 2 not in changed
    assert changed[1] == first[1].msgid  # patch 1's findings did not change


def test_a_rerun_removes_the_stale_draft_of_this_series_and_keeps_others(
    tmp_path, example_series, reply_settings
):
    review = planted_review(example_series)
    write_outbox(compose_drafts(review, reply_settings), tmp_path, _ids(example_series))
    stale = tmp_path / "0002-iio-adc-acme-adc-read-the-conversion-status-over-spi.eml"
    assert stale.exists()
    other = tmp_path / "0001-another-series.eml"
    other.write_bytes(b"From: x@example.org\nIn-Reply-To: <elsewhere@example.org>\n\nhi\n")
    fewer = dataclasses.replace(review, findings=tuple(f for f in review.findings if f.patch != 2))
    records = write_outbox(compose_drafts(fewer, reply_settings), tmp_path, _ids(example_series))
    assert not stale.exists()
    assert other.exists()  # answers a message of another series: not ours to remove
    names = sorted(p.name for p in tmp_path.glob("*.eml"))
    assert sorted(Path(r.path).name for r in records) == [n for n in names if n != other.name]
    box = mailbox.mbox(tmp_path / MBOX_NAME)
    assert len(box) == len(names)  # the mbox is what DIR holds


def test_never_two_drafts_answering_one_message(tmp_path, example_series, reply_settings):
    review = planted_review(example_series)
    drafts = compose_drafts(review, reply_settings)
    write_outbox(drafts, tmp_path, _ids(example_series))
    sent = tmp_path / draft_name(drafts[1])
    sent_record(sent).write_text("sent: earlier\n")
    # the same patch, answered under another name (its subject was edited)
    renamed = dataclasses.replace(drafts[1], original_subject="[PATCH 1/8] usb: renamed")
    records = write_outbox([renamed], tmp_path, _ids(example_series))
    assert records == ()
    answering = [
        p.name
        for p in tmp_path.glob("*.eml")
        if email.message_from_bytes(p.read_bytes())["In-Reply-To"] == f"<{drafts[1].in_reply_to}>"
    ]
    assert answering == [sent.name]


def test_one_run_never_writes_two_drafts_to_one_message(tmp_path, example_series, reply_settings):
    drafts = compose_drafts(planted_review(example_series), reply_settings)
    twin = dataclasses.replace(drafts[1], original_subject="[PATCH 1/8] another name", index=9)
    records = write_outbox([drafts[1], twin], tmp_path, _ids(example_series))
    assert [Path(r.path).name for r in records] == [draft_name(drafts[1])]
    assert sorted(p.name for p in tmp_path.glob("*.eml")) == [draft_name(drafts[1])]


def test_drafts_mbox_escapes_from_lines_the_mboxrd_way(tmp_path, example_series, reply_settings):
    """A body line that reads as an mbox separator, and ones already escaped, survive.

    drafts.mbox is mboxrd (what public-inbox and b4 read): every ``>*From `` line
    gets one more ``>``, and a reader takes one off; a draft quoting format-patch
    output must not split in two, nor lose a level of quoting.
    """
    drafts = _drafts(example_series, reply_settings)
    first = drafts[0].message
    pasted = ("From 1a2b3c4d5e6f Mon Sep 17 00:00:00 2001\n"
              ">From a quoted separator at 10:00:00 in 2024\n"
              ">>From deeper still\n")
    text = first.get_body(preferencelist=("plain",))
    assert text is not None
    text.set_content(body_text(first) + "\n" + pasted)
    out = tmp_path / "out"
    write_outbox(drafts, out)
    raw = (out / MBOX_NAME).read_bytes()
    assert b"\n>From 1a2b3c4d5e6f Mon Sep 17 00:00:00 2001\n" in raw
    assert b"\n>>From a quoted separator" in raw and b"\n>>>From deeper still\n" in raw
    import liblore.utils

    chunks = liblore.utils.split_mbox_as_bytes(raw)
    emls = sorted(out.glob("*.eml"))
    assert len(chunks) == len(emls) == len(drafts)
    for chunk, eml in zip(chunks, emls, strict=True):
        assert chunk.rstrip(b"\n") == eml.read_bytes().rstrip(b"\n")
    (edited,) = [e.read_bytes() for e in emls if b"1a2b3c4d5e6f" in e.read_bytes()]
    assert pasted.encode() in edited
