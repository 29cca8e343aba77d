"""Shared fixtures: an isolated HOME/XDG environment and a real public-inbox."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import liblore.utils
import pytest

from tests import mailgen
from tests.pubinbox import PublicInbox, available

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CORPUS = ROOT.parent / "shared" / "corpus"

# CI sets this so a missing public-inbox is a failure, not a quiet skip.
REQUIRE_PI = os.environ.get("REVIEWBOT_REQUIRE_PUBLIC_INBOX") == "1"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="rewrite golden files (reply drafts) instead of comparing; review the diff",
    )


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test reads or writes the developer's git config, caches or b4 state."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("REVIEWBOT_LORE_URL", raising=False)


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``; tests use real git, never a mock."""
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture()
def example_repo(tmp_path) -> Path:
    """The bundled example tree as a git repository with one commit ("base")."""
    repo = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", repo)
    git(repo, "init", "-q", "-b", "master")
    git(repo, "config", "user.name", "Dana Developer")
    git(repo, "config", "user.email", "dana@example.org")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def example_messages() -> list[bytes]:
    return liblore.utils.split_mbox_as_bytes((EXAMPLES / "series.mbox").read_bytes())


def fixture_mails() -> list[bytes]:
    """Everything the shared inbox holds; tests refer to these message-ids."""
    mails: list[bytes] = []
    mails += mailgen.series("widget", 3, rev=1, minutes=0)
    mails.append(mailgen.review_reply("widget", 1, 2, minutes=20))
    # v2 is sent as a reply to the v1 cover, as b4 and many people do.
    mails += mailgen.series("widget", 3, rev=2, minutes=60, in_reply_to="widget-v1-0@example.org")
    mails += mailgen.unrelated_thread()
    mails += mailgen.series("gappy", 4, rev=2, skip=(3,), minutes=300)
    mails += example_messages()
    return mails


@pytest.fixture(scope="session")
def public_inbox(tmp_path_factory):
    if not available():
        if REQUIRE_PI:
            pytest.fail("public-inbox is not installed (apt-get install -y public-inbox)")
        pytest.skip("public-inbox is not installed (apt-get install -y public-inbox)")
    inbox = PublicInbox(tmp_path_factory.mktemp("pi"))
    inbox.deliver(*fixture_mails())
    inbox.start()
    yield inbox
    inbox.stop()
