"""Which files a scan reads, and the cheap test that decides which to parse.

Only a file that names a DMA sink (a call, a sink field such as
``rx_buf``) can produce a finding, so everything else is skipped before
tree-sitter sees it. The first pass over a cold tree asks
``grep -F`` (one process, far faster than Python over 600 MB); a handful
of changed files in a warm rescan are tested in Python.
"""

from __future__ import annotations

import os
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
    """
    skip = frozenset(skip)
    starts = [root / s for s in subpaths] or [root]
    out: list[str] = []
    for start in starts:
        if start.is_file():
            out.append(str(start.relative_to(root)))
            continue
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames[:] = sorted(d for d in dirnames if d not in skip)
            rel = os.path.relpath(dirpath, root)
            for f in sorted(filenames):
                if f.endswith(SUFFIXES):
                    out.append(f if rel == "." else f"{rel}/{f}")
    return out


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


def mentions_any(data: bytes, tokens: list[bytes]) -> bool:
    return any(t in data for t in tokens)


def grep_filter(root: Path, paths: list[str], tokens: list[str]) -> set[str] | None:
    """The subset of ``paths`` that contain a token, via grep; None if grep is missing."""
    grep = shutil.which("grep")
    if grep is None or not paths:
        return None if grep is None else set()
    pattern = "\n".join(tokens).encode()
    hits: set[str] = set()
    # batches keep the command line short; -Z keeps odd file names intact
    batch = 2000
    import tempfile

    with tempfile.NamedTemporaryFile() as pat:
        pat.write(pattern)
        pat.flush()
        for i in range(0, len(paths), batch):
            proc = subprocess.run(
                # -D skip: never read a device or FIFO, should one slip through
                [grep, "-lFZ", "-D", "skip", "-f", pat.name, "--", *paths[i : i + batch]],
                cwd=root,
                capture_output=True,
                check=False,
            )
            if proc.returncode > 1:
                return None
            hits.update(p.decode(errors="surrogateescape") for p in proc.stdout.split(b"\0") if p)
    return hits
