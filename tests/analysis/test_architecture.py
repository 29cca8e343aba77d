"""The analysis core keeps the shape docs/architecture.md describes.

The layers and the absence of import cycles are import-linter contracts
(pyproject.toml, run by scripts/test.sh); what they cannot see is checked
here: no state hidden in ``__dict__``, no reach into another module's
private names, and no tree-sitter node in what the rules are given.
"""

from __future__ import annotations

import ast
import dataclasses
import typing
from pathlib import Path

import pytest

from reviewbot.analysis.flow import origin, sharing, sinks, transfer

ANALYSIS = Path(__file__).resolve().parents[2] / "reviewbot" / "analysis"
SOURCES = sorted(ANALYSIS.rglob("*.py"))


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ANALYSIS.parent.parent).with_suffix("").parts)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ANALYSIS)))
def test_no_state_is_kept_in_dunder_dict(path: Path) -> None:
    tree = ast.parse(path.read_text())
    uses = [n.lineno for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and n.attr == "__dict__"]
    assert not uses, f"{path.name}: __dict__ at lines {uses}; keep state in an explicit object"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ANALYSIS)))
def test_no_module_imports_another_modules_private_names(path: Path) -> None:
    tree = ast.parse(path.read_text())
    me = _module(path)
    bad = [(n.lineno, n.module, a.name) for n in ast.walk(tree)
           if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("reviewbot")
           and n.module != me for a in n.names if a.name.startswith("_")]
    assert not bad, f"{path.name} imports private names: {bad}"


def _mentions_node(tp: object, seen: set[int]) -> bool:
    if id(tp) in seen:
        return False
    seen.add(id(tp))
    if getattr(tp, "__module__", "").startswith("tree_sitter"):
        return True
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        return any(_mentions_node(h, seen) for h in hints.values())
    return any(_mentions_node(a, seen) for a in typing.get_args(tp))


@pytest.mark.parametrize("value", [transfer.Transfer, origin.Origin, sharing.Neighbourhood],
                         ids=lambda t: t.__name__)
def test_what_rules_judge_holds_no_tree_sitter_node(value: type) -> None:
    assert not _mentions_node(value, set())


def test_the_node_check_would_see_a_node() -> None:
    # the check above can fail: the flow layer's own SinkUse does carry the node
    assert _mentions_node(sinks.SinkUse, set())
