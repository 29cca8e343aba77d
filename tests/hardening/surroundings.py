"""Prove that a run touched nothing outside the places it may write.

``snapshot`` records every file under a folder (path, bytes, mtime, and
access time) except the parts excluded (the tree under review may be read,
the outbox written). Comparing two snapshots shows any byte written or
file created, removed or touched outside; the access time shows a read,
when the file system keeps access times (``atime_works`` checks that on a
control file first, so the test never claims what it cannot see).
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def snapshot(top: Path, exclude: list[Path]) -> dict[str, tuple[bytes, int, int | None]]:
    skip = [p.resolve() for p in exclude]
    out: dict[str, tuple[bytes, int, int | None]] = {}
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        here = Path(dirpath).resolve()
        dirnames[:] = [d for d in dirnames if (here / d).resolve() not in skip]
        for name in filenames + [d for d in dirnames if (here / d).is_symlink()]:
            p = here / name
            if any(p == s or s in p.parents for s in skip):
                continue
            st = p.lstat()
            if p.is_symlink():
                out[str(p)] = (os.readlink(p).encode(), st.st_mtime_ns, None)
            else:
                out[str(p)] = (p.read_bytes(), st.st_mtime_ns, None)
    return out


def age_atimes(top: Path) -> None:
    """Set every file's access time before its mtime, so a read (relatime) updates it."""
    old = time.time() - 86400 * 10
    for p in top.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            os.utime(p, ns=(int(old * 1e9), st.st_mtime_ns))


def atimes(top: Path) -> dict[str, int]:
    return {
        str(p): p.stat().st_atime_ns
        for p in top.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def atime_works(tmp: Path) -> bool:
    """Does reading a file change its access time here (relatime or strictatime)?"""
    probe = tmp / "atime-probe"
    probe.write_bytes(b"x")
    age_atimes(tmp)
    before = probe.stat().st_atime_ns
    probe.read_bytes()
    works = probe.stat().st_atime_ns != before
    probe.unlink()
    return works
