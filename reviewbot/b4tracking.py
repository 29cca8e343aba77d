"""What ``b4 review`` tells its check commands about the series: ``B4_TRACKING_FILE``.

When the series has a review branch, b4 (0.16, ``review_tui._common``)
dumps its tracking data to a temporary JSON file and names it in
``B4_TRACKING_FILE`` for every check command it runs. Two things in it
matter here: ``series.base-commit``, the commit the series was written
against (a single patch mail does not carry it, the cover letter does),
and ``series.thread-blob``, a blob in the repository holding the whole
thread as mboxrd, from which b4's series-level check (given only the
cover letter) can see every patch without going to lore.

A missing or unreadable file is no error: the check then works from the
mail alone, as without b4.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_SHA = re.compile(r"^[0-9a-f]{7,64}$")
_MAX_TRACKING = 16 * 1024 * 1024


@dataclass(frozen=True)
class Tracking:
    base_commit: str | None
    thread_blob: str | None


def tracking_from_env(env: Mapping[str, str]) -> Tracking | None:
    """The parts of b4's tracking file a check needs, or None when b4 gave none."""
    name = env.get("B4_TRACKING_FILE")
    if not name:
        return None
    path = Path(name)
    try:
        if path.stat().st_size > _MAX_TRACKING:
            logger.warning("B4_TRACKING_FILE %s: too large, ignored", path)
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("B4_TRACKING_FILE %s: not readable tracking data (%s), ignored", path, exc)
        return None
    series = data.get("series") if isinstance(data, dict) else None
    if not isinstance(series, dict):
        return None

    def sha(key: str) -> str | None:
        value = series.get(key)
        return value if isinstance(value, str) and _SHA.match(value) else None

    return Tracking(base_commit=sha("base-commit"), thread_blob=sha("thread-blob"))


def thread_mbox(repo: Path, blob: str) -> bytes | None:
    """The thread b4 stored in ``repo`` as blob ``blob`` (mboxrd), or None."""
    proc = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "blob", blob], capture_output=True, check=False
    )
    if proc.returncode != 0 or not proc.stdout:
        logger.warning("b4's thread blob %s is not in %s", blob[:12], repo)
        return None
    return proc.stdout
