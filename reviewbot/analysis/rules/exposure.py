"""Where a hazard bites on the tree under review: one mapping for every rule.

A rule says what is wrong with a transfer (a ``Hazard``): the memory is not
DMA-able at all and the transfer fails or corrupts wherever the driver runs;
it breaks a documented contract but works; or it shares a cache line with
CPU data unless its alignment reaches ``ARCH_DMA_MINALIGN`` on a
non-coherent architecture. Whether the last one bites depends on the tree:
what each architecture's ``ARCH_DMA_MINALIGN``, L1 line and kmalloc
alignment are, whether it can do non-coherent DMA at all, whether the DMA
core bounces small kmalloc buffers, and which architectures the driver can
be built for. This module decides it from those facts (``ArchFacts``, read
from the tree's profile) and gives every finding the same three answers:

- ``Bite.BITES``: corrupts data or fails on an architecture the driver builds
  for, on this tree: severity error;
- ``Bite.CONTRACT``: breaks a documented DMA contract but works on this tree:
  warning;
- ``Bite.DORMANT``: bites only under a condition this tree does not meet
  (small kmalloc where kmalloc is DMA-aligned or bounced; L1 isolation where
  L1 is the DMA alignment): info, shown on request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from reviewbot.analysis.facts.profile_model import (
    DMA_MINALIGN,
    L1_CACHE_BYTES,
    Definition,
    TreeProfile,
)
from reviewbot.model import Aligned, Finding, Hazard, HazardKind, Platform, Severity


class Bite(StrEnum):
    BITES = "bites"
    CONTRACT = "contract"
    DORMANT = "dormant"
    UNKNOWN = "unknown"  # the tree does not state what decides it (a toy tree, say)


# UNKNOWN keeps the rule's own severity: what it says without a tree's facts
SEVERITY = {Bite.BITES: Severity.ERROR, Bite.CONTRACT: Severity.WARNING,
            Bite.DORMANT: Severity.INFO}


FAILS = Hazard(HazardKind.FAILS)
CONTRACT = Hazard(HazardKind.CONTRACT)


@dataclass(frozen=True)
class ArchFacts:
    """What one architecture of the tree says about DMA and alignment.

    The comparisons are the tree's, per configuration: on 32-bit ARM the L1
    line is 32 or 64 bytes, but ARCH_DMA_MINALIGN is the L1 line in every
    configuration, so it is never short of it. None is "the tree does not
    say": treated as the case that bites.
    """

    name: str
    dma_minalign: int | None  # ARCH_DMA_MINALIGN, the largest over configurations
    noncoherent: bool | None  # the architecture can do non-coherent DMA at all
    l1_short: bool | None  # L1_CACHE_BYTES < ARCH_DMA_MINALIGN in some configuration
    kmalloc_short: bool | None  # kmalloc() at run time aligns below ARCH_DMA_MINALIGN
    kmalloc_macro_short: bool | None  # ARCH_KMALLOC_MINALIGN < ARCH_DMA_MINALIGN
    bounces_small_kmalloc: bool = False  # small inbound kmalloc mappings are bounced
    # what a member's own __aligned(N) must reach ([arch] line_of_its_cpu, else
    # dma_minalign): the line of the CPU the driver runs on, where the tree's largest
    # ARCH_DMA_MINALIGN comes from another platform's CPU
    isolating: int | None = None
    l1: int | None = None  # the smallest L1_CACHE_BYTES of its configurations
    # the kmalloc size classes (kmalloc_size_roundup() decides a bounce by them)
    kmalloc_classes: tuple[int, ...] = ()
    # every driver's kmalloc memory is short there alike (parisc's ARCH_KMALLOC_MINALIGN
    # 16 below its non-coherent PA7xxx's 32 in 6.1), a matter for the architecture, not
    # for a driver patch; said in the exposure, never what makes a finding bite
    kmalloc_platform: bool = False
    # the smallest value ARCH_KMALLOC_MINALIGN has in its configurations (None: not a
    # number here): what code comparing the macro with a constant sees
    kmalloc_minalign: int | None = None


@dataclass(frozen=True)
class Exposure:
    """Whether a finding bites on this tree, where, and in words."""

    bite: Bite
    arches: tuple[str, ...] = ()  # the architectures it bites on (a LINE hazard)
    why: str = ""  # one clause: what happens on this tree, or when it would bite
    # the architectures where the DMA core bounces it instead (slower, not corrupting)
    bounced: tuple[str, ...] = ()

    @property
    def severity(self) -> Severity | None:
        """The severity this verdict gives; None: the rule's own (the tree does not say)."""
        return SEVERITY.get(self.bite)


def expose(hazard: Hazard, arches: Iterable[ArchFacts], builds_for: frozenset[str] | None,
           acpi_only: bool = False, coherent: frozenset[str] = frozenset(),
           coherent_bus: str | None = None,
           remaps: frozenset[str] | None = None,
           dma_level: frozenset[str] = frozenset()) -> Exposure:
    """Where ``hazard`` bites among ``arches`` that the driver ``builds_for`` (None: any).

    A driver that matches only ACPI devices (``acpi_only``) runs on x86, where DMA is
    coherent, and on arm64 ACPI servers, whose devices are coherent as SBSA asks
    (_CCA): a shared line does not bite there. Nor on the architectures in
    ``coherent``, where the driver cannot be in a configuration doing non-coherent DMA,
    nor for a driver of a bus whose devices are all coherent (``coherent_bus`` says why).
    """
    if hazard.kind is HazardKind.FAILS or (hazard.kind is HazardKind.REMAP
                                           and remaps is None):
        return Exposure(Bite.BITES)
    if hazard.kind is HazardKind.REMAP:
        if remaps:
            return Exposure(Bite.BITES, tuple(sorted(remaps)),
                            f"where dma_alloc_coherent() remaps, on {_few(remaps)}")
        return Exposure(Bite.DORMANT, (), "the driver builds only where dma_alloc_coherent() "
                        "memory is in the linear map, which dma_map_single() maps back to "
                        "it (harmless, if pointless)")
    if hazard.kind is HazardKind.CONTRACT:
        return Exposure(Bite.CONTRACT)
    considered = [a for a in arches if builds_for is None or a.name in builds_for]
    if hazard.aligned is Aligned.KMALLOC_MACRO and hazard.macro in dma_level:
        return Exposure(Bite.DORMANT, (), f"{hazard.macro} is ARCH_DMA_MINALIGN in this tree")
    if not considered:
        where = ", ".join(sorted(builds_for or ())) or "no architecture this tree knows"
        return Exposure(Bite.DORMANT, (), f"the driver builds only for {where}")
    considered = [replace(a, noncoherent=False)
                  if acpi_only or coherent_bus or a.name in coherent else a
                  for a in considered]
    answers = [(a.name, _bites(hazard, a)) for a in considered]
    bitten = tuple(name for name, b in answers if b)
    bounced = tuple(a.name for a in considered
                    if _line_bites(hazard, a, bounce=False) and _bounced(hazard, a))
    if bitten:
        return Exposure(Bite.BITES, bitten, f"on {_few(bitten)} in this tree", bounced)
    unknown = tuple(name for name, b in answers if b is None)
    if unknown:
        return Exposure(Bite.UNKNOWN, unknown, f"on {_list(unknown)}: the tree does not state "
                        "what decides it")
    if coherent_bus:
        return Exposure(Bite.DORMANT, (), coherent_bus)
    if acpi_only:
        return Exposure(Bite.DORMANT, (), "the driver matches only ACPI devices (x86, and "
                        "arm64 servers whose DMA is coherent)")
    if any(a.name in coherent for a in considered) and all(
            a.noncoherent is False for a in considered):
        return Exposure(Bite.DORMANT, (), f"the driver cannot be built where DMA on "
                        f"{_list(a for a in coherent if builds_for is None or a in builds_for)} "
                        "is non-coherent")
    return Exposure(Bite.DORMANT, (), _dormant_why(hazard, considered), bounced)


def _bites(h: Hazard, a: ArchFacts) -> bool | None:
    """Does it bite on ``a``? None where the tree does not state what decides it."""
    found = _line_bites(h, a)
    if found and bounced_by_size(h, a):
        return False  # bounced through swiotlb: slower, not corrupting
    return found


def _line_bites(h: Hazard, a: ArchFacts, bounce: bool = True) -> bool | None:
    if a.noncoherent is False:
        return False  # every DMA is coherent there: no cache maintenance, no shared line
    if h.aligned is Aligned.NOTHING:
        return a.noncoherent
    if h.aligned is Aligned.BYTES:
        need = a.isolating if a.isolating is not None else a.dma_minalign
        if h.bytes is None or need is None:
            return None
        return h.bytes < need and a.noncoherent
    if h.aligned is Aligned.L1:
        return _both(a.l1_short, a.noncoherent)
    if a.kmalloc_platform:
        return False
    if h.aligned is Aligned.KMALLOC_MACRO:
        return _both(a.kmalloc_macro_short, a.noncoherent)
    short = _both(a.kmalloc_short, a.noncoherent)
    if bounce and short and a.bounces_small_kmalloc:
        # where the tree bounces, kmalloc memory is safe either way: a block of more than
        # 192 bytes comes from a naturally aligned size class, and a smaller one (or a
        # piece of it) is a small mapping, which dma_kmalloc_needs_bounce() bounces
        return False
    return short


def bounced_by_size(h: Hazard, a: ArchFacts) -> bool:
    """The DMA core bounces this inbound mapping on ``a`` by its size alone.

    dma_kmalloc_needs_bounce() looks at the size, not at where the memory comes from:
    below 2 * ARCH_DMA_MINALIGN, a mapping whose kmalloc_size_roundup() is not a multiple
    of dma_get_cache_alignment() (the CPU's line: L1 at least) is bounced through swiotlb
    on a non-coherent device. A shared line needs the longer line where the member is
    aligned to L1 or more, and then the bounce tests that line; otherwise the shortest.
    """
    if not a.bounces_small_kmalloc or h.length is None or a.dma_minalign is None:
        return False
    if h.length >= 2 * a.dma_minalign:
        return False
    rounded = next((c for c in a.kmalloc_classes if c >= h.length), None)
    if rounded is None:
        return False
    aligned_to_l1 = h.aligned in (Aligned.L1, Aligned.BYTES)
    line = a.dma_minalign if aligned_to_l1 else a.l1
    return line is not None and rounded % line != 0


def _bounced(h: Hazard, a: ArchFacts) -> bool:
    """Bounced on ``a`` instead of corrupting: by its size, or as a small kmalloc buffer."""
    return bounced_by_size(h, a) or (h.aligned is Aligned.KMALLOC and a.bounces_small_kmalloc
                                    and _both(a.kmalloc_short, a.noncoherent) is True)


def _both(x: bool | None, y: bool | None) -> bool | None:
    """Three-valued and: False wins, then None."""
    if x is False or y is False:
        return False
    if x is None or y is None:
        return None
    return True


def _dormant_why(h: Hazard, arches: list[ArchFacts]) -> str:
    """One clause: why it does not bite here, and when it would."""
    platform = sorted(a.name for a in arches if a.kmalloc_platform and a.noncoherent is not False
                      and h.aligned in (Aligned.KMALLOC, Aligned.KMALLOC_MACRO))
    why = _dormant_reason(h, arches)
    if platform:
        why += (f" ({_list(platform)} aligns every kmalloc buffer below its ARCH_DMA_MINALIGN "
                "in this tree: a matter for the architecture, not this driver)")
    return why


def _dormant_reason(h: Hazard, arches: list[ArchFacts]) -> str:
    if all(a.noncoherent is False for a in arches):
        return (f"every architecture it builds for ({_list(a.name for a in arches)}) "
                "does coherent DMA")
    bounced = sorted(a.name for a in arches
                     if _line_bites(h, a, bounce=False) and bounced_by_size(h, a))
    if bounced:
        return (f"the DMA core bounces a {h.length}-byte inbound mapping through swiotlb on "
                f"{_list(bounced)} in this tree (slower, not corrupting); where else it "
                "builds, the line is not shared")
    if h.aligned is Aligned.KMALLOC_MACRO:
        return ("ARCH_KMALLOC_MINALIGN is ARCH_DMA_MINALIGN on every non-coherent "
                "architecture it builds for in this tree; it bites where an architecture "
                "defines it smaller")
    if h.aligned is Aligned.KMALLOC:
        if any(a.bounces_small_kmalloc for a in arches):
            return ("the DMA core bounces small inbound kmalloc buffers in this tree "
                    "(slower, not corrupting); it bites where kmalloc's alignment is below "
                    "ARCH_DMA_MINALIGN without bouncing")
        return ("kmalloc memory is aligned to ARCH_DMA_MINALIGN on every non-coherent "
                "architecture it builds for in this tree; it bites once kmalloc's minimum "
                "drops below ARCH_DMA_MINALIGN without bouncing")
    if h.aligned is Aligned.L1:
        return ("the L1 line is ARCH_DMA_MINALIGN on every non-coherent architecture it "
                "builds for; it bites where the L1 line is shorter (arm64: 64 of 128)")
    return "its alignment reaches ARCH_DMA_MINALIGN on every non-coherent architecture it " \
        "builds for"


def _list(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


# the architectures a reader looks for first in a list of where a finding bites
_FIRST = ("arm64", "arm", "riscv", "powerpc", "mips")


def _few(names: Iterable[str], at_most: int = 3) -> str:
    """Where it bites, in a few words: the common architectures first, then a count
    (the finding's ``arches`` keeps them all)."""
    ordered = sorted(names, key=lambda n: (_FIRST.index(n) if n in _FIRST else len(_FIRST), n))
    if len(ordered) <= at_most + 1:
        return ", ".join(ordered)
    return f"{', '.join(ordered[:at_most])} and {len(ordered) - at_most} other architectures"


@dataclass(frozen=True)
class TreeFacts:
    """The architectures of the tree under review, as exposure reads them.

    ``name`` says which tree (``Linux 6.1.192``, or a shipped profile assumed for a
    review without a tree); ``assumed`` names a what-if applied on top of it.
    """

    name: str
    arches: tuple[ArchFacts, ...]
    assumed: str | None = None
    # kmalloc-level macros this tree defines as ARCH_DMA_MINALIGN (IIO_DMA_MINALIGN in
    # 6.12; CRYPTO_MINALIGN after a series moving it)
    dma_level: frozenset[str] = frozenset()

    def arch(self, name: str) -> ArchFacts | None:
        return next((a for a in self.arches if a.name == name), None)


def tree_facts(profile: TreeProfile, name: str | None = None,
               line_of_its_cpu: tuple[tuple[str, int], ...] = (),
               kmalloc_classes: tuple[int, ...] = ()) -> TreeFacts:
    """What ``profile`` says each architecture does, for ``expose``; ``line_of_its_cpu``
    is the knowledge's ``[arch]`` table of what an explicit alignment must reach."""
    lines = dict(line_of_its_cpu)
    runtime_lowered = profile.kmalloc_minimum is not None and \
        profile.kmalloc_minimum.function is not None
    out = []
    for a in profile.arches:
        dma = a.dma_minalign
        macro_short = _short(a.kmalloc_minalign.definitions, dma.definitions, DMA_MINALIGN)
        l1_short = None if a.l1_cache_bytes.values is None else any(
            _below(a.l1_cache_bytes.values, d) for d in dma.definitions
            if L1_CACHE_BYTES not in d.expression) if dma.definitions else None
        bounces = a.bounces_kmalloc
        if profile.kmalloc_minimum is None:
            runtime_short = None
        elif runtime_lowered:  # kmalloc is DMA-aligned unless the arch bounces small buffers
            runtime_short = macro_short if bounces else (None if bounces is None else False)
        else:
            runtime_short = macro_short
        bounced = bool(profile.has_bounce_check) and bool(bounces)
        platform = (bool(runtime_short or macro_short) and not bounces and not runtime_lowered) \
            or (bool(macro_short) and not runtime_short and not bounces)
        isolating = min(x for x in (dma.largest, lines.get(a.name)) if x is not None) \
            if dma.largest is not None or a.name in lines else None
        out.append(ArchFacts(
            a.name, dma.largest, a.can_be_noncoherent, l1_short, runtime_short, macro_short,
            bounced, isolating, kmalloc_platform=platform,
            l1=min(a.l1_cache_bytes.values) if a.l1_cache_bytes.values else None,
            kmalloc_classes=kmalloc_classes,
            kmalloc_minalign=_smallest(a.kmalloc_minalign.definitions, dma.definitions,
                                       DMA_MINALIGN)))
    dma_level = frozenset(
        macro for macro, defs in (("IIO_DMA_MINALIGN", profile.iio_dma_minalign),
                                  ("CRYPTO_MINALIGN", profile.crypto_minalign))
        if defs and all(DMA_MINALIGN in d.expression for d in defs))
    return TreeFacts(name or f"Linux {profile.version or '(version unknown)'}", tuple(out),
                     dma_level=dma_level)


def _below(values: tuple[int, ...], d: Definition) -> bool:
    """Some value is below what definition ``d`` of ARCH_DMA_MINALIGN can be."""
    return bool(d.bytes) and min(values) < max(d.bytes)


def _smallest(defs: tuple[Definition, ...], dma: tuple[Definition, ...],
              same: str) -> int | None:
    """The smallest value a macro defined by ``defs`` takes: ARCH_DMA_MINALIGN's where it is
    defined as ``same``; None where a definition is not a number here."""
    values: list[int] = []
    for d in defs:
        if same in d.expression:
            values += [b for x in dma for b in x.bytes]
        elif d.bytes:
            values += list(d.bytes)
        else:
            return None
    return min(values) if values else None


def _short(defs: tuple[Definition, ...], dma: tuple[Definition, ...], same: str) -> bool | None:
    """Whether a macro defined by ``defs`` is below ARCH_DMA_MINALIGN in some configuration:
    a definition as ``same`` (ARCH_KMALLOC_MINALIGN = ARCH_DMA_MINALIGN) never is; a number
    is compared with the DMA definition of the same condition, or the largest."""
    if not defs or not dma:
        return None
    by_when = {d.when: d for d in dma}
    largest = max((b for d in dma for b in d.bytes), default=None)
    for d in defs:
        if same in d.expression:
            continue
        if not d.bytes:
            return None
        other = by_when.get(d.when)
        need = max(other.bytes) if other is not None and other.bytes else largest
        if need is None:
            return None
        if min(d.bytes) < need:
            return True
    return False


def assume_kmalloc_minalign(tree: TreeFacts, nbytes: int) -> TreeFacts:
    """The what-if of a change that lowers kmalloc's alignment to ``nbytes`` without
    bouncing: on every architecture whose ARCH_DMA_MINALIGN is larger."""
    arches = tuple(
        replace(a, kmalloc_short=a.dma_minalign is None or nbytes < a.dma_minalign,
                kmalloc_macro_short=a.dma_minalign is None or nbytes < a.dma_minalign,
                bounces_small_kmalloc=False, kmalloc_platform=False,
                kmalloc_minalign=nbytes)
        for a in tree.arches)
    return TreeFacts(tree.name, arches, f"kmalloc-minalign={nbytes}", tree.dma_level)


def judge_findings(findings: Sequence[Finding], tree: TreeFacts) -> list[Finding]:
    """``findings`` as ``tree`` judges them: severity by consequence, the verdict and the
    architectures it bites on, and one clause in the message saying what the tree makes of
    it. Findings without a hazard (a changed #define) are as they were; each finding is
    judged once (give the findings as the analysis made them). The exposure depends on a
    finding's hazard and platform only, and a whole tree's 1,600 findings have a few
    hundred of those: each is worked out once (a tenth of a warm rescan)."""
    seen: dict[tuple[Hazard, Platform | None], Exposure] = {}
    return [judged(f, tree, seen) for f in findings]


def judged(f: Finding, tree: TreeFacts,
           seen: dict[tuple[Hazard, Platform | None], Exposure] | None = None) -> Finding:
    """One finding judged on ``tree`` (see ``judge_findings``); ``seen`` remembers the
    exposures worked out on this tree."""
    if f.hazard is None:
        return f
    key = (f.hazard, f.platform)
    e = seen.get(key) if seen is not None else None
    if e is None:
        e = exposure_of(f, tree)
        if seen is not None:
            seen[key] = e
    message = f.message + (f"; {tree_clause(e)}" if e.why else "")
    return replace(f, severity=e.severity or f.severity, message=message,
                   verdict=e.bite.value, arches=e.arches)


def exposure_of(f: Finding, tree: TreeFacts) -> Exposure:
    """What ``tree`` makes of finding ``f`` (which has a hazard)."""
    assert f.hazard is not None
    p = f.platform or Platform()
    return expose(f.hazard, tree.arches, p.arches, p.acpi_only, p.coherent, p.coherent_bus,
                  p.remaps, tree.dma_level)


def tree_clause(e: Exposure) -> str:
    """What the tree under review makes of it, in one clause."""
    if e.bite is Bite.BITES:
        return f"it bites {e.why}"
    if e.bite is Bite.UNKNOWN:
        return f"whether it bites is not known {e.why}"
    return f"it does not bite on this tree: {e.why}"
