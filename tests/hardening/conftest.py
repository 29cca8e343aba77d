"""Drafts need a sender: the isolated HOME's git config names one (as a developer's would)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _sender(_isolated_home):
    path = Path(os.environ["GIT_CONFIG_GLOBAL"])
    path.write_text("[user]\n\tname = Rita Reviewer\n\temail = rita@example.org\n")
