"""``check --format checkpatch``: the lines ``checkpatch.pl --terse`` prints, for b4 and CI.

``b4 am``/``b4 shazam`` (``b4.am-perpatch-check-cmd``) and ``b4 prep
--check`` (``b4.prep-perpatch-check-cmd``) feed each patch to a command on
standard input and read its output as checkpatch's: every line is one
report, ``fail`` when it holds ``ERROR:``, a warning otherwise, and no
output at all means the patch passed. So, as ``checkpatch.pl -q --terse
--mailback`` (what b4 runs by default):

- one line per finding the series introduced (and no later patch of it
  removes): ``-:LINE: ERROR: message [rule]`` (``WARNING:``, ``CHECK:``
  for info), LINE counting lines of the input as checkpatch does, so an
  editor or b4 points at the added line in the mail; a finding outside
  the lines the patch shows is ``FILE:LINE:`` (checkpatch's --showfile);
- then checkpatch's summary, ``total: N errors, M warnings, L lines
  checked`` (``, C checks`` when there are any);
- nothing when there is nothing to report (pre-existing hazards are never
  blamed on the patch).
"""

from __future__ import annotations

import re

from reviewbot.diffpaths import tree_path
from reviewbot.model import Finding, Review, Severity
from reviewbot.render.terminal import visible

_LEVEL = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "CHECK"}
# A row that starts the next file of the diff (git quotes some names: '--- "a/').
_NEXT_FILE = ("diff --git ", "+++ ", "--- a/", '--- "a/')
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def input_line(text: str, file: str, line: int, msgid: str = "") -> int | None:
    """The 1-based line of ``text`` (a patch or mbox) showing post-image ``line`` of ``file``.

    In an mbox of several patches the search starts at the mail whose
    Message-Id is ``msgid``, so a file two patches touch is found in the
    right one.
    """
    rows = text.split("\n")
    i = 0
    if msgid:
        want = re.compile(rf"^message-id:\s*<{re.escape(msgid)}>\s*$", re.IGNORECASE)
        i = next((n for n, row in enumerate(rows) if want.match(row)), 0)
    while i < len(rows):
        if not rows[i].startswith("+++ ") or tree_path(rows[i][4:].split("\t")[0]) != file:
            i += 1
            continue
        i += 1
        target = None
        while i < len(rows) and not rows[i].startswith(_NEXT_FILE):
            row = rows[i]
            m = _HUNK.match(row)
            if m:
                target = int(m.group(1))
            elif target is not None and row[:1] in (" ", "+"):
                if target == line:
                    return i + 1
                target += 1
            elif target is not None and row[:1] not in ("-", "\\"):
                target = None  # the end of the diff (a signature, the next mail)
            i += 1
    return None


def _line(f: Finding, text: str | None, msgid: str) -> str:
    at = input_line(text, f.file, f.line, msgid) if text is not None else None
    where = f"-:{at}" if at is not None else f"{f.file}:{f.line}"
    message = " ".join(f.message.split())
    return f"{where}: {_LEVEL[f.severity]}: {message} [{f.rule}]"


def render_checkpatch(review: Review, text: str | None) -> str:
    """checkpatch's terse report of ``review``; ``text`` is the input it was read from."""
    own = sorted(
        (f for f in review.findings if f.counts_against),
        key=lambda f: (f.patch or 0, f.file, f.line, f.rule),
    )
    if not own:
        return ""
    ids = {p.index: p.msgid for p in review.series.patches}
    lines = [_line(f, text, ids.get(f.patch or 0, "")) for f in own]
    n = {sev: sum(1 for f in own if f.severity is sev) for sev in Severity}
    checked = (
        len(text.split("\n"))
        if text is not None
        else sum(len(p.diff_text.split("\n")) for p in review.series.patches)
    )
    total = f"total: {n[Severity.ERROR]} errors, {n[Severity.WARNING]} warnings, "
    if n[Severity.INFO]:
        total += f"{n[Severity.INFO]} checks, "
    lines.append(f"{total}{checked} lines checked")
    return visible("\n".join(lines) + "\n")
