"""Kconfig text of one architecture: who selects a symbol, and what an ``int`` can be.

Whether an architecture can do non-coherent DMA, bounce small kmalloc
buffers or map its stacks with vmalloc is a ``select`` in its Kconfig files
(``arch/arm64/Kconfig``: ``select DMA_BOUNCE_UNALIGNED_KMALLOC``); the L1
line of 32-bit ARM is ``1 << CONFIG_ARM_L1_CACHE_SHIFT``, whose values are the
``default`` lines in ``arch/arm/mm/Kconfig``. The files are those
``arch/<arch>/Kconfig`` sources inside its own folder; ``if``/``endif`` and
``menu`` blocks around an entry are not followed (an entry's own ``if`` is).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Reader = Callable[[str], "str | None"]

_SOURCE = re.compile(r'source[ \t]+"([^"]+)"')
_ENTRY = re.compile(r"^[ \t]*(?:menu)?config[ \t]+(\w+)[ \t]*(?:#.*)?$", re.M)
# where an entry's attribute block ends: the next entry or a block keyword
_BLOCK_END = re.compile(
    r"^[ \t]*(?:(?:menu)?config|choice|endchoice|menu|endmenu|if|endif|source|osource|comment)\b",
    re.M)
_SELECT_LINE = re.compile(r"^[ \t]*select[ \t]", re.M)
_DEFAULT = re.compile(r'^[ \t]*default[ \t]+"?(-?\d+|0x[0-9a-fA-F]+)"?[ \t]*(?:if\b.*)?$', re.M)
_RANGE = re.compile(r"^[ \t]*range[ \t]+(\d+)[ \t]+(\d+)", re.M)
_INT_TYPE = re.compile(r"^[ \t]*(int|hex)\b[ \t]*(\"[^\"]*\")?", re.M)
_PROMPT = re.compile(r"^[ \t]*prompt\b", re.M)
_MAX_RANGE = 16


@dataclass(frozen=True)
class KconfigFile:
    path: str
    text: str
    entries: tuple[tuple[int, str], ...]  # (offset, symbol) of each config entry

    def entry_at(self, offset: int) -> str | None:
        i = bisect.bisect_right(self.entries, (offset, "\uffff")) - 1
        return self.entries[i][1] if i >= 0 else None

    def line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1


@dataclass(frozen=True)
class RawSelect:
    symbol: str
    by: str | None  # the config entry holding the select
    condition: str | None  # its ``if`` clause
    at: str


def arch_kconfig(read: Reader, arch: str) -> tuple[KconfigFile, ...]:
    """``arch/<arch>/Kconfig`` and the files it sources under ``arch/<arch>/``, in order."""
    top = f"arch/{arch}/Kconfig"
    out: list[KconfigFile] = []
    seen: set[str] = set()
    todo = [top]
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        text = read(path)
        if text is None:
            continue
        entries = _entries(text)
        out.append(KconfigFile(path, text, entries))
        for m in _SOURCE.finditer(text):
            bol = text.rfind("\n", 0, m.start()) + 1
            if text[bol:m.start()].strip(" \t") in ("", "o") and \
                    m.group(1).startswith(f"arch/{arch}/"):
                todo.append(m.group(1))
    return tuple(out)


# led by the literal 'config' ('^'-anchored patterns try every line of ~1 MB of Kconfig)
_ENTRY_WORD = re.compile(r"config[ \t]+(\w+)[ \t]*(?:#[^\n]*)?(?=\n|$)")


def _entries(text: str) -> tuple[tuple[int, str], ...]:
    out = []
    for m in _ENTRY_WORD.finditer(text):
        bol = text.rfind("\n", 0, m.start()) + 1
        head = text[bol:m.start()].strip(" \t")
        if head in ("", "menu"):
            out.append((bol, m.group(1)))
    return tuple(out)


def selects(files: Iterable[KconfigFile], symbols: Iterable[str]) -> tuple[RawSelect, ...]:
    """Every ``select S [if C]`` of one of ``symbols``, with the entry that holds it."""
    wanted = sorted(set(symbols), key=len, reverse=True)
    if not wanted:
        return ()
    # led by the literal 'select': a '^'-anchored pattern tries every line of ~1 MB
    pattern = re.compile(r"select[ \t]+(" + "|".join(map(re.escape, wanted)) +
                         r")\b[ \t]*(?:if[ \t]+((?:[^\n\\#]|\\\n)*))?")
    out = []
    for f in files:
        for m in pattern.finditer(f.text):
            bol = f.text.rfind("\n", 0, m.start()) + 1
            if f.text[bol:m.start()].strip(" \t"):
                continue  # in a help text or a comment
            cond = " ".join(m.group(2).replace("\\\n", " ").split()) if m.group(2) else None
            out.append(RawSelect(m.group(1), f.entry_at(m.start()), cond or None,
                                 f"{f.path}:{f.line(m.start())}"))
    return tuple(out)


def main_symbol(files: tuple[KconfigFile, ...], arch: str) -> str | None:
    """The architecture's own symbol: ``config ARM64`` in ``arch/arm64/Kconfig``, else the
    entry of that file selecting the most (``PPC``, ``SUPERH``, ``UML``)."""
    if not files:
        return None
    top = files[0]
    names = {name for _, name in top.entries}
    if arch.upper() in names:
        return arch.upper()
    counts: dict[str, int] = {}
    for m in _SELECT_LINE.finditer(top.text):
        by = top.entry_at(m.start())
        if by is not None:
            counts[by] = counts.get(by, 0) + 1
    return max(counts, key=lambda s: counts[s]) if counts else None


def int_values(files: Iterable[KconfigFile], symbol: str) -> frozenset[int] | None:
    """The values an ``int`` symbol can take: its ``default`` lines when it has no
    prompt (the user cannot set it), else its ``range``; None when neither says."""
    for f in files:
        for start, name in f.entries:
            if name != symbol:
                continue
            head = f.text.find("\n", start)
            head = len(f.text) if head < 0 else head
            end = _BLOCK_END.search(f.text, head)
            block = f.text[head:end.start() if end else len(f.text)]
            kind = _INT_TYPE.search(block)
            if kind is None:
                continue  # a bool of the same name elsewhere, or no type here
            values = {int(d.group(1), 0) for d in _DEFAULT.finditer(block)}
            if kind.group(2) or _PROMPT.search(block):
                r = _RANGE.search(block)
                if r is None or int(r.group(2)) - int(r.group(1)) > _MAX_RANGE:
                    return None
                values |= set(range(int(r.group(1)), int(r.group(2)) + 1))
            return frozenset(values) if values else None
    return None


def entry_depends(text: str, symbol: str) -> tuple[str, ...] | None:
    """The ``depends on`` expressions of ``config SYMBOL`` in one Kconfig text."""
    for m in _ENTRY.finditer(text):
        if m.group(1) != symbol:
            continue
        end = _BLOCK_END.search(text, m.end())
        block = text[m.end():end.start() if end else len(text)]
        return tuple(" ".join(d.split()) for d in
                     re.findall(r"^[ \t]*depends[ \t]+on[ \t]+((?:[^\n\\]|\\\n)*)", block, re.M))
    return None
