"""The facts diff rules read: the lines of one patched file, comments stripped.

Diff rules (minalign-definition, minalign-usage) are about the change
itself, not about one image of the code. They look at each hunk's run of
removed and added lines, with comments stripped so that rewording a comment
never fires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from unidiff import PatchedFile
from unidiff.patch import Hunk

from reviewbot.analysis.c.hunks import header_function
from reviewbot.knowledge import Knowledge

DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)(\(\s*\w*\s*\))?(.*)$")
_COMMENT = re.compile(r"/\*.*?\*/|//.*$|^\s*\*.*$|/\*.*$")


@dataclass(frozen=True)
class Line:
    number: int  # post-image line (or the next post line for a removed one)
    text: str  # code only
    kind: str  # "+", "-", " "


@dataclass(frozen=True)
class DiffHunk:
    lines: tuple[Line, ...]
    header: str  # the hunk's section header (usually the enclosing function)

    @property
    def function(self) -> str | None:
        return header_function(self.header)


@dataclass(frozen=True)
class DiffFile:
    """One patched file as diff rules see it."""

    path: str
    hunks: tuple[DiffHunk, ...]
    knowledge: Knowledge

    @property
    def arch(self) -> str:
        """The architecture a path belongs to (``generic`` outside ``arch/``)."""
        m = re.match(r"arch/([^/]+)/", self.path)
        return m.group(1) if m else "generic"


def diff_file(path: str, pf: PatchedFile, knowledge: Knowledge) -> DiffFile:
    return DiffFile(path, tuple(DiffHunk(_lines(h), h.section_header or "") for h in pf),
                    knowledge)


def _lines(hunk: Hunk) -> tuple[Line, ...]:
    out = []
    next_target: int = hunk.target_start
    for line in hunk:
        text = _COMMENT.sub(" ", line.value.rstrip("\r\n"))
        if (line.is_added or line.is_context) and line.target_line_no is not None:
            next_target = line.target_line_no
        kind = "+" if line.is_added else "-" if line.is_removed else " "
        out.append(Line(next_target, text, kind))
    return tuple(out)


def change_blocks(lines: tuple[Line, ...]) -> list[list[Line]]:
    """Runs of removed and added lines between context lines."""
    blocks: list[list[Line]] = []
    current: list[Line] = []
    for ln in lines:
        if ln.kind == " ":
            if current:
                blocks.append(current)
            current = []
        else:
            current.append(ln)
    if current:
        blocks.append(current)
    return blocks


def as_written(value: str) -> str:
    """The value for a message: blanks kept (single), redundant outer parentheses dropped."""
    value = " ".join(value.split())
    while value.startswith("(") and value.endswith(")") and \
            value[1:-1].count("(") == value[1:-1].count(")"):
        value = value[1:-1].strip()
    return value


def normalise(value: str) -> str:
    """``( 16 )`` and ``16`` define the same thing."""
    value = "".join(value.split())
    while value.startswith("(") and value.endswith(")") and \
            value[1:-1].count("(") == value[1:-1].count(")"):
        value = value[1:-1]
    return value
