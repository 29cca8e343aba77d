"""Fixtures for the analysis tests: the bundled knowledge, loaded once."""

from __future__ import annotations

import pytest

from reviewbot.knowledge import Knowledge, load_knowledge


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()
