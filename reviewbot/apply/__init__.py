"""Apply: a series onto a tree, giving "file X before and after patch N".

The user's tree is never written: each patch is applied with ``git apply``
inside a scratch folder that holds only the files the series touches,
copied from the base (a commit read through ``git cat-file``, or a plain
folder). The cost follows the size of the series, not of the tree: no
checkout, index or worktree of a 1.5 GB kernel is made.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewbot.apply.base import BaseTree, GitBase, PlainBase, is_git_repo, resolve_commit
from reviewbot.apply.paths import safe_relpath
from reviewbot.apply.scratch import Scratch, ScratchError
from reviewbot.diffpaths import file_pair
from reviewbot.errors import InputError
from reviewbot.model import Patch, PatchStatus, Series

__all__ = ["TreeView", "apply_series", "open_base"]

logger = logging.getLogger(__name__)

_FAILED = re.compile(r"^error: patch failed: (?P<file>.+):(?P<line>\d+)$", re.M)
_ERROR = re.compile(r"^error: (?P<msg>.+)$", re.M)


@dataclass
class TreeView:
    """Answers "what did file X look like after patch N" (0: the base)."""

    base: BaseTree
    status: tuple[PatchStatus, ...]
    notes: tuple[str, ...]
    # path -> [(after_patch, content or None when deleted)], in patch order
    versions: dict[str, list[tuple[int, bytes | None]]] = field(default_factory=dict)

    def read(self, path: str, after: int) -> bytes | None:
        for index, data in reversed(self.versions.get(path, [])):
            if index <= after:
                return data
        return self.base.read(path)

    def text(self, path: str, after: int) -> str | None:
        data = self.read(path, after)
        return data.decode("utf-8", errors="replace") if data is not None else None

    def applied(self, index: int) -> bool:
        return any(s.index == index and s.applied for s in self.status)

    @property
    def base_name(self) -> str:
        return self.base.describe()

    def close(self) -> None:
        self.base.close()


def open_base(tree: Path, series: Series) -> tuple[BaseTree, list[str]]:
    """Choose the base: the series' base-commit if the repo has it, else HEAD."""
    base, notes, _head = _open_base(tree, series)
    return base, notes


def _open_base(tree: Path, series: Series) -> tuple[BaseTree, list[str], bool]:
    """The base, the notes, and whether the base is HEAD for want of a base-commit."""
    if not tree.is_dir():
        raise InputError(f"{tree}: no such kernel tree (not a directory)")
    notes: list[str] = []
    if is_git_repo(tree):
        commit = None
        if series.base_commit:
            commit = resolve_commit(tree, series.base_commit)
            if commit is None:
                notes.append(f"base-commit {series.base_commit[:12]} is not in the tree; used HEAD")
        if commit is not None:
            return GitBase(tree, commit), notes, False
        commit = resolve_commit(tree, "HEAD")
        if commit is None:
            raise InputError(f"{tree}: a git repository without commits")
        return GitBase(tree, commit), notes, True
    if series.base_commit:
        notes.append("the tree is not a git repository: base-commit ignored, files as they are")
    return PlainBase(tree), notes, False


def _patch_paths(patch: Patch) -> list[tuple[str | None, str | None]]:
    """(source, target) per file, each checked; None for /dev/null."""
    where = f"patch {patch.index} ({patch.subject})"
    out = []
    for pf in patch.diff:
        source, target = file_pair(pf)
        src = None if pf.is_added_file else safe_relpath(source or "", where)
        dst = None if pf.is_removed_file else safe_relpath(target or "", where)
        out.append((src, dst))
    return out


def apply_series(series: Series, tree: Path) -> TreeView:
    """Apply every patch in order; one that fails is reported and skipped.

    On HEAD (no base-commit to go by), a patch that does not apply may be
    one the tree already has (``b4 prep --check``, after ``b4 shazam``):
    its commit is looked for by patch-id (``applied.find_applied``) and the
    series applied again on that commit's parent, where it was written.
    The second try is kept when it applies more patches.
    """
    from reviewbot.apply.applied import find_applied

    base, notes, on_head = _open_base(tree, series)
    plans = [(p, _patch_paths(p)) for p in series.patches]  # refuse bad paths up front
    view = _apply_on(base, plans, notes)
    failed = [s for s in view.status if not s.applied and s.error != "no diff"]
    if not failed or not on_head or not isinstance(base, GitBase):
        return view
    found = find_applied(tree, series)
    if found is None or found.base == base.commit:
        return view
    again = _apply_on(GitBase(tree, found.base), plans, [*notes, found.note()])
    if sum(1 for s in again.status if s.applied) <= sum(1 for s in view.status if s.applied):
        again.close()
        return view
    view.close()
    again.status = tuple(
        replace(s, commit=found.commits.get(s.index)) if s.applied else s for s in again.status
    )
    return again


def _apply_on(
    base: BaseTree, plans: list[tuple[Patch, list[tuple[str | None, str | None]]]],
    notes: list[str],
) -> TreeView:
    """Apply the planned patches in order on ``base`` (a scratch folder; the tree is not written).

    The scratch folder is only ever entered through ``Scratch``: a symlink a
    patch creates is recorded as a symlink and never followed, so no byte
    outside the scratch folder is written or read on the series' say-so.
    """
    view = TreeView(base=base, status=(), notes=tuple(notes))
    status: list[PatchStatus] = []
    links: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="reviewbot-apply-"))
    scratch = Scratch(root)
    try:
        present: set[str] = set()
        for patch, paths in plans:
            if not patch.diff:
                status.append(PatchStatus(patch.index, False, patch.diff_error or "no diff"))
                continue
            try:
                _copy_in(view, scratch, present, patch.index, paths)
            except ScratchError as exc:
                status.append(PatchStatus(patch.index, False, str(exc)))
                logger.info("patch %d does not apply: %s", patch.index, exc)
                continue
            error = _git_apply(root, patch)
            status.append(PatchStatus(patch.index, error is None, error))
            if error is not None:
                logger.info("patch %d does not apply: %s", patch.index, error)
                continue
            for src, dst in paths:
                for path in {p for p in (src, dst) if p is not None}:
                    entry = scratch.read(path)
                    if entry.kind == "symlink":
                        links.append(f"patch {patch.index}: {path} is a symlink, not followed")
                    data = entry.data if entry.kind == "file" else None
                    view.versions.setdefault(path, []).append((patch.index, data))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    view.status = tuple(status)
    view.notes = (*view.notes, *dict.fromkeys(links))
    return view


def _copy_in(
    view: TreeView,
    scratch: Scratch,
    present: set[str],
    index: int,
    paths: list[tuple[str | None, str | None]],
) -> None:
    """Put the files a patch touches into the scratch folder, as they are before it."""
    for src, dst in paths:
        for path in (src, dst):
            if path and path not in present:
                data = view.read(path, index - 1)
                if data is not None:
                    scratch.write(path, data)
                present.add(path)


# The start of PatchStatus.error for a patch the base already contains.
ALREADY_APPLIED = "already applied"


def _run_apply(scratch: Path, patch: Patch, *flags: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", "apply", *flags, "--whitespace=nowarn", "-"],
        cwd=scratch,
        input=patch.diff_text.encode(),
        capture_output=True,
        check=False,
        # No repository around the scratch folder, no user or system config.
        env={
            "GIT_CEILING_DIRECTORIES": str(scratch.parent),
            "HOME": str(scratch),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_CONFIG_NOSYSTEM": "1",
        },
    )


def _git_apply(scratch: Path, patch: Patch) -> str | None:
    """Apply one patch in the scratch folder; the reason it failed, or None."""
    proc = _run_apply(scratch, patch, "--verbose")
    if proc.returncode == 0:
        return None
    if _run_apply(scratch, patch, "--reverse", "--check").returncode == 0:
        # It reverses cleanly: the base has it already (b4 review of a merged patch).
        return f"{ALREADY_APPLIED} (the base already has these changes)"
    err = proc.stderr.decode(errors="replace")
    m = _FAILED.search(err)
    if m:
        return f"{m['file']}: hunk at line {m['line']} does not apply"
    m = _ERROR.search(err)
    return m["msg"] if m else "git apply failed"
