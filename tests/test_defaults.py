"""One default per setting, in config/default.toml only; one checker for every config file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import reviewbot
from reviewbot.errors import ConfigError
from reviewbot.intake import IntakeOptions
from reviewbot.settings import (
    _KNOWN,
    ReplySettings,
    SmtpSettings,
    bundled_defaults,
    load_settings,
    reply_settings,
    smtp_settings,
)
from reviewbot.watch.config import (
    _SUB_KEYS,
    _SUB_REQUIRED,
    _WATCH_KEYS,
    _WATCH_REQUIRED,
    Subscription,
    WatchConfig,
    load_watch_config,
)

PACKAGE = Path(reviewbot.__file__).resolve().parent


def test_every_setting_has_its_default_in_default_toml() -> None:
    defaults = bundled_defaults()
    for section, keys in _KNOWN.items():
        assert set(keys) == set(defaults[section]), section
    assert set(_WATCH_KEYS) - set(_WATCH_REQUIRED) == set(defaults["watch"])
    assert set(_SUB_KEYS) - set(_SUB_REQUIRED) == set(defaults["watch"]["subscription_defaults"])


def test_the_dataclasses_defaults_are_the_files() -> None:
    settings = load_settings(env={})  # no HOME, no XDG: the bundled file alone
    assert ReplySettings() == reply_settings(settings)
    assert SmtpSettings() == smtp_settings(settings)
    assert IntakeOptions().lore_url == settings.lore_url == bundled_defaults()["lore"]["url"]


def test_lore_policy_defaults_are_the_files() -> None:
    """LorePolicy() retries as [lore] says; a number written in lore.py fails here."""
    from reviewbot.intake.lore import LorePolicy

    settings = load_settings(env={})
    lore = bundled_defaults()["lore"]
    policy = LorePolicy()
    assert (policy.attempts, policy.backoff, policy.timeout) == (
        lore["attempts"], lore["backoff"], lore["timeout"])
    assert (policy.attempts, policy.backoff, policy.timeout) == (
        settings.lore_attempts, settings.lore_backoff, settings.lore_timeout)


def test_watch_defaults_are_the_files(tmp_path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[watch]\nstate_dir = "/s"\n[[watch.subscriptions]]\nname = "a"\n'
                    'url = "https://lore.kernel.org/x"\n')
    config = load_watch_config(path)
    assert config == WatchConfig(path, Path("/s"), Path("/s/outbox"), config.subscriptions)
    assert config.subscriptions == (Subscription("a", "https://lore.kernel.org/x"),)


def test_a_watch_file_may_set_defaults_for_its_subscriptions(tmp_path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[watch]\nstate_dir = "/s"\n[watch.subscription_defaults]\ngrace = 0\n'
                    '[[watch.subscriptions]]\nname = "a"\nurl = "http://127.0.0.1:1/x"\n'
                    '[[watch.subscriptions]]\nname = "b"\nurl = "http://127.0.0.1:1/y"\n'
                    'grace = 60\n')
    assert [s.grace for s in load_watch_config(path).subscriptions] == [0, 60]
    path.write_text(path.read_text().replace("grace = 0", "grace = 'no'"))
    with pytest.raises(ConfigError, match=r"subscription_defaults\.grace must be an integer"):
        load_watch_config(path)


def test_no_default_url_is_written_in_code() -> None:
    hits = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
            if re.search(r"https?://lore\.kernel\.org", p.read_text())]
    assert hits == []


@pytest.mark.parametrize("reader", ["knowledge", "settings", "watch", "limits", "queue"])
def test_one_wording_for_every_file(tmp_path, reader) -> None:
    """The same mistake (an integer key given a string) reads the same in every file."""
    from reviewbot.knowledge import default_path, load_knowledge

    path = tmp_path / "f.toml"
    if reader == "knowledge":
        text = default_path().read_text()
        assert "request_type_in_bit = 0x80" in text
        path.write_text(text.replace("request_type_in_bit = 0x80", 'request_type_in_bit = "7"'))
        load, key = load_knowledge, "directions.request_type_in_bit"
    elif reader == "settings":
        path.write_text('[reply]\nwrap = "7"\n')
        load, key = (lambda p: load_settings(p, env={})), "reply.wrap"
    elif reader == "limits":
        path.write_text('[limits]\nmax_patches = "7"\n')
        load, key = (lambda p: load_settings(p, env={})), "limits.max_patches"
    elif reader == "queue":
        from reviewbot.queue.config import queue_config

        path.write_text('[queue]\nsendmail = 7\n')
        load, key = (lambda p: queue_config(load_settings(p, env={}), p)), "queue.sendmail"
    else:
        path.write_text('[watch]\nstate_dir = "/s"\nattempts = "7"\n'
                        '[[watch.subscriptions]]\nname = "a"\nurl = "https://x.org/y"\n')
        load, key = load_watch_config, "watch.attempts"
    with pytest.raises(ConfigError) as exc:
        load(path)
    want = "a string, not an integer" if reader == "queue" else "an integer, not a string"
    assert str(exc.value) == f"{path}: {key} must be {want}"
