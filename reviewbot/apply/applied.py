"""Where a series already is in a git tree: its commits, found by patch-id.

``b4 prep --check`` feeds each patch of a branch whose HEAD already holds
the whole series, and ``b4 shazam`` leaves the series applied before a
check runs. Applied to HEAD such a patch fails ("already applied"), and
reviewed from its hunks alone it hides what whole files show: a stack
buffer handed to a helper defined elsewhere in the file, a kvmalloc'd
buffer used by another function. Two of three errors passed that way
(issue 25).

So, when a patch does not apply to HEAD, its commit is looked for by
``git patch-id --stable`` among the commits that can hold the series: since
b4's fork point on a ``b4 prep`` branch, else since the merge base with
the branch's upstream, else among the newest commits touching the series'
files. The series is then applied on the parent of the first commit
found: the tree as it was when the patch was written.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reviewbot.diffpaths import file_pair
from reviewbot.model import Patch, Series

__all__ = ["Found", "find_applied"]

# b4 prep's cover-letter commits carry this line (b4/ez.py MAGIC_MARKER).
B4_MARKER = "--- b4-submit-tracking ---"
# Without a fork point or upstream: how many of the newest commits that
# touch the series' files are compared.
NEWEST = 200
_TIMEOUT = 120


@dataclass(frozen=True)
class Found:
    """The commits of the tree that hold patches of the series."""

    base: str  # the parent of the first commit found: where the series is applied
    commits: dict[int, str]  # patch index -> commit
    searched: str  # which commits were compared, for the note

    def note(self) -> str:
        """One line for the output: which patches are in the tree, and the base used."""
        first = min(self.commits)
        commit = self.commits[first][:12]
        if len(self.commits) == 1:
            return (
                f"patch {first} is already in the tree as commit {commit}, found by patch-id "
                f"{self.searched}; reviewed against its parent {self.base[:12]}"
            )
        indices = ", ".join(str(i) for i in sorted(self.commits))
        return (
            f"patches {indices} are already in the tree, found by patch-id {self.searched}; "
            f"reviewed against {self.base[:12]}, the parent of the first ({commit})"
        )


def _git(repo: Path, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        input=data,
        capture_output=True,
        check=False,
        timeout=_TIMEOUT,
    )


def _out(repo: Path, *args: str) -> str | None:
    proc = _git(repo, *args)
    return proc.stdout.decode(errors="replace").strip() if proc.returncode == 0 else None


def _paths(patch: Patch) -> set[str]:
    """The tree paths a patch touches, git's quoting undone (café.c, not "caf\\303...")."""
    return {name for pf in patch.diff for name in file_pair(pf) if name is not None}


def patch_ids(repo: Path, series: Series) -> dict[int, str]:
    """The stable patch-id of each patch with a diff (index -> patch-id)."""
    stream = b"".join(
        f"commit {p.index:040x}\n".encode() + p.diff_text.encode() + b"\n"
        for p in series.patches
        if p.diff_text.strip()
    )
    if not stream:
        return {}
    proc = _git(repo, "patch-id", "--stable", data=stream)
    out: dict[int, str] = {}
    for line in proc.stdout.decode(errors="replace").splitlines():
        words = line.split()
        if len(words) == 2:
            out[int(words[1], 16)] = words[0]
    return out


def commit_patch_ids(repo: Path, revs: list[str], paths: list[str]) -> dict[str, str]:
    """patch-id -> commit for the commits ``revs`` names that touch ``paths`` (newest wins)."""
    log = _git(
        repo,
        "-c", "diff.noprefix=false",
        "-c", "diff.mnemonicPrefix=false",
        "log", "--no-merges", "--no-color", "--no-ext-diff", "--full-diff", "-p",
        "--src-prefix=a/", "--dst-prefix=b/", "--format=commit %H",
        *revs, "--", *paths,
    )
    if log.returncode != 0 or not log.stdout:
        return {}
    proc = _git(repo, "patch-id", "--stable", data=log.stdout)
    out: dict[str, str] = {}
    for line in proc.stdout.decode(errors="replace").splitlines():
        words = line.split()
        if len(words) == 2:
            out.setdefault(words[0], words[1])  # git log lists the newest first
    return out


def search_start(repo: Path) -> tuple[str | None, str]:
    """The commit after which the series' commits are: (commit or None, how it was found)."""
    branch = _out(repo, "symbolic-ref", "-q", "--short", "HEAD")
    if branch:
        start = _b4_fork_point(repo, branch)
        if start:
            return start, "since b4's fork point"
        upstream = _out(repo, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
        if upstream:
            start = _out(repo, "merge-base", "HEAD", upstream)
            if start:
                return start, f"since the merge base with {upstream}"
    return None, f"among the newest {NEWEST} commits touching its files"


def _b4_fork_point(repo: Path, branch: str) -> str | None:
    """Where a ``b4 prep`` branch forks from its base, as b4 itself finds it."""
    strategy = _out(repo, "config", f"branch.{branch}.b4-prep-cover-strategy")
    if strategy == "commit":
        # The series follows the cover-letter commit b4 keeps at its start.
        return _out(
            repo, "log", "-F", f"--grep={B4_MARKER}", "--format=%H", "--max-count=1",
            "--since=1.year", "HEAD",
        ) or None
    tracking = None
    if strategy == "branch-description":
        tracking = _out(repo, "config", f"branch.{branch}.b4-tracking")
    elif strategy == "tip-commit":
        message = _out(repo, "log", "-1", "--format=%B", "HEAD") or ""
        tracking = message.partition(B4_MARKER)[2]
        tracking = tracking[tracking.find("{"):] if "{" in tracking else None
    if not tracking:
        return None
    try:
        base_branch = json.loads(tracking)["series"]["base-branch"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(base_branch, str) or not base_branch:
        return None
    return _out(repo, "merge-base", "HEAD", base_branch) or None


def find_applied(repo: Path, series: Series) -> Found | None:
    """The tree's commits holding patches of ``series``, and the base before them; or None."""
    wanted = patch_ids(repo, series)
    if not wanted:
        return None
    paths = sorted(set().union(*(_paths(p) for p in series.patches)))
    if not paths:
        return None
    start, searched = search_start(repo)
    revs = [f"{start}..HEAD"] if start else [f"--max-count={NEWEST}", "HEAD"]
    ids = commit_patch_ids(repo, revs, paths)
    commits = {index: ids[pid] for index, pid in wanted.items() if pid in ids}
    if not commits:
        return None
    parents = _out(repo, "rev-list", "--parents", "-n", "1", commits[min(commits)])
    words = (parents or "").split()
    if len(words) != 2:  # a root commit (nothing before it) or a merge
        return None
    return Found(base=words[1], commits=commits, searched=searched)
