"""The watcher against a real public-inbox: drafts exactly once, a v2 gets its own review."""

from __future__ import annotations

from tests.conftest import example_messages
from tests.watch.conftest import EXAMPLE_DRAFTS, emls, reroll, revisions, watch, write_config


def test_once_writes_the_drafts_of_the_bundled_series_then_nothing(make_inbox, tmp_path, capsys):
    inbox = make_inbox(*example_messages())
    cfg = write_config(tmp_path, [{"name": "acme", "url": inbox.base_url}])

    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    [rev] = revisions(tmp_path)
    assert (rev["status"], rev["revision"], rev["total"]) == ("reviewed", 1, 8)
    folder = rev["planned"]
    assert emls(tmp_path) == [f"{folder}/{name}" for name in EXAMPLE_DRAFTS]
    assert (tmp_path / "state" / "outbox" / folder / "drafts.mbox").is_file()
    # one log line per event
    assert "poll acme: ok, 9 new messages, 9 patches" in err
    assert "new series acme: v1 [PATCH 0/8] acme:" in err
    assert err.count("draft acme: ") == 4
    with_times = {p: p.stat().st_mtime_ns for p in (tmp_path / "state" / "outbox").rglob("*")}

    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert "0 new messages" in err and "review" not in err
    assert emls(tmp_path) == [f"{folder}/{name}" for name in EXAMPLE_DRAFTS]
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "state" / "outbox").rglob("*")} == (
        with_times
    )

    # Another series arrives (a v2 of the same one, threaded on its own):
    # only that one is reviewed, as a revision of its own.
    inbox.deliver(*reroll(example_messages(), 2))
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    assert err.count("review acme: ") == 1 and "v2 [PATCH v2 0/8]" in err
    first, second = revisions(tmp_path)
    assert first["reviewed_at"] == rev["reviewed_at"]
    assert (second["status"], second["revision"]) == ("reviewed", 2)
    new = sorted(set(emls(tmp_path)) - set(with_times_names(with_times, tmp_path)))
    assert new == [f"{second['planned']}/v2-{name}" for name in EXAMPLE_DRAFTS]

    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0 and "review" not in err
    assert len(emls(tmp_path)) == 8  # 4 drafts for each of v1 and v2


def with_times_names(with_times, tmp_path):
    outbox = tmp_path / "state" / "outbox"
    return [str(p.relative_to(outbox)) for p in with_times if p.suffix == ".eml"]


def test_status_shows_subscriptions_waiting_and_recent(make_inbox, tmp_path, capsys):
    inbox = make_inbox(*example_messages()[:3])  # cover, 1/8, 2/8: incomplete
    cfg = write_config(tmp_path, [{"name": "acme", "url": inbox.base_url, "grace": 3600}])
    rc, out, _err = watch(capsys, cfg, "--status")
    assert rc == 0 and "no watcher state yet" in out
    assert watch(capsys, cfg, "--once")[0] == 0
    rc, out, _err = watch(capsys, cfg, "--status")
    assert rc == 0
    assert f"acme: {inbox.base_url} every 0s, grace 3600s" in out
    assert "last good 20" in out
    assert "waiting series (1):" in out
    assert "v1 [PATCH 0/8] acme: status reads" in out and "have 1, 2 of 8" in out
    assert "recent reviews (0 shown" in out


def test_drafts_link_to_the_subscribed_archive(make_inbox, tmp_path, capsys):
    """Issue 25: the reproduce command and Closes: name the inbox the series came from."""
    inbox = make_inbox(*example_messages())
    cfg = write_config(tmp_path, [{"name": "acme", "url": inbox.base_url}])
    rc, _out, err = watch(capsys, cfg, "--once")
    assert rc == 0, err
    drafts = [tmp_path / "state" / "outbox" / name for name in emls(tmp_path)]
    assert len(drafts) == len(EXAMPLE_DRAFTS)
    for draft in drafts:
        text = draft.read_text()
        assert "lore.kernel.org" not in text, draft.name
        assert f" {inbox.base_url}/20261102-acme-dma-v1-0@example.org/" in text, draft.name
