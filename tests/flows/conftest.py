"""Maintainers' own workflows, end to end: a real git tree, real b4, a real public-inbox.

``flow_tree`` is a kernel-shaped git repository holding the drivers of
tests/flows/drivers.py at tag ``base``; ``commit_series`` puts the 8-patch
series on top of it as real commits. ``series_inbox`` serves the series as
mail (``git format-patch --cover-letter --thread``) from a public-inbox,
as lore would.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import liblore.utils
import pytest

from reviewbot.intake.mail import parse_one
from tests.conftest import REQUIRE_PI
from tests.flows.drivers import PATCHES, SOURCES
from tests.pubinbox import PublicInbox, available
from tests.skeleton import make_kernel_skeleton

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def git(repo: Path, *args: str, data: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], input=data, capture_output=True, check=True
    )
    return proc.stdout.decode().strip()


def make_tree(root: Path) -> Path:
    """The drivers at tag ``base`` on ``master``: a kernel tree reviewbot accepts."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "master")
    git(root, "config", "user.name", "A U Thor")
    git(root, "config", "user.email", "author@example.org")
    git(root, "config", "commit.gpgsign", "false")
    make_kernel_skeleton(root)
    for path, text in SOURCES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "tag", "base")
    return root


def commit_series(root: Path) -> list[str]:
    """The 8 patches as commits on the current branch; their shas, in order."""
    shas = []
    for subject, edits in PATCHES:
        for path, old, new in edits:
            text = (root / path).read_text()
            assert text.count(old) == 1, (subject, old)
            (root / path).write_text(text.replace(old, new))
        git(root, "commit", "-q", "-a", "-m", subject, "-m", "A change.",
            "-m", "Signed-off-by: A U Thor <author@example.org>")
        shas.append(git(root, "rev-parse", "HEAD"))
    return shas


@pytest.fixture
def flow_tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "linux")


def tool(name: str) -> str:
    """An installed console script of this environment (b4, reviewbot)."""
    path = Path(sys.executable).with_name(name)
    assert path.exists(), f"{name} is not installed next to {sys.executable}"
    return str(path)


def b4(repo: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The real ``b4`` command line, in ``repo``, with the tests' isolated HOME."""
    return subprocess.run(
        [tool("b4"), *args], cwd=repo, capture_output=True, text=True, timeout=timeout
    )


def b4_report(output: str) -> dict[str, list[str]]:
    """``b4 prep --check`` output as {patch subject: [report lines]} (colours stripped)."""
    report: dict[str, list[str]] = {}
    current = None
    for raw in output.splitlines():
        line = ANSI.sub("", raw)
        m = re.match(r"^\S+ [0-9a-f]{12}: (.*)$", line)
        if m:
            current = m.group(1)
            report[current] = []
        elif current is not None and line.startswith("  "):
            report[current].append(line.strip().split(" ", 1)[1])
    return report


@dataclass(frozen=True)
class SeriesInbox:
    """The series as mail in a running public-inbox."""

    inbox: PublicInbox
    mbox: bytes
    msgids: list[str]  # cover letter first, then patches 1..8

    @property
    def url(self) -> str:
        return self.inbox.base_url


def series_mail(root: Path, out: Path) -> bytes:
    """``git format-patch --cover-letter --thread`` of base..HEAD as one mbox."""
    git(root, "format-patch", "-q", "--cover-letter", "--thread", "-o", str(out), "base..HEAD")
    files = sorted(out.glob("*.patch"))
    data = b""
    for f in files:
        text = f.read_text()
        text = text.replace("*** SUBJECT HERE ***", "USB: small buffer changes")
        text = text.replace("*** BLURB HERE ***", "Reads into local buffers.")
        # as git send-email would have addressed it
        text = text.replace("\nSubject: ", "\nTo: linux-usb@vger.kernel.org\nSubject: ", 1)
        data += text.encode() + b"\n"
    return data


@pytest.fixture(scope="module")
def series_inbox(tmp_path_factory) -> SeriesInbox:
    if not available():
        if REQUIRE_PI:
            pytest.fail("public-inbox is not installed (apt-get install -y public-inbox)")
        pytest.skip("public-inbox is not installed (apt-get install -y public-inbox)")
    work = tmp_path_factory.mktemp("flow-mail")
    root = make_tree(work / "linux")
    commit_series(root)
    mbox = series_mail(root, work / "out")
    mails = liblore.utils.split_mbox_as_bytes(mbox)
    msgids = [parse_one(m)["Message-Id"].strip().strip("<>") for m in mails]
    inbox = PublicInbox(tmp_path_factory.mktemp("flow-pi"))
    inbox.deliver(*mails)
    inbox.start()
    yield SeriesInbox(inbox, mbox, msgids)
    inbox.stop()
