"""``check --format checkpatch``: the lines ``checkpatch.pl --terse`` prints, for b4 and CI.

``b4 am``/``b4 shazam`` (``b4.am-perpatch-check-cmd``) and ``b4 prep
--check`` (``b4.prep-perpatch-check-cmd``) feed each patch to a command on
standard input and read its output as checkpatch's: every line is one
report, ``fail`` when it holds ``ERROR:``, a warning otherwise, and no
output at all means the patch passed. So, as ``checkpatch.pl -q --terse
--no-summary --mailback`` (what b4 runs by default):

- one line per finding the series introduced (and no later patch of it
  removes): ``-:LINE: ERROR: message [rule]`` (``WARNING:``, ``CHECK:``
  for info), LINE counting lines of the input as checkpatch does. It
  always points at an added line of the patch the finding belongs to:
  the finding's own line when the patch adds it, else the line that made
  the buffer (the stack array, the kvmalloc call), else an added line
  naming the buffer; never a line of another patch of the mbox (issue 25).
  Without one input to count in (a git range), ``FILE:LINE:`` as
  checkpatch's --showfile, at the line in the code after the series;
- a patch read from its hunks only gets a ``WARNING:`` of its own (at its
  first added line): it must not pass as if it had been read whole;
- no ``total:`` summary (b4 would count it as one more warning), and
  nothing when there is nothing to report (pre-existing hazards are never
  blamed on the patch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reviewbot.diffpaths import tree_path
from reviewbot.model import Finding, Review, Series, Severity
from reviewbot.render.as_text import hunks_only_text
from reviewbot.render.locations import final_location
from reviewbot.render.reply_quote import buffer_pattern
from reviewbot.render.terminal import visible

# Lines of one call statement after its first (as reply_quote follows them).
_CONTINUATION = 8
_LEVEL = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "CHECK"}
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
# An mbox "From " line: "From <sha> Mon Sep 17 00:00:00 2001", "From mboxrd@z Thu Jan  1 ...".
_MAIL_START = re.compile(r"^From \S+ +\w{3} \w{3} +\d+ \d+:\d+:\d+ \d{4}\s*$")
_MSGID = re.compile(r"^message-id:\s*<([^>]*)>\s*$", re.IGNORECASE)
_SUBJECT_COUNTER = re.compile(r"^subject:.*\[[^\]]*?(\d+)/\d+\s*\]", re.IGNORECASE)


@dataclass
class MailDiff:
    """The diff of one patch mail: each added or removed row with its input line."""

    # (file, post-image line, input line, text) of every "+" row
    added: list[tuple[str, int, int, str]] = field(default_factory=list)
    # input line of the first "-" row per file (a patch that only removes)
    removed: dict[str, int] = field(default_factory=dict)

    def added_at(self, file: str, line: int) -> int | None:
        return next((at for f, n, at, _ in self.added if f == file and n == line), None)


def read_mail_diff(rows: list[str], first: int) -> MailDiff:
    """The rows of one mail (``first``: the input line number of ``rows[0]``).

    Each hunk is read for exactly the lines its header counts, so a
    signature (``-- ``) or the next mail is never taken for a diff row.
    """
    out = MailDiff()
    file = None
    old_left = new_left = 0
    target = 0
    for i, row in enumerate(rows):
        if old_left or new_left:
            tag = row[:1]
            if tag == "+":
                if file is not None:
                    out.added.append((file, target, first + i, row[1:]))
                target += 1
                new_left -= 1
            elif tag == "-":
                if file is not None:
                    out.removed.setdefault(file, first + i)
                old_left -= 1
            elif tag == " " or row == "":
                target += 1
                old_left -= 1
                new_left -= 1
            elif tag != "\\":
                old_left = new_left = 0  # a damaged hunk: stop reading it
            continue
        if row.startswith("+++ "):
            name = row[4:].split("\t")[0].strip()
            file = None if name == "/dev/null" else tree_path(name)
            continue
        m = _HUNK.match(row)
        if m:
            target = int(m.group(3))
            old_left = int(m.group(2)) if m.group(2) is not None else 1
            new_left = int(m.group(4)) if m.group(4) is not None else 1
    return out


def mail_diffs(text: str, series: Series) -> dict[int, MailDiff]:
    """Patch index -> the diff of its own mail in ``text`` (a patch or an mbox).

    A mail is found by its Message-Id; mail without one (format-patch
    files without --thread) by its ``[PATCH n/m]`` counter, or as the only
    mail. Nothing is taken from another patch's mail.
    """
    rows = text.split("\n")
    starts = [i for i, row in enumerate(rows) if _MAIL_START.match(row)]
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    bounds = list(zip(starts, [*starts[1:], len(rows)], strict=True))
    by_msgid: dict[str, tuple[int, int]] = {}
    by_counter: dict[int, tuple[int, int]] = {}
    for a, b in bounds:
        for row in rows[a:b]:
            if not row.strip():
                break  # the end of the headers
            m = _MSGID.match(row)
            if m:
                by_msgid.setdefault(m.group(1), (a, b))
            m = _SUBJECT_COUNTER.match(row)
            if m:
                by_counter.setdefault(int(m.group(1)), (a, b))
    out: dict[int, MailDiff] = {}
    for p in series.patches:
        span = by_msgid.get(p.msgid) or by_counter.get(p.index)
        if span is None and len(series.patches) == 1 and len(bounds) == 1:
            span = bounds[0]
        if span is not None:
            out[p.index] = read_mail_diff(rows[span[0]:span[1]], span[0] + 1)
    return out


def added_line_for(f: Finding, diff: MailDiff) -> int | None:
    """The input line of the added line of this patch that ``f`` is about, or None.

    In turn: the finding's own line; an added argument line of the call it
    starts; the line its memory comes from (the stack array, the
    allocation); the added line naming the buffer nearest to it; the
    patch's first added line in the file; the patch's first added line;
    its first removed line in the file (a patch that only removes, as
    dropping an alignment annotation).
    """
    at = diff.added_at(f.file, f.line)
    if at is not None:
        return at
    in_file = [(n, row, text) for file, n, row, text in diff.added if file == f.file]
    pattern = buffer_pattern(f.buffer)
    naming = [(n, row) for n, row, text in in_file if pattern and pattern.search(text)]
    # the call's own argument line (a call spanning lines, its buffer changed)
    for n, row in naming:
        if f.line < n <= f.line + _CONTINUATION:
            return row
    origin = f.detail("origin_line")
    if origin and origin.isdigit():
        at = diff.added_at(f.file, int(origin))
        if at is not None:
            return at
    if naming:
        return min((abs(n - f.line), row) for n, row in naming)[1]
    if in_file:
        return in_file[0][1]
    if diff.added:
        return diff.added[0][2]
    return diff.removed.get(f.file)


def _report(where: str, level: str, message: str, tag: str) -> str:
    return f"{where}: {level}: {' '.join(message.split())} [{tag}]"


def render_checkpatch(review: Review, text: str | None) -> str:
    """checkpatch's terse report of ``review``; ``text`` is the input it was read from."""
    own = sorted(
        (f for f in review.findings if f.counts_against),
        key=lambda f: (f.patch or 0, f.file, f.line, f.rule),
    )
    partial = review.hunks_only
    if not own and not partial:
        return ""
    diffs = mail_diffs(text, review.series) if text is not None else {}
    lines = []
    files = {p.index: p.files for p in review.series.patches}
    for index, why in partial:
        diff = diffs.get(index)
        if diff is not None and diff.added:
            where = f"-:{diff.added[0][2]}"
        else:  # no input to count in (a git range): the patch's first file
            where = files[index][0] if files.get(index) else "-"
        lines.append(_report(where, "WARNING", f"reviewbot {hunks_only_text(why)}", "hunks-only"))
    for f in own:
        diff = diffs.get(f.patch or 0)
        at = added_line_for(f, diff) if diff is not None else None
        if at is not None:
            where = f"-:{at}"
        else:
            file, line = final_location(review, f)
            where = f"{file}:{line}" if line is not None else file
        lines.append(_report(where, _LEVEL[f.severity], f.message, f.rule))
    return visible("\n".join(lines) + "\n")
