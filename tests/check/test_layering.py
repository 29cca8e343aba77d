"""The check's stage modules stay stages: no front-end imports, no printing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reviewbot

ROOT = Path(reviewbot.__file__).resolve().parent
STAGES = ["baseline.py", "render/sarif.py", "render/github.py", "render/b4check.py"]


@pytest.mark.parametrize("rel", STAGES)
def test_stage_module_does_not_reach_the_front_end(rel: str):
    tree = ast.parse((ROOT / rel).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    front = {m for m in imported if m.startswith(("reviewbot.commands", "reviewbot.cli"))}
    assert not front, f"{rel} imports {front}"
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & {"print", "exit"}, f"{rel} prints or exits"
