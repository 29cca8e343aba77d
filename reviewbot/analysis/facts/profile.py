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
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from reviewbot.analysis.facts import profile_cpp as cpp
from reviewbot.analysis.facts import profile_kconfig as kc
from reviewbot.analysis.facts.profile_arch import Generic, read_arch
from reviewbot.analysis.facts.profile_model import (
    DMA_MINALIGN,
    KMALLOC_MINALIGN,
    L1_CACHE_BYTES,
    Api,
    ArchProfile,
    BounceCheck,
    Definition,
    KmallocMinimum,
    MacroFact,
    Select,
    Stated,
    TreeProfile,
)
from reviewbot.analysis.facts.tree_reader import Reader, directory_reader, tree_arches

__all__ = [
    "DMA_MINALIGN", "KMALLOC_MINALIGN", "L1_CACHE_BYTES", "Api", "ArchProfile",
    "BounceCheck", "Definition", "KmallocMinimum", "MacroFact", "Reader", "Select", "Stated",
    "TreeProfile", "default_arches", "directory_reader", "fingerprint", "read_profile",
    "read_tree_profile", "tree_arches",
]


# Where the tree states the tree-wide facts (the per-architecture ones: profile_arch.py).
MAKEFILE = "Makefile"
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
    generic = Generic.read(rec)
    nc = _noncoherent_symbols(rec)
    profiles = tuple(p for p in (read_arch(rec, a, generic, nc[0] if nc else None)
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
