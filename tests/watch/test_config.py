"""The watch configuration: the shipped example loads; mistakes are one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.cli import main
from reviewbot.errors import ConfigError
from reviewbot.watch.config import load_watch_config
from tests.conftest import ROOT

GOOD = """
[watch]
state_dir = "/tmp/x"
[[watch.subscriptions]]
name = "usb"
url = "https://lore.kernel.org/linux-usb"
"""


def test_the_example_config_loads():
    config = load_watch_config(ROOT / "config" / "watch.example.toml")
    names = [s.name for s in config.subscriptions]
    for want in (
        "linux-usb",
        "linux-spi",
        "linux-i2c",
        "linux-iio",
        "linux-arm-kernel",
        "linux-mm",
        "minalign",
    ):
        assert want in names
    assert all(s.poll_interval >= 60 and not s.send for s in config.subscriptions)
    assert any("ARCH_KMALLOC_MINALIGN" in s.query for s in config.subscriptions)
    assert config.outbox == Path("/var/lib/reviewbot/outbox")


def test_defaults_and_the_interval_floor(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text(GOOD + "interval = 5\n")
    [sub] = load_watch_config(path).subscriptions
    assert (sub.interval, sub.poll_interval, sub.grace, sub.send) == (5, 60, 1800, False)
    path.write_text(
        GOOD.replace("https://lore.kernel.org", "http://127.0.0.1:8080") + "interval = 0\n"
    )
    assert load_watch_config(path).subscriptions[0].poll_interval == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("intervall = 5\n", "unknown key watch.subscriptions[0].intervall"),
        ('interval = "5m"\n', "watch.subscriptions[0].interval must be an integer"),
        ("send = 1\n", "watch.subscriptions[0].send must be true or false"),
        ("grace = -1\n", "watch.subscriptions[0].grace must not be negative"),
        ("[wacth]\nx = 1\n", "unknown key wacth"),
        ("[watch.extra]\n", "unknown key watch.extra"),
        (
            '[[watch.subscriptions]]\nname = "usb"\nurl = "https://x/y"\n',
            "name 'usb' is used twice",
        ),
        ('[[watch.subscriptions]]\nname = "b"\n', "watch.subscriptions[1].url is required"),
        ('[[watch.subscriptions]]\nname = "b"\nurl = "ftp://x"\n', "must be an http(s) URL"),
    ],
)
def test_mistakes_name_the_file_and_key(tmp_path, extra, message):
    path = tmp_path / "w.toml"
    path.write_text(GOOD + extra)
    with pytest.raises(ConfigError) as exc:
        load_watch_config(path)
    assert str(exc.value).startswith(f"{path}: ")
    assert message in str(exc.value)


def test_cli_says_one_line_and_exits_2(tmp_path, capsys):
    path = tmp_path / "w.toml"
    path.write_text(GOOD.replace("state_dir", "statedir"))
    assert main(["watch", "--config", str(path), "--once"]) == 2
    err = capsys.readouterr().err
    assert err == f"reviewbot: {path}: unknown key watch.statedir\n"
    assert main(["watch", "--once"]) == 2
    assert "watch needs --config FILE" in capsys.readouterr().err
