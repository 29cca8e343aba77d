"""Plain-text helpers for reply bodies: wrapping, tidying, tables, rule documentation.

Wrapping is done once, on the rendered body, so a user's own template gets
the same ``reply.wrap``-column lines. Prose is wrapped; quoted lines
(``>``), indented lines (tables, commands to copy, as the kernel test robot
indents them) and the signature separator are never touched, because code
and tables must stay as they were laid out: tables are built to fit 80
columns instead.

No line of a body may read as a trailer to b4 (``Name: value`` with an
address or a link): ``b4 am``/``b4 shazam`` collect those from every
follow-up and, with ``-S``, add them to the commits. A line that would is
prefixed with ``| ``, the way the kernel test robot offers its tags.
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
# What b4's LoreMessage.find_trailers(body, followup=True) takes for a
# trailer (b4 0.16): `name: value` at the start of a line, blanks allowed
# before it, where the value holds an address, or the name is one b4 knows
# without one (links, Fixes, base-commit...).
_B4_TRAILER = re.compile(r"^\s*(\w\S+):\s+(\S.*)")
_B4_PERSON = re.compile(r"\S+@\S+\.\S+")
_B4_IGNORED = {"phone", "mail", "email", "e-mail", "prerequisite-message-id"}
_B4_NONPERSON = {
    "link",
    "buglink",
    "closes",
    "fixes",
    "subject",
    "date",
    "obsoleted-by",
    "change-id",
    "base-commit",
}
_B4_LINKS = {"link", "buglink", "closes"}


def one_line(text: str | None) -> str:
    """Mail text for a single line of the body: no line breaks of any kind."""
    if not text:
        return ""
    return " ".join(_BREAKS.sub(" ", text).replace("\n", " ").split())


def reads_as_trailer(line: str) -> bool:
    """Whether b4 would collect ``line`` of a follow-up as a trailer."""
    m = _B4_TRAILER.match(line)
    if not m:
        return False
    name, value = m.group(1).lower(), m.group(2)
    if name in _B4_IGNORED or not name.isascii():
        return False
    if not _B4_PERSON.search(value) and name not in _B4_NONPERSON:
        return False
    if re.search(r"https?://", value) and name not in _B4_LINKS:
        return False
    return name != "fixes" or bool(re.match(r"[0-9a-f]{6,}", value))


def _defused(line: str) -> str:
    """A line b4 would take for a trailer, prefixed so it takes it for text."""
    if line.startswith(">") or not reads_as_trailer(line):
        return line
    return "| " + line


def _wrap_line(line: str, width: int) -> list[str]:
    if len(line) <= width or line[:1] in (">", "\t", " ") or line == "-- ":
        return [line]
    if _TRAILER.match(line):
        return [line]
    m = _HANGING.match(line)
    indent = re.match(r"\s*", line).group(0)
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
    signature = False
    for raw in text.split("\n"):
        line = _BREAKS.sub(" ", raw)
        if line != "-- ":
            line = line.rstrip()
        signature = signature or line == "-- "
        for piece in _wrap_line(line, width):
            if not piece and (not out or not out[-1]):
                continue
            out.append(piece if signature else _defused(piece))
    # b4 first joins `Name: Long Name` + a next line that is only `<address>`.
    for i in range(len(out) - 1):
        if re.fullmatch(r"<[^>]+>", out[i + 1]) and re.match(r"^\S+:\s+[^<]+$", out[i]):
            out[i] = "| " + out[i]
            out[i + 1] = "| " + out[i + 1]
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    indent: str = "  ",
    right: Sequence[int] = (),
) -> list[str]:
    """Left-aligned columns separated by two spaces (the last column is not padded).

    Columns listed in ``right`` (numbers) are right-aligned.
    """
    cols = [list(headers), *[[one_line(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cols) for i in range(len(headers))]
    lines = []
    for r in cols:
        cells = []
        for i, c in enumerate(r):
            if i in right:
                cells.append(c.rjust(widths[i]))
            elif i < len(r) - 1:
                cells.append(c.ljust(widths[i]))
            else:
                cells.append(c)
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def packed(items: Sequence[str], indent: str, width: int = 80) -> list[str]:
    """``items`` joined by ", " on lines of at most ``width`` columns, never split inside one."""
    lines: list[str] = []
    current = ""
    for n, item in enumerate(items):
        piece = one_line(item) + ("," if n < len(items) - 1 else "")
        if current and len(indent) + len(current) + 1 + len(piece) > width:
            lines.append(indent + current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        lines.append(indent + current)
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
