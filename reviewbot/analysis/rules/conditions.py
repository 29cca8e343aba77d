"""When a hazard is conditional: the alignment a buffer gets, against what DMA needs.

A buffer aligned only by kmalloc() (or a crypto context, aligned to
``CRYPTO_MINALIGN`` = ``ARCH_KMALLOC_MINALIGN``) is safe where kmalloc aligns
to ``ARCH_DMA_MINALIGN`` and a hazard where it does not: which trees and
architectures those are is the tree profile's to say (rules/exposure.py); the
condition names the macros, for impact and the ``bites_when`` field.
"""

from __future__ import annotations

from reviewbot.knowledge import Knowledge
from reviewbot.model import Condition


def aligned_to(knowledge: Knowledge, macro: str) -> Condition:
    """The hazard of memory aligned only to ``macro`` (a kmalloc-level macro)."""
    dma = knowledge.level_macro("dma")
    return Condition(macro, dma.name)


def kmalloc_alignment(knowledge: Knowledge) -> Condition:
    """The hazard of memory aligned only by kmalloc() itself."""
    return aligned_to(knowledge, knowledge.level_macro("kmalloc").name)


def phrase(c: Condition) -> str:
    """The condition as a message ends with it."""
    return f"this bites where {c.text()}"
