"""A git range (``A..B``) as a Series, so CI sees what a mailing list sees.

The commits go through ``git format-patch`` and then the same mail path as
everything else, so a range and its posted series give the same ``Series``.
Each patch gets a stable Message-Id derived from its commit.
"""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

from reviewbot.errors import InputError
from reviewbot.intake.mail import split_bytes
from reviewbot.intake.series import build_series

logger = logging.getLogger(__name__)

RANGE_RE = re.compile(r"^(?P<a>[^\s.@][^\s@]*?)?(?P<dots>\.\.\.?)(?P<b>[^\s.@][^\s@]*)?$")


def looks_like_range(text: str) -> bool:
    return bool(RANGE_RE.match(text)) and ".." in text


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            check=False,
            timeout=300,
        )
    except FileNotFoundError:
        raise InputError("git is not installed") from None
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise InputError(f"git {' '.join(args[:2])} in {repo}: {err[-1] if err else 'failed'}")
    return proc.stdout


def series_from_range(spec: str, repo: Path) -> tuple:
    """Return (Series, base commit sha) for the commits in ``spec``."""
    match = RANGE_RE.match(spec)
    if not match:
        raise InputError(f"{spec}: not a git range (A..B)")
    a, b = match.group("a") or "HEAD", match.group("b") or "HEAD"
    if not (repo / ".git").exists() and not _is_git(repo):
        raise InputError(f"{spec}: {repo} is not a git repository")
    try:
        base = _git(repo, "merge-base", a, b).decode().strip()
    except InputError as exc:
        raise InputError(f"{spec}: not a range in {repo} ({exc})") from None
    commits = _git(repo, "rev-list", "--reverse", "--no-merges", f"{base}..{b}").decode().split()
    if not commits:
        raise InputError(f"{spec}: no commits in this range")
    mbox = _git(
        repo,
        "format-patch",
        "--stdout",
        "--numbered",
        "--no-signature",
        "--no-color",
        "--no-notes",
        f"{base}..{b}",
    )
    raw = split_bytes(mbox, spec)
    if len(raw.messages) != len(commits):
        raise InputError(
            f"{spec}: git format-patch gave {len(raw.messages)} mails for {len(commits)} commits"
        )
    for msg, sha in zip(raw.messages, commits, strict=True):
        del msg["Message-Id"]
        msg["Message-Id"] = f"<{sha}@git.reviewbot>"
    series = build_series(raw.messages, spec)
    from dataclasses import replace

    return replace(series, base_commit=base), base


def _is_git(repo: Path) -> bool:
    proc = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--git-dir"], capture_output=True, check=False
    )
    return proc.returncode == 0
