"""Series assembly: incomplete series wait out their grace, revisions and replies apart."""

from __future__ import annotations

import logging
import time

import pytest

from reviewbot.settings import load_settings
from reviewbot.watch.config import load_watch_config
from reviewbot.watch.feeds import FeedError, PatchSubject, parse_feed, parse_subject
from reviewbot.watch.service import Watcher
from tests import mailgen
from tests.watch.conftest import received_now, revisions, watch, write_config


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("[PATCH] usb: fix", PatchSubject(1, 1, 1)),
        ("[PATCH v3 2/5] usb: fix", PatchSubject(3, 2, 5)),
        ("[PATCH 0/5] usb: series", PatchSubject(1, 0, 5)),
        ("[RFC PATCH net-next v2 10/12] x", PatchSubject(2, 10, 12)),
        ("[RFC][PATCH 1/2] x", PatchSubject(1, 1, 2)),
        ("Re: [PATCH v2 1/2] usb: fix", None),
        ("RE: [PATCH] usb: fix", None),
        ("[GIT PULL] usb fixes", None),
        ("usb: a question about [PATCH 1/2]", None),
        ("[PATCH 3/2] more than the total", None),
    ],
)
def test_subjects(subject, expected):
    assert parse_subject(subject) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"<feed><entry>",
        b"",
        b"<html>502 Bad Gateway</html>",
        b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><f>&b;</f>',
    ],
)
def test_malformed_feeds_raise_feed_error(body):
    with pytest.raises(FeedError):
        parse_feed(body)


class FakeClock:
    """The watcher's clock, advanced by the test instead of sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_incomplete_series_waits_for_its_grace_and_v2_is_reviewed_apart(
    make_inbox, tmp_path, capsys, caplog
):
    inbox = make_inbox(*mailgen.series("gappy", 4, rev=1, skip=(3,)))
    cfg = write_config(tmp_path, [{"name": "w", "url": inbox.base_url, "grace": 2}])
    clock = FakeClock()
    caplog.set_level(logging.INFO, logger="reviewbot")
    with Watcher(load_watch_config(cfg), load_settings(cfg), clock=clock) as watcher:
        assert watcher.cycle(all_subscriptions=True).poll_errors == 0
        [rev] = revisions(tmp_path)
        assert (rev["status"], rev["total"]) == ("waiting", 4) and "review w:" not in caplog.text

        clock.now += 1.9  # not yet
        watcher.cycle(all_subscriptions=True)
        assert revisions(tmp_path)[0]["status"] == "waiting"

        clock.now += 0.2  # the grace period ends: reviewed with what is there
        watcher.cycle(all_subscriptions=True)
    assert "review w: v1 [PATCH 0/4] widget: new tricks" in caplog.text
    [rev] = revisions(tmp_path)
    assert rev["status"] == "reviewed"

    # v2 arrives complete, in reply to the v1 cover, with a maintainer's reply
    # on v1: v2 is reviewed at once and on its own; the reply is not a patch.
    inbox.deliver(
        mailgen.review_reply("gappy", 1, 2),
        *mailgen.series("gappy", 4, rev=2, in_reply_to="gappy-v1-0@example.org"),
    )
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert "6 new messages, 5 patches" in err
    assert err.count("review w: ") == 1 and "review w: v2 [PATCH v2 0/4]" in err
    v1, v2 = revisions(tmp_path)
    assert v1["reviewed_at"] == rev["reviewed_at"]
    assert (v2["revision"], v2["status"], v2["root"]) == (2, "reviewed", "gappy-v2-0@example.org")


def test_a_series_completed_later_is_reviewed_once_complete(make_inbox, tmp_path, capsys):
    mails = mailgen.series("late", 3, rev=1)
    inbox = make_inbox(*mails[:3])  # cover, 1/3, 2/3
    cfg = write_config(tmp_path, [{"name": "w", "url": inbox.base_url, "grace": 3600}])
    assert watch(capsys, cfg, "--once")[0] == 0
    assert [r["status"] for r in revisions(tmp_path)] == ["waiting"]
    inbox.deliver(mails[3])
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert [r["status"] for r in revisions(tmp_path)] == ["reviewed"]


def test_catch_up_pages_through_a_received_time_search(make_inbox, tmp_path, capsys):
    """More mail than a feed page between two polls: the rt: search finds the rest."""
    inbox = make_inbox(*mailgen.unrelated_thread())
    cfg = write_config(
        tmp_path,
        [{"name": "busy", "url": inbox.base_url}],
        opt_out=["flood@example.net"],  # 27 one-patch series nobody needs reviewed
    )
    assert watch(capsys, cfg, "--once")[0] == 0
    flood = [
        received_now(
            mailgen.message(
                f"flood-{i}@example.net",
                f"[PATCH] flood {i}",
                "x\n",
                sender="Flood <flood@example.net>",
                minutes=i,
            )
        )
        for i in range(27)
    ]
    inbox.deliver(*flood)
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert "feed page is all new, catching up with rt:@" in err
    assert "27 new messages, 27 patches, caught up" in err
    rows = revisions(tmp_path)
    assert len(rows) == 27
    assert {r["status"] for r in rows} == {"skipped"}
    assert {r["reason"] for r in rows} == {"flood@example.net opted out"}
    assert "review busy" not in err

    # The same inbox, paged by hand: pages of 10 (l=), offsets (o=), then the end.
    from reviewbot.watch.config import Subscription
    from reviewbot.watch.poller import FeedClient, poll

    client = FeedClient("reviewbot-test")
    try:
        result = poll(
            client,
            Subscription(name="t", url=inbox.base_url, interval=0),
            lambda ids: set(),
            last_ok_server_time=time.time(),
            catchup_slack=600,
            page_limit=10,
        )
    finally:
        client.close()
    # the feed page, then pages of 10, 10 and 7, then the past-the-end answer
    assert result.caught_up and result.requests == 5
    assert sorted(e.msgid for e in result.new) == sorted(m.msgid for m in result.new)
    assert {e.msgid for e in result.new} == {f"flood-{i}@example.net" for i in range(27)}
