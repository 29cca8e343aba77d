"""semgrep-style rule tests: every flagged and every silent line is pinned.

``tests/rules/<rule>/*.c`` (or ``.h``) are analysed with analyse_source;
``*.patch`` files are analysed as a one-patch series and only introduced
findings count. An annotation comment alone on a line applies to the next
code line; one at the end of a code line applies to that line:

    /* ruleid: dma-stack */      the next line must be reported for dma-stack
    /* ok: dma-stack */          the next line must not be
    /* todo-ruleid: dma-stack */ a known miss: not required, not failed

For each annotated rule the set of reported lines must equal the ruleid lines
(todo lines aside), and no other rule may fire anywhere in the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewbot.analysis import RULES, analyse_series, analyse_source
from reviewbot.model import Finding

from .diffs import series

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
_ANNOTATION = re.compile(
    r"(?:/\*|//)\s*(ruleid|ok|todo-ruleid):\s*([\w-]+(?:\s*,\s*[\w-]+)*)"
    r"(?:\s*\([^)]*\))?\s*(?:\*/)?")
_KINDS = ("ruleid", "ok", "todo-ruleid")


def rule_files() -> list[Path]:
    return sorted(p for p in RULES_DIR.rglob("*") if p.suffix in (".c", ".h", ".patch"))


def annotations(lines: list[tuple[int, str]]) -> dict[str, dict[str, set[int]]]:
    """kind -> rule -> lines, from (line number, text) pairs of one image."""
    out: dict[str, dict[str, set[int]]] = {k: {} for k in _KINDS}
    pending: list[tuple[str, list[str]]] = []
    for number, text in lines:
        m = _ANNOTATION.search(text)
        code = _ANNOTATION.sub("", text).strip()
        if m:
            entry = (m.group(1), [r.strip() for r in m.group(2).split(",")])
            if not code:
                pending.append(entry)
                continue
            pending.append(entry)
        if not code or (not m and code.startswith(("/*", "*", "//"))):
            continue  # annotations apply to code, past blank and comment lines
        for kind, rules in pending:
            for rule in rules:
                out[kind].setdefault(rule, set()).add(number)
        pending = []
    return out


def post_image_lines(patch_text: str) -> list[tuple[int, str]]:
    from unidiff import PatchSet
    out = []
    for pf in PatchSet(patch_text):
        for hunk in pf:
            for line in hunk:
                if line.is_added or line.is_context:
                    out.append((line.target_line_no, line.value.rstrip("\n")))
    return out


def findings_for(path: Path, knowledge) -> tuple[list[Finding], list[tuple[int, str]]]:
    text = path.read_text()
    if path.suffix == ".patch":
        found = [f for f in analyse_series(series(text), knowledge) if f.introduced]
        return found, post_image_lines(text)
    found = analyse_source(str(path.relative_to(RULES_DIR)), text, knowledge)
    return found, list(enumerate(text.splitlines(), start=1))


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: str(p.relative_to(RULES_DIR)))
def test_rule_file(path: Path, knowledge) -> None:
    found, lines = findings_for(path, knowledge)
    marks = annotations(lines)
    annotated = set().union(*(marks[k].keys() for k in _KINDS))
    assert annotated, f"{path.name} has no annotations"
    reported: dict[str, set[int]] = {}
    for f in found:
        reported.setdefault(f.rule, set()).add(f.line)
    unexpected = {r: sorted(ls) for r, ls in reported.items() if r not in annotated}
    assert not unexpected, f"findings of rules the file does not annotate: {unexpected}"
    for rule in sorted(annotated):
        expected = marks["ruleid"].get(rule, set())
        todo = marks["todo-ruleid"].get(rule, set())
        got = reported.get(rule, set()) - todo
        silent = marks["ok"].get(rule, set())
        assert not got & silent, f"{rule} fired on ok lines {sorted(got & silent)}"
        assert got == expected, (f"{rule}: missed {sorted(expected - got)}, "
                                 f"unexpected {sorted(got - expected)}")
    for (rule, line), (key, want) in notes(lines).items():
        have = {getattr(f, key).value for f in found if f.rule == rule and f.line == line}
        assert have == {want}, f"{rule} at line {line}: {key} {sorted(have)}, want {want}"


_NOTE = re.compile(r"(?:/\*|//)\s*ruleid:\s*([\w-]+)\s*\((confidence|severity):\s*(\w+)\)")


def notes(lines: list[tuple[int, str]]) -> dict[tuple[str, int], tuple[str, str]]:
    """(rule, line) -> (finding attribute, value) from '(confidence: low)' style notes."""
    out = {}
    marks = annotations(lines)
    for number, text in lines:
        m = _NOTE.search(text)
        if m:
            later = sorted(n for n in marks["ruleid"].get(m.group(1), set()) if n >= number)
            if later:
                out[(m.group(1), later[0])] = (m.group(2), m.group(3))
    return out


def test_every_rule_has_three_positive_and_three_negative_cases() -> None:
    counts = {r.id: {"ruleid": 0, "ok": 0} for r in RULES}
    for path in rule_files():
        text = path.read_text()
        for m in _ANNOTATION.finditer(text):
            for rule in (r.strip() for r in m.group(2).split(",")):
                assert rule in counts, f"{path}: unknown rule {rule}"
                if m.group(1) in ("ruleid", "ok"):
                    counts[rule][m.group(1)] += 1
    thin = {r: c for r, c in counts.items() if c["ruleid"] < 3 or c["ok"] < 3}
    assert not thin, f"rules with fewer than 3 positive or negative cases: {thin}"


def test_rule_folders_are_rules() -> None:
    ids = {r.id for r in RULES}
    folders = {p.name for p in RULES_DIR.iterdir() if p.is_dir()}
    assert folders <= ids, f"folders that are not rules: {folders - ids}"


def test_annotation_parser_applies_comment_to_next_code_line() -> None:
    lines = list(enumerate(["/* ruleid: dma-stack */", "", "foo();",
                            "bar(); /* ok: dma-stack */",
                            "\t/* todo-ruleid: dma-stack (a note on why) */", "baz();"], start=1))
    marks = annotations(lines)
    assert marks["ruleid"] == {"dma-stack": {3}}
    assert marks["ok"] == {"dma-stack": {4}}
    assert marks["todo-ruleid"] == {"dma-stack": {6}}


# Sinks no finding can come from: outbound regmap, where the bus (invisible at the
# call) decides, and on I2C copies. Each must still be named by an ``ok:`` case.
SILENT_BY_DESIGN = frozenset({"regmap_bulk_write", "regmap_raw_write", "regmap_noinc_write"})


def test_every_sink_is_named_by_a_hand_written_case(knowledge) -> None:
    """Each call and field sink of config/dma.toml is the sink of a finding on a ``ruleid:``
    line of tests/rules: deleting one from the data then fails that case.

    tests/analysis/test_knowledge_entries.py builds its cases from the data itself, so a
    deleted entry deletes its own test (issue 26: five sinks went unnoticed).
    """
    named: set[str] = set()
    silent: set[str] = set()
    for path in rule_files():
        found, lines = findings_for(path, knowledge)
        marks = annotations(lines)
        named |= {f.sink for f in found
                  if f.sink and f.line in marks["ruleid"].get(f.rule, set())}
        ok_lines = {n for rules in marks["ok"].values() for n in rules}
        silent |= {name for n, text in lines if n in ok_lines
                   for name in SILENT_BY_DESIGN if f"{name}(" in text}
    sinks = {s.function for s in knowledge.sinks} | {
        f"{fs.struct}.{fs.field}" for fs in knowledge.field_sinks}
    assert sinks >= SILENT_BY_DESIGN, "a silent sink left the data: update SILENT_BY_DESIGN"
    unnamed = sorted(sinks - SILENT_BY_DESIGN - named)
    assert not unnamed, f"sinks without a hand-written positive case in tests/rules: {unnamed}"
    assert silent == SILENT_BY_DESIGN, f"silent sinks without an ok: case: " \
                                       f"{sorted(SILENT_BY_DESIGN - silent)}"
