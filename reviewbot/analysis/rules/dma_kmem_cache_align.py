"""dma-kmem-cache-align: a slab-cache object aligned below ARCH_DMA_MINALIGN takes inbound DMA.

``kmem_cache_create(name, size, align, flags, ctor)`` aligns its objects to
``align`` (at least ``ARCH_SLAB_MINALIGN``, 8), not to kmalloc's minimum: with
``align`` 0 or 8 and no ``SLAB_HWCACHE_ALIGN``, neighbouring objects share
cache lines on any kernel, 6.1 included. Only caches created in the same file
are followed (the cache's variable or field), and an object size that is a
known multiple of ``ARCH_DMA_MINALIGN`` keeps every object aligned, so it is
silent then. The creators and their alignment argument are data
([[cache_creator]] in config/dma.toml).
"""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.conditions import aligned_to, phrase
from reviewbot.analysis.rules.exposure import Aligned, Hazard, HazardKind
from reviewbot.model import Confidence, Evidence, Severity


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    knowledge = judging.knowledge
    if not o.allocated_by("kmem-cache") or not use.inbound or o.annotation is None \
            or o.placement is not None or o.level == "dma":
        return None
    dma = knowledge.level_macro("dma")
    minalign = knowledge.dma_minalign_bytes
    if o.size is not None and o.size % minalign == 0:
        return None  # objects of a multiple of the line start on line boundaries
    cond = aligned_to(knowledge, knowledge.level_macro("kmalloc").name) \
        if o.level == "kmalloc" else None
    size = f"{o.size_text} = {o.size} bytes" if o.size is not None else o.size_text
    evidence = [Evidence("cache-alignment", Confidence.HIGH if o.level else Confidence.LOW,
                         f"{o.annotation}")]
    evidence.append(Evidence("object-size-known", Confidence.HIGH, f"{size}")
                    if o.size is not None else
                    Evidence("object-size-unknown", Confidence.LOW,
                             f"the object size ({size}) is not computable here"))
    tail = f"; {phrase(cond)}" if cond else ""
    return Verdict(
        f"the cache is created with {o.annotation}, below {dma.name} ({dma.bytes} on "
        f"{knowledge.quoted_arch}), and its objects ({size}) are not a multiple of it: "
        f"neighbouring objects share cache lines; create it with SLAB_HWCACHE_ALIGN or "
        f"align {dma.name}{tail}",
        tuple(evidence), bites_when=cond,
        hazard=Hazard(HazardKind.LINE,
                      Aligned.KMALLOC_MACRO if o.level == "kmalloc" else Aligned.NOTHING))


RULE = Rule(
    "dma-kmem-cache-align", Severity.WARNING,
    "an object of a slab cache aligned below ARCH_DMA_MINALIGN is used for inbound DMA",
    "kmem_cache_alloc() memory from a cache created in the same file with an alignment "
    "below ARCH_DMA_MINALIGN (0, 8, L1_CACHE_BYTES...) and without SLAB_HWCACHE_ALIGN is "
    "mapped DMA_FROM_DEVICE or DMA_BIDIRECTIONAL.",
    "Slab objects are aligned to the cache's own alignment (ARCH_SLAB_MINALIGN, 8, by "
    "default), never to ARCH_DMA_MINALIGN: the invalidation after inbound DMA can discard "
    "CPU writes to the neighbouring object. This holds on 6.1 already.",
    "Pass SLAB_HWCACHE_ALIGN or an alignment of ARCH_DMA_MINALIGN "
    "(dma_get_cache_alignment()) to kmem_cache_create().",
    ("mm/slab_common.c: calculate_alignment()", DMA_HOWTO),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=45,
    uses_knowledge=lambda k: bool(k.cache_creators)
    and any(a.cls == "kmem-cache" for a in k.allocators),
)
