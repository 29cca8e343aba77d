"""The [reply] and [smtp] sections: validated on load, one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.errors import ConfigError
from reviewbot.settings import load_settings, reply_settings, smtp_settings


def _load(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_settings(path, env={"HOME": str(tmp_path)}), path


def test_defaults_write_to_author_and_lists(tmp_path):
    settings, _ = _load(tmp_path, "")
    reply = reply_settings(settings)
    assert reply.default_policy.to_author and reply.default_policy.cc_lists
    # reply to all by default; a policy says otherwise only when it sets cc_individuals
    assert reply.cc_original is True and reply.default_policy.cc_individuals is None
    assert "*@vger.kernel.org" in reply.list_patterns
    assert reply.wrap == 72 and reply.archive_url == "https://lore.kernel.org/all"
    assert smtp_settings(settings).host == ""


def test_cc_original_can_be_switched_off(tmp_path):
    settings, _ = _load(tmp_path, "[reply]\ncc_original = false\n")
    assert reply_settings(settings).cc_original is False
    with pytest.raises(ConfigError, match=r"reply\.cc_original has the wrong type"):
        _load(tmp_path, '[reply]\ncc_original = "no"\n')


def test_named_policies_and_smtp(tmp_path):
    settings, _ = _load(
        tmp_path,
        '[reply]\nfrom = "Bot <bot@example.net>"\ntemplates = "~/tpl"\n'
        '[reply.policy.netdev]\nlists = ["netdev.vger.kernel.org"]\ncc_individuals = true\n'
        '[smtp]\nhost = "mail.example.net"\nport = 465\nssl = true\nstarttls = false\n',
    )
    reply = reply_settings(settings)
    assert reply.identity == "Bot <bot@example.net>"
    assert reply.templates == Path("~/tpl").expanduser()
    assert [p.name for p in reply.policies] == ["netdev"]
    assert reply.policies[0].lists == ("netdev.vger.kernel.org",)
    assert reply.policies[0].cc_individuals is True
    assert reply.default_policy.name == "default"  # kept from the bundled file
    smtp = smtp_settings(settings)
    assert (smtp.host, smtp.port, smtp.ssl, smtp.starttls) == ("mail.example.net", 465, True, False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[reply]\nfrm = 'x'\n", "unknown key reply.frm"),
        ("[reply]\nwrap = '72'\n", "reply.wrap has the wrong type"),
        ("[reply]\nlist_patterns = [1]\n", "reply.list_patterns has the wrong type"),
        ("[smtp]\nport = true\n", "smtp.port has the wrong type"),
        ("[smtp]\nstarttls = 1\n", "smtp.starttls has the wrong type"),
        ("[smtp]\npassword = 'x'\n", "unknown key smtp.password"),
        ("[reply.policy.usb]\ncc_all = true\n", "unknown key reply.policy.usb.cc_all"),
        ("[reply.policy.usb]\nto_author = 'yes'\n", "reply.policy.usb.to_author has the wrong"),
        ("[reply]\npolicy = {usb = 1}\n", "reply.policy.usb must be a table"),
    ],
)
def test_bad_keys_are_one_line_errors_naming_file_and_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, text)
    assert str(exc.value).startswith(str(tmp_path / "config.toml") + ": ")
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_min_severity_must_be_a_severity(tmp_path):
    settings, _ = _load(tmp_path, '[reply]\nmin_severity = "loud"\n')
    with pytest.raises(ConfigError, match="min_severity"):
        reply_settings(settings)
