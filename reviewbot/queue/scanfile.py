"""The tree scan the scan page shows (``[queue] scan``), checked against the shipped schema.

The file is ``reviewbot scan --format json`` output that a cron job may
rewrite at any time, or anything else someone put there. It is validated
with the schema reviewbot ships for that output
(``docs/schema/output.schema.json``, its ``scan`` part) before any page
reads it, so a file holding ``[]``, ``"x"`` or a driver whose ``sites``
is not a list is one note on the page, never an error. A file is read and
checked once per change (its size, time and inode).
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from reviewbot.resources import data_path

SCHEMA = "docs/schema/output.schema.json"
_NOTE_CHARS = 300

_lock = threading.Lock()
_cache: dict[Path, tuple[tuple[int, int, int], dict[str, Any] | None, str]] = {}


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(data_path(SCHEMA).read_text(encoding="utf-8"))
    scan_only = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
    scan_only["$ref"] = "#/$defs/scan"
    cls = jsonschema.validators.validator_for(schema)
    return cls(scan_only)


def _check(path: Path, text: str) -> tuple[dict[str, Any] | None, str]:
    import jsonschema

    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, f"{path}: cannot read the scan ({exc})"
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        where = error.json_path
        why = error.message if len(error.message) <= _NOTE_CHARS else error.message[:_NOTE_CHARS]
        return None, f"{path}: not the JSON of reviewbot scan ({why}, at {where})"
    return data, ""


def load(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The scan's data when it is valid scan JSON, else None and a note saying why."""
    try:
        st = path.stat()
        key = (st.st_size, st.st_mtime_ns, st.st_ino)
        with _lock:
            hit = _cache.get(path)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path}: cannot read the scan ({exc})"
    data, note = _check(path, text)
    with _lock:
        _cache[path] = (key, data, note)
    return data, note
