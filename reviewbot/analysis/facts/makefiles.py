"""Which Kconfig symbols must be set for kbuild to compile a C file, from the Makefiles.

kbuild compiles ``dir/foo.c`` when ``dir/Makefile`` (or ``dir/Kbuild``) lists
``foo.o`` in ``obj-$(CONFIG_X)`` (or ``obj-y``, ``lib-y``), directly or as a
part of a composite object (``bar-y += foo.o``, ``bar-objs := foo.o``,
``bar-$(CONFIG_Y) += foo.o`` with ``obj-$(CONFIG_X) += bar.o``), and only if
it descends into ``dir``: the parent's Makefile says ``obj-$(CONFIG_Z) +=
dir/``. ``ifdef CONFIG_W``/``ifeq ($(CONFIG_W),y)``/``else`` blocks add their
condition. The result is a Kconfig expression (``Z && X``, ``X || X2`` for an
object listed twice); what a Makefile says in a form not read here (a
variable list, ``$(if ...)``) makes the answer unknown rather than wrong.

Directories right under the tree's root are always descended; those under
``arch/<name>/`` belong to that architecture (``arch/x86/um/`` to um), however
the arch Makefile reaches them (``machine-$(CONFIG_ARCH_OMAP2PLUS) += omap2``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from reviewbot.analysis.facts.kexpr import (
    TRUE,
    And,
    ArchIs,
    Expr,
    Not,
    Str,
    Sym,
    conjunction,
    disjunction,
)

Reader = Callable[[str], "str | None"]

_ASSIGN = re.compile(r"^([\w.-]+?)-(y|m|objs|\$[({].*?[)}]+)\s*(?:[:+?]?=)\s*(.*)$")
_CONFIG = re.compile(r"CONFIG_(\w+)")
# lists of things that are not compiled into the kernel or a module
_NOT_BUILT = {"ccflags", "cflags", "asflags", "ldflags", "subdir", "always", "extra",
              "targets", "hostprogs", "userprogs", "clean", "header", "generic", "mandatory",
              "no", "KBUILD", "CFLAGS", "AFLAGS", "OBJECT_FILES_NON_STANDARD", "GCOV_PROFILE",
              "KASAN_SANITIZE", "KCSAN_SANITIZE", "UBSAN_SANITIZE", "KCOV_INSTRUMENT"}
_BUILT = ("obj", "lib")
_MAX_COMPOSITE = 3  # composite objects of composite objects


class Unreadable(Exception):
    """A Makefile line that lists the object says its condition in a form not read here."""


@dataclass(frozen=True)
class Assignment:
    """``target-cond += objects`` with the condition of the ``ifdef`` blocks around it."""
    target: str  # obj, lib, or a composite object's name
    condition: Expr | None  # None: written in a form not read here
    objects: tuple[str, ...]  # as written, relative to the Makefile's directory


def parse_makefile(text: str) -> tuple[Assignment, ...]:
    out: list[Assignment] = []
    blocks: list[Expr] = []
    for raw in text.replace("\\\n", " ").split("\n"):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        word = line.split(None, 1)[0]
        if word in ("ifdef", "ifndef", "ifeq", "ifneq"):
            blocks.append(_if_condition(word, line[len(word):].strip()))
            continue
        if word == "else" and blocks:
            rest = line[4:].strip()
            blocks[-1] = Not(blocks[-1]) if not rest else TRUE  # else ifeq ...: anything
            continue
        if word == "endif":
            if blocks:
                blocks.pop()
            continue
        m = _ASSIGN.match(line)
        if m is None:
            continue
        target, cond, objects = m.groups()
        out.append(Assignment(target, _gate(cond, blocks), tuple(objects.split())))
    return tuple(out)


def _gate(cond: str, blocks: list[Expr]) -> Expr | None:
    if cond in ("y", "m", "objs"):
        own: Expr = TRUE
    else:
        names = _CONFIG.findall(cond)
        if len(names) != 1:
            return None
        own = Sym(names[0])  # $(CONFIG_X), $(subst m,y,$(CONFIG_X))
    return conjunction([*blocks, own]) if blocks else own


def _if_condition(word: str, rest: str) -> Expr:
    """An ``ifdef``/``ifeq`` on one CONFIG symbol as an expression; anything else is free
    (it restricts nothing we could name: ``Str`` evaluates to either)."""
    names = _CONFIG.findall(rest)
    if len(names) != 1:
        return Str(rest)
    sym = Sym(names[0])
    if word in ("ifdef", "ifndef"):
        return sym if word == "ifdef" else Not(sym)
    m = re.fullmatch(r"\(\s*\$\(CONFIG_\w+\)\s*,\s*(\w*)\s*\)", rest)
    if m is None or m.group(1) not in ("y", "m", "", "n"):
        return Str(rest)
    set_ = m.group(1) in ("y", "m")  # ifeq (..,y) asks for it set; ifeq (..,) for it unset
    return sym if set_ == (word == "ifeq") else Not(sym)


@dataclass(frozen=True)
class _Makefile:
    """A directory's kbuild file, indexed by what its lists name."""
    assignments: tuple[Assignment, ...]
    objects: dict[str, tuple[int, ...]]  # tree path of an object -> assignments listing it
    subdirs: dict[str, tuple[int, ...]]  # tree path of a directory -> obj-/lib- listing it
    names: dict[str, tuple[int, ...]]  # "$(foo-y)" -> assignments listing it


def _index(directory: str, assignments: tuple[Assignment, ...]) -> _Makefile:
    objects: dict[str, list[int]] = {}
    subdirs: dict[str, list[int]] = {}
    names: dict[str, list[int]] = {}
    for i, a in enumerate(assignments):
        if a.target in _NOT_BUILT:
            continue
        for o in a.objects:
            if o.startswith("$"):
                names.setdefault(o.replace("{", "(").replace("}", ")"), []).append(i)
            elif o.endswith("/"):
                if a.target in _BUILT:
                    subdirs.setdefault(_joined(directory, o.rstrip("/")), []).append(i)
            else:
                objects.setdefault(_joined(directory, o), []).append(i)
    return _Makefile(assignments, {k: tuple(v) for k, v in objects.items()},
                     {k: tuple(v) for k, v in subdirs.items()},
                     {k: tuple(v) for k, v in names.items()})


class Makefiles:
    """The Makefiles of one tree, read on demand and parsed once; each question adds the
    paths it read (absent ones too) to the ``files`` set it is given."""

    def __init__(self, read: Reader) -> None:
        self.read = read
        self._parsed: dict[str, tuple[tuple[str, ...], _Makefile | None]] = {}
        # directory -> (condition to descend into it, files read) or the error
        self._dirs: dict[str, tuple[Expr | None, frozenset[str]] | Unreadable] = {}

    def _makefile(self, directory: str, files: set[str]) -> _Makefile | None:
        """``directory``'s Kbuild (read first, as kbuild does) or Makefile, None when it
        has neither."""
        if directory not in self._parsed:
            tried: list[str] = []
            found = None
            for name in ("Kbuild", "Makefile"):
                path = posixpath.join(directory, name) if directory else name
                tried.append(path)
                text = self._read(path)
                if text is not None:
                    found = _index(directory, parse_makefile(text))
                    break
            self._parsed[directory] = (tuple(tried), found)
        tried_paths, found = self._parsed[directory]
        files.update(tried_paths)
        return found

    def _read(self, path: str) -> str | None:
        try:
            return self.read(path)
        except (OSError, ValueError):
            return None

    def condition(self, path: str, files: set[str]) -> Expr | None:
        """What must hold for kbuild to compile ``path`` (a .c file); None when no
        Makefile says it builds it. Raises Unreadable. Adds the files read to ``files``."""
        obj = posixpath.splitext(path)[0] + ".o"
        # listed by its own directory's Makefile, or by the parent's or grandparent's
        # (obj-$(CONFIG_X) += sub/foo.o)
        d = posixpath.dirname(path)
        for _ in range(3):
            routes = self._object(d, obj, files, 0)
            if routes is not None:
                inside = self._directory(d, files)
                return None if inside is None else _and(inside, routes)
            if not d:
                break
            d = posixpath.dirname(d)
        return None

    def _object(self, directory: str, obj: str, files: set[str], depth: int) -> Expr | None:
        mk = self._makefile(directory, files)
        if mk is None:
            return None
        routes: list[Expr] = []
        for i in mk.objects.get(obj, ()):
            route = self._route(directory, mk, mk.assignments[i], files, depth)
            if route is not None:
                routes.append(route)
        return disjunction(routes)

    def _route(self, directory: str, mk: _Makefile, a: Assignment, files: set[str],
               depth: int) -> Expr | None:
        """What must hold for the objects of assignment ``a`` to be built: its own
        condition, and for a composite's part, the composite's (``bar.o`` listed
        somewhere, or ``$(bar-y)`` named in another list)."""
        if a.condition is None:
            raise Unreadable(f"{directory or '.'}: the {a.target}- line")
        if a.target in _BUILT:
            return a.condition
        if depth >= _MAX_COMPOSITE:
            return None
        routes: list[Expr] = []
        whole = self._object(directory, _joined(directory, a.target + ".o"), files, depth + 1)
        if whole is not None:
            routes.append(whole)
        for suffix in ("y", "m", "objs"):
            for i in mk.names.get(f"$({a.target}-{suffix})", ()):
                route = self._route(directory, mk, mk.assignments[i], files, depth + 1)
                if route is not None:
                    routes.append(route)
        got = disjunction(routes)
        return None if got is None else _and(a.condition, got)

    def _directory(self, directory: str, files: set[str]) -> Expr | None:
        """What must hold for kbuild to descend into ``directory``; None when unknown."""
        if directory not in self._dirs:
            read: set[str] = set()
            try:
                self._dirs[directory] = (self._descend(directory, read), frozenset(read))
            except Unreadable as e:
                self._dirs[directory] = e
                files |= read
                raise
        got = self._dirs[directory]
        if isinstance(got, Unreadable):
            raise got
        files |= got[1]
        return got[0]

    def _descend(self, directory: str, files: set[str]) -> Expr | None:
        if not directory:
            return TRUE
        arch = _arch_dir(directory)
        if arch is not None:
            return ArchIs(arch)
        if "/" not in directory:
            # right under the root: the root Kbuild's condition when it names it
            # (obj-$(CONFIG_NET) += net/), else always (older trees list them in the top
            # Makefile's drivers-y)
            routes = self._subdir("", directory, files)
            return TRUE if routes is None else routes
        d = posixpath.dirname(directory)
        while True:
            routes = self._subdir(d, directory, files)
            if routes is not None:
                above = self._directory(d, files)
                return None if above is None else _and(above, routes)
            if not d or "/" not in d:
                return None  # no Makefile above descends into it
            d = posixpath.dirname(d)

    def _subdir(self, parent: str, directory: str, files: set[str]) -> Expr | None:
        mk = self._makefile(parent, files)
        if mk is None:
            return None
        routes: list[Expr] = []
        for i in mk.subdirs.get(directory, ()):
            a = mk.assignments[i]
            if a.condition is None:
                raise Unreadable(f"{parent or '.'}: the {a.target}- line that lists "
                                 f"{directory}/")
            routes.append(a.condition)
        return disjunction(routes)


def _joined(directory: str, name: str) -> str:
    """``directory/name`` as a tree path (``../x.o`` and ``./y/`` resolved)."""
    if name.startswith(".") or "/." in name or "//" in name:
        return posixpath.normpath(posixpath.join(directory, name)) if directory else \
            posixpath.normpath(name)
    return f"{directory}/{name}" if directory else name  # the common case, 4x cheaper


def _and(a: Expr, b: Expr) -> Expr:
    if a == TRUE:
        return b
    return a if b == TRUE else And(a, b)


def _arch_dir(directory: str) -> frozenset[str] | None:
    """The architectures a directory under arch/ is built for: arch/<name>/, and um for
    arch/x86/um/ (UML's host part); None outside arch/."""
    parts = directory.split("/")
    if len(parts) < 2 or parts[0] != "arch":
        return None
    if len(parts) > 2 and parts[2] == "um" and parts[1] != "um":
        return frozenset(("um",))
    return frozenset((parts[1],))
