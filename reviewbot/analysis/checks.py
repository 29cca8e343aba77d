"""Turn (sink use, memory origin) pairs into findings, by asking the rules in turn.

Each check is silent unless the evidence is in the text: unknown memory,
parameters of unknown callers and unknown directions produce nothing (the
maintainer's trust is worth more than a guess). Which rule judges a pair is
decided by the rules' precedence (``rules.USE_RULES``), not by an if-chain
here; how sure the finding is comes from its evidence (``confidence_of``).
"""

from __future__ import annotations

import re

from reviewbot.analysis.origins import Origin
from reviewbot.analysis.rules import USE_RULES, Rule, Verdict
from reviewbot.analysis.sinks import SinkUse
from reviewbot.knowledge import Knowledge
from reviewbot.model import Confidence, Evidence, Finding, confidence_of

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


def judge(use: SinkUse, origin: Origin,
          knowledge: Knowledge) -> tuple[Rule, Verdict] | None:
    """The first rule, by precedence, that has a verdict on this pair."""
    for r in USE_RULES:
        assert r.check_use is not None
        verdict = r.check_use(use, origin, knowledge)
        if verdict is not None:
            return r, verdict
    return None


def check_use(path: str, use: SinkUse, buffer: str, origins: list[Origin],
              knowledge: Knowledge) -> list[Finding]:
    """Findings for one sink use; silent unless every possible origin agrees."""
    verdicts = [(judge(use, o, knowledge), o) for o in origins]
    if len({v[0].id if v else None for v, _ in verdicts}) > 1:
        return []  # the pointer may point elsewhere, where this would be wrong
    out: dict[str, Finding] = {}
    for found, origin in verdicts:
        if found is None:
            continue
        r, verdict = found
        if r.id in out:
            continue
        evidence = (*_origin_evidence(origin), *_sink_evidence(use), *verdict.evidence)
        out[r.id] = Finding(
            rule=r.id, severity=verdict.severity or r.severity, file=path, line=use.line,
            function=use.function,
            buffer=buffer, sink=use.sink, direction=use.direction,
            message=f"{buffer} is {origin.what}{_at(origin)}, {_sink_phrase(use)}: "
                    f"{verdict.why}",
            confidence=confidence_of(evidence), evidence=evidence, details=_details(origin),
            bites_when=verdict.bites_when)
    return list(out.values())


def _origin_evidence(o: Origin) -> tuple[Evidence, ...]:
    if o.certain:
        return (Evidence("origin-certain", Confidence.HIGH, f"the buffer is {o.what}"),)
    return (Evidence("origin-ambiguous", Confidence.MEDIUM,
                     f"the pointer may also point elsewhere than {o.what}"),)


def _sink_evidence(use: SinkUse) -> tuple[Evidence, ...]:
    if use.confidence is Confidence.HIGH:
        return (Evidence("sink-maps", Confidence.HIGH, f"{use.sink} hands the buffer to DMA"),)
    return (Evidence("sink-may-not-map", use.confidence,
                     f"whether {use.sink} uses DMA depends on the device or bus"),)


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
    if o.line:  # where the memory comes from: a reply quotes that line too
        out.append(("origin_line", str(o.line)))
    if o.allocator:
        out.append(("allocator", o.allocator))
    if o.size_text:
        out.append(("size", o.size_text if o.size is None else f"{o.size_text} = {o.size}"))
    if o.struct:
        out.append(("struct", f"{o.struct}.{o.field}"))
    if o.annotation:
        out.append(("annotation", o.annotation))
    if o.container:  # the macro the containing object is aligned to (impact reads it)
        out.append(("container", o.container))
        out.append(("container_via", o.container_via or ""))
    if o.offset:
        out.append(("offset", o.offset if o.offset_bytes is None
                    else f"{o.offset} = {o.offset_bytes}"))
    return tuple(out)
