"""Which module a C file builds into, and the Kconfig symbol that enables it.

Read from the Makefile (or Kbuild) next to the file, the way a maintainer
would: ``obj-$(CONFIG_FOO) += foo.o`` directly, or through a composite
object (``foo-y``/``foo-objs := a.o b.o``). A file found in neither is
grouped by its directory, with the symbol that enters that directory from
the parent Makefile (``obj-$(CONFIG_BAR) += dir/``) when there is one.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

_ASSIGN = re.compile(
    r"^\s*(?P<lhs>[\w.-]+?)-(?P<cond>\$\(CONFIG_(?P<sym>\w+)\)|y|m|objs|\w+)\s*[:+]?=\s*(?P<rhs>.*)$"
)


@dataclass(frozen=True)
class Module:
    name: str
    path: str  # the file for a one-file module, else the directory
    kconfig: str | None


def _logical_lines(text: str) -> list[str]:
    return text.replace("\\\n", " ").splitlines()


class Kbuild:
    def __init__(self, read: Callable[[str], str | None]) -> None:
        self._read = read
        self._cache: dict[str, list[tuple[str, str | None, str | None, list[str]]]] = {}

    def _rules(self, directory: str) -> list[tuple[str, str | None, str | None, list[str]]]:
        """(lhs, condition kind, CONFIG symbol, objects) per assignment in a Makefile."""
        if directory not in self._cache:
            rules = []
            for name in ("Makefile", "Kbuild"):
                text = self._read(posixpath.join(directory, name) if directory else name)
                if text is None:
                    continue
                for line in _logical_lines(text):
                    m = _ASSIGN.match(line.split("#", 1)[0])
                    if m:
                        rules.append((m["lhs"], m["cond"], m["sym"], m["rhs"].split()))
            self._cache[directory] = rules
        return self._cache[directory]

    def module_of(self, path: str) -> Module:
        directory, filename = posixpath.split(path)
        obj = re.sub(r"\.[cS]$", ".o", filename)
        stem = obj[:-2]
        for lhs, _cond, sym, objs in self._rules(directory):
            if obj in objs and lhs in ("obj", "lib"):
                return Module(stem, path, sym)
        for lhs, _cond, sym, objs in self._rules(directory):
            if obj in objs and lhs not in ("obj", "lib", "ccflags", "subdir"):
                composite = f"{lhs}.o"
                for lhs2, _c2, sym2, objs2 in self._rules(directory):
                    if lhs2 in ("obj", "lib") and composite in objs2:
                        return Module(lhs, directory, sym2 or sym)
                return Module(lhs, directory, sym)
        return Module(posixpath.basename(directory) or path, directory, self._dir_symbol(directory))

    def _dir_symbol(self, directory: str) -> str | None:
        parent, name = posixpath.split(directory)
        if not name:
            return None
        for lhs, _cond, sym, objs in self._rules(parent):
            if lhs == "obj" and f"{name}/" in objs:
                return sym or self._dir_symbol(parent)
        return None
