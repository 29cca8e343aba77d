"""Where a finding is in the code after the series: the line SARIF and GitHub point at.

A finding's ``line`` is a line of the code after the patch in ``patch``
(the one that introduced it, or first touched it). Code scanning and pull
request annotations show the code after the *last* patch, where a later
patch of the series may have moved that line, or where the finding is gone
altogether: a small-kmalloc note put at ark3116.c:340 pointed at code that
had no kmalloc any more (issue 25). So each location is carried through
the later patches' hunks; a finding a later patch fixed has no line there,
and one a later patch replaced (``replaced_by``) is shown where its
replacement is.
"""

from __future__ import annotations

from unidiff import PatchedFile

from reviewbot.diffpaths import file_pair
from reviewbot.model import Finding, Review, Series


def through_patch(pf: PatchedFile, line: int) -> int | None:
    """Line ``line`` of the file before ``pf`` as a line after it (None: the file is deleted).

    A line the patch rewrites maps to the code that replaced it (the next
    line of the hunk that is not removed): that is where it is now.
    """
    if pf.is_removed_file:
        return None
    offset = 0
    for hunk in pf:
        # "-S,0" inserts after line S: line S itself stays where it is.
        start = hunk.source_start + (1 if hunk.source_length == 0 else 0)
        if line < start:
            break
        if line < start + hunk.source_length:
            rows = list(hunk)
            for i, row in enumerate(rows):
                if row.source_line_no != line:
                    continue
                if not row.is_removed:
                    return row.target_line_no
                after = next((r for r in rows[i:] if not r.is_removed), None)
                if after is not None and after.target_line_no is not None:
                    return after.target_line_no
                return max(1, hunk.target_start + max(hunk.target_length, 1) - 1)
            return None
        offset += hunk.target_length - hunk.source_length
    return line + offset


def final_line(series: Series, after: int, file: str, line: int) -> tuple[str, int] | None:
    """(file, line) after the last patch for ``line`` of ``file`` after patch ``after``."""
    if line < 1:
        return file, line
    for patch in sorted(series.patches, key=lambda p: p.index):
        if patch.index <= after:
            continue
        for pf in patch.diff:
            # git's quoted names (café.c is "caf\303\251.c") read as the tree's paths
            source, target = file_pair(pf)
            if pf.is_added_file or source != file:
                continue
            moved = through_patch(pf, line)
            if moved is None or target is None:
                return None
            file, line = target, moved
            break
    return file, line


def final_location(review: Review, f: Finding) -> tuple[str, int | None]:
    """(file, line or None) of ``f`` in the code after the series.

    None for the line when the code after the series does not show the
    finding: a later patch fixed it, or rewrote the file beyond following.
    A replaced finding is shown where its replacement is.
    """
    if f.patch is None:
        return f.file, f.line
    if f.fixed_in_patch is not None:
        if f.replaced_by is None:
            return f.file, None
        heir = next(
            (g for g in review.findings
             if g.rule == f.replaced_by and g.file == f.file and g.function == f.function
             and g.buffer == f.buffer and g.fixed_in_patch is None),
            None,
        )
        return final_location(review, heir) if heir is not None else (f.file, None)
    where = final_line(review.series, f.patch, f.file, f.line)
    return where if where is not None else (f.file, None)
