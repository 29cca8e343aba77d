"""Which files a scan reads, and the cheap test that decides which to parse.

Only a file that names a DMA sink (a call, a sink field such as
``rx_buf``) can produce a finding, so everything else is skipped before
tree-sitter sees it. The first pass over a cold tree asks
``grep -F`` (one process, far faster than Python over 600 MB); a handful
of changed files in a warm rescan are tested in Python.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterable
from pathlib import Path

from reviewbot.errors import InputError
from reviewbot.knowledge import Knowledge

SUFFIXES = (".c", ".h")


def sink_tokens(knowledge: Knowledge) -> list[str]:
    """The analysis's own trigger words: a file naming none of them has no sink.

    Taken from the knowledge, not recomputed here, so the prefilter can
    never skip a file the engine would have reported on (a superset is
    fine: grep -F matches inside words, and the engine checks again).
    """
    return sorted(knowledge.trigger_words())


def walk(root: Path, subpaths: Iterable[str] = (), skip: Iterable[str] = ()) -> list[str]:
    """Relative paths of C sources and headers under ``root`` (or its subpaths).

    Folders named in ``skip`` (the knowledge's ``tree.skip_dirs``) are not entered.
    ``os.scandir`` by hand rather than ``os.walk``: the same order and the
    same rules (symlinked folders are listed, not entered), without
    ``os.walk``'s extra ``lstat`` per folder, a third of a warm rescan.
    """
    skipped = frozenset(skip)
    starts = [root / s for s in subpaths] or [root]
    out: list[str] = []
    for start in starts:
        if start.is_file():
            out.append(str(start.relative_to(root)))
            continue
        rel = os.path.relpath(start, root)
        _walk_dir(str(start), "" if rel == "." else rel + "/", out, skipped)
    return out


def _walk_dir(path: str, prefix: str, out: list[str], skip: frozenset[str]) -> None:
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    dirs = []
    for e in sorted(entries, key=lambda e: e.name):
        try:
            is_dir = e.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if e.name not in skip and not e.is_symlink():
                dirs.append(e)
        elif e.name.endswith(SUFFIXES):
            out.append(prefix + e.name)
    for d in dirs:
        _walk_dir(d.path, prefix + d.name + "/", out, skip)


def check_subpaths(root: Path, subpaths: Iterable[str]) -> None:
    """Refuse a SUBPATH that is absolute, climbs out, or resolves outside ``root``.

    ``scan tree /etc/passwd`` used to scan /etc/passwd: ``root / "/etc"`` is
    ``/etc``. A symlinked folder inside the tree that points out of it is
    refused the same way.
    """
    top = root.resolve()
    for sub in subpaths:
        if os.path.isabs(sub) or ".." in Path(sub).parts:
            raise InputError(f"{sub}: not a path inside {root}")
        try:
            real = (top / sub).resolve(strict=True)
        except (OSError, RuntimeError):
            raise InputError(f"{sub}: no such file or directory under {root}") from None
        if real != top and top not in real.parents:
            raise InputError(f"{sub}: leads outside {root}; refused")


def scannable(st: os.stat_result) -> bool:
    """Only regular files are read: a FIFO named ``x.c`` would block, ``/dev/zero`` never end."""
    return stat.S_ISREG(st.st_mode)


def file_stat(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """(mtime_ns, size) of a regular file; None if it is absent, a dangling link, a
    symlink loop, no regular file, or no possible path (a NUL in it)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mtime_ns, st.st_size) if scannable(st) else None


def mentions_any(data: bytes, tokens: list[bytes]) -> bool:
    return any(t in data for t in tokens)


def grep_filter(root: Path, paths: list[str], tokens: list[str],
                jobs: int = 1) -> set[str] | None:
    """The subset of ``paths`` that contain a token, via grep; None if grep is missing.

    One extended regex (an alternation) rather than ``-F -f``: GNU grep's
    DFA beats its multi-string matcher by a fifth here. Batches keep the
    command line short; ``jobs`` of them run at once; -Z keeps odd file
    names intact.
    """
    grep = shutil.which("grep")
    if grep is None or not paths:
        return None if grep is None else set()
    pattern = "|".join(re.sub(r"(\W)", r"\\\1", t) for t in tokens)
    env = dict(os.environ, LC_ALL="C")  # bytes, not characters: the same matches, faster
    size = max(1, min(8000, -(-len(paths) // max(1, jobs))))
    batches = [paths[i:i + size] for i in range(0, len(paths), size)]
    hits: set[str] = set()
    running: list[subprocess.Popen[bytes]] = []
    ok = True

    def reap(proc: subprocess.Popen[bytes]) -> None:
        nonlocal ok
        out, _ = proc.communicate()
        if proc.returncode is None or proc.returncode > 1:
            ok = False
        hits.update(p.decode(errors="surrogateescape") for p in out.split(b"\0") if p)

    for batch in batches:
        if len(running) >= max(1, jobs):
            reap(running.pop(0))
        # -D skip: never read a device or FIFO, should one slip through
        running.append(subprocess.Popen([grep, "-lZE", "-D", "skip", "-e", pattern, "--", *batch],
                                        cwd=root, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env))
    for proc in running:
        reap(proc)
    return hits if ok else None
