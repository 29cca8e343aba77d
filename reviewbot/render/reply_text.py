"""Plain-text helpers for reply bodies: wrapping, tidying, tables, rule documentation.

Wrapping is done once, on the rendered body, so a user's own template gets
the same 72-column lines; quoted lines (``>``), tab-indented lines (commands
to copy, as the kernel test robot indents them) and the signature separator
are never touched, because code must stay as it was written.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

# Characters str.splitlines() would treat as line breaks, other than "\n".
_BREAKS = re.compile(r"[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# A bullet or a lower-case "key: value" (metadata, table notes): continuation
# lines hang under the text after it. Prose starts with a capital and does not.
_HANGING = re.compile(r"^\s*(?:[-*]|\d+[.)]|\||[a-z][\w-]{0,20}:)\s+(?=\S)")

# Trailers (``Reported-by:``, ``Closes:``...) must stay on one line, also
# behind the kernel test robot's "| " prefix, or tools stop reading them.
_TRAILER = re.compile(r"^(?:\|\s*)?(?:[A-Z][A-Za-z]*-by|Closes|Link|Fixes|Cc):\s")


def one_line(text: str | None) -> str:
    """Mail text for a single line of the body: no line breaks of any kind."""
    if not text:
        return ""
    return " ".join(_BREAKS.sub(" ", text).replace("\n", " ").split())


def _wrap_line(line: str, width: int) -> list[str]:
    if len(line) <= width or line.startswith((">", "\t")) or line == "-- ":
        return [line]
    if _TRAILER.match(line):
        return [line]
    m = _HANGING.match(line)
    indent = line[: len(line) - len(line.lstrip())]
    hang = " " * len(m.group(0)) if m else indent
    if len(line[len(hang) :].split()) <= 1:
        return [line]  # one long token (a URL after "url:"): breaking it helps nobody
    wrapped = textwrap.wrap(
        line.strip(),
        width=width,
        initial_indent=indent,
        subsequent_indent=hang,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapped or [line]


def tidy_body(text: str, width: int = 72) -> str:
    """Wrap unquoted lines at ``width``, drop trailing blanks, squeeze blank runs.

    Only "\\n" separates lines: any other line-break character in mail text
    becomes a space, so text from a mail can never turn a quoted line into
    an unquoted one (or the reverse).
    """
    out: list[str] = []
    for raw in text.split("\n"):
        line = _BREAKS.sub(" ", raw)
        if line != "-- ":
            line = line.rstrip()
        for piece in _wrap_line(line, width):
            if not piece and (not out or not out[-1]):
                continue
            out.append(piece)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Left-aligned columns separated by two spaces (the last column is not padded)."""
    cols = [list(headers), *[[one_line(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cols) for i in range(len(headers))]
    lines = []
    for r in cols:
        cells = [c.ljust(widths[i]) for i, c in enumerate(r[:-1])] + [r[-1]]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


@dataclass(frozen=True)
class RuleDoc:
    summary: str
    why: str
    fix: str
    read: str


def rule_doc(rule_id: str) -> RuleDoc:
    """What a rule's documentation says, or a pointer to ``reviewbot explain``.

    The documentation lives with the rule in the analysis package; when that
    is not importable (or does not know the rule) the reply still points at
    the command that prints it.
    """
    fallback = RuleDoc("", "", "", f"see `reviewbot explain {rule_id}`")
    try:
        from reviewbot.analysis.rules import rule
    except ImportError:
        return fallback
    from reviewbot.errors import ReviewbotError

    try:
        r = rule(rule_id)
    except ReviewbotError:
        return fallback
    return RuleDoc(r.summary, r.why, r.fix, r.read[0] if r.read else fallback.read)
