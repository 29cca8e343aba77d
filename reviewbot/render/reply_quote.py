"""The few diff lines a remark is about, quoted the way a maintainer trims a patch.

A remark sits right under the line it is about: the quote runs from a few
lines before the offending post-image line to the end of its statement,
inside one hunk, never the whole patch. Quoted code is kept byte for byte
(only trailing blanks go), so nothing rewraps it.
"""

from __future__ import annotations

from dataclasses import dataclass

from unidiff import PatchSet

_MAX_CONTINUATION = 4


@dataclass(frozen=True)
class Quote:
    file: str
    lines: tuple[str, ...]  # each starts with ">"


def _post_path(pf) -> str:
    return pf.source_file[2:] if pf.is_removed_file else pf.path


def _ends_statement(text: str) -> bool:
    text = text.rstrip()
    return not text or text.endswith((";", "{", "}", ":")) or text.lstrip().startswith("#")


def quote_lines(diff: PatchSet, file: str, line: int, before: int = 3) -> Quote | None:
    """Quote the diff around post-image ``line`` of ``file``, or None when it is not in a hunk."""
    for pf in diff:
        if _post_path(pf) != file:
            continue
        for hunk in pf:
            rows = list(hunk)
            at = next(
                (
                    i
                    for i, row in enumerate(rows)
                    if not row.is_removed and row.target_line_no == line
                ),
                None,
            )
            if at is None:
                continue
            start = max(0, at - before)
            while start < at and not rows[start].value.strip():
                start += 1
            end = at
            while (
                end + 1 < len(rows)
                and end - at < _MAX_CONTINUATION
                and not _ends_statement(rows[end].value)
            ):
                end += 1
            lines = tuple(f"> {row.line_type}{row.value}".rstrip() for row in rows[start : end + 1])
            return Quote(file=file, lines=lines)
    return None
