"""Real git repositories of kernel-style C for the check tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.check.kernel import BASE, DRIVER
from tests.skeleton import make_kernel_skeleton


class KernelRepo:
    """A throwaway git repository; every commit is a real ``git commit``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "master")
        self.git("config", "user.name", "A U Thor")
        self.git("config", "user.email", "author@example.org")
        self.git("config", "commit.gpgsign", "false")
        # committed with the first commit: reviewbot only takes a kernel tree as --tree
        self.git("add", *make_kernel_skeleton(root))

    def git(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", "-C", str(self.root), *args], capture_output=True, text=True, check=True
        )
        return proc.stdout.strip()

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def read(self, path: str) -> str:
        return (self.root / path).read_text()

    def commit(self, path: str, text: str, subject: str) -> str:
        self.write(path, text)
        self.git("add", path)
        self.git(
            "commit", "-q", "-m", subject, "-m", "Signed-off-by: A U Thor <author@example.org>"
        )
        return self.git("rev-parse", "HEAD")

    def branch(self, name: str, start: str) -> None:
        self.git("checkout", "-q", "-b", name, start)


@pytest.fixture
def repo(tmp_path: Path) -> KernelRepo:
    """A repository whose first commit is the clean driver; HEAD is that base."""
    r = KernelRepo(tmp_path / "linux")
    r.commit(DRIVER, BASE, "usb: widget: add driver")
    r.git("tag", "base")
    return r


@pytest.fixture
def check(monkeypatch, capsys):
    """Run ``reviewbot ARGV`` in-process in ``cwd``; return (status, stdout, stderr)."""
    import io
    import sys

    from reviewbot.cli import main

    def run(*argv: str, cwd: Path | None = None, stdin: bytes = b"") -> tuple[int, str, str]:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        capsys.readouterr()
        status = main(["-q", *argv])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def _engine_missing() -> str | None:
    try:
        from reviewbot.analysis import analyse_series  # noqa: F401
    except ImportError as exc:
        return f"reviewbot.analysis.analyse_series is not importable ({exc})"
    return None


@pytest.fixture
def needs_engine(tmp_path_factory) -> None:
    """Skip end-to-end tests only while the analysis engine is not there at all.

    Once ``analyse_series`` imports, the tests run and a missed planted bug fails them.
    """
    reason = _engine_missing()
    if reason is None:
        return
    from reviewbot.intake.gitrange import series_from_range
    from reviewbot.pipeline import review_series
    from tests.check.kernel import STACK_FUNC

    r = KernelRepo(tmp_path_factory.mktemp("probe"))
    r.commit(DRIVER, BASE, "base")
    r.commit(DRIVER, BASE + STACK_FUNC, "planted")
    series, _ = series_from_range("HEAD~1..HEAD", r.root)
    if not any(f.rule == "dma-stack" for f in review_series(series).findings):
        pytest.skip(f"the pipeline finds no planted dma-stack yet and {reason}")
