"""The tree profile: what the kernel tree under review says about DMA alignment.

Whether a finding corrupts data depends on the tree: in Linux 6.1 every
architecture's kmalloc is aligned to ``ARCH_DMA_MINALIGN``; since v6.5 arm64
guarantees 8 bytes and ``dma_kmalloc_needs_bounce()`` bounces what is too
small; 32-bit ARM's DMA alignment is its L1 line, x86 has no non-coherent
DMA at all. Judging every tree as if it were 6.1 (the numbers of
``config/dma.toml``) made half of what a maintainer saw wrong on 6.12.

So the facts are read from the tree itself, once per tree, from the few files
that state them (dma-rules.md, "Where a tree says it"): per architecture its
``asm/cache.h`` and Kconfig, and a dozen generic files. Every fact says where
it was read (``path:line``). A fact the tree does not state is None (unknown),
never borrowed from another version. ``files`` lists every path asked for,
found or not, so a cache can key on them.

Reading a whole tree's profile costs about 330 small file reads and 60 ms
of CPU on Debian's 6.1 and 6.12 trees (bench/tree_profile.py).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reviewbot.analysis.facts import profile_cpp as cpp
from reviewbot.analysis.facts import profile_kconfig as kc

Reader = Callable[[str], "str | None"]  # tree-relative path -> text, None if absent

DMA_MINALIGN = "ARCH_DMA_MINALIGN"
KMALLOC_MINALIGN = "ARCH_KMALLOC_MINALIGN"
L1_CACHE_BYTES = "L1_CACHE_BYTES"

# Where the tree states each fact.
MAKEFILE = "Makefile"
GENERIC_CACHE = "include/linux/cache.h"
GENERIC_ASM_CACHE = "include/asm-generic/cache.h"
SLAB = "include/linux/slab.h"
SLAB_COMMON = "mm/slab_common.c"
DMA_MAP_OPS = "include/linux/dma-map-ops.h"
DMA_KCONFIG = "kernel/dma/Kconfig"
BOUNCE_CALLERS = ("kernel/dma/direct.h", "drivers/iommu/dma-iommu.c")
DEVRES = "drivers/base/devres.c"
IIO = "include/linux/iio/iio.h"
CRYPTO = "include/linux/crypto.h"
ALGAPI = "include/crypto/algapi.h"
CRYPTO_HELPERS = (ALGAPI, *(f"include/crypto/internal/{n}.h"
                            for n in ("aead", "akcipher", "hash", "kpp", "skcipher")))
SPI = "drivers/spi/spi.c"
HCD = "drivers/usb/core/hcd.c"
# APIs that copy the caller's buffer into DMA-safe memory, and the header declaring them.
COPYING_APIS = (
    ("include/linux/usb.h", ("usb_control_msg_recv", "usb_control_msg_send")),
    ("include/linux/spi/spi.h", ("spi_write_then_read", "spi_w8r8", "spi_w8r16",
                                 "spi_w8r16be")),
)
BOUNCE_SYMBOL = "DMA_BOUNCE_UNALIGNED_KMALLOC"
SWIOTLB_SYMBOL = "SWIOTLB"
VMAP_STACK_SYMBOL = "HAVE_ARCH_VMAP_STACK"


# ------------------------------------------------------------------ the profile

@dataclass(frozen=True)
class Definition:
    """One definition of a macro: as written, where, under which condition.

    ``when`` is the ``#if`` condition in Kconfig words (``NOT_COHERENT_CACHE``,
    ``!PPC_8xx && PPC32``), None when it always holds. ``bytes`` are the values
    it can take (several when it depends on the configuration, like
    ``1 << CONFIG_ARM_L1_CACHE_SHIFT``); empty when the files read do not say.
    """

    expression: str
    at: str
    when: str | None = None
    bytes: tuple[int, ...] = ()


@dataclass(frozen=True)
class MacroFact:
    """What one macro is on one architecture: every definition that can apply.

    ``values`` is the union of their bytes, None when one of them is unknown
    (or nothing covers a configuration), e.g. xtensa's L1 line, which comes
    from a processor variant header the profile does not read.
    """

    name: str
    definitions: tuple[Definition, ...] = ()
    values: tuple[int, ...] | None = None

    @property
    def largest(self) -> int | None:
        return max(self.values) if self.values else None

    @property
    def smallest(self) -> int | None:
        return min(self.values) if self.values else None


@dataclass(frozen=True)
class Select:
    """A Kconfig ``select`` of ``symbol``: by which entry, under which condition.

    ``when`` is None when the architecture's own symbol selects it
    unconditionally; otherwise the entry (``NOT_COHERENT_CACHE``) and/or its
    ``if`` clause (``SWIOTLB``) that must hold.
    """

    symbol: str
    by: str
    at: str
    when: str | None = None


@dataclass(frozen=True)
class ArchProfile:
    """One architecture of the tree (``arch/<name>/``).

    The tuples of selects are None when its Kconfig could not be read, or when
    the tree does not say which symbols make DMA non-coherent.
    ``dma_get_cache_alignment`` holds the architecture's own override of
    ``dma_get_cache_alignment()`` (empty: the generic one, ARCH_DMA_MINALIGN).
    """

    name: str
    symbol: str | None
    l1_cache_bytes: MacroFact
    dma_minalign: MacroFact
    kmalloc_minalign: MacroFact
    dma_get_cache_alignment: tuple[Definition, ...] = ()
    noncoherent: tuple[Select, ...] | None = None
    bounce_unaligned_kmalloc: tuple[Select, ...] | None = None
    swiotlb: tuple[Select, ...] | None = None
    vmap_stack: tuple[Select, ...] | None = None

    @property
    def can_be_noncoherent(self) -> bool | None:
        """Can a device on this architecture do non-coherent DMA at all?"""
        return None if self.noncoherent is None else bool(self.noncoherent)

    @property
    def bounces_kmalloc(self) -> bool | None:
        """Does it select DMA_BOUNCE_UNALIGNED_KMALLOC (in some configuration)?"""
        return None if self.bounce_unaligned_kmalloc is None else bool(
            self.bounce_unaligned_kmalloc)

    @property
    def has_vmap_stack(self) -> bool | None:
        return None if self.vmap_stack is None else bool(self.vmap_stack)


@dataclass(frozen=True)
class KmallocMinimum:
    """How kmalloc's alignment is decided: by the macro at build time, or at boot.

    6.1: ``ARCH_KMALLOC_MINALIGN`` (``function`` None). 6.5+:
    ``__kmalloc_minalign()`` starts from ``dma_get_cache_alignment()`` and
    lowers it to ``ARCH_KMALLOC_MINALIGN`` when every one of ``lowered_when``
    holds (``DMA_BOUNCE_UNALIGNED_KMALLOC``, ``is_swiotlb_allocated()``).
    """

    at: str
    starts_from: str
    function: str | None = None
    lowered_to: str | None = None
    lowered_when: tuple[str, ...] = ()


@dataclass(frozen=True)
class BounceCheck:
    """What ``dma_kmalloc_needs_bounce()`` checks in this tree.

    A mapping is bounced only with every symbol of ``requires`` (whose Kconfig
    entry ``depends`` on more), never for a coherent device when
    ``skips_coherent``, never in a direction of ``skips_directions``, never at
    or above ``size_bound`` bytes, nor when ``checks_size_class`` and the
    kmalloc size class is aligned. ``callers``: the mapping paths that call it.
    """

    at: str
    requires: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()
    skips_coherent: bool = False
    skips_directions: tuple[str, ...] = ()
    size_bound: str | None = None
    checks_size_class: bool = False
    callers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stated:
    """A yes/no fact and the line (or file) that states it."""

    value: bool
    at: str


@dataclass(frozen=True)
class Api:
    """Whether the tree has a function: None when its header is not in the tree."""

    name: str
    exists: bool | None = None
    at: str | None = None


@dataclass(frozen=True)
class TreeProfile:
    """The DMA facts of one kernel tree; see the module docstring.

    None is "the tree does not say" (its file is missing, or not in a shape the
    reader knows); an empty tuple or False is what the tree says: 6.1's
    include/crypto/algapi.h defines no CRYPTO_DMA_ALIGN and no ``*_ctx_dma``
    helper, its dma-map-ops.h has no dma_kmalloc_needs_bounce().
    """

    version: str | None = None
    arches: tuple[ArchProfile, ...] = ()
    noncoherent_symbols: tuple[str, ...] | None = None
    noncoherent_symbols_at: str | None = None
    kmalloc_minimum: KmallocMinimum | None = None
    has_bounce_check: bool | None = None
    bounce_check: BounceCheck | None = None
    devres_align: Definition | None = None
    iio_dma_minalign: tuple[Definition, ...] | None = None
    crypto_minalign: tuple[Definition, ...] | None = None
    crypto_dma_align: tuple[Definition, ...] | None = None
    ctx_dma_helpers: tuple[str, ...] | None = None
    spi_maps_vmalloc: Stated | None = None
    usb_hcd_refuses_stack: Stated | None = None
    copying_apis: tuple[Api, ...] = ()
    files: tuple[str, ...] = ()

    @property
    def version_tuple(self) -> tuple[int, ...] | None:
        if self.version is None:
            return None
        m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", self.version)
        return None if m is None else tuple(int(g) for g in m.groups() if g is not None)

    def arch(self, name: str) -> ArchProfile | None:
        return next((a for a in self.arches if a.name == name), None)

    def macro_values(self, macro: str, arch: str) -> tuple[int, ...] | None:
        """The bytes ``macro`` can be on ``arch``: the three per-architecture macros, and
        the tree-wide ones defined as one of them (IIO_DMA_MINALIGN, CRYPTO_MINALIGN)."""
        a = self.arch(arch)
        if a is None:
            return None
        own = {DMA_MINALIGN: a.dma_minalign, KMALLOC_MINALIGN: a.kmalloc_minalign,
               L1_CACHE_BYTES: a.l1_cache_bytes}
        if macro in own:
            return own[macro].values
        aliases = {"IIO_DMA_MINALIGN": self.iio_dma_minalign,
                   "CRYPTO_MINALIGN": self.crypto_minalign}.get(macro)
        if aliases and len(aliases) == 1 and aliases[0].expression in own:
            return own[aliases[0].expression].values
        return None


# ------------------------------------------------------------------ reading

class _Recorder:
    """The tree reader, remembering every path asked (found or not) and its text."""

    def __init__(self, read: Reader) -> None:
        self._read = read
        self.texts: dict[str, str | None] = {}

    def __call__(self, path: str) -> str | None:
        if path not in self.texts:
            try:
                self.texts[path] = self._read(path)
            except (OSError, ValueError):
                self.texts[path] = None
        return self.texts[path]


def directory_reader(root: Path) -> Reader:
    """A reader of the tree at ``root``; a path leaving the tree (a symlink out) reads None.

    Folders are resolved once each, one ``lstat`` per new folder: a profile reads
    ~350 paths, and ``Path.resolve`` per path cost more than the reading.
    """
    base = os.path.realpath(root)
    folders: dict[str, str | None] = {"": base}

    def inside(path: str) -> bool:
        return path == base or path.startswith(base + os.sep)

    def folder(rel: str) -> str | None:
        if rel not in folders:
            parent, name = posixpath.split(rel)
            up = folder(parent)
            if up is None or name in ("", ".", ".."):
                return None
            where = os.path.join(up, name)
            try:
                if stat.S_ISLNK(os.lstat(where).st_mode):
                    where = os.path.realpath(where)
            except OSError:
                return None  # not remembered: the folder may appear later
            folders[rel] = where if inside(where) else None
        return folders[rel]

    def read(rel: str) -> str | None:
        head, name = posixpath.split(rel)
        where = folder(head)
        if where is None or name in ("", ".", ".."):
            return None
        path = os.path.join(where, name)
        try:
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                path = os.path.realpath(path)
                if not inside(path):
                    return None
                mode = os.stat(path).st_mode
        except OSError:
            return None
        if not stat.S_ISREG(mode):
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    return read


def tree_arches(root: Path) -> tuple[str, ...]:
    """The architectures of the tree at ``root``: the folders of ``arch/``."""
    arch = root / "arch"
    try:
        return tuple(sorted(p.name for p in arch.iterdir() if p.is_dir()))
    except OSError:
        return ()


def read_tree_profile(root: Path) -> TreeProfile:
    """The profile of the kernel tree at ``root`` (every architecture of its ``arch/``)."""
    return read_profile(directory_reader(root), tree_arches(root))


def fingerprint(read: Reader, files: Iterable[str]) -> str:
    """A digest of what ``files`` hold in the tree ``read`` reads, an absent file counting
    as absent: a cache keyed on it (and on the architectures asked) knows when the
    profile must be read again. Costs the reads, not the scanning (about half the time)."""
    digest = hashlib.sha1()
    for path in files:
        text = read(path)
        body = b"-" if text is None else b"+" + text.encode("utf-8", "surrogateescape")
        digest.update(path.encode() + b"\0" + body + b"\0")
    return digest.hexdigest()


def default_arches() -> tuple[str, ...]:
    """The architectures to look for when the reader cannot list folders: those the
    knowledge file names ([arch] symbols); the ones a tree lacks are left out."""
    from reviewbot.knowledge import load_knowledge

    return tuple(sorted(set(dict(load_knowledge().arch_symbols).values())))


def read_profile(read: Reader, arches: Sequence[str] | None = None) -> TreeProfile:
    """The profile of the tree ``read`` reads; ``arches`` to look at (default: the known ones)."""
    rec = _Recorder(read)
    names = tuple(arches) if arches is not None else default_arches()
    generic = _Generic.read(rec)
    nc = _noncoherent_symbols(rec)
    profiles = tuple(p for p in (_arch(rec, a, generic, nc[0] if nc else None)
                                 for a in names) if p is not None)
    has_bounce, bounce = _bounce_check(rec)
    return TreeProfile(
        version=_version(rec),
        arches=profiles,
        noncoherent_symbols=nc[0] if nc else None,
        noncoherent_symbols_at=nc[1] if nc else None,
        kmalloc_minimum=_kmalloc_minimum(rec),
        has_bounce_check=has_bounce,
        bounce_check=bounce,
        devres_align=_devres(rec),
        iio_dma_minalign=_macro_definitions(rec, IIO, "IIO_DMA_MINALIGN"),
        crypto_minalign=_macro_definitions(rec, CRYPTO, "CRYPTO_MINALIGN"),
        crypto_dma_align=_macro_definitions(rec, ALGAPI, "CRYPTO_DMA_ALIGN"),
        ctx_dma_helpers=_ctx_dma_helpers(rec),
        spi_maps_vmalloc=_spi_maps_vmalloc(rec),
        usb_hcd_refuses_stack=_hcd_refuses_stack(rec),
        copying_apis=_copying_apis(rec),
        files=tuple(rec.texts),
    )


def _version(read: Reader) -> str | None:
    text = read(MAKEFILE)
    if text is None:
        return None
    head = text[:4096]
    parts = {}
    for key in ("VERSION", "PATCHLEVEL", "SUBLEVEL", "EXTRAVERSION"):
        m = re.search(rf"^{key}[ \t]*=[ \t]*(\S*)[ \t]*$", head, re.M)
        parts[key] = m.group(1) if m else ""
    if not parts["VERSION"].isdigit() or not parts["PATCHLEVEL"].isdigit():
        return None
    version = f"{parts['VERSION']}.{parts['PATCHLEVEL']}"
    if parts["SUBLEVEL"].isdigit():
        version += f".{parts['SUBLEVEL']}"
    return version + parts["EXTRAVERSION"]


# ------------------------------------------------------------------ the three macros

@dataclass(frozen=True)
class _Generic:
    """The fallbacks of include/linux/cache.h and slab.h, as this tree states them."""

    dma: cpp.Define | None  # ARCH_DMA_MINALIGN when the architecture has none
    kmalloc_follows: cpp.Define | None  # ARCH_KMALLOC_MINALIGN = ARCH_DMA_MINALIGN ...
    kmalloc_above: int | None  # ... when ARCH_DMA_MINALIGN is above this
    kmalloc_default: cpp.Define | None  # ARCH_KMALLOC_MINALIGN otherwise

    @staticmethod
    def read(read: Reader) -> _Generic:
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
        return _Generic(dma, follows, above, default)


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


def _arch(read: Reader, arch: str, generic: _Generic,
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
             generic: _Generic) -> MacroFact:
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

def _noncoherent_symbols(read: Reader) -> tuple[tuple[str, ...], str] | None:
    """The symbols that let a device be non-coherent: the ``#if`` around the
    ``dev_is_dma_coherent()`` that reads ``dev->dma_coherent`` (the other one
    returns true) in include/linux/dma-map-ops.h."""
    text = read(DMA_MAP_OPS)
    if text is None:
        return None
    clean = cpp.uncomment(text)
    m = re.search(r"^#if\b((?:[^\n\\]|\\\n)*)\n(?:(?!^#(?:else|endif))[\s\S])*?"
                  r"dev_is_dma_coherent\s*\([^)]*\)\s*\{\s*return\s+dev->dma_coherent", clean,
                  re.M)
    if m is None:
        return None
    symbols = tuple(re.findall(r"CONFIG_(\w+)", m.group(1)))
    line = clean.count("\n", 0, m.start()) + 1
    return (symbols, f"{DMA_MAP_OPS}:{line}") if symbols else None


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


# ------------------------------------------------------------------ tree-wide facts

def _kmalloc_minimum(read: Reader) -> KmallocMinimum | None:
    text = read(SLAB_COMMON)
    if text is None:
        return None
    clean = cpp.uncomment(text)
    found = cpp.definition(clean, "__kmalloc_minalign")
    if found is not None:
        body = found.body
        start = re.search(r"minalign\s*=\s*([^;]+);", body)
        lower = re.search(r"if\s*\(((?:[^;{])*?)\)\s*minalign\s*=\s*([^;]+);", body)
        when: tuple[str, ...] = ()
        if lower is not None:
            when = tuple(_kconfig_call(p) for p in re.split(r"&&", lower.group(1)))
        return KmallocMinimum(
            at=f"{SLAB_COMMON}:{found.line}",
            starts_from=" ".join(start.group(1).split()) if start else "?",
            function="__kmalloc_minalign",
            lowered_to=" ".join(lower.group(2).split()) if lower else None,
            lowered_when=when)
    m = re.search(r"\balign\s*=\s*(ARCH_KMALLOC_MINALIGN)\s*;", clean)
    if m is None:
        return None
    return KmallocMinimum(at=f"{SLAB_COMMON}:{clean.count(chr(10), 0, m.start()) + 1}",
                          starts_from=m.group(1))


def _kconfig_call(part: str) -> str:
    part = " ".join(part.split())
    m = re.fullmatch(r"IS_ENABLED\(CONFIG_(\w+)\)", part)
    return m.group(1) if m else part


def _bounce_check(read: Reader) -> tuple[bool | None, BounceCheck | None]:
    text = read(DMA_MAP_OPS)
    if text is None:
        return None, None
    clean = cpp.uncomment(text)
    found = cpp.definition(clean, "dma_kmalloc_needs_bounce")
    if found is None:
        return False, None
    bodies = [found.body]
    for callee in dict.fromkeys(re.findall(r"\b(\w+)\s*\(", found.body)):
        sub = cpp.definition(clean, callee) if callee != "dma_kmalloc_needs_bounce" else None
        if sub is not None:
            bodies.append(sub.body)
    text_all = "\n".join(bodies)
    requires = tuple(dict.fromkeys(re.findall(r"IS_ENABLED\(CONFIG_(\w+)\)", text_all)))
    depends: tuple[str, ...] = ()
    kconfig = read(DMA_KCONFIG)
    if kconfig is not None:
        for symbol in requires:
            depends += kc.entry_depends(kconfig, symbol) or ()
    size = re.search(r"\bsize\s*>=\s*([^|&;)]+)", text_all)
    callers = tuple(p for p in BOUNCE_CALLERS
                    if re.search(r"\bdma_kmalloc_needs_bounce\s*\(", read(p) or ""))
    return True, BounceCheck(
        at=f"{DMA_MAP_OPS}:{found.line}",
        requires=requires,
        depends=depends,
        skips_coherent="dev_is_dma_coherent" in text_all,
        skips_directions=tuple(dict.fromkeys(re.findall(r"\bdir\s*==\s*(DMA_\w+)", text_all))),
        size_bound=" ".join(size.group(1).split()) if size else None,
        checks_size_class="kmalloc_size_roundup" in text_all,
        callers=callers)


def _devres(read: Reader) -> Definition | None:
    """The alignment of ``struct devres``'s data: what devm_kmalloc() memory is aligned to."""
    text = read(DEVRES)
    if text is None:
        return None
    clean = cpp.uncomment(text)
    m = re.search(r"struct\s+devres\s*\{[^}]*?__aligned\s*\(\s*(\w+)\s*\)\s*data\s*\[", clean)
    if m is None:
        return None
    return Definition(m.group(1), f"{DEVRES}:{clean.count(chr(10), 0, m.start(1)) + 1}")


def _macro_definitions(read: Reader, path: str, name: str) -> tuple[Definition, ...] | None:
    """The definitions of ``name`` in ``path``: empty when the header does not define it
    (6.1 has no CRYPTO_DMA_ALIGN), None when the tree has no such header."""
    text = read(path)
    if text is None:
        return None
    defs = cpp.scan_header(text, path).named(name)
    return tuple(Definition(d.expression, d.at, _when(d.frames)) for d in defs)


def _when(frames: Iterable[str]) -> str | None:
    """Branch conditions that test a macro (``#ifdef ARCH_DMA_MINALIGN``), include guards
    (``_H``, ``__ASSEMBLY__``, ``__KERNEL__``) left out."""
    keep = [cpp.kconfig_words(f) for f in frames
            if not re.search(r"_H_*\)?$|__ASSEMBLY__|__KERNEL__", f)]
    return " && ".join(keep) or None


def _ctx_dma_helpers(read: Reader) -> tuple[str, ...] | None:
    texts = [t for t in (read(p) for p in CRYPTO_HELPERS) if t is not None]
    if not texts:
        return None
    names: set[str] = set()
    for t in texts:
        names.update(re.findall(r"^(?:[A-Za-z_][\w \t*]*?[ \t*])?(\w+_ctx_dma)[ \t]*\(",
                                cpp.uncomment(t), re.M))
    return tuple(sorted(names))


def _spi_maps_vmalloc(read: Reader) -> Stated | None:
    """Does ``spi_map_buf()`` (or the helper it calls in spi.c) map vmalloc'd buffers page
    by page (``is_vmalloc_addr`` + ``vmalloc_to_page``)?"""
    text = read(SPI)
    if text is None:
        return None
    clean = cpp.uncomment(text)
    found = cpp.definition(clean, "spi_map_buf")
    if found is None:
        return None
    functions = [found]
    for callee in dict.fromkeys(re.findall(r"\b(spi_map_buf\w+)\s*\(", found.body)):
        sub = cpp.definition(clean, callee)
        if sub is not None:
            functions.append(sub)
    for fn in functions:
        m = re.search(r"\bis_vmalloc_addr\s*\(", fn.body)
        if m is not None and "vmalloc_to_page" in fn.body:
            return Stated(True, f"{SPI}:{fn.line_of(m.start())}")
    return Stated(False, f"{SPI}:{found.line}")


def _hcd_refuses_stack(read: Reader) -> Stated | None:
    """Does the USB core refuse (-EAGAIN) a transfer buffer on the stack when the HCD DMAs?"""
    text = read(HCD)
    if text is None:
        return None
    clean = cpp.uncomment(text)
    found = cpp.definition(clean, "usb_hcd_map_urb_for_dma")
    if found is None:
        return None
    m = re.search(r"object_is_on_stack\s*\(\s*urb->transfer_buffer\s*\)\s*\)\s*\{[^}]*-EAGAIN",
                  found.body)
    if m is None:
        return Stated(False, f"{HCD}:{found.line}")
    return Stated(True, f"{HCD}:{found.line_of(m.start())}")


def _copying_apis(read: Reader) -> tuple[Api, ...]:
    out = []
    for header, names in COPYING_APIS:
        text = read(header)
        clean = cpp.uncomment(text) if text is not None else None
        for name in names:
            if clean is None:
                out.append(Api(name))
                continue
            line = cpp.declares(clean, name)
            out.append(Api(name, line is not None,
                           f"{header}:{line}" if line is not None else None))
    return tuple(out)
