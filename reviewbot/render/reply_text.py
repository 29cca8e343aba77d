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

from reviewbot.model import Finding

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


def alignment_change(f: Finding) -> str | None:
    """"definition" or "usage" when the finding's rule reports an alignment-macro change.

    Asked of the rule (``Rule.alignment_change``), never read from its id.
    """
    try:
        from reviewbot.analysis.rules import find
    except ImportError:
        return None
    r = find(f.rule)
    return r.alignment_change.value if r is not None and r.alignment_change else None


def changes_alignment_macro(f: Finding) -> bool:
    """A series-wide matter: what an alignment macro means changes."""
    return alignment_change(f) is not None


def moves_to_dma_level(f: Finding) -> bool:
    """Code switched from kmalloc-level to DMA-level alignment (``IIO_DMA_MINALIGN`` to
    ``ARCH_DMA_MINALIGN``): what a series lowering kmalloc's alignment does to keep
    DMA buffers isolated, the fix rather than a problem."""
    return alignment_change(f) == "usage" and f.buffer is None and f.detail("level") == "dma"


def in_series_reply(f: Finding) -> bool:
    """Said in the series reply's tables: a definition change or a switch between levels.

    A buffer aligned with a kmalloc-level macro (the same rule's use check) is
    a problem of the patch that adds it, not a change of what a macro means.
    """
    kind = alignment_change(f)
    return kind == "definition" or (kind == "usage" and f.buffer is None)


def series_only(f: Finding) -> bool:
    """Said once, in the series reply, and in no patch's reply: there is nothing to
    fix in the patch (a definition change needs the drivers audited; a move to
    DMA-level alignment is the fix)."""
    return alignment_change(f) == "definition" or moves_to_dma_level(f)


def fitted_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int = 80,
    indent: str = "  ",
    right: Sequence[int] = (),
) -> list[str]:
    """``table`` within ``width`` columns: a value too wide is named, not expanded.

    While the table is too wide, its widest value becomes a mark (``[1]``;
    the same value everywhere gets the same mark) and is written out under
    the table, wrapped to ``width``: a macro defined two ways
    (``ARCH_DMA_MINALIGN / __alignof__(unsigned long long)``) no longer
    pushes a row to 125 columns.
    """
    cells = [[one_line(c) for c in r] for r in rows]
    notes: list[str] = []
    lines = table(headers, cells, indent, right)
    while max(len(line) for line in lines) > width:
        widest = max(
            ((len(c), c) for r in cells for c in r if not re.fullmatch(r"\[\d+\]", c)),
            default=(0, ""),
        )
        mark = f"[{len(notes) + 1}]"
        if widest[0] <= len(mark):
            break
        value = widest[1]
        cells = [[mark if c == value else c for c in r] for r in cells]
        notes += textwrap.wrap(
            value,
            width=width,
            initial_indent=f"{indent}{mark} ",
            subsequent_indent=indent + " " * (len(mark) + 1),
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines = table(headers, cells, indent, right)
    return lines + (["", *notes] if notes else [])
