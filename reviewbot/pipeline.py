"""Wire the stages for one series: intake's Series in, a Review out.

Front ends (review, check, watch) all call this, so a series is judged the
same way whichever door it came through. With a tree, each patch that
applies is analysed on whole files (pre- and post-image); a patch that
does not apply falls back to its hunks alone; and a series that changes an
alignment macro gets the list of drivers that depend on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from reviewbot.model import Finding, PatchStatus, Review, Series

logger = logging.getLogger(__name__)


def review_series(
    series: Series,
    *,
    tree: Path | None = None,
    knowledge=None,  # reviewbot.knowledge.Knowledge; loaded lazily when None
    cache_dir: Path | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Review:
    """Review ``series``; ``progress(done, total)`` is told how a tree-wide scan goes."""
    from reviewbot.analysis import analyse_series
    from reviewbot.impact import changed_macros
    from reviewbot.knowledge import load_knowledge

    knowledge = knowledge or load_knowledge()
    if tree is None:
        findings = analyse_series(series, knowledge)
        status = tuple(PatchStatus(p.index, False) for p in series.patches)
        notes = []
        if changed_macros(findings, knowledge):
            notes.append(
                "this series changes an alignment macro: give --tree to list "
                "the drivers that depend on it"
            )
        return Review(
            series=series, findings=tuple(findings), patch_status=status, notes=tuple(notes)
        )

    from reviewbot.apply import apply_series

    view = apply_series(series, tree)
    try:

        def images(path: str, index: int) -> tuple[str | None, str | None] | None:
            if not view.applied(index):
                return None
            return view.text(path, index - 1), view.text(path, index)

        findings = analyse_series(series, knowledge, images)
        drivers = _impact(findings, view, tree, knowledge, cache_dir, jobs, progress)
    finally:
        view.close()
    notes = list(view.notes)
    if drivers and _checkout_differs(view, tree):
        notes.append(
            "affected drivers were found in the files checked out in the tree, which are "
            "not at the commit the series was applied to"
        )
    for st in view.status:
        if not st.applied:
            notes.append(f"patch {st.index} does not apply ({st.error}); analysed from its hunks")
    return Review(
        series=series,
        findings=tuple(findings),
        affected_drivers=drivers,
        base=view.base_name,
        patch_status=view.status,
        notes=tuple(notes),
    )


def _checkout_differs(view, tree: Path) -> bool:
    """True when a git tree's HEAD is not the base the series was applied to."""
    from reviewbot.apply.base import GitBase, resolve_commit

    return isinstance(view.base, GitBase) and view.base.commit != resolve_commit(tree, "HEAD")


def _impact(findings, view, tree: Path, knowledge, cache_dir, jobs, progress=None):
    from reviewbot.analysis import analyse_source
    from reviewbot.impact import ImpactInput, affected_drivers, changed_macros
    from reviewbot.scan import scan_tree

    if not changed_macros(findings, knowledge):
        return ()
    if progress:
        progress(0, 0)  # the tree-wide part starts here (walk, prefilter, scan, grouping)
    last = max((s.index for s in view.status), default=0)

    def scan() -> list[Finding]:
        logger.info("scanning %s for small kmalloc buffers used for inbound DMA", tree)
        result = scan_tree(tree, knowledge, jobs=jobs, cache_dir=cache_dir, progress=progress)
        return list(result.findings)

    impact_input = ImpactInput(
        root=tree,
        touched=frozenset(view.versions),
        read_post=lambda path: view.text(path, last),
    )
    return affected_drivers(
        findings,
        impact_input,
        knowledge,
        scan=scan,
        analyse_post=lambda path, text: analyse_source(path, text, knowledge),
    )
