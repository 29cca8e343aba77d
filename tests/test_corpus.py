"""Every real mail in ../shared/corpus gives a result or a one-line error, quickly."""

from __future__ import annotations

import json
import time

import pytest

from reviewbot.cli import main
from tests.conftest import CORPUS

FILES = (
    sorted(p for p in CORPUS.glob("*/*") if p.is_file() and p.name != "README.md")
    if CORPUS.is_dir()
    else []
)


@pytest.mark.skipif(
    not FILES, reason=f"corpus folder {CORPUS} is absent (it ships beside the repo, not in it)"
)
@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_corpus_file(path, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    code = main(["review", "--format", "json", str(path)])
    elapsed = time.monotonic() - start
    out = capsys.readouterr()
    assert elapsed < 10, f"{path.name} took {elapsed:.1f}s"
    assert code in (0, 2), out.err
    if code == 0:
        data = json.loads(out.out)
        assert data["series"]["patches"], "a result must hold at least one patch"
    else:
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"reviewbot: {path}: "), out.err
    assert list(tmp_path.iterdir()) == [], "nothing may be written outside the output folder"
