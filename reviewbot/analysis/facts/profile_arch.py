"""One architecture's part of the tree profile: its three alignment macros and its selects.

``ARCH_DMA_MINALIGN``, ``ARCH_KMALLOC_MINALIGN`` and ``L1_CACHE_BYTES`` as its
``asm/cache.h`` (and the machine headers that includes, and ``asm/page.h``)
defines them, each definition with the ``#if`` it sits under and the bytes it
can take; where the architecture defines none, the generic fallbacks of
``include/linux/cache.h`` and ``include/linux/slab.h`` as this tree states
them. Its Kconfig ``select``s of the symbols that make DMA non-coherent, of
``DMA_BOUNCE_UNALIGNED_KMALLOC``, ``SWIOTLB`` and ``HAVE_ARCH_VMAP_STACK``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reviewbot.analysis.facts import profile_cpp as cpp
from reviewbot.analysis.facts import profile_kconfig as kc
from reviewbot.analysis.facts.profile_model import (
    DMA_MINALIGN,
    KMALLOC_MINALIGN,
    L1_CACHE_BYTES,
    ArchProfile,
    Definition,
    MacroFact,
    Select,
)

Reader = Callable[[str], "str | None"]

GENERIC_CACHE = "include/linux/cache.h"
GENERIC_ASM_CACHE = "include/asm-generic/cache.h"
SLAB = "include/linux/slab.h"
BOUNCE_SYMBOL = "DMA_BOUNCE_UNALIGNED_KMALLOC"
SWIOTLB_SYMBOL = "SWIOTLB"
VMAP_STACK_SYMBOL = "HAVE_ARCH_VMAP_STACK"


@dataclass(frozen=True)
class Generic:
    """The fallbacks of include/linux/cache.h and slab.h, as this tree states them."""

    dma: cpp.Define | None  # ARCH_DMA_MINALIGN when the architecture has none
    kmalloc_follows: cpp.Define | None  # ARCH_KMALLOC_MINALIGN = ARCH_DMA_MINALIGN ...
    kmalloc_above: int | None  # ... when ARCH_DMA_MINALIGN is above this
    kmalloc_default: cpp.Define | None  # ARCH_KMALLOC_MINALIGN otherwise

    @staticmethod
    def read(read: Reader) -> Generic:
        dma = follows = default = None
        above = None
        text = read(GENERIC_CACHE)
        if text is not None:
            dma = next((d for d in cpp.scan_header(text, GENERIC_CACHE).named(DMA_MINALIGN)
                        if any(f"!defined({DMA_MINALIGN})" in f for f in d.frames)), None)
        text = read(SLAB)
        if text is not None:
            for d in cpp.scan_header(text, SLAB).named(KMALLOC_MINALIGN):
                m = next((re.search(rf"{DMA_MINALIGN}\s*>\s*(\d+)", f) for f in d.frames
                          if re.search(rf"{DMA_MINALIGN}\s*>\s*\d+", f)), None)
                if d.expression == DMA_MINALIGN and m is not None:
                    follows, above = d, int(m.group(1))
                elif any(f"!defined({KMALLOC_MINALIGN})" in f for f in d.frames):
                    default = d
        return Generic(dma, follows, above, default)


@dataclass
class _ArchHeaders:
    """The defines of one architecture's headers, by name, and the values of expressions
    over them (``CONFIG_`` integers from its Kconfig), each computed once."""

    defines: dict[str, list[cpp.Define]]
    kconfig: tuple[kc.KconfigFile, ...]

    def __post_init__(self) -> None:
        self._macros = {n: [d.expression for d in ds] for n, ds in self.defines.items()}
        self._ints: dict[str, frozenset[int] | None] = {}
        self._values: dict[str, tuple[int, ...]] = {}

    def ints(self, symbol: str) -> frozenset[int] | None:
        if symbol not in self._ints:
            self._ints[symbol] = kc.int_values(self.kconfig, symbol)
        return self._ints[symbol]

    def values(self, expression: str) -> tuple[int, ...]:
        if expression not in self._values:
            found = cpp.expression_values(expression, self._macros, self.ints)
            self._values[expression] = tuple(sorted(found)) if found else ()
        return self._values[expression]

    def definitions(self, name: str) -> tuple[Definition, ...]:
        return tuple(Definition(d.expression, d.at, cpp.kconfig_when(d.frames),
                                self.values(d.expression))
                     for d in self.defines.get(name, []))


def read_arch(read: Reader, arch: str, generic: Generic,
          noncoherent_symbols: tuple[str, ...] | None) -> ArchProfile | None:
    kconfig = kc.arch_kconfig(read, arch)
    cache_h = f"arch/{arch}/include/asm/cache.h"
    if not kconfig and read(cache_h) is None:
        return None  # no such architecture in this tree
    headers = _arch_headers(read, arch, cache_h, kconfig)
    l1 = headers.definitions(L1_CACHE_BYTES)
    dma = headers.definitions(DMA_MINALIGN)
    symbol = kc.main_symbol(kconfig, arch)
    wanted = (*(noncoherent_symbols or ()), BOUNCE_SYMBOL, SWIOTLB_SYMBOL, VMAP_STACK_SYMBOL)
    raw = kc.selects(kconfig, wanted) if kconfig else None

    def selected(symbols: Iterable[str] | None) -> tuple[Select, ...] | None:
        if raw is None or symbols is None:
            return None
        return _selects(raw, symbol, frozenset(symbols))

    return ArchProfile(
        name=arch,
        symbol=symbol,
        l1_cache_bytes=_fact(L1_CACHE_BYTES, l1),
        dma_minalign=_with_fallback(DMA_MINALIGN, dma, generic.dma, headers),
        kmalloc_minalign=_kmalloc(headers.definitions(KMALLOC_MINALIGN), dma, generic),
        dma_get_cache_alignment=_dma_alignment_override(read, headers),
        noncoherent=selected(noncoherent_symbols),
        bounce_unaligned_kmalloc=selected((BOUNCE_SYMBOL,)),
        swiotlb=selected((SWIOTLB_SYMBOL,)),
        vmap_stack=selected((VMAP_STACK_SYMBOL,)),
    )


def _fact(name: str, definitions: tuple[Definition, ...], covered: bool | None = None) -> MacroFact:
    """The macro with ``definitions``; its values only when every one is known and some
    definition holds in every configuration (``covered``, else worked out here)."""
    if covered is None:
        covered = cpp.always_holds(d.when for d in definitions)
    values: tuple[int, ...] | None = None
    if definitions and covered and all(d.bytes for d in definitions):
        values = tuple(sorted({b for d in definitions for b in d.bytes}))
    return MacroFact(name, definitions, values)


def _with_fallback(name: str, own: tuple[Definition, ...], fallback: cpp.Define | None,
                   headers: _ArchHeaders) -> MacroFact:
    """The architecture's definitions, and the generic one where none of them holds."""
    if cpp.always_holds(d.when for d in own):
        return _fact(name, own, covered=True)
    if fallback is None:
        return _fact(name, own, covered=False)
    generic = Definition(fallback.expression, fallback.at, _otherwise(own),
                         headers.values(fallback.expression))
    return _fact(name, (*own, generic), covered=True)


def _otherwise(own: Iterable[Definition]) -> str | None:
    conds = [d.when for d in own if d.when]
    return cpp.negate(cpp.any_of(conds)) if conds else None


def _kmalloc(own: tuple[Definition, ...], dma: tuple[Definition, ...],
             generic: Generic) -> MacroFact:
    """ARCH_KMALLOC_MINALIGN as slab.h derives it where the architecture does not define it:
    ARCH_DMA_MINALIGN when the architecture defines that above 8, else ``__alignof__(u64)``."""
    if cpp.always_holds(d.when for d in own):
        return _fact(KMALLOC_MINALIGN, own, covered=True)
    follows, default = generic.kmalloc_follows, generic.kmalloc_default
    if follows is None or default is None:
        return _fact(KMALLOC_MINALIGN, own, covered=False)
    above = generic.kmalloc_above or 0
    default_bytes = tuple(sorted(cpp.expression_values(default.expression, {},
                                                       lambda _s: None) or ()))
    covered = {d.when for d in own}
    derived: list[Definition] = []
    for d in dma:
        if d.when in covered:
            continue  # the architecture defines both under the same condition (riscv)
        if not d.bytes:
            derived.append(Definition(follows.expression, follows.at, d.when))
            continue
        high = tuple(b for b in d.bytes if b > above)
        if high:
            derived.append(Definition(follows.expression, follows.at, d.when, high))
        if len(high) < len(d.bytes):
            derived.append(Definition(default.expression, default.at, d.when, default_bytes))
    if not cpp.always_holds(d.when for d in dma):
        # the configurations where the architecture defines no ARCH_DMA_MINALIGN
        when = _otherwise(dma)
        if when not in covered:
            derived.append(Definition(default.expression, default.at, when, default_bytes))
    return _fact(KMALLOC_MINALIGN, (*own, *derived), covered=True)


def _arch_headers(read: Reader, arch: str, cache_h: str,
                  kconfig: tuple[kc.KconfigFile, ...]) -> _ArchHeaders:
    """The defines of ``asm/cache.h`` (the generic one when the architecture has none), the
    machine headers it includes, and ``asm/page.h`` (sh and microblaze kept
    ARCH_DMA_MINALIGN there in 6.1)."""
    defines: dict[str, list[cpp.Define]] = {}
    text = read(cache_h)
    path = cache_h
    if text is None:
        path, text = GENERIC_ASM_CACHE, read(GENERIC_ASM_CACHE)
    scanned = [cpp.scan_header(text, path)] if text is not None else []
    page_h = f"arch/{arch}/include/asm/page.h"
    page = read(page_h)
    if page is not None:
        scanned.append(cpp.scan_header(page, page_h))
    dirs: list[tuple[str, str | None]] | None = None
    for header in scanned[:1]:  # cache.h's machine headers (mips <kmalloc.h>, sh <cpu/cache.h>)
        for inc in header.includes:
            if inc.target.startswith(("asm/", "linux/", "asm-generic/", "uapi/", "vdso/")):
                continue
            if dirs is None:
                dirs = _machine_include_dirs(read, arch)
            scanned += _machine_headers(read, dirs, inc)
    for header in scanned:
        for d in header.defines:
            defines.setdefault(d.name, []).append(d)
    return _ArchHeaders(defines, kconfig)


_MAKE_VAR = re.compile(r"^[ \t]*([\w-]+?)-(\$\(CONFIG_(\w+)\)|y)[ \t]*[:+]?=((?:[^\n\\]|\\\n)*)",
                       re.M)
_INCLUDE_DIR = re.compile(r"-I[ \t]*\$\(srctree\)/(arch/[\w./-]+?)/?(?=\s|$)")
# a make variable whose words are include folders: $(addprefix -I $(srctree)/arch/sh/include/,
# $(cpuincdir-y)) in 6.12, $(foreach d, $(cpuincdir-y), -I $(srctree)/arch/sh/include/$(d)) in 6.1
_PREFIXED = (
    re.compile(r"\$\(addprefix[ \t]+-I[ \t]*\$\(srctree\)/(?P<prefix>arch/[\w/-]+/),"
               r"(?P<vars>(?:[ \t]*\$\([\w-]+-y\))+)"),
    re.compile(r"\$\(foreach[ \t]+(?P<d>\w+),[ \t]*(?P<vars>\$\([\w-]+-y\)),[ \t]*-I[ \t]*"
               r"\$\(srctree\)/(?P<prefix>arch/[\w/-]+/)\$\((?P=d)\)\)"),
)
_PLATFORM = re.compile(r"^[ \t]*platform-\$\(CONFIG_\w+\)[ \t]*\+=[ \t]*([\w-]+)/", re.M)


def _machine_include_dirs(read: Reader, arch: str) -> list[tuple[str, str | None]]:
    """The machine include folders of an architecture, in search order, each with the
    config symbol that adds it (None: always). mips adds ``asm/mach-<platform>`` in
    each platform's ``Platform`` file and ``asm/mach-generic`` last; sh adds
    ``cpu-<cpu>`` folders through ``cpuincdir-$(CONFIG_CPU_...)``."""
    texts = []
    platforms = read(f"arch/{arch}/Kbuild.platforms")
    if platforms is not None:
        for d in dict.fromkeys(_PLATFORM.findall(platforms)):
            t = read(f"arch/{arch}/{d}/Platform")
            if t is not None:
                texts.append(t)
    makefile = read(f"arch/{arch}/Makefile")
    if makefile is not None:
        texts.append(makefile)
    dirs: list[tuple[str, str | None]] = []
    prefixed: dict[str, str] = {}  # make variable -> folder prefix ($(addprefix -I ...))
    for t in texts:
        for pattern in _PREFIXED:
            for m in pattern.finditer(t):
                for var in re.findall(r"\$\(([\w-]+)-y\)", m.group("vars")):
                    prefixed[var] = m.group("prefix")
    for t in texts:
        for m in _MAKE_VAR.finditer(t):
            var, symbol = m.group(1), m.group(3)
            value = m.group(4).replace("\\\n", " ").split("#", 1)[0]
            found = [d for d in _INCLUDE_DIR.findall(value) if d.startswith(f"arch/{arch}/")]
            if var in prefixed:
                found += [prefixed[var] + w for w in value.split() if re.fullmatch(r"[\w-]+", w)]
            dirs += [(d.rstrip("/"), symbol) for d in found]
    always = [d for d, s in dirs if s is None]
    ordered = [(d, s) for d, s in dirs if s is not None and d not in always]
    return list(dict.fromkeys(ordered)) + [(d, None) for d in dict.fromkeys(always)]


def _machine_headers(read: Reader, dirs: list[tuple[str, str | None]],
                     inc: cpp.Include) -> list[cpp.HeaderText]:
    """The headers ``#include <inc>`` finds in each machine folder, under the condition that
    picks that folder; the unconditional folder where no conditional one has the file."""
    out = []
    picked: list[str] = []
    for directory, symbol in dirs:
        path = f"{directory}/{inc.target}"
        text = read(path)
        if text is None:
            continue
        if symbol is not None:
            frames = (*inc.frames, f"defined(CONFIG_{symbol})")
            picked.append(f"defined(CONFIG_{symbol})")
        else:
            frames = (*inc.frames, cpp.negate(cpp.any_of(picked))) if picked else inc.frames
        scanned = cpp.scan_header(text, path)
        out.append(cpp.HeaderText(tuple(d.under(frames) for d in scanned.defines), ()))
        if symbol is None:
            break
    return out


def _dma_alignment_override(read: Reader, headers: _ArchHeaders) -> tuple[Definition, ...]:
    """``#define dma_get_cache_alignment X`` of the architecture: a run-time value."""
    out = []
    for d in headers.defines.get("dma_get_cache_alignment", []):
        expression = d.expression
        if expression == d.name:  # riscv: an inline function of the same name
            text = read(d.path) or ""
            found = cpp.definition(cpp.uncomment(text), d.name)
            m = re.search(r"return\s+([^;]+);", found.body) if found else None
            expression = " ".join(m.group(1).split()) if m else expression
        out.append(Definition(expression, d.at, cpp.kconfig_when(d.frames)))
    return tuple(out)


# ------------------------------------------------------------------ Kconfig selects

def _selects(raw: Iterable[kc.RawSelect], arch_symbol: str | None,
             symbols: frozenset[str]) -> tuple[Select, ...]:
    """The selects of ``symbols``; the condition is the selecting entry unless it is the
    architecture's own symbol, and the entry's ``if`` clause."""
    out = []
    for s in raw:
        if s.symbol not in symbols:
            continue
        parts = [] if s.by == arch_symbol else [s.by or "?"]
        if s.condition:
            simple = not parts or re.fullmatch(r"!?\w+", s.condition)
            parts.append(s.condition if simple else f"({s.condition})")
        out.append(Select(s.symbol, s.by or "?", s.at, " && ".join(parts) or None))
    return tuple(out)
