"""Turn (sink use, memory origin) pairs into findings, one rule at a time.

Each check is silent unless the evidence is in the text: unknown memory,
parameters of unknown callers and unknown directions produce nothing (the
maintainer's trust is worth more than a guess).
"""

from __future__ import annotations

import re

from reviewbot.analysis.origins import Origin
from reviewbot.analysis.rules import rule
from reviewbot.analysis.sinks import SinkUse
from reviewbot.knowledge import Knowledge
from reviewbot.model import Confidence, Finding

_CONF = {"high": Confidence.HIGH, "medium": Confidence.MEDIUM, "low": Confidence.LOW}
_ORDER = [Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH]
_DIRECTION_PHRASE = {"to_device": " for DMA to the device",
                     "from_device": " for DMA from the device",
                     "bidirectional": " for bidirectional DMA"}
_CAST = re.compile(r"^\(\s*(?:const\s+)?(?:struct\s+)?\w+\s*\**\s*\)\s*")


def buffer_text(text: str) -> str:
    """The buffer as a reviewer names it: whitespace collapsed, leading casts dropped."""
    text = " ".join(text.split())
    while True:
        m = _CAST.match(text)
        if not m or m.end() == len(text):
            return text
        text = text[m.end():]


def check_use(path: str, use: SinkUse, buffer: str, origins: list[Origin],
              knowledge: Knowledge) -> list[Finding]:
    """Findings for one sink use; silent unless every possible origin agrees."""
    verdicts = [(_classify(use, o, knowledge), o) for o in origins]
    if len({v[0] if v else None for v, _ in verdicts}) > 1:
        return []  # the pointer may point elsewhere, where this would be wrong
    out: dict[str, Finding] = {}
    for found, origin in verdicts:
        if found is None:
            continue
        rule_id, why, conf = found
        conf = min(conf, _CONF[use.confidence], key=_ORDER.index)
        if not origin.certain:
            conf = min(conf, Confidence.MEDIUM, key=_ORDER.index)
        if rule_id in out:
            continue
        r = rule(rule_id)
        out[rule_id] = Finding(
            rule=rule_id, severity=r.severity, file=path, line=use.line, function=use.function,
            buffer=buffer, sink=use.sink, direction=use.direction,
            message=f"{buffer} is {origin.what}{_at(origin)}, {_sink_phrase(use)}: {why}",
            confidence=conf, details=_details(origin))
    return list(out.values())


def _classify(use: SinkUse, o: Origin,
              knowledge: Knowledge) -> tuple[str, str, Confidence] | None:
    if use.vmalloc_ok and ((o.kind in ("stack", "static") and not use.inbound)
                           or (o.kind == "heap" and o.cls == "vmalloc")):
        return None  # the core maps it page by page; outbound cannot lose data
    if o.kind == "stack":
        alt = knowledge.copying_alternative(use.via or use.sink)
        instead = " or a copying API"
        if alt is not None:
            names = " / ".join(f"{f}()" for f in alt.family)
            instead = f" or {names}, which {'copies' if len(alt.family) == 1 else 'copy'}"
        return ("dma-stack", "stack memory is not DMA-able (it is vmalloc'd with "
                f"CONFIG_VMAP_STACK); use a kmalloc'd buffer{instead}", Confidence.HIGH)
    if o.kind == "static":
        return ("dma-static", "static data in the kernel image or a module is not DMA-able; "
                "copy it into a kmalloc'd buffer", Confidence.HIGH)
    if o.kind == "heap" and o.cls == "vmalloc":
        return ("dma-vmalloc", "vmalloc memory is not physically contiguous and cannot be "
                "mapped by address", Confidence.HIGH)
    if o.kind == "heap" and o.cls == "coherent" and use.maps:
        return ("dma-coherent-remap", "coherent memory is already mapped; use the dma_addr_t "
                "from the allocator instead of mapping it again", Confidence.HIGH)
    if o.kind == "heap" and o.cls in ("kmalloc", "devm-kmalloc") and use.inbound:
        return _small(o, knowledge)
    if o.kind == "embedded" and use.inbound:
        return _embedded(o)
    return None


def _small(o: Origin, knowledge: Knowledge) -> tuple[str, str, Confidence] | None:
    minalign = knowledge.dma_minalign_bytes
    if o.size is None:
        return ("dma-kmalloc-small", f"its size ({o.size_text or 'unknown'}) is not known "
                f"here; below {minalign} bytes kmalloc memory is bounced (or shares a cache "
                "line) for inbound DMA since v6.5", Confidence.LOW)
    bucket = next((c for c in knowledge.kmalloc_size_classes if c >= o.size), None)
    if bucket is None or bucket % minalign == 0:
        return None
    return ("dma-kmalloc-small", f"a {o.size}-byte buffer comes from kmalloc-{bucket}, whose "
            f"objects are not a multiple of ARCH_DMA_MINALIGN ({minalign} on arm64): since v6.5 "
            "inbound "
            "DMA into it is bounced through swiotlb, or shares a cache line where nothing "
            "bounces", Confidence.HIGH)


def _embedded(o: Origin) -> tuple[str, str, Confidence] | None:
    if o.level == "dma":
        return None
    if o.level == "l1":
        return ("dma-cacheline-l1", f"it is isolated only by {o.annotation} (L1, 64 bytes on "
                "arm64), short of ARCH_DMA_MINALIGN (128); use __aligned(ARCH_DMA_MINALIGN)",
                Confidence.HIGH)
    if o.level == "kmalloc":
        return ("minalign-usage", f"it is aligned with {o.annotation}, the kmalloc minimum "
                "(8 bytes on arm64 since v6.5), not ARCH_DMA_MINALIGN", Confidence.HIGH)
    return ("dma-embedded-unaligned", "inbound DMA invalidates the whole cache line, losing "
            "CPU writes to neighbouring members; mark the first DMA buffer "
            "__aligned(ARCH_DMA_MINALIGN) (IIO_DMA_MINALIGN in IIO) and keep DMA buffers last",
            Confidence.HIGH)


def _at(o: Origin) -> str:
    return f" (line {o.line})" if o.line else ""


def _sink_phrase(use: SinkUse) -> str:
    direction = _DIRECTION_PHRASE.get(use.direction or "", "")
    if "." in use.sink and not use.sink.endswith(")"):
        return f"stored in {use.sink}{direction}"
    if use.via:
        return f"passed to {use.sink}(), which hands it to {use.via}(){direction}"
    return f"passed to {use.sink}(){direction}"


def _details(o: Origin) -> tuple[tuple[str, str], ...]:
    out = [("origin", o.kind)]
    if o.allocator:
        out.append(("allocator", o.allocator))
    if o.size_text:
        out.append(("size", o.size_text if o.size is None else f"{o.size_text} = {o.size}"))
    if o.struct:
        out.append(("struct", f"{o.struct}.{o.field}"))
    if o.annotation:
        out.append(("annotation", o.annotation))
    return tuple(out)
