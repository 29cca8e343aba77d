"""Issue 26, item 9: a file over the parse-work cap is listed by scan, never cached as clean.

It used to be dropped from scan's JSON and Markdown, and its empty result
was cached: a warm rescan did not even print the one stderr line. Now
every format lists it with the reason, a warm rescan (served from the
cache, nothing parsed) lists it again, and a bigger budget analyses it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.hardening.series import reviewbot
from tests.hardening.test_fail_closed import KNOT

KNOT_C = "drivers/misc/knot.c"
REASON = "parsing needs more than 300 steps (limits.parse_work)"


@pytest.fixture
def world(tmp_path) -> tuple[Path, Path, Path]:
    """(tree with a file needing ~800 parse steps, a 300-step budget, a cache folder)."""
    tree = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", tree)
    (tree / KNOT_C).parent.mkdir(parents=True, exist_ok=True)
    (tree / KNOT_C).write_text("\n".join(KNOT) + "\n")
    budget = tmp_path / "budget.toml"
    budget.write_text("[limits]\nparse_work = 300\n")
    return tree, budget, tmp_path / "cache"


def _scan(world, fmt: str, *, budget: bool = True):
    tree, config, cache = world
    args = ["--config", str(config)] if budget else []
    proc = reviewbot(*args, "scan", "--format", fmt, "--cache-dir", str(cache), str(tree))
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode(), proc.stderr.decode()


def test_scan_json_lists_a_file_over_the_parse_work_cap(world):
    out, err = _scan(world, "json")
    data = json.loads(out)
    assert data["unanalysed"] == [{"file": KNOT_C, "reason": REASON}]
    assert KNOT_C in err


def test_scan_text_and_markdown_list_it_too(world):
    text, _ = _scan(world, "text")
    assert f"Not analysed (their findings are missing):\n  {KNOT_C}: {REASON}\n" in text
    summary = text.rstrip().splitlines()[-2]  # the last line says what was read
    assert summary.endswith("; 1 file(s) not analysed (their findings are missing)")
    md, _ = _scan(world, "markdown")
    assert f"## Not analysed\n\nThese files were not read to the end; their findings are " \
           f"missing.\n\n- `{KNOT_C}`: {REASON}\n" in md


def test_a_warm_rescan_still_lists_it_and_says_so(world):
    _scan(world, "json")
    out, err = _scan(world, "json")
    data = json.loads(out)
    assert data["stats"]["parsed"] == 0, "the rescan is served by the cache"
    assert data["unanalysed"] == [{"file": KNOT_C, "reason": REASON}]
    assert f"1 file(s) not analysed, listed in the output: {KNOT_C}" in err


def test_a_bigger_budget_analyses_what_a_smaller_one_could_not(world):
    _scan(world, "json")
    out, _ = _scan(world, "json", budget=False)  # the bundled 50,000 steps
    data = json.loads(out)
    assert data["unanalysed"] == []
    assert data["stats"]["parsed"] >= 1


def test_the_affected_driver_list_of_a_what_if_lists_it_cold_and_warm(world):
    """scan --by-maintainer returned before the list of files not analysed was made."""
    tree, config, cache = world
    for _ in range(2):  # cold, then served by the cache
        proc = reviewbot("--config", str(config), "scan", "--assume", "kmalloc-minalign=8",
                         "--by-maintainer", "--cache-dir", str(cache), str(tree))
        assert proc.returncode == 0, proc.stderr.decode()
        out = proc.stdout.decode()
        assert f"## Not analysed: 1 file(s)\n\nTheir drivers may be missing from the list " \
               f"above.\n\n- `{KNOT_C}`: {REASON}\n" in out
        assert f"1 file(s) not analysed, listed in the output: {KNOT_C}" in \
            proc.stderr.decode()
