"""The quick test run docs/contributing.md names exists and means what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_the_quick_run_collects_the_analysis_replies_and_check_tests():
    env = dict(os.environ, REVIEWBOT_VENV=str(Path(sys.executable).parent.parent))
    proc = subprocess.run(["bash", "scripts/test.sh", "--quick", "--collect-only", "-q"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    per_folder: dict[str, int] = {}
    for m in re.finditer(r"^tests/(\w+)/\S+\.py: (\d+)$", proc.stdout, re.M):
        per_folder[m[1]] = per_folder.get(m[1], 0) + int(m[2])
    assert set(per_folder) == {"analysis", "replies", "check"}, per_folder
    assert sum(per_folder.values()) >= 600


def test_contributing_notes_name_the_quick_run():
    text = (ROOT / "docs/contributing.md").read_text()
    assert "bash scripts/test.sh --quick" in text
