"""What a patch series introduces, keeps or fixes, patch by patch.

Each patch is analysed before and after (from the hunks alone, or from whole
files when a later stage has a tree). A finding is introduced when the
post-image has it and the pre-image did not, matched by ``Finding.key()``
(rule, file, function, buffer) and never by line, because lines move. Walking
the patches in order lets a problem introduced by patch 2 and repaired by
patch 5 be reported once, with ``fixed_in_patch=5``.
"""

from __future__ import annotations

import functools
import logging
import posixpath
from collections.abc import Callable
from dataclasses import replace

from tree_sitter import Parser
from unidiff import PatchedFile

from reviewbot.analysis.c.hunks import sides
from reviewbot.analysis.c.parser import ParseBudget, Refused, new_parser
from reviewbot.analysis.engine import analyse_facts, file_facts, may_reach_device
from reviewbot.analysis.facts.headers import HeaderIndex, include_lines
from reviewbot.analysis.facts.platforms import Platforms
from reviewbot.analysis.rules import DIFF_RULES
from reviewbot.analysis.rules.diffs import diff_file
from reviewbot.analysis.rules.exposure import TreeFacts
from reviewbot.diffpaths import file_path
from reviewbot.knowledge import Knowledge
from reviewbot.model import Finding, Patch, Series

logger = logging.getLogger(__name__)

# (path, patch index) -> (pre-image text, post-image text); None for "not available".
# A missing side (added or deleted file) is None or "".
Images = Callable[[str, int], "tuple[str | None, str | None] | None"]

_C_SUFFIXES = (".c", ".h")

Key = tuple[str, str, "str | None", "str | None"]


def analyse_series(series: Series, knowledge: Knowledge,
                   images: Images | None = None,
                   budget: ParseBudget | None = None,
                   tree: TreeFacts | None = None,
                   platforms: Platforms | None = None) -> list[Finding]:
    """Findings of a series: introduced, pre-existing in touched code, or fixed.

    Every finding has ``patch`` (the patch that introduced it, or the first
    that touched it) and ``introduced``; ``fixed_in_patch`` is set when a
    later patch (or the same one, for pre-existing hazards) removes it.
    Lines are post-image lines of the patch in ``patch``; a hazard that
    patch removes keeps its pre-image line (it has no post-image line).
    ``images(path, index)`` may return whole files (before, after patch
    ``index``) to analyse instead of the hunks; None falls back to hunks.
    Files the parser refuses (more than ``budget.work``, see ``c.parser.parse``) are in
    ``budget.unparsed``: their findings are missing, and a gate must say so.
    ``platforms``: the platform facts of the tree the series applies to (a caller's,
    perhaps from a cache), used while the series leaves every non-C file alone.
    """
    parser = new_parser()
    budget = budget if budget is not None else ParseBudget()
    reported: dict[Key, Finding] = {}
    trees = _TreeSides(series, images, knowledge, parser, platforms) \
        if images is not None else None
    for patch in sorted(series.patches, key=lambda p: p.index):
        for finding_set in _patch_findings(patch, knowledge, images, parser, budget, tree,
                                           trees):
            _merge(reported, patch.index, *finding_set)
    return sorted(reported.values(),
                  key=lambda f: (f.patch or 0, f.file, f.line, f.rule))


def analyse_patch(patch: Patch, knowledge: Knowledge,
                  images: Images | None = None) -> list[Finding]:
    """One patch on its own (``introduced`` relative to its own pre-image)."""
    reported: dict[Key, Finding] = {}
    for finding_set in _patch_findings(patch, knowledge, images, new_parser(), ParseBudget()):
        _merge(reported, patch.index, *finding_set)
    return sorted(reported.values(), key=lambda f: (f.file, f.line, f.rule))


def _merge(reported: dict[Key, Finding], index: int, pre: list[Finding],
           post: list[Finding], changes: list[Finding]) -> None:
    pre_keys = {f.key(): f for f in pre}
    post_keys: dict[Key, Finding] = {}
    for f in post:
        post_keys.setdefault(f.key(), f)
    for key, f in post_keys.items():
        old = reported.get(key)
        if old is None:
            reported[key] = replace(f, introduced=key not in pre_keys, patch=index)
        elif old.fixed_in_patch is not None and key not in pre_keys:
            # Removed by an earlier patch and back now: the last state counts.
            reported[key] = replace(f, introduced=True, patch=index) \
                if old.introduced else replace(old, fixed_in_patch=None, replaced_by=None)
    for key, f in pre_keys.items():
        if key in post_keys:
            continue
        old = reported.get(key)
        worse = _replacement(f, pre_keys, post_keys)
        if old is None:
            reported[key] = replace(f, introduced=False, patch=index, fixed_in_patch=index,
                                    replaced_by=worse)
        elif old.fixed_in_patch is None:
            reported[key] = replace(old, fixed_in_patch=index, replaced_by=worse)
    for f in changes:
        reported.setdefault(f.key(), replace(f, introduced=True, patch=index))


def _replacement(gone: Finding, pre_keys: dict[Key, Finding],
                 post_keys: dict[Key, Finding]) -> str | None:
    """The rule of a new finding on the buffer ``gone`` was about, as bad or worse; or None.

    A small kmalloc buffer turned into a stack array is not "fixed by" that
    patch (issue 25): the patch replaced one hazard with a worse one.
    """
    if gone.buffer is None:
        return None
    for key, f in post_keys.items():
        if (key not in pre_keys and key[1:] == gone.key()[1:] and f.rule != gone.rule
                and f.severity.rank >= gone.severity.rank):
            return f.rule
    return None


def _patch_findings(patch: Patch, knowledge: Knowledge, images: Images | None,
                    parser: Parser, budget: ParseBudget, tree: TreeFacts | None = None,
                    trees: _TreeSides | None = None,
                    ) -> list[tuple[list[Finding], list[Finding], list[Finding]]]:
    out = []
    for pf in patch.diff:
        path = file_path(pf)
        if not path.endswith(_C_SUFFIXES):
            continue
        whole = images(path, patch.index) if images is not None else None
        missed = functools.partial(budget.missed, patch.index, path)
        if whole is not None:
            assert images is not None
            if trees is None:
                trees = _TreeSides(None, images, knowledge, parser)
            pre, post = _whole_files(path, pf, whole, knowledge, parser, budget.work, missed, tree,
                                     (trees.headers(patch.index, 0), trees.headers(patch.index, 1)))
        else:
            pre_side, post_side = sides(pf)
            pre = _analyse(path, pre_side.text, knowledge, parser, budget.work, missed, tree)
            post = _analyse(path, post_side.text, knowledge, parser, budget.work, missed, tree)
        out.append((pre, post, diff_findings(path, pf, knowledge)))
    return out


def diff_findings(path: str, pf: PatchedFile, knowledge: Knowledge) -> list[Finding]:
    """Findings of the rules that read the change itself (``Fact.DIFF``)."""
    change = diff_file(path, pf, knowledge)
    out: list[Finding] = []
    for r in DIFF_RULES:
        assert r.check_diff is not None
        out.extend(r.check_diff(change))
    return out


def _analyse(path: str, text: str, knowledge: Knowledge, parser: Parser, work: int,
             missed: Refused, tree: TreeFacts | None = None) -> list[Finding]:
    if not text.strip() or not may_reach_device(text, knowledge):
        return []
    facts = file_facts(path, text, knowledge, parser, work, missed=missed)
    if facts is None:
        return []
    return analyse_facts(facts, tree=tree)


class _TreeSides:
    """The headers and platform facts of the tree before and after each patch, made once
    per distinct state of the files they read.

    A side (patch ``index``, 0 before or 1 after) reads the tree through ``images``. Two
    sides whose touched non-.c files are the same read the same headers, so they share one
    ``HeaderIndex`` (its parsed structs); sides whose touched build files (anything not
    C) are the same share one ``Platforms`` (the Kconfig walk, 1.3 s on 6.1). Without
    this, every patch re-read and re-walked the Kconfig tree twice. A touched .c file that
    some touched file includes by name counts with the headers (kernel code does include
    .c files).
    """

    def __init__(self, series: Series | None, images: Images, knowledge: Knowledge,
                 parser: Parser, base: Platforms | None = None) -> None:
        self.images, self.knowledge, self.parser = images, knowledge, parser
        touched = sorted({file_path(pf) for p in series.patches for pf in p.diff}) \
            if series is not None else None
        self._indexes = range(min((p.index for p in series.patches), default=0),
                              max((p.index for p in series.patches), default=0) + 1) \
            if series is not None else range(0)
        if touched is None:  # unknown: every side on its own
            self._header_files: list[str] | None = None
            self._build_files: list[str] | None = None
        else:
            self._build_files = [t for t in touched if not t.endswith(_C_SUFFIXES)]
            self._header_files = [t for t in touched if not t.endswith(".c")]
            included = {posixpath.basename(t) for t in touched if t.endswith(".c")}
            if included and self._includes_any(touched, included):
                self._header_files = touched
        self._headers: dict[object, HeaderIndex] = {}
        self._platforms: dict[object, Platforms] = {}
        if base is not None and self._build_files == []:
            self._platforms[()] = base  # every side reads the base's build files

    def _includes_any(self, touched: list[str], names: set[str]) -> bool:
        for path in touched:
            for index in self._indexes:
                both = self.images(path, index)
                for text in both or ():
                    if text and any(posixpath.basename(inc) in names
                                    for _kind, inc in include_lines(text)):
                        return True
        return False

    def _key(self, files: list[str] | None, index: int, side: int) -> object:
        if files is None:
            return (index, side)
        out = []
        for f in files:
            both = self.images(f, index)
            out.append(both[side] if both is not None else None)
        return tuple(out)

    def _read(self, index: int, side: int) -> Callable[[str], str | None]:
        def read(path: str) -> str | None:
            both = self.images(path, index)
            return both[side] if both is not None else None
        return read

    def headers(self, index: int, side: int) -> HeaderIndex:
        key = self._key(self._header_files, index, side)
        got = self._headers.get(key)
        if got is None:
            pkey = self._key(self._build_files, index, side)
            platforms = self._platforms.get(pkey)
            got = HeaderIndex(self._read(index, side), self.knowledge, self.parser, platforms)
            if platforms is None:
                self._platforms[pkey] = got.platforms
            self._headers[key] = got
        return got


def _whole_files(path: str, pf: PatchedFile, whole: tuple[str | None, str | None],
                 knowledge: Knowledge, parser: Parser, work: int,
                 missed: Refused, tree: TreeFacts | None = None,
                 headers: tuple[HeaderIndex | None, HeaderIndex | None] = (None, None),
                 ) -> tuple[list[Finding], list[Finding]]:
    """Analyse full images; keep unchanged findings only where the patch touched code."""
    pre_text, post_text = whole
    if not any(t and may_reach_device(t, knowledge) for t in whole):
        return [], []
    pre_lines = {ln.source_line_no for h in pf for ln in h
                 if ln.is_removed and ln.source_line_no is not None}
    post_lines = {ln.target_line_no for h in pf for ln in h
                  if ln.is_added and ln.target_line_no is not None}
    pre_facts = (file_facts(path, pre_text, knowledge, parser, work, headers[0], missed=missed)
                 if pre_text else None)
    post_facts = (file_facts(path, post_text, knowledge, parser, work, headers[1], missed=missed)
                  if post_text else None)
    touched: set[str] = set()
    for facts, lines in ((pre_facts, pre_lines), (post_facts, post_lines)):
        if facts is None:
            continue
        for fn in facts.functions:
            if any(fn.start_line <= n <= fn.end_line for n in lines):
                touched.add(fn.name)
    pre = analyse_facts(pre_facts, tree=tree) if pre_facts is not None else []
    post = analyse_facts(post_facts, tree=tree) if post_facts is not None else []
    pre_keys = {f.key() for f in pre}
    post_keys = {f.key() for f in post}
    # Unchanged hazards outside touched functions are not this series' business.
    pre = [f for f in pre if f.key() not in post_keys or f.function in touched]
    post = [f for f in post if f.key() not in pre_keys or f.function in touched]
    return pre, post
