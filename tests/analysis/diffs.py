"""Build real unified diffs and Series objects for analysis tests.

Tests write the file before and after (readable C) and let difflib produce the
hunks; section headers are added the way git does (the last line before the
hunk that starts with a letter, '_' or '$'), so hunk headers carry function
names as they do in mailed patches.
"""

from __future__ import annotations

import difflib
import re

from unidiff import PatchSet

from reviewbot.model import Patch, Person, Series

_FUNCNAME = re.compile(r"^[A-Za-z_$]")
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@$")
AUTHOR = Person("A U Thor", "author@example.org")


def unified(path: str, old: str, new: str, context: int = 3) -> str:
    """git-style diff text of one file (old == "" means a new file)."""
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    out = [f"diff --git a/{path} b/{path}\n"]
    body = list(difflib.unified_diff(old_lines, new_lines, f"a/{path}", f"b/{path}",
                                     n=context))
    for line in body:
        m = _HUNK.match(line.rstrip("\n"))
        if m:
            start = int(m.group(1))
            header = next((old_lines[i].rstrip("\n") for i in range(start - 2, -1, -1)
                           if _FUNCNAME.match(old_lines[i])), "")
            line = line.rstrip("\n") + (f" {header[:80]}" if header else "") + "\n"
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


def patch(index: int, diff_text: str, total: int = 1, subject: str = "") -> Patch:
    return Patch(index=index, total=total, msgid=f"<{index}@example.org>",
                 subject=subject or f"[PATCH {index}/{total}] test", author=AUTHOR,
                 date="Mon, 1 Jan 2024 00:00:00 +0000", commit_message="test",
                 diff_text=diff_text, diff=PatchSet(diff_text))


def series(*diff_texts: str) -> Series:
    total = len(diff_texts)
    patches = tuple(patch(i + 1, d, total) for i, d in enumerate(diff_texts))
    return Series(revision=1, subject="test series", patches=patches, expected=total,
                  msgid="<0@example.org>", author=AUTHOR)
