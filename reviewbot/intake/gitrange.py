"""A git range (``A..B``) as a Series, so CI sees what a mailing list sees.

The commits go through ``git format-patch`` and then the same mail path as
everything else, so a range and its posted series give the same ``Series``.
Each patch gets a stable Message-Id derived from its commit. The output is
read as a stream and capped like any other input (``limits.input_bytes``):
a commit with one 300 MB line cost 3.5 GB when read whole (issue 26).
"""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
import threading
from pathlib import Path

from reviewbot.errors import InputError
from reviewbot.intake.mail import split_bytes, too_large
from reviewbot.intake.series import build_series
from reviewbot.limits import TooLarge, default_limits, read_capped

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


def _git_capped(repo: Path, cap: int, *args: str, timeout: float = 300) -> bytes:
    """``git ARGS`` output, read as it comes and never more than ``cap`` bytes.

    Past the cap git is killed at once (TooLarge): nothing more is produced
    or held. stderr goes to a file, so a chatty git cannot block on a full pipe.
    """
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(["git", "-C", str(repo), *args], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=err)
        except FileNotFoundError:
            raise InputError("git is not installed") from None
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            assert proc.stdout is not None
            with proc.stdout:
                out = read_capped(proc.stdout, cap)
        except TooLarge:
            proc.kill()
            raise
        finally:
            timer.cancel()
            proc.wait()
        if proc.returncode != 0:
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines()
            raise InputError(f"git {' '.join(args[:2])} in {repo}: "
                             f"{lines[-1] if lines else 'failed'}")
        return out


def series_from_range(spec: str, repo: Path, cap: int | None = None,
                      max_patches: int | None = None) -> tuple:
    """Return (Series, base commit sha) for the commits in ``spec``.

    ``cap`` bounds the bytes of ``git format-patch`` output (``limits.input_bytes``).
    """
    limits = default_limits()
    cap = cap or limits.input_bytes
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
    # the commits format-patch makes a mail of: not merges, not empty ones (b4 prep keeps
    # its cover letter as an empty commit, which format-patch leaves out)
    commits = _git(repo, "rev-list", "--reverse", "--no-merges", "--full-history",
                   f"{base}..{b}", "--", ".").decode().split()
    if not commits:
        raise InputError(f"{spec}: no commits in this range")
    try:
        mbox = _git_capped(
            repo,
            cap,
            "format-patch",
            "--stdout",
            "--numbered",
            "--no-signature",
            "--no-color",
            "--no-notes",
            f"{base}..{b}",
        )
    except TooLarge:
        raise too_large(spec, cap, " of git format-patch output") from None
    raw = split_bytes(mbox, spec, cap)
    if len(raw.messages) != len(commits):
        raise InputError(
            f"{spec}: git format-patch gave {len(raw.messages)} mails for {len(commits)} commits"
        )
    for msg, sha in zip(raw.messages, commits, strict=True):
        del msg["Message-Id"]
        msg["Message-Id"] = f"<{sha}@git.reviewbot>"
    series = build_series(raw.messages, spec, max_patches=max_patches or limits.max_patches)
    from dataclasses import replace

    return replace(series, base_commit=base), base


def _is_git(repo: Path) -> bool:
    proc = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--git-dir"], capture_output=True, check=False
    )
    return proc.returncode == 0
