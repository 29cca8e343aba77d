"""The walk of a tree: which C files it has, and the (mtime, size) of each.

A warm rescan of Linux 6.1 is mostly this: 51,700 files listed and stat'ed, in
two processes (``DriversWalk``). The module imports nothing heavy, so ``scan``
can start the second process before its own imports (0.1 s of one core); the
model is imported where a refusal is written.
"""

from __future__ import annotations

import bisect
import hashlib
import marshal
import operator
import os
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewbot.model import Unanalysed

SUFFIXES = (".c", ".h")


Stats = dict[str, tuple[int, int]]

# The top-level folders a second process walks and stats in a whole-tree scan, a
# run of consecutive names in the walk's order: 36,300 of Linux 6.1's 51,700 C
# files (drivers/ alone is 28,500). The other process starts first (``scan`` forks
# it before its own imports), so it takes the bigger part.
SPLIT = ("drivers", "fs", "include")


class Walked:
    """What ``walk_stat`` found: the refusals, a digest of every (path, mtime, size) in
    the walk's order, and the stats themselves.

    The stats of a split walk's other part stay in that process until asked for: a
    warm rescan of an unchanged tree needs only the digest (its snapshot's key), and
    moving 36,000 stats between processes was 0.03 s of it. ``exact`` is False when
    that process died after its digest and its part was walked again here: the digest
    may not be of these stats, so no snapshot may be kept under it.
    """

    def __init__(self, refused: list[Unanalysed], digest: str, files: int,
                 stats: Callable[[], tuple[Stats, bool]],
                 close: Callable[[], None] | None = None) -> None:
        self.refused = refused
        self.digest = digest
        self.files = files  # how many regular files were stat'ed
        self._fetch = stats
        self._stats: Stats | None = None
        self._close = close
        self.exact = True

    def close(self) -> None:
        """Let the other process go (it waits to be asked for its stats)."""
        if self._close is not None:
            self._close()

    def stats(self) -> Stats:
        """Every walked regular file's (mtime_ns, size), in the walk's order."""
        if self._stats is None:
            self._stats, self.exact = self._fetch()
        return self._stats


def walk_stat(root: Path, subpaths: list[str], skip: Iterable[str], jobs: int,
              meanwhile: Callable[[], None] | None = None,
              drivers: DriversWalk | None = None) -> Walked:
    """``walk``, and the (mtime, size) of each regular file found (``file_stat``): what a
    warm rescan compares. In a whole-tree scan with ``jobs`` > 1 a forked process walks
    the folders of SPLIT meanwhile (``DriversWalk``); the result is the one-process
    walk's, order and digest included. ``drivers``: that process, started earlier by a
    front end; used if it walks this tree with these skipped folders, else closed.
    ``meanwhile`` is called when this process has walked its part and the other has not
    finished: work that does not need the walk; not called without a second process."""
    skipped = frozenset(skip)
    parts = [] if subpaths else split_of(root)
    if not DriversWalk.applies(root, subpaths, skipped, jobs):
        if drivers is not None:
            drivers.close()
        paths, refused = walk(root, subpaths, skipped)
        stats = _stats(root, paths)
        return Walked(refused, stats_digest(stats, parts), len(stats), lambda: (stats, True))
    # a caller's walker is reaped by the caller, once its output is out
    drivers_given = drivers is not None and drivers.root == root
    if drivers is None or drivers.root != root:
        if drivers is not None:
            drivers.close()
        drivers = DriversWalk(root, skipped)
    paths, refused = walk(root, (), skipped, leave_out=drivers.parts)
    stats = _stats(root, paths)
    if meanwhile is not None and not drivers.finished():
        meanwhile()
    summary = drivers.summary(skipped)
    if summary is None:  # the process died, or skipped other folders: walk its part here
        drivers.close()
        part_paths, part_refused = walk(root, drivers.parts, skipped)
        part = _stats(root, part_paths)
        merged = _merged(stats, part, drivers.parts)
        return Walked(sorted(refused + part_refused, key=lambda u: u.file),
                      stats_digest(merged, drivers.parts), len(merged), lambda: (merged, True))
    part_refused, part_digest, part_files = summary
    items = list(stats.items())
    at = _after([p for p, _ in items], drivers.parts[0])
    digest = _joined([_segment(items[:at]), part_digest, _segment(items[at:])])
    fetched = drivers

    def fetch() -> tuple[Stats, bool]:
        part = fetched.stats()
        fetched.close()
        if part is not None:
            return _merged(stats, part, fetched.parts), True
        part_paths, _refused = walk(root, fetched.parts, skipped)  # it died meanwhile
        return _merged(stats, _stats(root, part_paths), fetched.parts), False

    return Walked(sorted(refused + part_refused, key=lambda u: u.file), digest,
                  len(stats) + part_files, fetch,
                  fetched.release if drivers_given else fetched.close)


def split_of(root: Path) -> list[str]:
    """The folders of SPLIT a whole-tree walk of ``root`` hands to another process (none
    without a real ``drivers/``). The digest of a walk is taken in three segments cut
    at them, split or not, so a scan with ``--jobs 1`` and one with two agree."""
    return _consecutive(root) if _has_split(root) else []


def _has_split(root: Path) -> bool:
    """Whether ``root`` has a real ``drivers/`` (a folder, not a link to one)."""
    split = root / SPLIT[0]
    return split.is_dir() and not split.is_symlink()


def stats_digest(stats: Stats, parts: list[str]) -> str:
    """A digest of ``stats`` in order: of the segments before, in and after the top-level
    folders ``parts`` (each process digests its own part), or of the whole."""
    items = list(stats.items())
    if not parts:
        return _joined([_segment(items)])
    keys = [p for p, _ in items]
    start = bisect.bisect_left(keys, parts[0], lo=_first_in_folder(keys), key=_top)
    end = bisect.bisect_right(keys, parts[-1], lo=start, key=_top)
    return _joined([_segment(items[:start]), _segment(items[start:end]),
                    _segment(items[end:])])


def _top(path: str) -> str:
    return path.split("/", 1)[0]


def _segment(items: list[tuple[str, tuple[int, int]]]) -> bytes:
    # marshal's format 0 (no references, no interning marks): the same bytes for equal
    # lists; several times faster than formatting a line per file
    return hashlib.sha1(marshal.dumps(items, 0)).digest()


def _joined(segments: list[bytes]) -> str:
    return hashlib.sha1(b"".join(segments)).hexdigest()


def _merged(stats: Stats, part: Stats, parts: list[str]) -> Stats:
    """This process's stats with the other's ``part`` put back where the one-process walk
    has it: before the first folder named after ``parts`` (the walk sorts by name)."""
    items = list(stats.items())
    at = _after([p for p, _ in items], parts[0])
    merged = dict(items[:at])
    merged.update(part)
    merged.update(items[at:])
    return merged


def _consecutive(root: Path) -> list[str]:
    """The folders of SPLIT from ``drivers`` on that follow each other among the tree's
    top-level folders (a tree with a ``firmware/`` between ``drivers/`` and ``fs/`` gives
    only ``drivers``), so the part walked apart goes back in one place."""
    with os.scandir(root) as entries:
        names = sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
    parts = []
    for name in names[names.index(SPLIT[0]):]:
        if name not in SPLIT:
            break
        parts.append(name)
    return parts


def _after(paths: list[str], name: str) -> int:
    """Where a folder ``name`` of the top level would be in a walk's ``paths`` that left
    it out: the top-level files come first, then folders by name."""
    return bisect.bisect_right(paths, name, lo=_first_in_folder(paths), key=_top)


def _first_in_folder(paths: list[str]) -> int:
    """Where a walk's ``paths`` leave the top-level files for the folders."""
    return next((i for i, p in enumerate(paths) if "/" in p), len(paths))


class DriversWalk:
    """The folders of SPLIT walked and stat'ed by a forked process (``walk_stat``).

    A front end may start it first thing (``scan`` does, right after parsing its
    arguments: its imports, the knowledge and the tree's profile keep one core busy
    for 0.15 s of a warm rescan), so this walk costs little time of its own. ``skip``:
    the folders not entered; None, the process reads them from the bundled knowledge
    itself (what ``scan`` uses), and ``summary`` checks they are the ones asked for.
    The process sends its refusals and the digest of its stats, then waits: the stats
    follow only if asked (``stats``), and it ends when this side closes.
    """

    def __init__(self, root: Path, skip: frozenset[str] | None = None) -> None:
        import multiprocessing

        self.root = root
        self.parts = _consecutive(root)
        self.started_ns = time.time_ns()  # the scan's start, for the "changed while read" rule
        context = multiprocessing.get_context("fork")
        self._pipe, child_end = context.Pipe(duplex=True)
        self._child = context.Process(target=_walk_part,
                                      args=(child_end, self._pipe, root, self.parts, skip),
                                      daemon=True)
        self._child.start()
        child_end.close()
        self._closed = self._summarised = False

    @staticmethod
    def applies(root: Path, subpaths: list[str], skip: frozenset[str] | None,
                jobs: int) -> bool:
        """Whether the walk of ``root`` splits: a whole tree, ``jobs`` > 1, a real
        ``drivers/`` folder, and none of SPLIT skipped."""
        return jobs >= 2 and not subpaths and (skip is None or not skip & set(SPLIT)) and \
            _has_split(root)

    def finished(self) -> bool:
        return self._closed or self._pipe.poll()

    def summary(self, skip: frozenset[str]) -> tuple[list[Unanalysed], bytes, int] | None:
        """Its refusals, the digest of its stats and their number; None if it died, or
        skipped other folders or one of its own."""
        from reviewbot.model import Unanalysed

        try:
            walked_skip, refused, digest, files = marshal.loads(self._pipe.recv_bytes())
        except (EOFError, OSError, ValueError, TypeError):
            return None
        finally:
            self._summarised = True
        if walked_skip != skip or skip & set(self.parts):
            return None
        return [Unanalysed(f, why) for f, why in refused], digest, files

    def stats(self) -> Stats | None:
        """Its stats, in its walk's order; None if it died."""
        try:
            self._pipe.send_bytes(b"stats")
            stats = marshal.loads(self._pipe.recv_bytes())
        except (EOFError, OSError, ValueError, TypeError):
            return None
        return stats if isinstance(stats, dict) else None

    def release(self) -> None:
        """Let the process end (closing the pipe ends its wait) without waiting for it: a
        warm rescan has its answer, and reaping took 7 ms of it. ``close`` reaps it."""
        if not self._closed:
            self._closed = True
            if not self._summarised:  # still walking: a scan that failed early
                self._child.terminate()
            self._pipe.close()

    def close(self) -> None:
        """End the process and reap it."""
        self.release()
        self._child.join()


def _walk_part(pipe, other_end, root: Path, parts: list[str],
               skip: frozenset[str] | None) -> None:
    other_end.close()  # the fork's copy of the parent's end: else closing it is no EOF here
    try:
        if skip is None:
            skip = _bundled_skip_dirs()
        paths, refused = _walk(root, parts, skip)
        stats = _stats(root, paths)
        # marshal, not pickle: plain data from our own fork, read back three times faster
        pipe.send_bytes(marshal.dumps((skip, refused,
                                       _segment(list(stats.items())), len(stats))))
        if pipe.recv_bytes() == b"stats":
            pipe.send_bytes(marshal.dumps(stats))
    except (EOFError, OSError):
        pass  # the other side closed: nothing more is wanted
    finally:
        pipe.close()


def _bundled_skip_dirs() -> frozenset[str]:
    """The bundled knowledge's ``[tree] skip_dirs``, read without the knowledge module
    (its import and checks were 0.06 s of this process); the scan compares them with
    the knowledge it loaded, and walks this part itself if they differ."""
    import tomllib

    from reviewbot.resources import data_path

    try:
        with open(data_path("config/dma.toml"), "rb") as fh:
            return frozenset(tomllib.load(fh)["tree"]["skip_dirs"])
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
        return frozenset()


def _stats(root: Path, paths: list[str]) -> Stats:
    prefix = str(root) + os.sep
    out: Stats = {}
    for p in paths:
        if (state := file_stat(prefix + p)) is not None:
            out[p] = state
    return out


def walk(root: Path, subpaths: Iterable[str] = (),
         skip: Iterable[str] = (), leave_out: Iterable[str] = ()
         ) -> tuple[list[str], list[Unanalysed]]:
    """Relative paths of C sources and headers under ``root`` (or its subpaths), and
    what could not be read: a folder that cannot be listed, a file that is a
    symlink out of the tree (never read: it is not the tree's code).

    ``root`` is resolved. Folders named in ``skip`` (the knowledge's
    ``tree.skip_dirs``) are not entered. ``os.scandir`` by hand rather than
    ``os.walk``: the same order and the same rules (symlinked folders are
    listed, not entered), without ``os.walk``'s extra ``lstat`` per folder,
    a third of a warm rescan; and a stack, not recursion, so 1,100 nested
    folders are no RecursionError (issue 26). ``leave_out``: folders of the tree's
    top level not entered (another process walks it: ``walk_stat``).
    """
    paths, refused = _walk(root, subpaths, skip, leave_out)
    if not refused:
        return paths, []
    from reviewbot.model import Unanalysed  # here, not above: see the module's docstring

    return paths, [Unanalysed(f, why) for f, why in refused]


def _walk(root: Path, subpaths: Iterable[str] = (), skip: Iterable[str] = (),
          leave_out: Iterable[str] = ()) -> tuple[list[str], list[tuple[str, str]]]:
    """``walk`` with the refusals as (file, reason): the forked walker imports no model."""
    skipped = frozenset(skip)
    starts = [root / s for s in subpaths] or [root]
    out: list[str] = []
    refused: list[tuple[str, str]] = []
    for start in starts:
        if start.is_file():
            rel = str(start.relative_to(root))
            if start.is_symlink() and not inside(root, rel):
                refused.append((rel, OUTSIDE))
            else:
                out.append(rel)
            continue
        rel = os.path.relpath(start, root)
        _walk_dir(root, str(start), "" if rel == "." else rel + "/", out, refused, skipped,
                  frozenset(leave_out) if rel == "." else frozenset())
    return out, refused


# Why a symlinked source is not read (the same rule as for headers, scan/__init__.py).
OUTSIDE = "a symlink to a file outside the tree; not read"


def inside(root: Path, rel: str) -> bool:
    """Whether ``rel``, symlinks followed, is a path inside ``root`` (resolved).

    One rule for every file a scan reads: a source it lists and a header it
    looks up. A link out of the tree is not the tree's code.
    """
    return Path(os.path.realpath(os.path.join(root, rel))).is_relative_to(root)


_name = operator.attrgetter("name")  # a C call per entry, where a lambda is a Python one


def _walk_dir(root: Path, top: str, top_prefix: str, out: list[str],
              refused: list[tuple[str, str]], skip: frozenset[str],
              leave_out: frozenset[str] = frozenset()) -> None:
    """Depth first, files of a folder before its subfolders, both sorted by name."""
    stack = [(top, top_prefix)]
    while stack:
        path, prefix = stack.pop()
        left_out = leave_out if path == top else frozenset()
        try:
            entries = sorted(os.scandir(path), key=_name)
        except OSError as exc:
            refused.append((prefix or ".", f"folder cannot be read ({exc.strerror})"))
            continue
        dirs = []
        for e in entries:
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if e.name not in skip and e.name not in left_out and not e.is_symlink():
                    dirs.append(e)
            elif e.name.endswith(SUFFIXES):
                if e.is_symlink() and not inside(root, prefix + e.name):
                    refused.append((prefix + e.name, OUTSIDE))
                else:
                    out.append(prefix + e.name)
        stack.extend((d.path, prefix + d.name + "/") for d in reversed(dirs))


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
