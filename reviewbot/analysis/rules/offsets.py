"""A buffer at an offset into one kmalloc block: descriptor tails and carved pieces.

dma-tail-unaligned and dma-carved-unaligned judge the same thing, the
offset's alignment level against ``ARCH_DMA_MINALIGN`` (flow/tails.py works
it out); the verdict and its words are here, once.
"""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Placement
from reviewbot.analysis.rules.base import Verdict
from reviewbot.analysis.rules.conditions import aligned_to, kmalloc_alignment, phrase
from reviewbot.analysis.rules.exposure import Aligned, Hazard, HazardKind
from reviewbot.knowledge import Knowledge
from reviewbot.model import Confidence, Evidence

KMALLOC_CLASSES = ("kmalloc", "devm-kmalloc")


def offset_verdict(at: Placement, knowledge: Knowledge, what: str) -> Verdict | None:
    """The verdict on a buffer at offset ``at`` into a kmalloc block (tails and carving)."""
    dma = knowledge.level_macro("dma")
    level = at.level
    if level == "dma":
        # a multiple of the DMA alignment from the block's start, which kmalloc() aligns
        # only to its own minimum: aligned where kmalloc is DMA-aligned (or a block of
        # more than 192 bytes, whose size class is), bounced where small mappings are
        cond = kmalloc_alignment(knowledge)
        return Verdict(
            f"its offset ({at.offset}) is a multiple of {dma.name} only within the block, whose "
            f"start kmalloc() aligns to {cond.macro}; pad the allocation by "
            f"{dma.name} - {cond.macro} and PTR_ALIGN() the {what}, or allocate it apart; "
            f"{phrase(cond)}",
            (Evidence("offset-relies-on-kmalloc-alignment", Confidence.MEDIUM,
                      f"{at.offset} is rounded to {dma.name}, the block start is not"),),
            bites_when=cond, hazard=Hazard(HazardKind.LINE, Aligned.KMALLOC))
    if level in ("kmalloc", "l1"):
        macro = knowledge.level_macro(level).name
        bites = aligned_to(knowledge, macro) if level == "kmalloc" else None
        tail = f"; {phrase(bites)}" if bites else ""
        return Verdict(
            f"its offset ({at.offset}) is rounded only to {macro}, short of {dma.name} "
            f"({dma.bytes} on {knowledge.quoted_arch}){tail}",
            (Evidence(f"offset-{level}-level", Confidence.MEDIUM,
                      f"{at.offset} is rounded to {macro}"),), bites_when=bites,
            hazard=Hazard(HazardKind.LINE,
                          Aligned.KMALLOC_MACRO if level == "kmalloc" else Aligned.L1,
                          macro=macro if level == "kmalloc" else None))
    if level == "none":
        known = at.bytes is not None
        shown = f"{at.offset} = {at.bytes} bytes" if known else str(at.offset)
        evidence = (Evidence("offset-known" if known else "offset-likely-unaligned",
                             Confidence.HIGH if known else Confidence.MEDIUM,
                             shown if known else f"{at.offset}: no DMA-level alignment in it"),)
        if at.tail_of is not None:
            # the head is the descriptor the CPU fills before the job (and cleans with its
            # own mapping), which labellers found harmless; what the layout makes certain
            # is the tail's end, shared with the next object where kmalloc aligns short
            cond = kmalloc_alignment(knowledge)
            return Verdict(
                f"its offset ({shown}) is not a multiple of {dma.name}: the {what} shares its "
                f"first cache line with the struct in front of it (a hazard while the CPU "
                f"writes that struct with the {what} mapped) and its last with whatever "
                f"follows the block where kmalloc aligns below {dma.name}; round the offset "
                f"up to {dma.name} (PTR_ALIGN) and pad the allocation, or allocate the {what} "
                f"apart; {phrase(cond)}",
                evidence, bites_when=cond, hazard=Hazard(HazardKind.LINE, Aligned.KMALLOC))
        return Verdict(
            f"its offset ({shown}) is not a multiple of {dma.name} ({dma.bytes} on "
            f"{knowledge.quoted_arch}): the {what} shares a cache line with the CPU-written "
            f"data in front of it, and no bounce can see inside the block; round the offset "
            f"up to {dma.name} (PTR_ALIGN) and pad the allocation, or allocate the {what} apart",
            evidence, hazard=Hazard(HazardKind.LINE))
    return Verdict(
        f"its offset ({at.offset}) is not known to be a multiple of {dma.name}",
        (Evidence("offset-unknown", Confidence.LOW, f"{at.offset} is not visible here"),),
        hazard=Hazard(HazardKind.LINE))
