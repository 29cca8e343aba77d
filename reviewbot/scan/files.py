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
from collections.abc import Iterable, Iterator
from pathlib import Path

from reviewbot.errors import InputError
from reviewbot.knowledge import Knowledge
from reviewbot.model import Unanalysed

SUFFIXES = (".c", ".h")


def sink_tokens(knowledge: Knowledge) -> list[str]:
    """The analysis's own trigger words: a file naming none of them has no sink.

    Taken from the knowledge, not recomputed here, so the prefilter can
    never skip a file the engine would have reported on (a superset is
    fine: grep -F matches inside words, and the engine checks again).
    """
    return sorted(knowledge.trigger_words())


Stats = dict[str, tuple[int, int]]

# The folder a second process walks and stats in a whole-tree scan: half of Linux's
# C files (28,500 of 55,400 in 6.1).
SPLIT = "drivers"


def walk_stat(root: Path, subpaths: list[str], skip: Iterable[str],
              jobs: int) -> tuple[list[str], list[Unanalysed], Stats]:
    """``walk``, and the (mtime, size) of each regular file found (``file_stat``): what a
    warm rescan compares. In a whole-tree scan with ``jobs`` > 1 a forked process does
    ``drivers/`` meanwhile (0.4 s -> 0.25 s on Linux 6.1: the two halves cost the
    same), and its part is put where the one-process walk has it, so the order is the
    same. Should that process fail, ``drivers/`` is walked here."""
    skipped = frozenset(skip)
    split = root / SPLIT
    if jobs < 2 or subpaths or SPLIT in skipped or not split.is_dir() or split.is_symlink():
        paths, refused = walk(root, subpaths, skipped)
        return paths, refused, _stats(root, paths)
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_walk_part, args=(send, root, skipped), daemon=True)
    child.start()
    send.close()
    try:
        paths, refused = walk(root, (), skipped, leave_out=SPLIT)
        stats = _stats(root, paths)
        try:
            part_paths, part_refused, part_stats = receive.recv()
        except (EOFError, OSError):  # the process died: walk its part here
            part_paths, part_refused = walk(root, [SPLIT], skipped)
            part_stats = _stats(root, part_paths)
    finally:
        receive.close()
        child.join()
    at = next((i for i, p in enumerate(paths) if "/" in p and p.split("/", 1)[0] > SPLIT),
              len(paths))
    paths[at:at] = part_paths
    refused.extend(part_refused)
    refused.sort(key=lambda u: u.file)
    stats.update(part_stats)
    return paths, refused, {p: stats[p] for p in paths if p in stats}


def _walk_part(send, root: Path, skip: frozenset[str]) -> None:
    try:
        paths, refused = walk(root, [SPLIT], skip)
        send.send((paths, refused, _stats(root, paths)))
    finally:
        send.close()


def _stats(root: Path, paths: list[str]) -> Stats:
    prefix = str(root) + os.sep
    out: Stats = {}
    for p in paths:
        if (state := file_stat(prefix + p)) is not None:
            out[p] = state
    return out


def walk(root: Path, subpaths: Iterable[str] = (),
         skip: Iterable[str] = (), leave_out: str | None = None
         ) -> tuple[list[str], list[Unanalysed]]:
    """Relative paths of C sources and headers under ``root`` (or its subpaths), and
    what could not be read: a folder that cannot be listed, a file that is a
    symlink out of the tree (never read: it is not the tree's code).

    ``root`` is resolved. Folders named in ``skip`` (the knowledge's
    ``tree.skip_dirs``) are not entered. ``os.scandir`` by hand rather than
    ``os.walk``: the same order and the same rules (symlinked folders are
    listed, not entered), without ``os.walk``'s extra ``lstat`` per folder,
    a third of a warm rescan; and a stack, not recursion, so 1,100 nested
    folders are no RecursionError (issue 26). ``leave_out``: a folder of the tree's
    top level not entered (another process walks it: ``walk_stat``).
    """
    skipped = frozenset(skip)
    starts = [root / s for s in subpaths] or [root]
    out: list[str] = []
    refused: list[Unanalysed] = []
    for start in starts:
        if start.is_file():
            rel = str(start.relative_to(root))
            if start.is_symlink() and not inside(root, rel):
                refused.append(Unanalysed(rel, OUTSIDE))
            else:
                out.append(rel)
            continue
        rel = os.path.relpath(start, root)
        _walk_dir(root, str(start), "" if rel == "." else rel + "/", out, refused, skipped,
                  leave_out if rel == "." else None)
    return out, refused


# Why a symlinked source is not read (the same rule as for headers, scan/__init__.py).
OUTSIDE = "a symlink to a file outside the tree; not read"


def inside(root: Path, rel: str) -> bool:
    """Whether ``rel``, symlinks followed, is a path inside ``root`` (resolved).

    One rule for every file a scan reads: a source it lists and a header it
    looks up. A link out of the tree is not the tree's code.
    """
    return Path(os.path.realpath(os.path.join(root, rel))).is_relative_to(root)


def _walk_dir(root: Path, top: str, top_prefix: str, out: list[str],
              refused: list[Unanalysed], skip: frozenset[str],
              leave_out: str | None = None) -> None:
    """Depth first, files of a folder before its subfolders, both sorted by name."""
    stack = [(top, top_prefix)]
    while stack:
        path, prefix = stack.pop()
        left_out = leave_out if path == top else None
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as exc:
            refused.append(Unanalysed(prefix or ".", f"folder cannot be read ({exc.strerror})"))
            continue
        dirs = []
        for e in entries:
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if e.name not in skip and e.name != left_out and not e.is_symlink():
                    dirs.append(e)
            elif e.name.endswith(SUFFIXES):
                if e.is_symlink() and not inside(root, prefix + e.name):
                    refused.append(Unanalysed(prefix + e.name, OUTSIDE))
                else:
                    out.append(prefix + e.name)
        stack.extend((d.path, prefix + d.name + "/") for d in reversed(dirs))


def read_error(path: str, exc: OSError) -> Unanalysed:
    """A file of the tree that could not be read (mode 000, an I/O error): not analysed."""
    return Unanalysed(path, f"cannot be read ({exc.strerror or exc})")


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


class GrepStream:
    """``grep_filter``'s hits as grep finds them, so the workers parse while it reads.

    A cold scan of Linux 6.1 waited 3 s for grep to read 51,720 files before the
    first parse. Here ``jobs`` threads each run grep on batches (the same command,
    flushing a name per file found) and queue the names as they come; iterating
    yields them. ``paths`` in the order given are the order of the hits (biggest
    first keeps the workers busy to the end). Afterwards ``ok`` says whether every
    grep ran to its end: when not (no grep, an error), the caller tests the files
    not yielded itself, as ``grep_filter``'s None asks.
    """

    _DONE = object()

    def __init__(self, root: Path, paths: list[str], tokens: list[str], jobs: int) -> None:
        import queue
        import threading

        self.ok = True
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        grep = shutil.which("grep")
        if grep is None:
            self.ok = False
            self._threads: list[threading.Thread] = []
            self._queue.put(self._DONE)
            return
        # One extended regex (an alternation) rather than -F -f: GNU grep's DFA beats its
        # multi-string matcher by a fifth here. -Z keeps odd file names intact; -D skip
        # never reads a device or FIFO, should one slip through.
        self._command = [grep, "-lZE", "--line-buffered", "-D", "skip", "-e",
                         "|".join(re.sub(r"(\W)", r"\\\1", t) for t in tokens), "--"]
        self._root = root
        self._env = dict(os.environ, LC_ALL="C")  # bytes, not characters: faster, the same
        # batches keep the command line short; ``jobs`` of them run at once
        size = max(1, min(8000, -(-len(paths) // max(1, jobs))))
        self._batches = [paths[i:i + size] for i in range(0, len(paths), size)]
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, name="reviewbot-grep", daemon=True)
                         for _ in range(max(1, min(jobs, len(self._batches))))]
        self._left = len(self._threads)
        for t in self._threads:
            t.start()
        if not self._threads:
            self._queue.put(self._DONE)

    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    if not self._batches:
                        return
                    batch = self._batches.pop(0)
                self._grep(batch)
        except OSError:
            self.ok = False
        finally:
            with self._lock:
                self._left -= 1
                last = self._left == 0
            if last:
                self._queue.put(self._DONE)

    def _grep(self, batch: list[str]) -> None:
        proc = subprocess.Popen([*self._command, *batch], cwd=self._root, env=self._env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdout is not None
        rest = b""
        while chunk := os.read(proc.stdout.fileno(), 65536):
            *names, rest = (rest + chunk).split(b"\0")
            for name in names:
                if name:
                    self._queue.put(name.decode(errors="surrogateescape"))
        if rest:
            self._queue.put(rest.decode(errors="surrogateescape"))
        proc.stdout.close()
        if proc.wait() > 1:
            self.ok = False

    def __iter__(self) -> Iterator[str]:
        while (item := self._queue.get()) is not self._DONE:
            assert isinstance(item, str)
            yield item
        for t in self._threads:
            t.join()


def grep_filter(root: Path, paths: list[str], tokens: list[str],
                jobs: int = 1) -> set[str] | None:
    """The subset of ``paths`` that contain a token, via grep (``GrepStream``, waited for
    to its end); None if grep is missing or failed."""
    stream = GrepStream(root, paths, tokens, jobs)
    hits = set(stream)
    return hits if stream.ok else None
