"""Make real patch series against the 6.1 tree: git commits, then format-patch.

Only the files a series touches are copied into a scratch repository, so a
series costs no copy of the 1.5 GB tree; the mail is the same as if it had
been cut from a full clone.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

ENV = {
    "GIT_AUTHOR_NAME": "Bench Author",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "Bench Author",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "PATH": "/usr/bin:/bin",
}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=ENV
    ).stdout


def make_series(
    kernel: Path, patches: list[tuple[str, list[tuple[str, str, str]]]], out: Path
) -> list[Path]:
    """patches: (subject, [(path, old, new)]); writes one .patch per commit into ``out``."""
    work = Path(tempfile.mkdtemp(prefix="reviewbot-bench-"))
    try:
        paths = sorted({p for _, edits in patches for p, _, _ in edits})
        for p in paths:
            (work / p).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(kernel / p, work / p)
        _git(work, "init", "-q")
        _git(work, "add", "-A")
        _git(work, "commit", "-q", "-m", "base")
        for subject, edits in patches:
            for p, old, new in edits:
                text = (work / p).read_text()
                if text.count(old) != 1:
                    raise SystemExit(f"{subject}: {old!r} is not in {p} exactly once")
                (work / p).write_text(text.replace(old, new))
            _git(
                work,
                "commit",
                "-q",
                "-am",
                f"{subject}\n\nBenchmark change.\n\nSigned-off-by: Bench Author <bench@example.org>",
            )
        out.mkdir(parents=True, exist_ok=True)
        for f in out.glob("*.patch"):
            f.unlink()
        _git(
            work,
            "format-patch",
            "-q",
            "--cover-letter",
            "--thread",
            "-o",
            str(out),
            f"HEAD~{len(patches)}",
        )
        return sorted(out.glob("*.patch"))
    finally:
        shutil.rmtree(work)
