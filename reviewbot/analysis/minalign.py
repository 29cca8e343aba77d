"""Changes to what the alignment macros mean, read from a diff.

These two rules are about the change itself, not about one image of the
code: a redefinition of ``ARCH_KMALLOC_MINALIGN`` (minalign-definition) or a
line that trades a kmalloc-level alignment for a DMA-level one
(minalign-usage). They look at each run of removed and added lines, with
comments stripped so that rewording a comment never fires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from unidiff import PatchedFile

from reviewbot.analysis.hunks import header_function
from reviewbot.analysis.rules import rule
from reviewbot.knowledge import Knowledge
from reviewbot.model import Confidence, Finding

_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)(\(\s*\w*\s*\))?(.*)$")
_COMMENT = re.compile(r"/\*.*?\*/|//.*$|^\s*\*.*$|/\*.*$")
_TOKEN = re.compile(r"\b[A-Za-z_]\w*\b")
_SWITCH_LEVELS = ("kmalloc", "dma")


@dataclass(frozen=True)
class _Line:
    number: int  # post-image line (or the next post line for a removed one)
    text: str  # code only
    kind: str  # "+", "-", " "


def diff_findings(path: str, pf: PatchedFile, knowledge: Knowledge) -> list[Finding]:
    """minalign-definition and minalign-usage findings of one patched file."""
    out: list[Finding] = []
    for hunk in pf:
        lines = _lines(hunk)
        out.extend(_definitions(path, lines, hunk.section_header or "", knowledge))
        out.extend(_switches(path, lines, hunk.section_header or "", knowledge))
    return out


def _lines(hunk) -> list[_Line]:
    out = []
    next_target = hunk.target_start
    for line in hunk:
        text = _COMMENT.sub(" ", line.value.rstrip("\r\n"))
        if line.is_added or line.is_context:
            next_target = line.target_line_no
        kind = "+" if line.is_added else "-" if line.is_removed else " "
        out.append(_Line(next_target, text, kind))
    return out


def arch_of(path: str) -> str:
    m = re.match(r"arch/([^/]+)/", path)
    return m.group(1) if m else "generic"


def _definitions(path: str, lines: list[_Line], header: str,
                 knowledge: Knowledge) -> list[Finding]:
    watched = {m.name: m for m in knowledge.macros if m.watch_definition}
    before: dict[str, list[str]] = {}
    after: dict[str, list[tuple[str, int]]] = {}
    touched: dict[str, int] = {}
    # Compared without blanks, shown as written: `__alignof__(unsigned long long)`.
    shown: dict[str, str] = {}
    for ln in lines:
        m = _DEFINE.match(ln.text)
        if not m or m.group(1) not in watched:
            continue
        raw = (m.group(2) or "") + m.group(3)
        name, value = m.group(1), _normalise(raw)
        shown.setdefault(value, _as_written(raw))
        if ln.kind in "- ":
            before.setdefault(name, []).append(value)
        if ln.kind in "+ ":
            after.setdefault(name, []).append((value, ln.number))
        if ln.kind != " ":
            touched.setdefault(name, ln.number)
    arch = arch_of(path)
    out = []
    for name, line in touched.items():
        old = before.get(name, [])
        new = [v for v, _ in after.get(name, [])]
        if old == new:
            continue
        at = next((n for v, n in after.get(name, []) if v not in old), line)
        out.append(_definition_finding(
            path, at, name, arch, [shown[v] for v in old], [shown[v] for v in new], knowledge))
    fn = header_function(header)
    runtime = [m.name for m in watched.values() if m.level == "runtime"]
    changed = [ln for ln in lines if ln.kind != " " and ln.text.strip()]
    for name in runtime:
        if changed and (fn == name or any(re.search(rf"\b{name}\s*\(\s*void\s*\)", ln.text)
                                          for ln in lines)):
            old = [ln.text.strip() for ln in changed if ln.kind == "-"]
            new = [ln.text.strip() for ln in changed if ln.kind == "+"]
            at = next((ln.number for ln in changed if ln.kind == "+"), changed[0].number)
            out.append(_definition_finding(path, at, name, arch, old, new, knowledge))
    return out


def _normalise(value: str) -> str:
    """``( 16 )`` and ``16`` define the same thing."""
    value = "".join(value.split())
    while value.startswith("(") and value.endswith(")") and \
            value[1:-1].count("(") == value[1:-1].count(")"):
        value = value[1:-1]
    return value


def _as_written(value: str) -> str:
    """The value for a message: blanks kept (single), redundant outer parentheses dropped."""
    value = " ".join(value.split())
    while value.startswith("(") and value.endswith(")") and \
            value[1:-1].count("(") == value[1:-1].count(")"):
        value = value[1:-1].strip()
    return value


def _definition_finding(path: str, line: int, name: str, arch: str, old: list[str],
                        new: list[str], knowledge: Knowledge) -> Finding:
    macro = knowledge.macro(name)
    default = macro.value_for(arch) if macro is not None else None
    was = " / ".join(old) if old else "not defined here" + (
        f" (default for {arch}: {default})" if default else "")
    now = " / ".join(new) if new else "removed here" + (
        f" (falls back to the default; {arch} had {default})" if default else "")
    r = rule("minalign-definition")
    return Finding(
        rule=r.id, severity=r.severity, file=path, line=line, function=None, buffer=name,
        sink=None, direction=None,
        message=f"{name} for {arch} changes from {was} to {now}: drivers that rely on this "
                "alignment for DMA safety change behaviour; audit them (reviewbot scan)",
        confidence=Confidence.HIGH,
        details=(("macro", name), ("arch", arch), ("before", was), ("after", now)))


def _switches(path: str, lines: list[_Line], header: str,
              knowledge: Knowledge) -> list[Finding]:
    out = []
    for block in _change_blocks(lines):
        removed = _tokens([ln for ln in block if ln.kind == "-"], knowledge)
        added = _tokens([ln for ln in block if ln.kind == "+"], knowledge)
        gone = {t: lvl for t, lvl in removed.items() if t not in added}
        new = {t: lvl for t, lvl in added.items() if t not in removed}
        for old_level, new_level in (("kmalloc", "dma"), ("dma", "kmalloc")):
            olds = sorted(t for t, lvl in gone.items() if lvl == old_level)
            news = sorted(t for t, lvl in new.items() if lvl == new_level)
            if not olds or not news:
                continue
            added_lines = [ln for ln in block if ln.kind == "+" and news[0] in ln.text]
            ln = added_lines[0] if added_lines else block[-1]
            defined = _DEFINE.match(ln.text)
            site = defined.group(1) if defined else header_function(header)
            if defined and knowledge.macro(site) is not None and \
                    knowledge.macro(site).watch_definition:
                continue  # the definition rule reports this one
            out.append(_switch_finding(path, ln.number, site, olds[0], news[0], new_level))
    return out


def _switch_finding(path: str, line: int, site: str | None, old: str, new: str,
                    new_level: str) -> Finding:
    r = rule("minalign-usage")
    if new_level == "dma":
        why = ("the DMA minimum (128 bytes on arm64) replaces the kmalloc minimum (8 since "
               "v6.5): layouts and memory use grow; right for DMA buffers, waste elsewhere")
    else:
        why = ("the kmalloc minimum (8 bytes on arm64 since v6.5) replaces the DMA minimum: "
               "buffers aligned with it are no longer safe for inbound DMA")
    return Finding(
        rule=r.id, severity=r.severity, file=path, line=line, function=site, buffer=new,
        sink=None, direction=None,
        message=f"{site or 'this code'} switches from {old} to {new}: {why}",
        confidence=Confidence.HIGH, details=(("before", old), ("after", new)))


def _change_blocks(lines: list[_Line]) -> list[list[_Line]]:
    blocks, current = [], []
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


def _tokens(lines: list[_Line], knowledge: Knowledge) -> dict[str, str]:
    out = {}
    for ln in lines:
        for tok in _TOKEN.findall(ln.text):
            macro = knowledge.macro(tok)
            if macro is not None and macro.level in _SWITCH_LEVELS:
                out[tok] = macro.level
    return out
