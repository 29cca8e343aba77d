"""Pre- and post-image fragments of a file, rebuilt from a patch's hunks alone.

Without a kernel tree a patch still shows the code around each change.
Context plus removed lines is what the file looked like before, context plus
added lines after. Each side becomes one text in which every hunk line sits
at its real line number (the rest are blank lines), so findings carry true
post-image lines. A hunk that starts inside a function is wrapped in that
function's header from the ``@@ ... @@ static int foo(...)`` line (or a stub
with its name), so tree-sitter sees statements where statements belong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from unidiff import PatchedFile

STUB_FUNCTION = "__reviewbot_unknown_function"

_NAME = re.compile(r"([A-Za-z_]\w*)\s*\(")
_AGGREGATE_OPEN = re.compile(
    r"^\s*(?:typedef\s+)?(?:static\s+)?(?:const\s+)?(?:struct|union|enum)\b[^()]*\{")
_AGGREGATE = re.compile(r"^\s*(?:typedef\s+)?(?:struct|union|enum)\s+\w+\s*\{?\s*$")
_STRINGS = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'')
_COMMENTS = re.compile(r"/\*.*?\*/|//.*$")


@dataclass(frozen=True)
class Side:
    """One image of a file as far as the hunks show it."""

    text: str
    changed: frozenset[int]  # lines added (post) or removed (pre)
    headers: tuple[str, ...]  # function names from the hunk headers


@dataclass(frozen=True)
class HunkLine:
    number: int
    text: str
    changed: bool


def header_function(section_header: str) -> str | None:
    """The function a hunk header names, if it looks like a function."""
    if "=" in section_header or _AGGREGATE.match(section_header):
        return None
    m = _NAME.search(section_header)
    return m.group(1) if m else None


def sides(pf: PatchedFile) -> tuple[Side, Side]:
    """(pre, post) fragments of one patched file."""
    pre_hunks, post_hunks = [], []
    for hunk in pf:
        pre, post = [], []
        for line in hunk:
            text = line.value.rstrip("\r\n")
            if line.is_context or line.is_removed:
                pre.append(HunkLine(line.source_line_no or 0, text, line.is_removed))
            if line.is_context or line.is_added:
                post.append(HunkLine(line.target_line_no or 0, text, line.is_added))
        header = hunk.section_header or ""
        pre_hunks.append((pre, header))
        post_hunks.append((post, header))
    return _side(pre_hunks), _side(post_hunks)


def _side(hunks: list[tuple[list[HunkLine], str]]) -> Side:
    """Lay the hunks out at their line numbers, balancing braces between them.

    Hunks are one stream: a hunk that continues the function the previous one
    left open stays inside it (its declarations stay visible), anything else
    closes what is open and opens what the next hunk needs.
    """
    lines: dict[int, str] = {}
    changed = set()
    names = []
    depth = 0
    open_fn: str | None = None  # the function the stream is inside, by name
    outer_close = "}"
    in_comment = False
    for numbered, header in hunks:
        if not numbered:
            continue
        name = header_function(header)
        if name:
            names.append(name)
        for hl in numbered:
            lines[hl.number] = hl.text
            if hl.changed:
                changed.add(hl.number)
        texts = [hl.text for hl in numbered]
        low, delta, starts_in_comment, ends_in_comment, opened = _scan(texts)
        initialiser = "=" in header or bool(_AGGREGATE.match(header))
        need = max(-low, min(_indent_depth(texts), 1) if initialiser else _indent_depth(texts))
        prefix = "*/ " if in_comment and not starts_in_comment else ""
        if depth and (need == 0 or name != open_fn):
            prefix += _closers(depth, outer_close)
            depth = 0
        if depth > need:
            prefix += "}" * (depth - need)
            depth = need
        if depth < need:
            if depth == 0:
                outer, outer_close = _outer(header)
                open_fn = name
                prefix += outer
                depth = 1
            prefix += " {" * (need - depth)
            depth = need
        if depth == 0 and _opens_body(texts) and name:
            prefix += " " + _outer(header)[0].removesuffix("{")  # the hunk starts at '{'
            open_fn = name
        if starts_in_comment and not in_comment:
            prefix += " /*"
        _put_before(lines, numbered[0].number, prefix.strip())
        if depth + low <= 0 and opened is not None:
            # The hunk itself opens what stays open: an initialiser or struct needs '};'.
            outer_close = "};" if "=" in opened or _AGGREGATE_OPEN.match(opened) else "}"
        depth = max(depth + delta, 0)
        cut = _open_parens(texts)
        if cut:
            _put_after(lines, numbered[-1].number, cut)  # a call cut off mid-arguments
        if depth == 0 and _ends_in_declarator(texts):
            _put_after(lines, numbered[-1].number, ";")  # a header whose body is cut off
        open_fn = _last_defined(texts) or open_fn
        in_comment = ends_in_comment
    last = max(lines, default=0)
    tail = ("*/ " if in_comment else "") + _closers(depth, outer_close)
    if tail.strip():
        lines[last + 1] = tail
    top = max(lines, default=0)
    text = "\n".join(lines.get(i, "") for i in range(1, top + 1))
    return Side(text + "\n" if text else "", frozenset(changed), tuple(names))


def _last_defined(texts: list[str]) -> str | None:
    """Name of the last function whose definition starts (in column 0) in the hunk."""
    for text in reversed(texts):
        if text[:1].isalpha() or text[:1] == "_":
            name = header_function(text)
            if name and not text.rstrip().endswith(";"):
                return name
    return None


def _closers(depth: int, outer_close: str) -> str:
    """Close ``depth`` open braces; a function body first ends a cut statement."""
    if not depth:
        return ""
    return ("; " if outer_close == "}" else "") + "}" * (depth - 1) + outer_close


def _open_parens(texts: list[str]) -> str:
    """What closes the parentheses the hunk's last statement leaves open."""
    tail = []
    for text in reversed(texts):
        code, _ = _code_of(text, False)
        tail.append(code)
        if any(c in code for c in ";{}"):
            break
    code = "".join(reversed(tail))
    code = code[max(code.rfind(";"), code.rfind("{"), code.rfind("}")) + 1:]
    depth = code.count("(") - code.count(")")
    if depth <= 0:
        return ""
    dangling = code.rstrip()[-1:] in tuple(",(*+-|&=?:<>/%^!~")
    return ("0" if dangling else "") + ")" * depth


def _ends_in_declarator(texts: list[str]) -> bool:
    last = next((t for t in reversed(texts) if t.strip()), "")
    return last.rstrip().endswith(")") and not last.lstrip().startswith(("#", "*", "/"))


def _put_after(lines: dict[int, str], last: int, suffix: str) -> None:
    if last + 1 not in lines:
        lines[last + 1] = suffix
    else:
        lines[last] = lines[last] + " " + suffix


def _put_before(lines: dict[int, str], first: int, prefix: str) -> None:
    if not prefix:
        return
    if first > 1 and first - 1 not in lines:
        lines[first - 1] = prefix
    else:
        lines[first] = prefix + " " + lines[first]


def _opens_body(texts: list[str]) -> bool:
    first_code = next((t for t in texts if t.strip()), "")
    return first_code.rstrip() == "{"


def _indent_depth(texts: list[str]) -> int:
    """Blocks to open before the hunk, judged by kernel indentation (one tab a level).

    Continuation lines over-count, which costs nothing: an extra '{' inside a
    function is just a nested block, closed again after the hunk.
    """
    first_code = next((t for t in texts if t.strip() and not t.lstrip().startswith(("*", "/*"))),
                      "")
    if first_code[:1] not in (" ", "\t"):
        return 0
    tabs = len(first_code) - len(first_code.lstrip("\t"))
    return max(tabs, 1)


def _scan(texts: list[str]) -> tuple[int, int, bool, bool, str | None]:
    """Brace and comment state of a hunk.

    Returns (lowest depth, net depth change, starts in a comment, ends in
    one, the code line whose '{' is the outermost one still open at the end,
    counted from the hunk's start).
    """
    depth = low = 0
    openers: list[str] = []  # lines of the braces opened since the lowest point
    in_comment = starts = _starts_in_comment(texts)
    for text in texts:
        code, in_comment = _code_of(text, in_comment)
        for ch in code:
            if ch == "{":
                depth += 1
                openers.append(code)
            elif ch == "}":
                depth -= 1
                low = min(low, depth)
                if openers:
                    openers.pop()
    opened = openers[0] if openers else None
    return low, depth, starts, in_comment, opened


def _starts_in_comment(texts: list[str]) -> bool:
    """True when the hunk opens in the middle of a block comment (' * text')."""
    for text in texts:
        s = text.strip()
        if not s:
            continue
        return s == "*" or s.startswith(("* ", "*/", "*\t"))
    return False


def _outer(header: str) -> tuple[str, str]:
    header = header.strip()
    if not header:
        return f"void {STUB_FUNCTION}(void) {{", "}"
    if "=" in header:
        return (header if header.endswith("{") else header + " {"), "};"
    if _AGGREGATE.match(header):
        return (header if header.endswith("{") else header + " {"), "};"
    if header.count("(") == header.count(")") and not header.endswith(";"):
        return (header if header.endswith("{") else header + " {"), "}"
    name = header_function(header) or STUB_FUNCTION
    return f"void {name}(void) {{", "}"


def _code_of(text: str, in_comment: bool) -> tuple[str, bool]:
    """Code part of a line (strings and comments blanked), and whether a comment stays open."""
    if in_comment:
        end = text.find("*/")
        if end < 0:
            return "", True
        text = text[end + 2:]
    text = _COMMENTS.sub(" ", _STRINGS.sub('""', text))
    start = text.find("/*")
    if start >= 0:
        return text[:start], True
    if text.lstrip().startswith("#"):
        return "", False
    return text, False
