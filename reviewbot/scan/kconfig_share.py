"""One walk of the tree's Kconfig files for every worker of a scan (``KconfigShare``)."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from reviewbot.knowledge import Knowledge
from reviewbot.scan.cache import ScanCache

if TYPE_CHECKING:
    from reviewbot.analysis.facts.kconfig import KconfigWalk
    from reviewbot.scan.tree_memo import KconfigMemo

_T = TypeVar("_T")


class KconfigShare:
    """One walk of the tree's Kconfig files for every worker of a scan.

    Each worker walked all 1,700 Kconfig files of Linux 6.1 on its first file (half a
    second each); the walk now comes from the scan cache (scan/tree_memo.py) or is made
    here once, while grep prefilters (``walking_while``) or before parsing begins
    (``ready``), kept in the cache, and handed to the workers as a JSON file whose path
    they are started with: a worker that finds no file walks for itself, as before.
    """

    def __init__(self, cache: ScanCache | None, root: Path, knowledge: Knowledge) -> None:
        self.cache, self.root, self.knowledge = cache, root, knowledge
        self.memo: KconfigMemo | None = None
        self.walk: KconfigWalk | None = None
        self._loaded = self._written = False
        self._folder: Path | None = None

    @property
    def path(self) -> str:
        """Where the workers find the walk (written by ``ready``)."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="reviewbot-kconfig-"))
        return str(self._folder / "walk.json")

    def _load(self) -> None:
        if not self._loaded and self.cache is not None:
            from reviewbot.scan.tree_memo import KconfigMemo

            self.memo = KconfigMemo(self.cache, self.root, None)
            self.walk = self.memo.walk
        self._loaded = True

    def walking_while(self, work: Callable[[], _T]) -> _T:
        """``work()`` (a wait on grep), with the walk made meanwhile in this process."""
        self._load()
        if self.walk is not None:
            return work()
        result: list[_T] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                result.append(work())
            except BaseException as exc:  # handed back to the caller below
                errors.append(exc)

        thread = threading.Thread(target=run, name="reviewbot-prefilter")
        thread.start()
        try:
            self._walk()
        finally:
            thread.join()
        if errors:
            raise errors[0]
        return result[0]

    def _walk(self) -> None:
        from reviewbot.analysis.facts.headers import tree_platforms
        from reviewbot.analysis.facts.profile import directory_reader

        tree = tree_platforms(directory_reader(self.root), self.knowledge).kconfig  # walks
        self.walk = tree.snapshot() if tree.walked else None
        if self.memo is not None:
            self.memo.keep(self.walk)

    def walk_here(self) -> KconfigWalk | None:
        """The walk, for analysis in this process: the cache's, or one made and kept now."""
        self._load()
        if self.walk is None:
            self._walk()
        return self.walk

    def ready(self) -> None:
        """Have the walk written for the workers (made now if the prefilter did not run)."""
        if self._written:
            return
        if (walk := self.walk_here()) is not None:
            tmp = Path(self.path).with_suffix(".tmp")
            tmp.write_text(json.dumps(walk.to_json()), encoding="utf-8")
            tmp.replace(self.path)  # whole or absent, never half written
        self._written = True

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
