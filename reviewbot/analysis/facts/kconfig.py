"""Which architectures a driver can build for, from its Kconfig ``depends on``.

``____cacheline_aligned`` falls short of ARCH_DMA_MINALIGN only where the L1
line is smaller than the DMA alignment (arm64: 64 against 128). A driver whose
Kconfig entry requires one other architecture (``depends on ARM && ...``,
``depends on X86``) does not have that problem, so its L1-isolated buffers are
not reported. The entry is found the way a maintainer finds it: the Makefile
beside the file names the object under ``obj-$(CONFIG_FOO)`` (directly or
through a composite object), and ``config FOO`` is in a Kconfig of that
directory or the one above. Anything not understood means "any architecture".
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from functools import lru_cache

Reader = Callable[[str], "str | None"]

_OBJ = re.compile(r"^\s*([\w.-]+?)-(\$\(CONFIG_(\w+)\)|y|m|objs)\s*[:+]?=\s*(.*)$")


def only_arch(read: Reader, path: str, arch_symbols: dict[str, str]) -> str | None:
    """The one architecture ``path`` can be built for, or None (several, or unknown)."""
    directory = posixpath.dirname(path)
    stem = posixpath.splitext(posixpath.basename(path))[0]
    symbol = _symbol(read, directory, stem + ".o", 0)
    if symbol is None:
        return None
    for kconfig in (posixpath.join(directory, "Kconfig"),
                    posixpath.join(posixpath.dirname(directory), "Kconfig")):
        depends = _depends(read(kconfig) or "", symbol)
        if depends is not None:
            return _single_arch(depends, arch_symbols)
    return None


def _symbol(read: Reader, directory: str, obj: str, depth: int) -> str | None:
    text = (read(posixpath.join(directory, "Makefile")) or
            read(posixpath.join(directory, "Kbuild")) or "")
    for target, symbol, objects in _objects(text):
        if obj not in objects:
            continue
        if target == "obj" and symbol:
            return symbol
        if target != "obj" and depth < 2:  # foo-objs := a.o b.o; obj-$(CONFIG_X) += foo.o
            found = _symbol(read, directory, target + ".o", depth + 1)
            if found is not None:
                return found
    return None


# Bounded by the tree, not by a directory's neighbours: a scan hands a worker its
# files biggest first, across ~3,000 folders, and 64 entries missed on most of them.
@lru_cache(maxsize=4096)
def _objects(text: str) -> tuple[tuple[str, str | None, frozenset[str]], ...]:
    """A Makefile's object lines (target, CONFIG symbol, objects), parsed once per text:
    every C file of a directory asks the same Makefile."""
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        m = _OBJ.match(line)
        if m is not None:
            out.append((m.group(1), m.group(3), frozenset(m.group(4).split())))
    return tuple(out)


def _depends(text: str, symbol: str) -> list[str] | None:
    """The ``depends on`` expressions of ``config SYMBOL`` in a Kconfig text."""
    found = _kconfig(text).get(symbol)
    return None if found is None else list(found)


_CONFIG = re.compile(r"^\s*(?:menu)?config\s+(\w+)\s*$")
_END = re.compile(r"^\s*(?:menu)?config\s|^\s*(?:endmenu|endif|menu|if|choice)\b")
_DEPENDS = re.compile(r"^\s*depends\s+on\s+(.*)$")


@lru_cache(maxsize=4096)
def _kconfig(text: str) -> dict[str, tuple[str, ...]]:
    """Every ``config`` entry of a Kconfig text with its ``depends on`` lines (the first
    entry of a symbol wins), in one pass: a directory's files all ask the same Kconfig."""
    out: dict[str, tuple[str, ...]] = {}
    symbol: str | None = None
    deps: list[str] = []
    for line in text.replace("\\\n", " ").splitlines():
        m = _CONFIG.match(line)
        if m is not None or _END.match(line):
            if symbol is not None and symbol not in out:
                out[symbol] = tuple(deps)
            symbol, deps = (m.group(1) if m else None), []
            continue
        if symbol is not None and (d := _DEPENDS.match(line)):
            deps.append(d.group(1).split("#")[0].strip())
    if symbol is not None and symbol not in out:
        out[symbol] = tuple(deps)
    return out


def _single_arch(depends: list[str], arch_symbols: dict[str, str]) -> str | None:
    arches: set[str] = set()
    for expr in depends:
        for conjunct in _top_level_and(expr):
            if conjunct in arch_symbols:
                arches.add(arch_symbols[conjunct])
    return arches.pop() if len(arches) == 1 else None


def _top_level_and(expr: str) -> list[str]:
    """``ARM && (ARCH_X || COMPILE_TEST)`` -> ["ARM", "(ARCH_X || COMPILE_TEST)"]."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(expr):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif depth == 0 and expr.startswith("&&", i):
            out.append(expr[start:i].strip())
            start = i + 2
    out.append(expr[start:].strip())
    return out
