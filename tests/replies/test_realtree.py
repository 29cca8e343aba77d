"""Drafts for two series reviewed on the real Linux 6.1 tree, from committed fixtures.

``bench/reply_fixtures.py`` reviewed a minalign series (v6.5's shape: IIO
and crypto move to ARCH_DMA_MINALIGN, then arm64 lowers
ARCH_KMALLOC_MINALIGN; 82 affected drivers) and a driver series (stack
buffers handed to USB in pl2303, ark3116 and usblcd) on the 6.1 tree and
committed the series and the Review. Here the drafts are composed from
those files alone and held to what maintainers' tools need: b4 finds no
trailer, every quote holds its line, no table row is split, unquoted lines
fit 80 columns, threading names only messages of the thread, no local
path. The golden drafts are compared byte for byte (``--regen-golden``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import b4
import pytest

from reviewbot.model import Consequence
from reviewbot.outbox import MBOX_NAME, body_text, draft_name, message_bytes, write_outbox
from reviewbot.render.reply import compose_drafts
from reviewbot.settings import ReplySettings
from tests.replies.conftest import GOLDEN, fixed_clock
from tests.replies.realtree import NAMES, REALTREE, realtree_review

SETTINGS = ReplySettings(
    identity="reviewbot <reviewbot@reviewbot.example.net>",
    opt_out="Not wanted? Reply and say so, and you will be left out of these.",
    signature="reviewbot: DMA-alignment review for kernel patches",
)


def _drafts(name: str, clock=fixed_clock):
    return compose_drafts(realtree_review(name), SETTINGS, clock=clock)


def _body(d) -> str:
    return body_text(d.message)


def _thread_ids(review) -> set[str]:
    s = review.series
    return {p.msgid for p in s.patches} | ({s.cover.msgid} if s.cover else set())


@pytest.mark.parametrize("name", NAMES)
def test_golden_drafts_from_the_real_tree(name, regen_golden):
    drafts = _drafts(name)
    folder = REALTREE / name / "drafts"
    if regen_golden:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.eml"):
            old.unlink()
        for d in drafts:
            (folder / draft_name(d)).write_bytes(message_bytes(d.message))
        pytest.skip("golden drafts rewritten; review the diff")
    assert sorted(draft_name(d) for d in drafts) == sorted(p.name for p in folder.glob("*.eml"))
    for d in drafts:
        want = (folder / draft_name(d)).read_text(encoding="utf-8")
        assert message_bytes(d.message).decode("utf-8") == want, draft_name(d)


def _all_bodies():
    """Every generated draft and every golden file, toy tree and real tree."""
    for name in NAMES:
        for d in _drafts(name):
            yield f"{name}/{draft_name(d)}", _body(d)
    import email
    from email import policy

    for path in [*GOLDEN.glob("*.eml"), *REALTREE.glob("*/drafts/*.eml")]:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        yield str(path.relative_to(REALTREE.parent)), body_text(msg)


def test_b4_finds_no_trailer_in_any_draft():
    bodies = list(_all_bodies())
    assert len(bodies) >= 12
    for where, body in bodies:
        trailers, _others = b4.LoreMessage.find_trailers(body, followup=True)
        assert trailers == [], (where, [t.as_string() for t in trailers])


def test_offered_tags_are_prefixed_so_b4_skips_them():
    body = _body(_drafts("driver")[0])
    assert "| Reported-by: reviewbot <reviewbot@reviewbot.example.net>" in body
    # the same line without the prefix is a trailer to b4: the prefix is what keeps it out
    bare = "Reported-by: reviewbot <reviewbot@reviewbot.example.net>\n"
    assert b4.LoreMessage.find_trailers(bare, followup=True)[0]


def test_no_tags_offered_without_a_real_sender():
    local = ReplySettings(identity="reviewbot <reviewbot@localhost>")
    for d in compose_drafts(realtree_review("driver"), local, clock=fixed_clock):
        assert "Reported-by" not in _body(d) and "Closes:" not in _body(d)


def _quote_before(lines: list[str], heading_at: int) -> list[str]:
    """The quoted lines just above a remark's heading."""
    at = heading_at - 1
    while at >= 0 and not lines[at]:
        at -= 1
    end = at + 1
    while at >= 0 and lines[at].startswith(">"):
        at -= 1
    return lines[at + 1 : end]


@pytest.mark.parametrize("name", NAMES)
def test_every_remark_quotes_the_added_line_holding_its_buffer(name):
    review = realtree_review(name)
    checked = 0
    for d in _drafts(name):
        if d.index == 0:
            continue
        lines = _body(d).splitlines()
        for f in review.findings:
            if f.patch != d.index or f.introduced is not True:
                continue
            head = f"{f.file}:{f.line}: {f.severity.value}: "
            at = next(i for i, line in enumerate(lines) if line.startswith(head))
            quote = [q for q in _quote_before(lines, at) if not q.startswith("> diff --git ")]
            assert quote and quote[0].startswith("> @@ -"), (f, quote)
            assert "[...]" not in lines
            word = (f.buffer or "").lstrip("&*")
            holder = [
                q for q in quote if q.startswith("> +") and re.search(rf"\b{re.escape(word)}\b", q)
            ]
            assert holder, (f.file, f.line, f.buffer, quote)
            checked += 1
    # the minalign series' findings are said in the series reply only (no patch reply)
    remarks = [f for f in review.findings if f.introduced is True and f.patch]
    own = [f for f in remarks if f.rule not in ("minalign-definition", "minalign-usage")]
    assert checked == len(own) and (name != "driver" or checked == 3)


def test_the_two_line_call_is_quoted_down_to_its_changed_buffer_line():
    d = next(d for d in _drafts("driver") if d.index == 1)
    lines = _body(d).splitlines()
    at = lines.index("> +\t\t\tvalue, 0, &val, 1, 100);")
    assert lines[at - 1] == "> -\t\t\tvalue, 0, buf, 1, 100);"
    assert lines[at - 3].startswith(">  \tres = usb_control_msg(")


def test_a_remark_gives_its_fix_once():
    for name in NAMES:
        for d in _drafts(name):
            body = _body(d)
            for phrase in ("use a kmalloc'd buffer", "usb_control_msg_recv()"):
                assert body.lower().count(phrase.lower()) <= 1, (draft_name(d), phrase)


@pytest.mark.parametrize("name", NAMES)
def test_unquoted_lines_fit_80_columns_except_urls(name):
    for d in _drafts(name):
        for line in _body(d).splitlines():
            if line.startswith(">") or "://" in line:
                continue
            assert len(line.expandtabs(8)) <= 80, (draft_name(d), line)


def test_driver_table_rows_are_whole_one_per_driver():
    review = realtree_review("minalign")
    series_reply = _drafts("minalign")[0]
    assert series_reply.index == 0
    lines = _body(series_reply).splitlines()
    shown = review.affected_drivers[: SETTINGS.max_drivers]
    more = len(review.affected_drivers) - len(shown)
    assert len(shown) == SETTINGS.max_drivers and more > 0
    at = [i for i, line in enumerate(lines)
          if re.match(r"^  (?:drivers|block|sound|fs|net|lib|crypto|include)/", line)]
    assert len(at) == len(shown)
    for d, i in zip(shown, at, strict=True):
        cells = lines[i].split()
        assert d.consequence is not None
        twice = sum(1 for x in shown if x.path == d.path) > 1  # told apart by module
        path = [d.path, f"({d.name})"] if twice else [d.path]
        assert cells == [*path, d.consequence.value, str(len(d.sites))], lines[i]
        kconfig = (d.kconfig or "-").removeprefix("CONFIG_")
        if d.kconfig:
            assert lines[i + 1].split() == ["Kconfig", kconfig], lines[i + 1]
    # core code first, then the worst; what is only bounced last
    order = [(d.consequence is Consequence.BOUNCED, not d.core, d.consequence.rank)
             for d in review.affected_drivers if d.consequence]
    assert order == sorted(order)
    # C as written, and no "changes from not defined here"
    body = _body(series_reply)
    assert "not defined here" not in body
    assert "ARCH_DMA_MINALIGN (128), the default where it is not defined, to 8" in " ".join(
        body.split()
    )
    assert f"The whole list, the other {more} too, with every site" in " ".join(body.split())


@pytest.mark.parametrize("name", NAMES)
def test_threading_names_only_messages_of_the_thread(name):
    review = realtree_review(name)
    ids = _thread_ids(review)
    for d in _drafts(name):
        refs = re.findall(r"<([^<>]+)>", str(d.message["References"]))
        assert d.in_reply_to in ids and refs and set(refs) <= ids, draft_name(d)
        for url in re.findall(r"https?://\S+", _body(d)):
            msgid = url.rstrip("/").rsplit("/", 1)[1]
            assert msgid in ids or msgid == d.msgid, url


@pytest.mark.parametrize("name", NAMES)
def test_no_local_path_in_any_draft(name):
    for d in _drafts(name):
        text = message_bytes(d.message).decode()
        for local in ("/tmp/", "/home/", "/root", "/work/", ".cache", "linux-6.1", "series.mbox"):
            assert local not in text, (draft_name(d), local)
        assert "in a Linux tree:\n\treviewbot review https://lore.kernel.org/all/" in text


@pytest.mark.parametrize("name", NAMES)
def test_the_same_review_twice_into_one_outbox_gives_the_same_files(name, tmp_path):
    review = realtree_review(name)
    first = write_outbox(_drafts(name), tmp_path, _thread_ids(review))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    later = lambda: datetime(2026, 11, 4, 18, 0, tzinfo=UTC)  # noqa: E731
    again = write_outbox(_drafts(name, clock=later), tmp_path, _thread_ids(review))
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert first == again and sorted(before) == sorted(after)

    def without_date(data: bytes) -> bytes:
        return re.sub(rb"(?m)^Date: .*$", b"", data)

    assert {k: without_date(v) for k, v in before.items()} == {
        k: without_date(v) for k, v in after.items()
    }
    assert before != after  # only the Date moved
    assert MBOX_NAME in after
