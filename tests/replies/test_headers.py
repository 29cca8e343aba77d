"""Threading, recipients by list policy, and headers no mail text can inject into."""

from __future__ import annotations

import dataclasses
import email
from email import policy

import pytest

from reviewbot.model import Person, Review
from reviewbot.outbox import body_text, message_bytes
from reviewbot.render.reply import compose_drafts
from reviewbot.render.reply_headers import clean_msgid, recipients, reply_subject
from reviewbot.settings import ReplyPolicy
from tests.replies.conftest import fixed_clock, fixed_msgid
from tests.replies.planted import planted_review

HOSTILE = "{{ 7*7 }} {% include 'patch-reply.txt.j2' %}"


def _parsed(draft):
    return email.message_from_bytes(message_bytes(draft.message), policy=policy.default)


def _compose(review, settings, **kw):
    return compose_drafts(review, settings, clock=fixed_clock, msgid_factory=fixed_msgid, **kw)


def _addrs(msg, name):
    return [a.addr_spec for a in msg[name].addresses] if msg[name] else []


@pytest.mark.parametrize(
    ("subject", "want"),
    [
        ("[PATCH 1/8] usb: x", "Re: [PATCH 1/8] usb: x"),
        ("Re: [PATCH 1/8] usb: x", "Re: [PATCH 1/8] usb: x"),
        ("RE:  [PATCH] y", "Re: [PATCH] y"),
        ("re:[PATCH] y", "Re: [PATCH] y"),
        ("x\r\nBcc: evil@example.com", "Re: x Bcc: evil@example.com"),
    ],
)
def test_reply_subject_has_one_re_and_one_line(subject, want):
    assert reply_subject(subject) == want


def test_msgids_lose_what_could_break_a_header():
    assert clean_msgid("<a@b>") == "a@b"
    assert clean_msgid("a@b>\r\nBcc: x@y") == "a@bBcc:x@y"


def test_threading_headers_of_every_draft(example_series, reply_settings):
    drafts = _compose(planted_review(example_series), reply_settings)
    cover = example_series.cover
    for d in drafts:
        msg = _parsed(d)
        answered = cover if d.index == 0 else example_series.patches[d.index - 1]
        assert answered.msgid == d.in_reply_to
        assert msg["In-Reply-To"] == f"<{answered.msgid}>"
        assert msg["References"].split() == [
            f"<{r}>" for r in (*answered.references, answered.msgid)
        ]
        assert msg["Message-Id"] == f"<{fixed_msgid(d.index)}>"
        assert msg["Date"] == "Tue, 03 Nov 2026 09:30:00 +0000"
        assert str(msg["From"]) == "reviewbot <reviewbot@reviewbot.example.net>"


def test_default_is_reply_to_all_the_lists_custom(example_series, reply_settings):
    patch = example_series.patches[0]
    assert "linus@example.org" in [p.email for p in (*patch.to, *patch.cc)]
    msg = _parsed(_compose(planted_review(example_series), reply_settings)[1])
    assert _addrs(msg, "To") == ["dana@example.org"]
    assert _addrs(msg, "Cc") == [
        a for a in [p.email for p in (*patch.to, *patch.cc)] if a != "dana@example.org"
    ]
    assert "linus@example.org" in _addrs(msg, "Cc")


def test_cc_original_off_writes_to_the_author_and_the_lists_only(example_series, reply_settings):
    settings = dataclasses.replace(reply_settings, cc_original=False)
    msg = _parsed(_compose(planted_review(example_series), settings)[1])
    assert _addrs(msg, "To") == ["dana@example.org"]
    assert _addrs(msg, "Cc") == [
        "linux-usb@vger.kernel.org",
        "linux-iio@vger.kernel.org",
        "linux-arm-kernel@lists.infradead.org",
    ]
    assert "linus@example.org" not in str(msg)


def test_a_list_policy_chosen_by_list_id_can_cc_individuals(example_series, reply_settings):
    series = dataclasses.replace(example_series, list_id="USB list <linux-usb.vger.kernel.org>")
    settings = dataclasses.replace(
        reply_settings,
        cc_original=False,
        policies=(
            ReplyPolicy(name="usb", lists=("linux-usb.vger.kernel.org",), cc_individuals=True),
        ),
    )
    msg = _parsed(_compose(planted_review(series), settings)[1])
    assert "linus@example.org" in _addrs(msg, "Cc")
    # another list id falls back to the default policy
    other = dataclasses.replace(example_series, list_id="<netdev.vger.kernel.org>")
    msg = _parsed(_compose(planted_review(other), settings)[1])
    assert "linus@example.org" not in _addrs(msg, "Cc")


def test_without_list_id_the_policy_matches_a_list_address(example_series, reply_settings):
    settings = dataclasses.replace(
        reply_settings,
        cc_original=False,  # lists only, so the policy's cc_lists=False leaves no Cc
        policies=(ReplyPolicy(name="iio", lists=("linux-iio@*",), cc_lists=False),),
    )
    msg = _parsed(_compose(planted_review(example_series), settings)[1])
    assert _addrs(msg, "To") == ["dana@example.org"]
    assert msg["Cc"] is None


def test_excluded_and_own_addresses_are_left_out(example_series, reply_settings):
    bot = Person("reviewbot", "reviewbot@reviewbot.example.net")
    patch = dataclasses.replace(example_series.patches[0], cc=(*example_series.patches[0].cc, bot))
    series = dataclasses.replace(example_series, patches=(patch, *example_series.patches[1:]))
    settings = dataclasses.replace(
        reply_settings,
        exclude=("LINUX-IIO@vger.kernel.org",),
        default_policy=ReplyPolicy(cc_individuals=True, exclude=("*@lists.infradead.org",)),
    )
    msg = _parsed(_compose(planted_review(series), settings)[1])
    assert _addrs(msg, "To") == ["dana@example.org"]
    assert _addrs(msg, "Cc") == ["linux-usb@vger.kernel.org", "linus@example.org"]


def test_without_the_author_the_first_list_is_to(example_series, reply_settings):
    p = example_series.patches[0]
    rcpt = recipients(
        p.author,
        p.to,
        p.cc,
        dataclasses.replace(reply_settings, default_policy=ReplyPolicy(to_author=False)),
        None,
    )
    assert [a.addr_spec for a in rcpt.to] == ["linux-usb@vger.kernel.org"]
    assert "dana@example.org" not in [a.addr_spec for a in rcpt.cc]


def test_list_id_makes_an_unknown_domain_a_list(reply_settings):
    rcpt = recipients(
        Person("Pat", "pat@example.org"),
        (Person("", "widgets@example.org"),),
        (Person("Mia", "mia@example.org"),),
        dataclasses.replace(reply_settings, cc_original=False),
        "<widgets.example.org>",
    )
    assert [a.addr_spec for a in rcpt.cc] == ["widgets@example.org"]


def test_maintainers_of_affected_drivers_only_when_the_policy_asks(example_series, reply_settings):
    review = planted_review(example_series)
    msg = _parsed(_compose(review, reply_settings)[0])
    assert "jic@example.org" not in _addrs(msg, "To") + _addrs(msg, "Cc")
    settings = dataclasses.replace(
        reply_settings, default_policy=ReplyPolicy(cc_maintainers_of_affected=True)
    )
    series_msg = _parsed(_compose(review, settings)[0])
    assert {"linus@example.org", "jic@example.org"} <= set(_addrs(series_msg, "Cc"))
    patch_msg = _parsed(_compose(review, settings)[1])
    assert "jic@example.org" not in _addrs(patch_msg, "To") + _addrs(patch_msg, "Cc")


def test_hostile_names_and_subjects_neither_inject_headers_nor_run(example_series, reply_settings):
    patch = dataclasses.replace(
        example_series.patches[0],
        subject=f"[PATCH 1/8] x\r\nBcc: evil@example.com\r\n\r\n{HOSTILE}",
        author=Person("Eve\r\nBcc: evil@example.com", "eve@example.org"),
        cc=(Person("Mal\nX-Evil: 1", "mal@example.org\r\nBcc: evil@example.com"),),
    )
    series = dataclasses.replace(example_series, patches=(patch,), cover=None, expected=1)
    finding = dataclasses.replace(
        planted_review(example_series).findings[0], message=f"see {HOSTILE}\r\nBcc: x@y"
    )
    review = Review(series=series, findings=(finding,))
    drafts = _compose(review, reply_settings)
    assert [d.index for d in drafts] == [1]
    raw = message_bytes(drafts[0].message)
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    header_block = raw.split(b"\n\n", 1)[0].decode()
    assert "\nBcc:" not in header_block and "evil@example.com>" not in header_block
    assert all(":" in line[:30] for line in header_block.splitlines() if not line[0].isspace())
    assert msg["Subject"].startswith("Re: [PATCH 1/8] x Bcc: evil@example.com")
    assert HOSTILE in msg["Subject"]
    assert _addrs(msg, "To") == ["eve@example.org"]
    body = body_text(msg)
    assert HOSTILE in " ".join(body.split())  # printed as it is (maybe wrapped)
    assert body.count("Hi Eve,") == 1  # the include did not run
    assert " 49 " not in " ".join(body.split())  # nor did the arithmetic
    assert not any(line.startswith("Bcc:") for line in body.splitlines())


def test_a_bot_identity_that_is_not_an_address_is_a_config_error(example_series, reply_settings):
    from reviewbot.errors import ConfigError

    settings = dataclasses.replace(reply_settings, identity="reviewbot")
    with pytest.raises(ConfigError, match=r"reply\.from"):
        _compose(planted_review(example_series), settings)


def test_an_attached_list_with_a_line_over_smtp_s_limit_goes_quoted_printable(
        example_series, reply_settings):
    """SMTP takes no line over 998 octets: a list line that long (a driver named at
    length) is sent quoted-printable, and decodes to the same list."""
    review = planted_review(example_series)
    long_name = "acme_" + "x" * 1200
    drivers = (dataclasses.replace(review.affected_drivers[0], name=long_name),
               *review.affected_drivers[1:])
    review = dataclasses.replace(review, affected_drivers=drivers)
    raw = message_bytes(_compose(review, reply_settings)[0].message)
    assert max(len(line) for line in raw.split(b"\n")) <= 998
    msg = email.message_from_bytes(raw, policy=policy.default)
    [listing] = list(msg.iter_attachments())
    assert listing["Content-Transfer-Encoding"] == "quoted-printable"
    assert long_name in listing.get_content()
