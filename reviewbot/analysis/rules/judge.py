"""Turn (transfer, memory origin) pairs into findings, by asking the rules in turn.

Each check is silent unless the evidence is in the text: unknown memory,
parameters of unknown callers and unknown directions produce nothing (the
maintainer's trust is worth more than a guess). Which rule judges a pair is
decided by the rules' precedence (``rules.USE_RULES``), not by an if-chain
here; how sure the finding is comes from its evidence (``confidence_of``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from reviewbot.analysis.flow.origin import MemberSite, Origin
from reviewbot.analysis.flow.sharing import Neighbourhood
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import Judging, Rule, Verdict
from reviewbot.knowledge import Knowledge
from reviewbot.model import Confidence, Evidence, Finding, Platform, confidence_of

_DIRECTION_PHRASE = {"to_device": " for DMA to the device",
                     "from_device": " for DMA from the device",
                     "bidirectional": " for bidirectional DMA"}


class Judge:
    """The use rules of one file, in precedence order, each with what it may consult."""

    def __init__(self, knowledge: Knowledge, rules: Iterable[Rule],
                 neighbourhood: Callable[[MemberSite, bool], Neighbourhood],
                 platform: Callable[[], Platform] | None = None) -> None:
        """``platform``: where the file's driver runs, asked only when a finding is made."""
        self._platform = platform
        self._knowledge = knowledge
        self._rules = [(r, Judging(knowledge, r.needs, neighbourhood))
                       for r in sorted(rules, key=lambda r: r.precedence)
                       if r.check_use is not None]

    def first(self, use: Transfer, origin: Origin) -> tuple[Rule, Verdict] | None:
        """The first rule, by precedence, that has a verdict on this pair."""
        for r, judging in self._rules:
            assert r.check_use is not None
            verdict = r.check_use(use, origin, judging)
            if verdict is not None:
                return r, verdict
        return None

    def findings(self, path: str, use: Transfer, origins: list[Origin]) -> list[Finding]:
        """Findings for one transfer; silent unless every possible origin agrees."""
        verdicts = [(self.first(use, o), o) for o in origins]
        if len({v[0].id if v else None for v, _ in verdicts}) > 1:
            return []  # the pointer may point elsewhere, where this would be wrong
        out: dict[str, Finding] = {}
        for found, origin in verdicts:
            if found is None:
                continue
            r, verdict = found
            if r.id not in out:
                out[r.id] = _finding(path, use, origin, r, self._held(verdict, origin),
                                     self._platform() if self._platform is not None else None)
        return list(out.values())


    def _held(self, verdict: Verdict, origin: Origin) -> Verdict:
        """The verdict with the kmalloc-level macro its memory's object is aligned to."""
        c = origin.container
        macro = self._knowledge.macro(c.macro) if c is not None and c.macro else None
        if verdict.hazard is None or macro is None or macro.level != "kmalloc":
            return verdict
        return replace(verdict, hazard=replace(verdict.hazard, container=macro.name))


def _finding(path: str, use: Transfer, origin: Origin, r: Rule, verdict: Verdict,
             platform: Platform | None) -> Finding:
    """The finding as the rule sees it; a tree judges it later (rules/exposure.py), from
    its hazard and where the driver runs."""
    buffer = use.buffer
    evidence = (*_origin_evidence(origin), *_sink_evidence(use), *verdict.evidence)
    message = f"{buffer} is {origin.what}{_at(origin)}, {_sink_phrase(use)}: {verdict.why}"
    return Finding(
        rule=r.id, severity=verdict.severity or r.severity, file=path, line=use.line,
        function=use.function, buffer=buffer, sink=use.sink, direction=use.direction,
        message=message, confidence=confidence_of(evidence), evidence=evidence,
        details=_details(origin), bites_when=verdict.bites_when,
        hazard=verdict.hazard, platform=platform if verdict.hazard is not None else None)


def _origin_evidence(o: Origin) -> tuple[Evidence, ...]:
    if o.certain:
        return (Evidence("origin-certain", Confidence.HIGH, f"the buffer is {o.what}"),)
    return (Evidence("origin-ambiguous", Confidence.MEDIUM,
                     f"the pointer may also point elsewhere than {o.what}"),)


def _sink_evidence(use: Transfer) -> tuple[Evidence, ...]:
    if use.confidence is Confidence.HIGH:
        return (Evidence("sink-maps", Confidence.HIGH, f"{use.sink} hands the buffer to DMA"),)
    return (Evidence("sink-may-not-map", use.confidence,
                     f"whether {use.sink} uses DMA depends on the device or bus"),)


def _at(o: Origin) -> str:
    return f" (line {o.line})" if o.line else ""


def _sink_phrase(use: Transfer) -> str:
    direction = _DIRECTION_PHRASE.get(use.direction or "", "")
    if "." in use.sink and not use.sink.endswith(")"):
        return f"stored in {use.sink}{direction}"
    if use.via and "." in use.via:  # the helper stores it in a transfer's field
        return f"passed to {use.sink}(), which stores it in {use.via}{direction}"
    if use.via:
        return f"passed to {use.sink}(), which hands it to {use.via}(){direction}"
    return f"passed to {use.sink}(){direction}"


def _details(o: Origin) -> tuple[tuple[str, str], ...]:
    out = [("origin", o.kind.value)]
    if o.line:  # where the memory comes from: the line a checkpatch report points at
        out.append(("origin_line", str(o.line)))
    if o.alloc is not None:
        out.append(("allocator", o.alloc.allocator))
        if o.alloc.size_text:
            size = o.alloc.size_text if o.alloc.size is None else \
                f"{o.alloc.size_text} = {o.alloc.size}"
            out.append(("size", size))
    if o.member is not None:
        out.append(("struct", f"{o.member.struct}.{o.member.field}"))
    if o.annotation:
        out.append(("annotation", o.annotation))
    if o.container is not None and o.container.macro:
        # the macro the containing object is aligned to (impact reads it)
        out.append(("container", o.container.macro))
        out.append(("container_via", o.container.via or ""))
    if o.placement is not None and o.placement.offset:
        p = o.placement
        out.append(("offset", p.offset if p.bytes is None else f"{p.offset} = {p.bytes}"))
    return tuple(out)
