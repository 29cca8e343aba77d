"""Analyse one source text (a whole file or a reconstructed fragment).

The order matters: helpers are found first (a function that forwards a
parameter to a DMA sink becomes a sink, transitively, like smatch's DMA
function list), then every sink use in every function is resolved to the
memory behind it and judged by the rules.

Only what the rules ask for is computed: their ``needs`` decide whether the
text is parsed at all, whether the headers' structs and the Kconfig's
architectures are looked up, and a member's neighbourhood is worked out only
when a rule that declared it asks (rules/base.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from tree_sitter import Parser

from reviewbot.analysis.c.expr import buffer_text
from reviewbot.analysis.c.parser import Refused, new_parser, parse
from reviewbot.analysis.c.preprocess import conditionals, rewrite
from reviewbot.analysis.c.slices import Plan, trigger_hits
from reviewbot.analysis.facts.file import FileFacts, PlatformQuestion, collect
from reviewbot.analysis.facts.functions import FunctionFacts, copies_param
from reviewbot.analysis.facts.headers import HeaderIndex
from reviewbot.analysis.facts.matching import Matching, matching, only_through
from reviewbot.analysis.facts.structs import StructDef
from reviewbot.analysis.flow.directions import from_callers
from reviewbot.analysis.flow.origin import OriginKind
from reviewbot.analysis.flow.resolver import FileFlow
from reviewbot.analysis.flow.sinks import Helper, SinkUse, sink_uses
from reviewbot.analysis.rules import RULES, Fact, Rule
from reviewbot.analysis.rules.exposure import TreeFacts, judge_findings
from reviewbot.analysis.rules.judge import Judge
from reviewbot.knowledge import DirectionSpec, Knowledge, Sink
from reviewbot.model import Finding, Platform

logger = logging.getLogger(__name__)

# Sliced parses of one text before it is parsed whole (analysis/c/slices.py).
# On Linux 6.1 no file needs more than 7 and 3 or more are 10% of the files:
# with 2, those were parsed whole in a third round, 30% of the scan's time.
_MAX_CUTS = 8
_MAX_ROUNDS = 8


@dataclass(frozen=True)
class Needs:
    """What the engine computes for a set of rules (the union of their ``needs``)."""

    uses: bool  # parse the text and find its transfers
    headers: bool  # struct definitions from the headers the text includes
    platform: bool  # the one architecture its Kconfig allows

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> Needs:
        facts = {f for r in rules for f in r.needs}
        uses = Fact.SINK_USE in facts
        return cls(uses, uses and Fact.ORIGIN in facts, uses and Fact.PLATFORM in facts)


def analyse_source(path: str, text: str, knowledge: Knowledge,
                   parser: Parser | None = None, work: int | None = None,
                   headers: HeaderIndex | None = None,
                   rules: tuple[Rule, ...] = RULES,
                   missed: Refused | None = None,
                   tree: TreeFacts | None = None) -> list[Finding]:
    """Findings of one file or fragment; ``path`` is only used to label them.

    A text the parser refuses (more than ``work`` progress steps, see
    ``c.parser.parse``) is left unanalysed and ``missed`` is told why: its
    empty list is not a clean result. ``headers``, when given, supplies
    struct definitions from the headers the text includes (a scan or
    ``review --tree`` has the tree; a mail does not).

    Only the functions that can matter are parsed (``slices.Plan``): the
    ones naming a sink first, then, as the analysis of those asks for them
    (``FileFacts.demand``), the callers of helpers and the functions storing
    the members it looked up, until it asks for nothing new. The findings are
    those of the whole text.
    """
    needs = Needs.of(rules)
    if not needs.uses:
        return []
    raw = text.encode("utf-8", "surrogateescape")
    hits, certain = trigger_hits(raw, knowledge)
    if not hits or (not certain and not may_reach_device(text, knowledge)):
        return []
    plan = Plan(raw, knowledge, hits)
    parser = parser or new_parser()
    buf = conditionals(raw)
    plan.cut(bytes(buf))
    src = None
    rounds = 0
    # the same for every round: the headers' structs and where the driver runs
    find = headers.finder(path, text) if headers is not None and needs.headers else None
    # asked of the tree only when a finding needs it (most files make none)
    where = PlatformQuestion(lambda: _platform(path, text, headers)) if needs.platform \
        else None
    while True:
        # preprocessing is finished only where the parser will look
        rewrite(buf, raw, knowledge, plan.fresh())
        src = parse(path, raw, knowledge, parser, work,
                    select=lambda _raw, _clean: plan.spans(), clean=bytes(buf),
                    old_tree=src.tree if src is not None else None, refused=missed)
        if src is None:
            return []
        facts = collect(src, knowledge, find, where)
        findings, follow = _analyse(facts, rules, tree)
        demand = facts.demand
        if not plan.extend(follow | demand.words, demand.fields, demand.members):
            return findings
        rounds += 1
        if rounds >= _MAX_CUTS:
            plan.whole = True  # each round re-runs the analysis: past a few, parse it all


def may_reach_device(text: str, knowledge: Knowledge) -> bool:
    """Cheap text test: does the text name any sink at all? (Most files do not.)"""
    return _trigger_pattern(knowledge.trigger_words()).search(text) is not None


@lru_cache(maxsize=4)
def _trigger_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")


def file_facts(path: str, text: str, knowledge: Knowledge, parser: Parser | None = None,
               work: int | None = None, headers: HeaderIndex | None = None,
               rules: tuple[Rule, ...] = RULES,
               missed: Refused | None = None) -> FileFacts | None:
    """Facts of one whole text; None when it is not analysed (``missed`` is told why)."""
    src = parse(path, text.encode("utf-8", "surrogateescape"), knowledge, parser, work,
                refused=missed)
    if src is None:
        return None
    needs = Needs.of(rules)
    find: Callable[[str], StructDef | None] | None = None
    if headers is not None and needs.headers:
        find = headers.finder(path, text)
    return collect(src, knowledge, find,
                   PlatformQuestion(lambda: _platform(path, text, headers)) if needs.platform
                   else None)


def _platform(path: str, text: str, headers: HeaderIndex | None) -> Platform:
    """Where the file's driver runs: its Kconfig's architectures (with a tree), whether it
    matches only ACPI devices (from its own text), and the architectures where it cannot
    be in a configuration doing non-coherent DMA."""
    acpi_only = matching(text) is Matching.ACPI_ONLY
    buses = dict(headers.knowledge.coherent_buses) if headers is not None else {}
    bus = only_through(text, set(buses)) if buses else None
    coherent_bus = buses[bus] if bus is not None else None
    if headers is None:
        return Platform(None, acpi_only)
    arches = headers.arches_of(path)
    headers.platforms.consulted = set()  # what the questions below read, for this file
    coherent = frozenset(
        arch for arch, needs in headers.knowledge.noncoherent_needs
        if (arches is None or arch in arches)
        and headers.platforms.builds_on_with(path, arch, dict(needs)) is False)
    remaps = frozenset(
        arch for arch, needs in headers.knowledge.coherent_remap
        if (arches is None or arch in arches)
        and (not needs or headers.platforms.builds_on_with(path, arch, dict(needs)) is not False))
    headers.consulted |= headers.platforms.consulted
    return Platform(arches, acpi_only, coherent, coherent_bus,
                    remaps if headers.knowledge.coherent_remap else None)


def analyse_facts(facts: FileFacts, rules: tuple[Rule, ...] = RULES,
                  tree: TreeFacts | None = None) -> list[Finding]:
    """Findings of facts already collected (a whole file: no further rounds)."""
    return _analyse(facts, rules, tree)[0]


def _analyse(facts: FileFacts, rules: tuple[Rule, ...],
             tree: TreeFacts | None) -> tuple[list[Finding], set[str]]:
    """Findings, and the functions whose callers matter (helpers, directions from callers)."""
    flow = FileFlow(facts)
    uses, follow = _uses_with_helpers(flow)
    judge = Judge(facts.knowledge, rules, flow.neighbourhood, facts.where.answer)
    findings: list[Finding] = []
    for fn in facts.functions:
        for use in uses.get(id(fn), []):
            direction = use.direction
            if direction is None and use.direction_param is not None:
                follow.add(fn.name)
                direction = from_callers(facts, fn, use.direction_param)
            transfer = use.transfer(buffer_text(facts.src.text_of(use.buffer)), direction)
            findings.extend(judge.findings(facts.path, transfer,
                                           flow.origins(fn, use.buffer)))
    findings.sort(key=lambda f: (f.line, f.rule))
    return (judge_findings(findings, tree) if tree is not None else findings), follow


def _uses_with_helpers(flow: FileFlow) -> tuple[dict[int, list[SinkUse]], set[str]]:
    facts = flow.facts
    helpers: dict[str, tuple[Helper, ...]] = {}
    uses: dict[int, list[SinkUse]] = {}  # by id(): fragments repeat function names
    pending: list[FunctionFacts] = list(facts.functions)
    for _ in range(_MAX_ROUNDS):
        new: set[str] = set()
        for fn in pending:
            uses[id(fn)] = sink_uses(flow, fn, helpers)
            have = helpers.get(fn.name, ())
            known = {h.sink.buffer for h in have}
            found = tuple(h for h in _helpers_of(flow, fn, uses[id(fn)])
                          if h.sink.buffer not in known)
            if found:  # same-named fragments of one function add to each other
                helpers[fn.name] = have + found
                new.add(fn.name)
        if not new:
            break
        pending = [fn for fn in facts.functions
                   if any(c in new for c in facts.calls.names(fn) if c)]
    return uses, set(helpers)


def _helpers_of(flow: FileFlow, fn: FunctionFacts, uses: list[SinkUse]) -> tuple[Helper, ...]:
    facts = flow.facts
    if facts.knowledge.sink(fn.name) is not None:
        return ()
    out: dict[int, Helper] = {}
    directions: dict[int, set[str | None]] = {}
    copy_from = dict(facts.knowledge.copy_from)
    for use in uses:
        for origin in flow.origins(fn, use.buffer):
            if origin.kind is not OriginKind.PARAM or origin.param is None \
                    or copies_param(facts.src, fn, origin.param, copy_from):
                continue
            if use.direction_param is None:
                directions.setdefault(origin.param, set()).add(use.direction)
            if origin.param in out:
                continue
            if use.direction is not None or use.direction_param is None:
                direction = DirectionSpec("fixed", value=use.direction)
            else:
                direction = use.direction_param
            sink = Sink(fn.name, origin.param, direction, use.maps, use.confidence,
                        use.vmalloc_ok, use.synchronous)
            out[origin.param] = Helper(sink, use.via or use.sink)
    for param, seen in directions.items():
        if len(seen) > 1 and param in out:
            # one branch sends, another receives (go7007_usb_vendor_request's "in"
            # argument): which one a caller takes is not read here, so no direction
            h = out[param]
            out[param] = replace(h, sink=replace(h.sink, direction=DirectionSpec("fixed")))
    return tuple(out[i] for i in sorted(out))
