"""Wire the stages for one series: intake's Series in, a Review out.

Front ends (review, check, watch) all call this, so a series is judged the
same way whichever door it came through. With a tree, each patch that
applies is analysed on whole files (pre- and post-image); a patch that
does not apply falls back to its hunks alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

from reviewbot.model import PatchStatus, Review, Series

logger = logging.getLogger(__name__)


def review_series(
    series: Series,
    *,
    tree: Path | None = None,
    knowledge=None,  # reviewbot.knowledge.Knowledge; loaded lazily when None
) -> Review:
    from reviewbot.analysis import analyse_series
    from reviewbot.knowledge import load_knowledge

    knowledge = knowledge or load_knowledge()
    if tree is None:
        findings = analyse_series(series, knowledge)
        status = tuple(PatchStatus(p.index, False) for p in series.patches)
        return Review(series=series, findings=tuple(findings), patch_status=status)

    from reviewbot.apply import apply_series

    view = apply_series(series, tree)
    try:
        def images(path: str, index: int) -> tuple[str | None, str | None] | None:
            if not view.applied(index):
                return None
            return view.text(path, index - 1), view.text(path, index)

        findings = analyse_series(series, knowledge, images)
    finally:
        view.close()
    notes = list(view.notes)
    for st in view.status:
        if not st.applied:
            notes.append(f"patch {st.index} does not apply ({st.error}); analysed from its hunks")
    return Review(
        series=series,
        findings=tuple(findings),
        base=view.base_name,
        patch_status=view.status,
        notes=tuple(notes),
    )
