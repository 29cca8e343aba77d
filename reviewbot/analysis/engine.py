"""Analyse one source text (a whole file or a reconstructed fragment).

The order matters: helpers are found first (a function that forwards a
parameter to a DMA sink becomes a sink, transitively, like smatch's DMA
function list), then every sink use in every function is resolved to the
memory behind it and checked.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from functools import lru_cache

from tree_sitter import Parser

from reviewbot.analysis.checks import buffer_text, check_use
from reviewbot.analysis.cparse import Refused, new_parser, parse
from reviewbot.analysis.facts import (
    FileFacts,
    FunctionFacts,
    call_names,
    collect,
    copies_param,
)
from reviewbot.analysis.headers import HeaderIndex
from reviewbot.analysis.origins import Resolver
from reviewbot.analysis.preprocess import conditionals, rewrite
from reviewbot.analysis.sinks import Helper, SinkUse, direction_from_callers, sink_uses
from reviewbot.analysis.slices import Plan, trigger_hits
from reviewbot.knowledge import DirectionSpec, Knowledge, Sink
from reviewbot.model import Finding

logger = logging.getLogger(__name__)

# Sliced parses of one text before it is parsed whole (analysis/slices.py).
# On Linux 6.1 no file needs more than 7 and 3 or more are 10% of the files:
# with 2, those were parsed whole in a third round, 30% of the scan's time.
_MAX_CUTS = 8
_MAX_ROUNDS = 8


def analyse_source(path: str, text: str, knowledge: Knowledge,
                   parser: Parser | None = None, work: int | None = None,
                   headers: HeaderIndex | None = None,
                   missed: Refused | None = None) -> list[Finding]:
    """Findings of one file or fragment; ``path`` is only used to label them.

    A text the parser refuses (more than ``work`` progress steps, see
    ``cparse.parse``) is left unanalysed and ``missed`` is told why: its
    empty list is not a clean result. ``headers``, when given, supplies
    struct definitions from the headers the text includes (a scan or
    ``review --tree`` has the tree; a mail does not).

    Only the functions that can matter are parsed (``slices.Plan``): the
    ones naming a sink first, then, as the analysis of those asks for them,
    the callers of helpers and the functions storing the members it looked
    up, until it asks for nothing new. The findings are those of the whole
    text.
    """
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
    # the same for every round: the headers' structs and the Kconfig's architecture
    find = headers.finder(path, text) if headers is not None else None
    only_arch = headers.arch_of(path) if headers is not None else None
    while True:
        # preprocessing is finished only where the parser will look
        rewrite(buf, raw, knowledge, plan.fresh())
        src = parse(path, raw, knowledge, parser, work,
                    select=lambda _raw, _clean: plan.spans(), clean=bytes(buf),
                    old_tree=src.tree if src is not None else None, refused=missed)
        if src is None:
            return []
        facts = collect(src, knowledge, find)
        facts.only_arch = only_arch
        looked_up = _Recording(facts.field_values)
        facts.field_values = looked_up
        findings, follow = _analyse(facts)
        # Members whose writers an analysis looked for anywhere in the file
        # (a cache of issue 11's neighbours check, keyed (member, ...)): their
        # functions must be parsed too. Absent, this asks for nothing.
        members = {key[0] for key in facts.__dict__.get("_member_writers", {})}
        members |= facts.__dict__.get("_asked_members", set())
        # names the analysis looked for through the whole file (facts.ask)
        follow = follow | facts.__dict__.get("_asked_words", set())
        if not plan.extend(follow, looked_up.asked, members):
            return findings
        rounds += 1
        if rounds >= _MAX_CUTS:
            plan.whole = True  # each round re-runs the analysis: past a few, parse it all


class _Recording(dict):
    """Field values that remember which members the analysis asked about."""

    def __init__(self, values: dict) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)


def may_reach_device(text: str, knowledge: Knowledge) -> bool:
    """Cheap text test: does the text name any sink at all? (Most files do not.)"""
    return _trigger_pattern(knowledge.trigger_words()).search(text) is not None


@lru_cache(maxsize=4)
def _trigger_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")


def file_facts(path: str, text: str, knowledge: Knowledge, parser: Parser | None = None,
               work: int | None = None,
               headers: HeaderIndex | None = None,
               missed: Refused | None = None) -> FileFacts | None:
    """Facts of one text; None when it is not analysed (``missed`` is told why)."""
    src = parse(path, text.encode("utf-8", "surrogateescape"), knowledge, parser, work,
                refused=missed)
    if src is None:
        return None
    if headers is None:
        return collect(src, knowledge)
    facts = collect(src, knowledge, headers.finder(path, text))
    facts.only_arch = headers.arch_of(path)
    return facts


def analyse_facts(facts: FileFacts) -> list[Finding]:
    return _analyse(facts)[0]


def _analyse(facts: FileFacts) -> tuple[list[Finding], set[str]]:
    """Findings, and the functions whose callers matter (helpers, directions from callers)."""
    uses, follow = _uses_with_helpers(facts)
    findings: list[Finding] = []
    for fn in facts.functions:
        resolver = Resolver(facts, fn)
        for use in uses.get(id(fn), []):
            if use.direction is None and use.direction_param is not None:
                follow.add(fn.name)
                use = replace(use, direction=direction_from_callers(facts, fn,
                                                                    use.direction_param))
            buffer = buffer_text(facts.src.text_of(use.buffer))
            findings.extend(check_use(facts.path, use, buffer, resolver.origins(use.buffer),
                                      facts.knowledge))
    findings.sort(key=lambda f: (f.line, f.rule))
    return findings, follow


def _uses_with_helpers(facts: FileFacts) -> tuple[dict[int, list[SinkUse]], set[str]]:
    helpers: dict[str, tuple[Helper, ...]] = {}
    uses: dict[int, list[SinkUse]] = {}  # by id(): fragments repeat function names
    pending: list[FunctionFacts] = list(facts.functions)
    for _ in range(_MAX_ROUNDS):
        new: set[str] = set()
        for fn in pending:
            uses[id(fn)] = sink_uses(facts, fn, helpers)
            have = helpers.get(fn.name, ())
            known = {h.sink.buffer for h in have}
            found = tuple(h for h in _helpers_of(facts, fn, uses[id(fn)])
                          if h.sink.buffer not in known)
            if found:  # same-named fragments of one function add to each other
                helpers[fn.name] = have + found
                new.add(fn.name)
        if not new:
            break
        pending = [fn for fn in facts.functions
                   if any(c in new for c in _called_names(facts, fn))]
    return uses, set(helpers)


def _called_names(facts: FileFacts, fn: FunctionFacts) -> set[str]:
    return {name for name in call_names(facts, fn) if name}


def _helpers_of(facts: FileFacts, fn: FunctionFacts,
                uses: list[SinkUse]) -> tuple[Helper, ...]:
    if facts.knowledge.sink(fn.name) is not None:
        return ()
    resolver = Resolver(facts, fn)
    out: dict[int, Helper] = {}
    for use in uses:
        for origin in resolver.origins(use.buffer):
            if origin.kind != "param" or origin.param is None or origin.param in out \
                    or copies_param(facts, fn, origin.param):
                continue
            if use.direction is not None or use.direction_param is None:
                direction = DirectionSpec("fixed", value=use.direction)
            else:
                direction = use.direction_param
            sink = Sink(fn.name, origin.param, direction, use.maps, use.confidence,
                        use.vmalloc_ok, use.synchronous)
            out[origin.param] = Helper(sink, use.via or use.sink)
    return tuple(out[i] for i in sorted(out))
