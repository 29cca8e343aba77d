"""``watch --status`` before any poll: the subscriptions and what is wrong with them."""

from __future__ import annotations

import pytest

from reviewbot.watch.status import url_problem
from tests.conftest import EXAMPLES
from tests.watch.conftest import watch, write_config


def test_status_before_any_poll_lists_subscriptions_and_problems(tmp_path, capsys):
    cfg = write_config(
        tmp_path,
        [
            {"name": "usb", "url": "https://lore.example.org/linux-usb", "interval": 300,
             "tree": str(EXAMPLES / "tree")},
            {"name": "gone", "url": "https://lore.example.org/linux-spi", "interval": 600,
             "tree": str(tmp_path / "no-linux")},
            {"name": "msg", "url": "https://lore.example.org/linux-iio/20261102-x-v1-1@example.org/",
             "interval": 600},
            {"name": "search", "url": "https://lore.example.org/all", "interval": 900,
             "query": "dfa:ARCH_DMA_MINALIGN"},
        ],
    )
    rc, out, err = watch(capsys, cfg, "--status")
    assert rc == 0 and err == ""
    assert out.splitlines() == [
        f"state {tmp_path / 'state'}, drafts in {tmp_path / 'state' / 'outbox'}",
        "",
        "subscriptions:",
        "  usb: https://lore.example.org/linux-usb every 300s, grace 0s",
        f"    tree: {EXAMPLES / 'tree'}",
        "  gone: https://lore.example.org/linux-spi every 600s, grace 0s",
        f"    tree: {tmp_path / 'no-linux'}",
        f"    problem: tree {tmp_path / 'no-linux'}: no such directory",
        "  msg: https://lore.example.org/linux-iio/20261102-x-v1-1@example.org every 600s, "
        "grace 0s",
        "    tree: none (patches alone)",
        "    problem: url https://lore.example.org/linux-iio/20261102-x-v1-1@example.org names a "
        "message; give the inbox URL without the message-id",
        "  search: https://lore.example.org/all ?q=dfa:ARCH_DMA_MINALIGN every 900s, grace 0s",
        "    tree: none (patches alone)",
        "",
        f"{tmp_path / 'state'}: no watcher state yet (nothing polled)",
    ]
    assert not (tmp_path / "state").exists()  # --status writes nothing


def test_status_uses_the_files_tree_path_as_the_default(tmp_path, capsys):
    cfg = write_config(tmp_path, [{"name": "usb", "url": "https://lore.example.org/linux-usb",
                                   "interval": 300}])
    cfg.write_text(cfg.read_text() + f'\n[tree]\npath = "{tmp_path}"\n')
    rc, out, _ = watch(capsys, cfg, "--status")
    assert rc == 0
    assert f"    tree: {tmp_path} (tree.path)\n" in out
    assert f"    problem: tree {tmp_path}: not a kernel tree (missing: MAINTAINERS," in out


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://lore.kernel.org/linux-usb", None),
        ("https://lore.kernel.org/all", None),
        ("http://127.0.0.1:8080/acme", None),
        ("https://lore.kernel.org", "names a server, not an inbox (add the list name, or /all)"),
        ("https://lore.kernel.org/linux-usb/new.atom", "names a feed; give the inbox URL without "
         "new.atom"),
        ("https://lore.kernel.org/linux-usb/abc@x.org/T", "names a message; give the inbox URL "
         "without the message-id"),
        ("https://lore.kernel.org/linux-usb?q=s:dma", "has a query; put a search in the "
         "subscription's query key"),
    ],
)
def test_url_problems(url, problem):
    assert url_problem(url) == problem
