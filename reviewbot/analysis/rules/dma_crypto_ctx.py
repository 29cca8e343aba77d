"""dma-crypto-ctx: a crypto tfm or request context takes inbound DMA without the _dma accessor.

A context from ``crypto_skcipher_ctx()``, ``crypto_tfm_ctx()`` or
``skcipher_request_ctx()`` is aligned to ``CRYPTO_MINALIGN``, which is
``ARCH_KMALLOC_MINALIGN``: DMA into it (or into a member marked
``__aligned(ARCH_DMA_MINALIGN)`` inside it, which is aligned only relative to
the context) is safe only while kmalloc aligns to ``ARCH_DMA_MINALIGN``. That
is true on arm64 up to v6.4, so on 6.1 this is a conditional hazard: v6.2
added ``crypto_*_ctx_dma()`` and ``*_set_reqsize_dma()`` so drivers could stop
relying on it before v6.5 lowered the kmalloc minimum. The accessors and the
alignment each guarantees are data ([[context]] in config/dma.toml).

A context member without any isolation is reported by dma-embedded-unaligned
(it is a hazard whatever kmalloc does).
"""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin, OriginKind
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.conditions import aligned_to, phrase
from reviewbot.analysis.rules.exposure import Aligned, Hazard, HazardKind
from reviewbot.model import Confidence, Evidence, Severity


def check(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    knowledge = judging.knowledge
    if not use.inbound or o.container is None or o.container.macro is None:
        return None
    container, via = o.container.macro, o.container.via
    macro = knowledge.macro(container)
    if macro is None or macro.level != "kmalloc":
        return None
    if o.kind is OriginKind.EMBEDDED and o.level != "dma":
        return None  # not isolated at all: dma-embedded-unaligned (or -l1) says more
    if o.kind not in (OriginKind.EMBEDDED, OriginKind.CONTEXT):
        return None
    acc = knowledge.context(via or "")
    instead = acc.instead if acc is not None and acc.instead else None
    cond = aligned_to(knowledge, container)
    dma = knowledge.level_macro("dma").name
    inside = f"its {o.annotation} holds only inside the context, which " \
        if o.kind is OriginKind.EMBEDDED else "the context "
    fix = f"use {instead}() (and the _dma reqsize setter)" if instead else \
        "use the _dma accessor"
    return Verdict(
        f"{inside}{via}() aligns only to {container} "
        f"(= {knowledge.level_macro('kmalloc').name}), not {dma}; "
        f"{fix}; {phrase(cond)}",
        (Evidence("context-accessor", Confidence.HIGH,
                  f"{via}() returns memory aligned to {container}"),),
        bites_when=cond, hazard=Hazard(HazardKind.LINE, Aligned.KMALLOC_MACRO, macro=container))


RULE = Rule(
    "dma-crypto-ctx", Severity.WARNING,
    "a crypto tfm/request context is used for inbound DMA through a non-_dma accessor",
    "A context from crypto_tfm_ctx(), crypto_skcipher_ctx(), *_request_ctx() and the like "
    "(or a member of it marked __aligned(ARCH_DMA_MINALIGN)) is mapped DMA_FROM_DEVICE or "
    "DMA_BIDIRECTIONAL. The context is aligned only to CRYPTO_MINALIGN = "
    "ARCH_KMALLOC_MINALIGN: a conditional hazard (bites_when), true once kmalloc's "
    "minimum drops below ARCH_DMA_MINALIGN (arm64 since v6.5).",
    "The tfm and request are kmalloc'd; their context starts at a CRYPTO_MINALIGN offset, so "
    "with an 8-byte kmalloc minimum the DMA buffer shares a cache line with the crypto "
    "core's fields in front of it, and no bounce can see inside the allocation.",
    "Use crypto_skcipher_ctx_dma() / skcipher_request_ctx_dma() and "
    "crypto_skcipher_set_reqsize_dma() (v6.2; likewise for aead, ahash, akcipher, kpp), "
    "which round the context up to CRYPTO_DMA_ALIGN.",
    ("commit 'crypto: api - Add crypto_tfm_ctx_dma' (v6.2)",
     "the 'crypto: ... - Set DMA alignment explicitly' series (v6.2: caam, ccree, hpre, "
     "safexcel, keembay)"),
    needs=(Fact.SINK_USE, Fact.ORIGIN),
    check_use=check,
    precedence=40,
    uses_knowledge=lambda k: bool(k.contexts) and any(m.level == "dma" for m in k.macros),
)
