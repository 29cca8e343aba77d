"""Wire the stages for one series: intake's Series in, a Review out.

Front ends (review, check, watch) all call this, so a series is judged the
same way whichever door it came through. With a tree, each patch that
applies is analysed on whole files (pre- and post-image); a patch that
does not apply falls back to its hunks alone; and a series that changes an
alignment macro gets the list of drivers that depend on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from reviewbot.diffpaths import file_path
from reviewbot.model import JUDGED_ON, Finding, PatchStatus, Review, Series

if TYPE_CHECKING:
    from reviewbot.analysis.facts.platforms import Platforms
    from reviewbot.analysis.facts.profile import TreeProfile
    from reviewbot.scan.cache import ScanCache
    from reviewbot.scan.tree_memo import KconfigMemo

logger = logging.getLogger(__name__)


def review_series(
    series: Series,
    *,
    tree: Path | None = None,
    knowledge=None,  # reviewbot.knowledge.Knowledge; loaded lazily when None
    cache_dir: Path | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    parse_work: int | None = None,
    assume: Sequence[str] = (),
) -> Review:
    """Review ``series``; ``progress(done, total)`` is told how a tree-wide scan goes.

    Files the parser refuses (more than ``parse_work`` steps, limits.parse_work;
    binary, too big or too deeply nested) end in ``Review.unanalysed``. Findings
    are judged on the tree's profile as it is after the series, or on a shipped
    one without a tree (``assume`` may name one, and add what-ifs: analysis/trees.py).
    """
    from reviewbot.analysis import ParseBudget, analyse_series
    from reviewbot.analysis.trees import describe, judged_tree
    from reviewbot.impact import changed_macros, split_guesses
    from reviewbot.knowledge import load_knowledge

    knowledge = knowledge or load_knowledge()
    budget = ParseBudget(parse_work) if parse_work else ParseBudget()
    if tree is None:
        judged = judged_tree(None, None, assume, knowledge)
        findings = analyse_series(series, knowledge, budget=budget, tree=judged)
        status = tuple(PatchStatus(p.index, False) for p in series.patches)
        notes = [f"{JUDGED_ON}{describe(judged)} (no tree)", *_unanalysed_notes(budget)]
        if changed_macros(findings, knowledge):
            notes.append(
                "this series changes an alignment macro: give --tree to list "
                "the drivers that depend on it"
            )
        return Review(
            series=series,
            findings=tuple(findings),
            patch_status=status,
            notes=tuple(notes),
            unanalysed=tuple(budget.unparsed),
        )

    from reviewbot.analysis.facts.profile import tree_arches
    from reviewbot.apply import apply_series

    view = apply_series(series, tree)
    memo: _TreeMemo | None = None
    try:

        def images(path: str, index: int) -> tuple[str | None, str | None] | None:
            if not view.applied(index):
                return None
            return view.text(path, index - 1), view.text(path, index)

        last = max((p.index for p in series.patches), default=0)

        def after(path: str) -> str | None:  # the tree as the series leaves it
            return view.text(path, last)

        arches = tree_arches(tree)
        memo = _TreeMemo(view, tree, knowledge, arches, cache_dir)
        judged = judged_tree(after, arches, assume, knowledge, profile=memo.after_profile)
        findings = analyse_series(series, knowledge, images, budget=budget, tree=judged,
                                  platforms=memo.platforms)
        memo.keep()
        findings = [_with_excerpt(f, series, view) for f in findings]
        missing: list[str] = []  # files of the tree the impact scan could not analyse

        def before(path: str) -> str | None:  # the tree the series applies to
            return view.text(path, 0)

        # the impact compares the tree's facts before and after the series (what-ifs on
        # both, so --assume kmalloc-minalign=8 asks what the series adds to that)
        was = judged_tree(before, arches, assume, knowledge, profile=memo.base_profile)
        drivers = _impact(findings, view, tree, knowledge, cache_dir, jobs, progress, missing,
                          budget.work, was, judged, memo.platforms)
        drivers, guessed = split_guesses(drivers)
    finally:
        if memo is not None:
            memo.close()
        view.close()
    notes = [f"{JUDGED_ON}{describe(judged)}", *view.notes, *_unanalysed_notes(budget)]
    if missing:
        notes.append(
            f"{len(missing)} file(s) of the tree were not analysed, so the affected drivers "
            f"may be incomplete: {', '.join(missing[:5])}" + (", ..." if len(missing) > 5 else "")
        )
    if drivers and _checkout_differs(view, tree):
        notes.append(
            "affected drivers were found in the files checked out in the tree, which are "
            "not at the commit the series was applied to"
        )
    for st in view.status:
        if not st.applied:
            notes.append(
                f"patch {st.index} does not apply ({st.error}); hunks only: "
                "analysed from its hunks alone"
            )
    return Review(
        series=series,
        findings=tuple(findings),
        affected_drivers=drivers,
        guessed_drivers=guessed,
        base=view.base_name,
        patch_status=view.status,
        notes=tuple(notes),
        unanalysed=tuple(budget.unparsed),
    )


class _TreeMemo:
    """What a review reads from the base tree's own files, from the scan cache when they
    are unchanged (scan/tree_memo.py): the tree profile and the Kconfig walk.

    The profile after the series is the base's when the series touches none of the
    files it was read from; the Kconfig walk serves every patch while the series
    leaves every non-C file alone (a Kconfig or Makefile change: each side is walked
    as it is). Without a cache folder everything is read from the tree.
    """

    def __init__(self, view, tree: Path, knowledge, arches: Sequence[str],
                 cache_dir: Path | None) -> None:
        from reviewbot.apply.base import GitBase

        self.view, self.tree, self.arches = view, tree, arches
        self.commit = view.base.commit if isinstance(view.base, GitBase) else None
        self.cache: ScanCache | None = None
        if cache_dir is not None:
            from reviewbot.scan.cache import open_cache

            self.cache = open_cache(cache_dir, tree, "tree-memo")
        self._base: TreeProfile | None = None
        self.platforms: Platforms | None = None
        self._kconfig: KconfigMemo | None = None
        if all(p.endswith((".c", ".h")) for p in view.versions):
            from reviewbot.analysis.facts.headers import tree_platforms

            kconfig: KconfigMemo | None = None
            if self.cache is not None:
                from reviewbot.scan.tree_memo import KconfigMemo

                kconfig = self._kconfig = KconfigMemo(self.cache, tree, self.commit)
            # the kept walk is read when a finding first asks where its driver runs
            self.platforms = tree_platforms(
                lambda path: view.text(path, 0), knowledge,
                load_walk=(lambda: kconfig.walk) if kconfig is not None else None)

    def base_profile(self) -> TreeProfile:
        if self._base is None:
            from reviewbot.scan.tree_memo import tree_profile

            self._base = tree_profile(self.cache, self.tree, self.commit,
                                      lambda path: self.view.text(path, 0), self.arches)
        return self._base

    def after_profile(self) -> TreeProfile:
        base = self.base_profile()
        if not set(self.view.versions) & set(base.files):
            return base
        from reviewbot.analysis.facts.profile import read_profile

        last = max((s.index for s in self.view.status), default=0)
        return read_profile(lambda path: self.view.text(path, last), self.arches)

    def keep(self) -> None:
        """Store the Kconfig walk if the review made one."""
        if self._kconfig is not None and self.platforms is not None:
            self._kconfig.keep(self.platforms.walked())

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
            self.cache = None


def _unanalysed_notes(budget) -> list[str]:
    return [
        f"patch {u.patch}: {u.file} was not analysed ({u.reason}); its findings are missing"
        for u in budget.unparsed
    ]


def _in_hunks(patch, path: str, line: int) -> bool:
    for pf in patch.diff:
        if file_path(pf) != path:
            continue
        for hunk in pf:
            if hunk.target_start <= line < hunk.target_start + max(1, hunk.target_length):
                return True
    return False


def _with_excerpt(f: Finding, series: Series, view) -> Finding:
    """A finding outside the lines its patch shows, with those lines from the tree.

    Whole-function analysis finds sinks in code the patch does not touch (a
    buffer from probe() used in an untouched read()); the reply has no diff
    line to quote there, so the lines after the patch are attached as
    ``details["excerpt"]`` ("N<TAB>code" per line, the finding's line last
    but the rest of its statement).
    """
    patch = next((p for p in series.patches if p.index == f.patch), None)
    if patch is None or not f.line or not view.applied(patch.index):
        return f
    if _in_hunks(patch, f.file, f.line):
        return f
    text = view.text(f.file, patch.index)
    if text is None:
        return f
    lines = text.split("\n")
    if f.line > len(lines):
        return f
    end = f.line
    while (
        end < len(lines)
        and end - f.line < 4
        and not lines[end - 1].rstrip().endswith((";", "{", "}"))
    ):
        end += 1
    rows = [f"{n}\t{lines[n - 1]}" for n in range(max(1, f.line - 2), end + 1)]
    return replace(f, details=(*f.details, ("excerpt", "\n".join(rows))))


def _checkout_differs(view, tree: Path) -> bool:
    """True when a git tree's HEAD is not the base the series was applied to."""
    from reviewbot.apply.base import GitBase, resolve_commit

    return isinstance(view.base, GitBase) and view.base.commit != resolve_commit(tree, "HEAD")


def _impact(findings, view, tree: Path, knowledge, cache_dir, jobs, progress=None,
            missing: list[str] | None = None, parse_work: int | None = None,
            before=None, after=None, platforms=None):
    from reviewbot.analysis import analyse_source
    from reviewbot.analysis.facts.headers import HeaderIndex
    from reviewbot.impact import ImpactInput, affected_drivers, changed_macros
    from reviewbot.impact.changes import changed_arches
    from reviewbot.scan import scan_tree

    moved = before is not None and after is not None and (
        changed_arches(before, after) or before.dma_level != after.dma_level)
    if not changed_macros(findings, knowledge) and not moved:
        return ()
    if progress:
        progress(0, 0)  # the tree-wide part starts here (walk, prefilter, scan, grouping)
    last = max((s.index for s in view.status), default=0)

    def scan() -> list[Finding]:
        logger.info("scanning %s for small kmalloc buffers used for inbound DMA", tree)
        result = scan_tree(tree, knowledge, jobs=jobs, cache_dir=cache_dir, progress=progress,
                           parse_work=parse_work)
        if missing is not None:
            missing.extend(u.file for u in result.unanalysed)
        return list(result.findings)

    impact_input = ImpactInput(
        root=tree,
        touched=frozenset(view.versions),
        read_post=lambda path: view.text(path, last),
        skip_dirs=knowledge.skip_dirs,
    )
    # the tree after the series: its headers' structs and Kconfig reach, for the touched
    # files analysed again and for where a macro's user can be built
    headers = HeaderIndex(lambda path: view.text(path, last), knowledge, platforms=platforms)
    return affected_drivers(
        findings,
        impact_input,
        knowledge,
        scan=scan,
        analyse_post=lambda path, text: analyse_source(path, text, knowledge, headers=headers),
        before=before,
        after=after,
        arches_of=headers.arches_of,
    )
