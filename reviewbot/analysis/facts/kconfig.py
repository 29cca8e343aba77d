"""On which architectures a Kconfig symbol can be enabled, from the tree's own Kconfig files.

A kernel has one Kconfig per architecture: the top-level ``Kconfig`` sources
``arch/$(SRCARCH)/Kconfig`` (through ``arch/Kconfig``), which sources that
architecture's platform files. A symbol defined only in files so reached
(``ARCH_OMAP2PLUS`` in arch/arm/mach-omap2/Kconfig, ``PPC_PSERIES``, ``X86``)
exists only on that architecture; everywhere else it is ``n``. A symbol
defined in a shared file can be enabled where its ``depends on``, the
``if``/``menu``/``choice`` blocks around it, and the ``source`` statements
that reach its file can all be true, transitively through the symbols they
name. Anything else (a bool the user may set, ``$(cc-option,...)``) is free.
``COMPILE_TEST`` counts as false: a compile-test build runs on no hardware.

The answer for an expression is two sets of architectures, where it can be
true and where it can be false (three-valued: a free symbol can be both), so
``!ARM64`` is false only where ARM64 is forced (``def_bool y`` in the arch's
own Kconfig). ``select`` is not followed: selecting a symbol whose
dependencies are unmet is a Kconfig warning the kernel fixes, and every symbol
that matters here is also limited by the files it is defined in.

Cost (bench/kconfig_reach.py): the files are found by following ``source``
from the top-level Kconfig, once per architecture, reading each file once
(1,700 files, 6 MB on Linux 6.1); a file is parsed only when a ``source`` in
it or a definition asked for needs it. Each answer carries the tree files it
was read from, so a scan cache can tell when to recompute it.
"""

from __future__ import annotations

import copy
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reviewbot.analysis.facts.kexpr import (
    And,
    ArchIs,
    Cmp,
    Expr,
    Macro,
    Not,
    Or,
    Str,
    Sym,
    conjunction,
    parse,
)

Reader = Callable[[str], "str | None"]  # tree-relative path -> text, None if absent

ROOT = "Kconfig"
_NO_FILES: frozenset[str] = frozenset()


class Unknown(Exception):
    """An expression on the way was not understood: the answer is unknown. ``files``:
    those read on the way, so a cache knows the answer changes when they do."""

    def __init__(self, why: str, files: frozenset[str] = frozenset()) -> None:
        super().__init__(why)
        self.files = files


@dataclass(frozen=True)
class Definition:
    """One ``config``/``menuconfig`` entry of a symbol (a symbol may have several)."""
    name: str
    line: int
    depends: tuple[str, ...]  # its own ``depends on`` lines
    context: tuple[str, ...]  # the enclosing ``if``, ``menu ... depends on`` and ``choice`` ones
    prompt: bool  # the user can set it (a prompt), so it is never forced
    defaults: tuple[tuple[str, str], ...]  # (value, condition or ""), def_bool included


@dataclass(frozen=True)
class Source:
    """A ``source``/``rsource``/``osource``/``orsource`` statement."""
    path: str
    line: int
    relative: bool
    context: tuple[str, ...]


@dataclass(frozen=True)
class KconfigFile:
    definitions: tuple[Definition, ...]
    sources: tuple[Source, ...]


@dataclass
class _Entry:
    name: str | None
    line: int
    context: tuple[str, ...]
    depends: list[str] = field(default_factory=list)
    prompt: bool = False
    defaults: list[tuple[str, str]] = field(default_factory=list)


_BLOCK_OPEN = {"menu": "endmenu", "choice": "endchoice", "if": "endif"}
_TYPES = ("bool", "tristate", "string", "hex", "int")
_SOURCES = ("source", "rsource", "osource", "orsource")
_HELP = ("help", "---help---")


_STATEMENT = re.compile(
    r"^([ \t]*)(config|menuconfig|choice|endchoice|menu|endmenu|if|endif|comment|mainmenu"
    r"|source|rsource|osource|orsource|depends|help|---help---|bool|tristate|string|hex|int"
    r"|prompt|def_bool|def_tristate|default)\b(.*)$", re.M)


def parse_kconfig(text: str) -> KconfigFile:
    """The definitions and ``source`` statements of one Kconfig text, with their blocks.

    Only the statements that matter here are read, by one regular expression
    (most of a Kconfig's lines are help text). A help text ends, as in Kconfig,
    at the first line indented less than its first line; statement-like lines
    inside it ("if unsure, say N") are skipped by that indentation."""
    definitions: list[Definition] = []
    sources: list[Source] = []
    blocks: list[tuple[str, list[str]]] = []  # (kind, conditions) innermost last
    ctx: tuple[str, ...] = ()  # the conditions of ``blocks``, flattened
    entry: _Entry | None = None  # what ``depends on`` and friends apply to
    block_entry: list[str] | None = None  # or a menu/choice header's conditions
    help_indent = -1  # inside a help text indented this much, else -1
    lineno, pos = 1, 0

    def finish() -> None:
        nonlocal entry, block_entry, ctx
        if entry is not None and entry.name is not None:
            definitions.append(Definition(entry.name, entry.line, tuple(entry.depends),
                                          entry.context, entry.prompt, tuple(entry.defaults)))
        if block_entry is not None:
            ctx = tuple(c for _, conds in blocks for c in conds)  # a menu's own depends
        entry, block_entry = None, None

    for m in _STATEMENT.finditer(text):
        start = m.start()
        if start >= 2 and text[start - 2] == "\\":
            continue  # the rest of a line continued with \ (select FOO \ <newline> if BAR)
        lead, word, rest = m.groups()
        if help_indent >= 0:
            if _indent(lead) >= help_indent:
                continue
            help_indent = -1
        if rest.endswith("\\"):
            rest = _continued(text, m)
        if "#" in rest:
            rest = _strip_comment(rest)
        rest = rest.strip()
        if word == "depends":
            if rest.startswith("on") and (cond := rest[2:].strip()):
                if block_entry is not None:
                    block_entry.append(cond)
                elif entry is not None:
                    entry.depends.append(cond)
        elif word in ("config", "menuconfig"):
            finish()
            lineno += text.count("\n", pos, m.start())
            pos = m.start()
            entry = _Entry(rest.split()[0] if rest else None, lineno, ctx)
        elif word in _HELP:
            help_indent = _help_indent(text, m.end())
        elif word in _SOURCES:
            finish()
            lineno += text.count("\n", pos, m.start())
            pos = m.start()
            sources.append(Source(rest.strip('"'), lineno, word in ("rsource", "orsource"), ctx))
        elif word in ("menu", "choice"):
            finish()
            blocks.append((word, []))
            block_entry = blocks[-1][1]
        elif word == "if":
            finish()
            blocks.append(("if", [rest]))
            ctx = (*ctx, rest)
        elif word in ("endmenu", "endchoice", "endif"):
            finish()
            for k in range(len(blocks) - 1, -1, -1):  # tolerate a missing end of an inner block
                if _BLOCK_OPEN[blocks[k][0]] == word:
                    del blocks[k:]
                    break
            ctx = tuple(c for _, conds in blocks for c in conds)
        elif word == "comment" or word == "mainmenu":
            finish()
            entry = _Entry(None, 0, ())
        elif entry is not None:
            if word in ("def_bool", "def_tristate", "default"):
                value, _, cond = rest.partition(" if ")
                entry.defaults.append((value.strip(), cond.strip()))
            elif word == "prompt" or rest.startswith(('"', "'")):  # a type with a prompt
                entry.prompt = True
    finish()
    return KconfigFile(tuple(definitions), tuple(sources))


def _indent(lead: str) -> int:
    return len(lead.expandtabs(8)) if "\t" in lead else len(lead)


def _help_indent(text: str, at: int) -> int:
    """The indentation of the first non-blank line after ``at`` (the help text's), or -1
    when that line is not indented (an empty help text). As in Kconfig's lexer, the
    text may be indented no deeper than ``help`` itself (drivers/hid/Kconfig does)."""
    n = len(text)
    at = text.find("\n", at)
    while 0 <= at < n:
        end = text.find("\n", at + 1)
        end = n if end < 0 else end
        line = text[at + 1:end]
        if line.strip():
            stripped = line.lstrip()
            indent = _indent(line[:len(line) - len(stripped)])
            return indent if indent > 0 else -1
        at = end
    return -1


def _continued(text: str, m: re.Match[str]) -> str:
    """A statement's rest with its ``\\``-continued lines joined."""
    rest = m.group(3)
    at = m.end()
    while rest.endswith("\\") and at < len(text):
        nxt = text.find("\n", at + 1)
        nxt = len(text) if nxt < 0 else nxt
        rest = rest[:-1] + " " + text[at + 1:nxt]
        at = nxt
    return rest


def _strip_comment(line: str) -> str:
    if "#" not in line:
        return line
    quote = ""
    for k, c in enumerate(line):
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[:k]
    return line


# ``config NAME`` anywhere; the callers keep those at the start of a line (a literal
# first: six times faster than anchoring the pattern with ^ and re.M)
_DEFINE = re.compile(r"config[ \t]+(\w+)")
def _defined_in(text: str) -> list[str]:
    """The names of the ``config``/``menuconfig`` lines of a text (help text included:
    the parse that follows drops what is not a definition)."""
    out = []
    for d in _DEFINE.finditer(text):
        start = d.start()
        if start == 0 or text[start - 1] == "\n":
            out.append(d.group(1))
            continue
        if text.startswith("menu", start - 4):
            start -= 4
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip(" \t") == "":
            out.append(d.group(1))
    return out


_SOURCE_WORD = re.compile(r"source[ \t]")


def _has_source(text: str) -> bool:
    """Does a ``source`` statement start some line? (Most Kconfig files source nothing.)"""
    for m in _SOURCE_WORD.finditer(text):
        start = m.start()
        while start > 0 and text[start - 1] in "ro":  # rsource, osource, orsource
            start -= 1
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip(" \t") == "":
            return True
    return False


_MACRO = re.compile(r"\$\((\w+)\)")
_OLD_VARIABLE = re.compile(r"\$(\w+)")


@dataclass(frozen=True)
class Value:
    """What an expression can be: the architectures where it can be true, where it can
    be false (bit i for ``arches[i]``), and the tree files that decided it."""
    true: int
    false: int
    files: frozenset[str]


@dataclass(frozen=True)
class KconfigWalk:
    """What walking a tree's Kconfig files found, as plain data a cache can keep: the
    walk reads every Kconfig file (1,700 on Linux 6.1, a second of a ``review --tree``),
    and its outcome changes only when one of ``files`` does.

    ``incoming``: child file -> ((parent, source index, architecture mask), ...);
    ``defined``: symbol -> files that may define it; ``files``: every tree path the walk
    read or found absent (the ones to check before trusting it); ``has_root``: the tree
    has a top-level Kconfig.
    """
    arches: tuple[str, ...]
    has_root: bool
    incoming: dict[str, tuple[tuple[str, int, int], ...]]
    defined: dict[str, tuple[str, ...]]
    files: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"arches": list(self.arches), "has_root": self.has_root,
                "incoming": {c: [list(e) for e in edges] for c, edges in self.incoming.items()},
                "defined": {n: list(f) for n, f in self.defined.items()},
                "files": list(self.files)}

    @classmethod
    def from_json(cls, data: object) -> KconfigWalk | None:
        """The walk ``to_json`` wrote; None for anything else (a damaged cache entry)."""
        try:
            assert isinstance(data, dict)
            return cls(
                tuple(str(a) for a in data["arches"]), bool(data["has_root"]),
                {str(c): tuple((str(p), int(i), int(m)) for p, i, m in edges)
                 for c, edges in data["incoming"].items()},
                {str(n): tuple(str(f) for f in files) for n, files in data["defined"].items()},
                tuple(str(f) for f in data["files"]))
        except (AssertionError, KeyError, TypeError, ValueError, AttributeError):
            return None


class KconfigTree:
    """The Kconfig files of one tree, reached from the top-level Kconfig per architecture."""

    def __init__(self, read: Reader, arches: Iterable[str], walk: KconfigWalk | None = None
                 ) -> None:
        """``walk``: the outcome of an earlier walk of the same files (``snapshot()``),
        used instead of walking again; the caller vouches that the files are the same."""
        self.read = read
        self._texts: dict[str, str | None] = {}
        self._files: dict[str, KconfigFile] = {}
        # child file -> {(parent, source index): architectures whose walk took that edge}
        self._incoming: dict[str, dict[tuple[str, int], int]] = {}
        self._defined: dict[str, list[str]] = {}  # symbol -> files that may define it
        self._reach: dict[str, tuple[int, frozenset[str]] | Unknown | None] = {}
        self._always: dict[str, int | None] = {}
        self._possible: dict[str, Value | Unknown | None] = {}
        self._forced: dict[str, int] = {}
        self._has_root: bool | None = None
        self.walked = False  # whether this object walked the files (not given a walk)
        if walk is not None:
            self.arches = walk.arches
            self.all = (1 << len(self.arches)) - 1
            self._has_root = walk.has_root
            self._incoming = {c: {(p, i): m for p, i, m in edges}
                              for c, edges in walk.incoming.items()}
            self._defined = {n: list(f) for n, f in walk.defined.items()}
            return
        # only architectures the tree has: a name from the knowledge file the tree lacks
        # (ia64 after 6.6) is no architecture of this tree
        self.arches = tuple(a for a in arches if self._text(f"arch/{a}/Kconfig") is not None)
        self.all = (1 << len(self.arches)) - 1
        if self.arches and self._text(ROOT) is not None:
            self._walk()
            self.walked = True

    def snapshot(self) -> KconfigWalk:
        """This tree's walk as plain data (for a cache; see ``KconfigWalk``). Only
        meaningful for an object that walked: the files it read are the walk's."""
        return KconfigWalk(
            self.arches, self.usable,
            {c: tuple((p, i, m) for (p, i), m in edges.items())
             for c, edges in self._incoming.items()},
            {n: tuple(f) for n, f in self._defined.items()},
            tuple(self._texts))

    def assuming(self, arch: str, values: dict[str, bool]) -> KconfigTree:
        """This tree with symbols forced to ``values`` on ``arch`` (the files and the walk
        are shared; what follows from the symbols is worked out afresh): "can the driver
        be built on powerpc with PPC64 off?" asks it of ``assuming("powerpc", {"PPC64":
        False})``."""
        other = copy.copy(self)
        bit = self.mask((arch,))
        other._possible = {
            name: Value(self.all if on else self.all & ~bit, self.all & ~bit if on else self.all,
                        _NO_FILES)
            for name, on in values.items()}
        other._forced = {}
        return other

    @property
    def usable(self) -> bool:
        """The tree has a top-level Kconfig and at least one architecture."""
        if self._has_root is None:
            self._has_root = self._text(ROOT) is not None
        return bool(self.arches) and self._has_root

    def mask(self, arches: Iterable[str]) -> int:
        return sum(1 << i for i, a in enumerate(self.arches) if a in set(arches))

    def names(self, mask: int) -> frozenset[str]:
        return frozenset(a for i, a in enumerate(self.arches) if mask >> i & 1)

    # ---- reading

    def _text(self, path: str) -> str | None:
        if path not in self._texts:
            try:
                self._texts[path] = self.read(path)
            except (OSError, ValueError):
                self._texts[path] = None
        return self._texts[path]

    def file(self, path: str) -> KconfigFile:
        if path not in self._files:
            self._files[path] = parse_kconfig(self._text(path) or "")
        return self._files[path]

    def _walk(self) -> None:
        """Every file some architecture's configuration sources, through which ``source``
        statements, for which architectures: one pass carrying architecture masks."""
        reached = {ROOT: self.all}
        todo = [ROOT]
        while todo:
            parent = todo.pop()
            have = reached[parent]
            text = self._text(parent) or ""
            if not _has_source(text):
                continue  # a leaf: parsed only if a definition in it is asked for
            for idx, src in enumerate(self.file(parent).sources):
                for child, arches in self._children(parent, src):
                    m = have & arches
                    if not m:
                        continue
                    edges = self._incoming.setdefault(child, {})
                    edges[(parent, idx)] = edges.get((parent, idx), 0) | m
                    if m & ~reached.get(child, 0):
                        reached[child] = reached.get(child, 0) | m
                        todo.append(child)
        defined = self._defined
        for path in reached:
            text = self._text(path) or ""
            for name in _defined_in(text):
                files = defined.get(name)
                if files is None:
                    defined[name] = [path]
                elif files[-1] != path:
                    files.append(path)

    def _children(self, parent: str, src: Source) -> list[tuple[str, int]]:
        """The files a ``source`` names, each with the architectures it names it for:
        ``$(SRCARCH)`` is the architecture; another macro (arch/um's ``$(HEADER_ARCH)``)
        is whichever architecture has such a file. Before 4.18 the variables were
        written ``$SRCARCH``."""
        path = _OLD_VARIABLE.sub(r"$(\1)", src.path)
        if src.relative:
            path = posixpath.join(posixpath.dirname(parent), path)
        if "$(" not in path:
            path = posixpath.normpath(path)
            return [(path, self.all)] if self._text(path) is not None else []
        out: dict[str, int] = {}
        for bit, arch in enumerate(self.arches):
            here = path.replace("$(SRCARCH)", arch)
            candidates = [_MACRO.sub(other, here) for other in self.arches] if "$(" in here \
                else [here]
            for c in candidates:
                c = posixpath.normpath(c)
                if "$(" not in c and self._text(c) is not None:
                    out[c] = out.get(c, 0) | 1 << bit
        return list(out.items())

    # ---- where a file is read

    def reach(self, path: str) -> tuple[int, frozenset[str]]:
        """The architectures whose configuration reads ``path`` (with the conditions around
        each ``source`` on the way satisfiable), and the files that decided it."""
        if path == ROOT:
            return self.all, frozenset((ROOT,))
        if path in self._reach:
            got = self._reach[path]
            if isinstance(got, Unknown):
                raise got
            return (self.all, _NO_FILES) if got is None else got  # a cycle: anything
        self._reach[path] = None
        mask, files = 0, {path}
        try:
            for (parent, idx), arches in self._incoming.get(path, {}).items():
                pmask, pfiles = self.reach(parent)
                files |= pfiles
                m = pmask & arches
                context = self.file(parent).sources[idx].context
                if m and context:
                    v = self._conditions(context)
                    files |= v.files
                    m &= v.true
                mask |= m
        except Unknown as e:
            failed = Unknown(str(e), e.files | frozenset(files))
            self._reach[path] = failed
            raise failed from None
        self._reach[path] = (mask, frozenset(files))
        return mask, frozenset(files)

    def _always_read(self, path: str) -> int:
        """The architectures that always read ``path``: every ``source`` on the way is
        outside any condition."""
        if path == ROOT:
            return self.all
        got = self._always.get(path, -1)
        if got is None:
            return 0
        if got != -1:
            return got
        self._always[path] = None
        mask = 0
        for (parent, idx), arches in self._incoming.get(path, {}).items():
            if not self.file(parent).sources[idx].context:
                mask |= self._always_read(parent) & arches
        self._always[path] = mask
        return mask

    # ---- symbols

    def definitions(self, name: str) -> list[tuple[str, Definition]]:
        return [(path, d) for path in self._defined.get(name, ())
                for d in self.file(path).definitions if d.name == name]

    def symbol(self, name: str) -> Value:
        """Where ``name`` can be enabled (true) and disabled (false)."""
        if name in ("y", "m"):
            return Value(self.all, 0, _NO_FILES)
        if name in ("n", "COMPILE_TEST"):
            return Value(0, self.all, _NO_FILES)
        got = self._possible.get(name, False)
        if isinstance(got, Unknown):
            raise got
        if got is None:
            return Value(self.all, self.all, _NO_FILES)  # a cycle: anything
        if isinstance(got, Value):
            return got
        self._possible[name] = None
        try:
            value = self._symbol(name)
        except Unknown as e:
            self._possible[name] = e
            raise
        self._possible[name] = value
        return value

    def _symbol(self, name: str) -> Value:
        true, files = 0, set[str]()
        defs = self.definitions(name)
        for path, d in defs:
            files.add(path)
            try:
                mask, reached = self.reach(path)
                files |= reached
                if mask:
                    v = self._conditions(d.depends + d.context)
                    files |= v.files
                    true |= mask & v.true
            except Unknown as e:
                raise Unknown(f"{path}: {e}", e.files | frozenset(files)) from None
        return Value(true, self.all & ~self._forced_on(name, defs), frozenset(files))

    def _forced_on(self, name: str, defs: list[tuple[str, Definition]]) -> int:
        """Where the symbol is always y: ``def_bool y`` (or a first default y) with no
        condition, in a file always read, and no definition read there gives it a prompt
        (``config ARM64 def_bool y``; 64BIT is forced on arm64, a choice on x86)."""
        mask = prompted = 0
        for path, d in defs:
            if d.prompt:
                prompted |= self.reach(path)[0]
            elif not d.depends and not d.context and d.defaults[:1] == (("y", ""),):
                mask |= self._always_read(path)
        return mask & ~prompted

    def _conditions(self, conds: tuple[str, ...]) -> Value:
        if not conds:
            return Value(self.all, 0, _NO_FILES)
        try:
            expr = conjunction([parse(c) for c in conds])
        except ValueError as e:
            raise Unknown(str(e)) from None
        return self.evaluate(expr)

    def evaluate(self, e: Expr) -> Value:
        """Where ``e`` can be true and where false; raises Unknown."""
        if isinstance(e, Sym):
            return self.symbol(e.name)
        if isinstance(e, Not):
            v = self.evaluate(e.arg)
            return Value(v.false, v.true, v.files)
        if isinstance(e, And | Or):
            a, b = self.evaluate(e.left), self.evaluate(e.right)
            if isinstance(e, And):
                return Value(a.true & b.true, a.false | b.false, a.files | b.files)
            return Value(a.true | b.true, a.false & b.false, a.files | b.files)
        if isinstance(e, ArchIs):
            m = self.mask(e.arches)
            return Value(m, self.all & ~m, _NO_FILES)
        if isinstance(e, Cmp):
            return self._compare(e)
        if isinstance(e, Str | Macro):
            return Value(self.all, self.all, _NO_FILES)
        raise Unknown(repr(e))

    def _compare(self, e: Cmp) -> Value:
        """``FOO = y``, ``FOO != n`` as FOO; ``FOO = n``, ``FOO != y`` as !FOO; any other
        comparison (strings, numbers, two symbols) can go either way."""
        sym, const = e.left, e.right
        if not isinstance(sym, Sym) or sym.name in ("y", "m", "n"):
            sym, const = e.right, e.left
        value = const.name if isinstance(const, Sym) else (
            const.value if isinstance(const, Str) else None)
        if isinstance(sym, Sym) and value in ("y", "m", "n") and e.op in ("=", "!="):
            positive = (value != "n") == (e.op == "=")
            if e.op == "!=" and value == "m":
                return Value(self.all, self.all, _NO_FILES)
            v = self.symbol(sym.name)
            return v if positive else Value(v.false, v.true, v.files)
        return Value(self.all, self.all, _NO_FILES)
