"""Fixtures for the reply-draft tests: the bundled series, a fixed clock and message-ids.

``pytest --regen-golden`` (registered in tests/conftest.py, so it works from
any folder) or ``REVIEWBOT_REGEN_GOLDEN=1`` rewrites the golden drafts under
``tests/golden/replies`` on purpose; review the diff before committing it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reviewbot.intake import IntakeOptions, load_series
from reviewbot.model import Series
from reviewbot.settings import ReplySettings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_MBOX = ROOT / "examples" / "series.mbox"
GOLDEN = ROOT / "tests" / "golden" / "replies"
FIXED_DATE = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    if os.environ.get("REVIEWBOT_REGEN_GOLDEN") == "1":
        return True
    return bool(request.config.getoption("--regen-golden", default=False))


def fixed_clock() -> datetime:
    return FIXED_DATE


def fixed_msgid(index: int) -> str:
    return f"reviewbot-acme-v1-{index}@reviewbot.example.net"


@pytest.fixture(scope="session")
def example_series() -> Series:
    return load_series(str(EXAMPLE_MBOX), IntakeOptions())


@pytest.fixture
def reply_settings() -> ReplySettings:
    """The bundled defaults, with an identity of its own (not localhost)."""
    return ReplySettings(
        identity="reviewbot <reviewbot@reviewbot.example.net>",
        opt_out="Not wanted? Reply and say so, and you will be left out of these.",
        signature="reviewbot: DMA-alignment review for kernel patches",
    )


BOT_FROM = "Review Bot <bot@reviewbot.example.net>"


@pytest.fixture
def bot_config(tmp_path) -> Path:
    """A config file giving the drafts a sender mail can come from (reply.from)."""
    path = tmp_path / "bot-config.toml"
    path.write_text(f'[reply]\nfrom = "{BOT_FROM}"\n')
    return path
