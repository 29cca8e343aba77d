"""dma-embedded-unaligned: a struct member takes inbound DMA without DMA-level isolation.

It has the lowest precedence of the member rules: a member isolated at L1
(dma-cacheline-l1) or at the kmalloc minimum (minalign-usage) is reported by
those, more precisely; this rule takes whatever isolation is left short of
the DMA level.
"""

from __future__ import annotations

from reviewbot.analysis.facts.structs import alignment_bytes
from reviewbot.analysis.flow.origin import Origin, OriginKind
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import DMA_HOWTO, Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.exposure import Aligned, Hazard, HazardKind
from reviewbot.analysis.rules.members import judged
from reviewbot.model import Confidence, Evidence, Severity


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    knowledge = judging.knowledge
    if o.kind is not OriginKind.EMBEDDED or not use.inbound or o.level == "dma":
        return None
    # labelled on 6.1: an unaligned member beside neighbours that are only stored was
    # right 3 times in 10 (per-request or serialised state, coherent platforms), so that
    # evidence is low for this rule; a lock, counter or descriptor beside it stays high,
    # and a store after a live mapping or from another kernel thread is medium (judged())
    silent, evidence, tail = judged(use, o, judging, elsewhere=Confidence.LOW)
    if silent:
        return None
    dma = knowledge.level_macro("dma").name
    return Verdict(
        "inbound DMA invalidates the whole cache line, losing CPU writes to neighbouring "
        f"members{tail}; mark the first DMA buffer __aligned({dma}) (IIO_DMA_MINALIGN in "
        "IIO) and keep DMA buffers last",
        (Evidence("member-not-isolated", Confidence.HIGH,
                  f"no {dma}-level annotation on or before the member"), *evidence),
        hazard=_hazard(o))


def _hazard(o: Origin) -> Hazard:
    """Shares a line unless its own explicit ``__aligned(N)`` reaches ARCH_DMA_MINALIGN
    where the driver runs (a member after an aligned one starts wherever they end)."""
    starts = o.member is not None and o.member.starts_region
    have = alignment_bytes(o.annotation) if starts else None
    length = o.member.bytes if o.member is not None else None
    if have is None:
        return Hazard(HazardKind.LINE, length=length)
    return Hazard(HazardKind.LINE, Aligned.BYTES, have, length=length)


RULE = Rule(
    "dma-embedded-unaligned", Severity.WARNING,
    "a struct member is used for inbound DMA without ARCH_DMA_MINALIGN isolation",
    "A buffer inside a struct (st->rx, &st->data[0]) takes inbound DMA, and neither it "
    "nor an earlier member carries __aligned(ARCH_DMA_MINALIGN), IIO_DMA_MINALIGN or "
    "__dma_from_device_group_begin(). Confidence follows the neighbours that share its "
    "cache lines: high beside a lock, counter, work item or transfer descriptor; medium "
    "when the mapping function stores one after mapping a struct it allocated and hands "
    "out mapped, or one is written only from another kernel thread than the DMA's; low "
    "when they are only stored otherwise (measured right 3 times in 10 on Linux 6.1), "
    "written only at "
    "setup, only on the call paths of a synchronous transfer's own function, only before "
    "an asynchronous mapping made later in the same function, or are inside the mapped "
    "length, or the struct is the transfer's own allocation; silent for the first member of "
    "a struct allocated and mapped whole for one command, for one-member structs, and for "
    "a member whose own __aligned(N) reaches ARCH_DMA_MINALIGN on the one architecture "
    "its driver's Kconfig allows (64 on 32-bit ARM).",
    "The invalidation after inbound DMA discards CPU writes to any other member sharing "
    "the cache line; the swiotlb bounce cannot see inside a struct, so nothing protects it.",
    "Move the DMA buffers to the end of the struct and mark the first one "
    "__aligned(ARCH_DMA_MINALIGN) (IIO: __aligned(IIO_DMA_MINALIGN)), or allocate the "
    "buffer separately.",
    ("the IIO series 'Fix alignment for DMA safety' (v6.0)",
     "commit 'usb: dwc2: fix DMA alignment' (v5.2)", DMA_HOWTO),
    needs=(Fact.SINK_USE, Fact.ORIGIN, Fact.NEIGHBOURS, Fact.PLATFORM),
    check_use=check,
    precedence=90,
    uses_knowledge=lambda k: any(a.takes_alignment for a in k.annotations)
    and any(m.level == "dma" for m in k.macros),
)
