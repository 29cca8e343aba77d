"""Drafts on disk: safe names inside DIR only, readable .eml files, one mbox."""

from __future__ import annotations

import dataclasses
import email
import mailbox
import re
from email import policy

from reviewbot.outbox import MBOX_NAME, draft_name, sent_record, slug, write_outbox
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
        assert msg.get_content() == d.message.get_content()
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
    assert records[1].in_reply_to == "../../x@y"  # a legal message-id, never a file name


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
