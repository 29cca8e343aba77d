"""The tree profile's values: what one kernel tree says about DMA alignment.

Frozen dataclasses, read by profile.py (from a tree) or profile_store.py
(from a shipped file); the rules judge findings against them. A fact the
tree does not state is None; see TreeProfile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DMA_MINALIGN = "ARCH_DMA_MINALIGN"
KMALLOC_MINALIGN = "ARCH_KMALLOC_MINALIGN"
L1_CACHE_BYTES = "L1_CACHE_BYTES"


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
