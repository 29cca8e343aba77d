"""Use b4 as a library without sharing configuration with the user's b4.

b4 keeps its configuration in module globals filled from the user's git
config (``b4.*``) and caches its lore client in ``b4.LORENODE``. reviewbot
must not pick up a developer's personal ``b4.midmask`` (or write anything
back), and two reviews in one process must not see each other's server.
``isolated_b4`` installs a configuration built from b4's own defaults, runs
the body, and restores whatever was there before.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import b4
import liblore

logger = logging.getLogger(__name__)

_LOCK = threading.RLock()


def _default_config(midmask: str) -> dict:
    config = copy.deepcopy(b4.DEFAULT_CONFIG)
    # _setup_main_config turns this one into a list; mirror it without git.
    prefs = [p for p in str(config.get("listid-preference", "*")).split(",") if p and p != "*"]
    config["listid-preference"] = [*prefs, "*"]
    config["midmask"] = midmask
    return config


@contextmanager
def isolated_b4(
    base_url: str,
    node: liblore.LoreNode | None = None,
) -> Iterator[None]:
    """Run b4 library code against ``base_url`` with b4's default settings."""
    with _LOCK:
        saved = (b4.MAIN_CONFIG, b4.LORENODE, b4.can_network)
        b4.MAIN_CONFIG = _default_config(base_url.rstrip("/") + "/%s")
        b4.LORENODE = node
        # Code-review trailers are fetched from the network by get_series
        # when this is set; a review never needs them.
        b4.can_network = False
        try:
            yield
        finally:
            b4.MAIN_CONFIG, b4.LORENODE, b4.can_network = saved
