"""The review as the queue shows it: the JSON contract plus the quoted lines of each finding.

The watcher stores this beside ``reviewed`` in the same transaction, so the
review queue (``reviewbot queue``) can show findings, quotes and affected
drivers without reviewing the series again or reaching the network.
"""

from __future__ import annotations

import json

from reviewbot.model import Review
from reviewbot.render.as_json import review_dict
from reviewbot.render.reply_quote import quote_lines


def review_record(review: Review, quote_before: int = 3) -> str:
    """``review_dict`` with ``quote`` (the trimmed ``>`` lines) on every finding."""
    data = review_dict(review)
    patches = {p.index: p for p in review.series.patches}
    for out, f in zip(data["findings"], review.findings, strict=True):
        patch = patches.get(f.patch) if f.patch is not None else None
        q = quote_lines(patch.diff, f.file, f.line, quote_before) if patch is not None else None
        out["quote"] = list(q.lines) if q else []
        out["details"] = {k: v for k, v in f.details}
    return json.dumps(data, ensure_ascii=False)
