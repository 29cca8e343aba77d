"""Find the bundled ``config/`` and ``templates/`` folders.

In a wheel they are packed under ``reviewbot/_data``; in a source checkout
(editable install, tests) they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(relative: str) -> Path:
    packed = _PACKAGE / "_data" / relative
    if packed.exists():
        return packed
    return _PACKAGE.parent / relative
