"""When a hazard is conditional: the alignment a buffer gets, against what DMA needs.

On Linux 6.1 kmalloc() (and so a crypto context, aligned to ``CRYPTO_MINALIGN``
= ``ARCH_KMALLOC_MINALIGN``) still aligns to ``ARCH_DMA_MINALIGN`` on arm64; a
buffer that relies on that is safe there and a hazard once the kmalloc
minimum drops (arm64 since v6.5). The condition is built from the macro data
in config/dma.toml so messages and the ``bites_when`` field quote the same
names and releases.
"""

from __future__ import annotations

from reviewbot.knowledge import Knowledge
from reviewbot.model import Condition


def aligned_to(knowledge: Knowledge, macro: str) -> Condition:
    """The hazard of memory aligned only to ``macro`` (a kmalloc-level macro)."""
    km = knowledge.level_macro("kmalloc")
    dma = knowledge.level_macro("dma")
    since = f"{knowledge.quoted_arch} since {km.since}" if km.since else ""
    return Condition(macro, dma.name, since)


def kmalloc_alignment(knowledge: Knowledge) -> Condition:
    """The hazard of memory aligned only by kmalloc() itself."""
    return aligned_to(knowledge, knowledge.level_macro("kmalloc").name)


def phrase(c: Condition) -> str:
    """The condition as a message ends with it."""
    return f"this bites where {c.text()}"
