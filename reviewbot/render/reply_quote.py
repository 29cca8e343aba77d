"""The few diff lines a remark is about, quoted the way a maintainer trims a patch.

A remark sits right under the line it is about: the quote runs from a few
lines before the offending post-image line to the end of its statement,
inside one hunk, never the whole patch. When the finding names the first
line of a call that spans lines, the statement is followed over removed
lines too, and until the added line holding the buffer is in the quote:
a quote that stops at the ``-`` line just above it shows the old code, not
the problem. The quote opens with an ``@@`` line for exactly the rows
shown, carrying the hunk's function context, so the reader knows where it
is without the whole hunk. Quoted code is kept byte for byte (only trailing
blanks go), so nothing rewraps it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from unidiff import PatchSet

from reviewbot.diffpaths import file_path

# Lines of one statement followed past the offending one (post-image lines).
_MAX_CONTINUATION = 8


@dataclass(frozen=True)
class Quote:
    file: str
    lines: tuple[str, ...]  # each starts with ">"
    # Index into ``lines`` of the line the remark is about (the ``+`` line
    # holding the buffer when there is one).
    marked: int = 0


def _ends_statement(text: str) -> bool:
    text = text.rstrip()
    return not text or text.endswith((";", "{", "}", ":")) or text.lstrip().startswith("#")


def buffer_pattern(buffer: str | None) -> re.Pattern[str] | None:
    """A pattern for the buffer as it is written in code: ``&val``, ``st->rx``, ``buf``."""
    if not buffer:
        return None
    text = buffer.strip().lstrip("&*( ").rstrip(") ")
    if not text:
        return None
    return re.compile(r"(?<![\w>.])" + re.escape(text) + r"(?![\w])")


def _header(hunk, rows, start: int, section: str) -> str:
    """``@@ -a,b +c,d @@ context`` for exactly the rows quoted (``start`` rows into the hunk)."""
    before = rows[:start]
    shown = rows[start:]
    a = hunk.source_start + sum(1 for r in before if not r.is_added)
    c = hunk.target_start + sum(1 for r in before if not r.is_removed)
    n_old = sum(1 for r in shown if not r.is_added)
    n_new = sum(1 for r in shown if not r.is_removed)
    # As git writes it: an empty side names the line before the change.
    a -= n_old == 0
    c -= n_new == 0
    head = f"@@ -{a},{n_old} +{c},{n_new} @@"
    # git names the function the hunk starts in; a quote starting further down may be in
    # the next one: name the last function line the quote skipped, as git would
    for r in reversed(before):
        if not r.is_removed and _FUNCNAME.match(r.value):
            section = r.value
            break
    return f"{head} {section.strip()}".rstrip()


# A line git's default funcname rule takes for a function's start, in kernel style: at
# column 0, a name, a parenthesis (not a label, not a preprocessor line, not a brace).
_FUNCNAME = re.compile(r"^[A-Za-z_][\w \t\*]*\(")


# How far above the offending line a quote reaches back for the line the
# buffer's memory comes from (its allocation or declaration), in diff rows.
_MAX_ORIGIN_REACH = 12


def quote_lines(
    diff: PatchSet,
    file: str,
    line: int,
    before: int = 3,
    buffer: str | None = None,
    origin: int | None = None,
) -> Quote | None:
    """Quote the diff around post-image ``line`` of ``file``, or None when it is not in a hunk.

    ``origin`` is the post-image line the buffer's memory comes from (the
    ``kmalloc(4, ...)``, the stack array): when the same hunk has it a few
    rows above, the quote starts there, so the reader sees both lines the
    remark is about and the patch's own lines between them.
    """
    pattern = buffer_pattern(buffer)
    for pf in diff:
        if file_path(pf) != file:
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
            end = at
            # The statement starting at `at`, read in the post-image: removed
            # lines are part of the quote but never end the statement.
            last_post = at
            followed = 0
            while end + 1 < len(rows) and followed < _MAX_CONTINUATION:
                if _ends_statement(rows[last_post].value):
                    break
                end += 1
                if not rows[end].is_removed:
                    last_post = end
                    followed += 1
            end = last_post
            marked = at
            if pattern is not None and not (rows[at].is_added and pattern.search(rows[at].value)):
                holder = next(
                    (
                        i
                        for i in range(at, end + 1)
                        if rows[i].is_added and pattern.search(rows[i].value)
                    ),
                    None,
                )
                if holder is not None:
                    marked = holder
            start = max(0, at - before)
            if origin is not None and origin < line:
                first = next(
                    (
                        i
                        for i, row in enumerate(rows)
                        if not row.is_removed and row.target_line_no == origin
                    ),
                    None,
                )
                if first is not None and at - first <= _MAX_ORIGIN_REACH:
                    start = min(start, first)
            while start < at and not rows[start].value.strip():
                start += 1
            shown = rows[start : end + 1]
            lines = [f"> {_header(hunk, rows[: end + 1], start, hunk.section_header)}"]
            lines += [f"> {row.line_type}{row.value}".rstrip() for row in shown]
            return Quote(file=file, lines=tuple(lines), marked=1 + marked - start)
    return None
