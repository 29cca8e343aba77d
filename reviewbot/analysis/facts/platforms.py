"""The architectures a C file of a tree can be built for: its Makefiles, then Kconfig.

``arches_of("drivers/bus/ti-sysc.c")`` is what a maintainer reads off the
tree: the Makefiles say kbuild compiles it under ``CONFIG_TI_SYSC`` (and
descends into its directory under the parent's condition), and Kconfig says
where those symbols can be enabled (``depends on ARCH_OMAP2PLUS``, a symbol
that exists only in arch/arm's Kconfig files). The answer is a set of
architecture names (``arch/<name>``), or None when the tree does not say:
no Makefile builds the file, or a Makefile line or Kconfig expression on the
way is written in a form not read here. ``COMPILE_TEST`` builds count for
nothing: they run on no hardware.

Everything is read lazily through a Reader and remembered per process: the
Kconfig files once, on the first question (about half a second on a whole
tree; bench/kconfig_reach.py), each Makefile once. Each answer records the
tree files it was read from (``Reach.files``; ``consulted`` collects them the
way HeaderIndex does) so a scan cache recomputes it when one of them changes.
The files are the Makefiles looked at (absent ones too) and, for each symbol
on the way, the Kconfig files defining it and those that source them; a new
definition of such a symbol in some other Kconfig file is not among them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reviewbot.analysis.facts.kconfig import KconfigTree, KconfigWalk, Unknown
from reviewbot.analysis.facts.kexpr import Expr, Sym
from reviewbot.analysis.facts.makefiles import Makefiles, Unreadable

Reader = Callable[[str], "str | None"]  # tree-relative path -> text, None if absent


@dataclass(frozen=True)
class Reach:
    """Where a file can be built (None: the tree does not say), and from which files."""
    arches: frozenset[str] | None
    files: frozenset[str]
    why: str = ""  # for None: what was missing or not understood


class Platforms:
    """Platform reach of the C files of one tree."""

    def __init__(self, read: Reader, arches: Iterable[str], walk: KconfigWalk | None = None,
                 load_walk: Callable[[], KconfigWalk | None] | None = None) -> None:
        """``walk``: an earlier walk of the same Kconfig files (a cache's), so the first
        question does not walk them again; or ``load_walk``, which reads one when the first
        question comes (a review whose series makes no finding asks none: reading the
        cached walk was 0.06 s of it)."""
        self.read = read
        self._names = tuple(dict.fromkeys(arches))
        self._walk = walk
        self._load_walk = load_walk
        self._tree: KconfigTree | None = None
        self._makefiles = Makefiles(read)
        self._answers: dict[str, Reach] = {}
        self._assuming: dict[tuple[str, tuple[tuple[str, bool], ...]], KconfigTree] = {}
        # Every tree file an answer given through arches_of was read from, since the
        # caller last reset it (like HeaderIndex.consulted)
        self.consulted: set[str] = set()

    @property
    def kconfig(self) -> KconfigTree:
        """The tree's Kconfig files, walked on first use."""
        if self._tree is None:
            walk = self._walk
            if walk is None and self._load_walk is not None:
                walk = self._load_walk()
            self._tree = KconfigTree(self.read, self._names, walk)
        return self._tree

    def walked(self) -> KconfigWalk | None:
        """The walk this object made of the Kconfig files (for a cache to keep), None when
        it made none (it was given one, or no question needed Kconfig)."""
        tree = self._tree
        return tree.snapshot() if tree is not None and tree.walked else None

    def arches_of(self, path: str) -> frozenset[str] | None:
        """The architectures ``path`` can be built for; None when unknown."""
        r = self.reach(path)
        self.consulted |= r.files
        return r.arches

    def only_arch(self, path: str) -> str | None:
        """The one architecture ``path`` can be built for, if there is exactly one."""
        arches = self.arches_of(path)
        return next(iter(arches)) if arches is not None and len(arches) == 1 else None

    def builds_on_with(self, path: str, arch: str, values: dict[str, bool]) -> bool | None:
        """Whether ``path`` can be built for ``arch`` with the Kconfig symbols ``values``
        forced (a PPC_PSERIES driver cannot with PPC64 off, which non-coherent powerpc
        needs); None when unknown. The files read count as consulted."""
        key = (arch, tuple(sorted(values.items())))
        tree = self._assuming.get(key)
        if tree is None:
            tree = self._assuming[key] = self.kconfig.assuming(arch, values)
        files: set[str] = set()
        try:
            condition = self._makefiles.condition(path, files)
            self.consulted |= files
            if condition is None or not tree.usable:
                return None
            v = tree.evaluate(condition)
        except (Unreadable, Unknown, RecursionError):
            return None
        self.consulted |= v.files
        return bool(v.true & tree.mask((arch,)))

    def reach(self, path: str) -> Reach:
        if path not in self._answers:
            self._answers[path] = self._reach(path)
        return self._answers[path]

    def symbol_arches(self, name: str) -> frozenset[str] | None:
        """Where Kconfig symbol ``name`` can be enabled (``ACPI``: where ACPI exists)."""
        return self.expression_arches(Sym(name)).arches

    def expression_arches(self, expr: Expr) -> Reach:
        tree = self.kconfig
        if not tree.usable:
            return Reach(None, frozenset(), "no top-level Kconfig or architectures")
        try:
            v = tree.evaluate(expr)
        except Unknown as e:
            return Reach(None, e.files, f"not understood: {e}")
        except RecursionError:  # never seen (Linux's chains need under 100 frames)
            return Reach(None, frozenset(), "dependencies nested too deep")
        if not v.true:
            return Reach(None, v.files, "can be enabled nowhere")
        return Reach(tree.names(v.true), v.files)

    def _reach(self, path: str) -> Reach:
        files: set[str] = set()
        try:
            condition = self._makefiles.condition(path, files)
        except Unreadable as e:
            return Reach(None, frozenset(files), f"Makefile not understood: {e}")
        if condition is None:
            return Reach(None, frozenset(files), "no Makefile builds it")
        r = self.expression_arches(condition)
        return Reach(r.arches, r.files | frozenset(files), r.why)
