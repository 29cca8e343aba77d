"""minalign-usage: code moves between kmalloc-level and DMA-level alignment.

Two checks, one rule: a diff check for a line that trades one level's macro
for the other's, and a use check for a buffer that takes inbound DMA but is
aligned only with a kmalloc-level macro.
"""

from __future__ import annotations

import re

from reviewbot.analysis.flow.origin import Origin, OriginKind
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import AlignmentChange, Fact, Judging, Rule, Verdict
from reviewbot.analysis.rules.diffs import DEFINE, DiffFile, Line, change_blocks
from reviewbot.analysis.rules.exposure import Aligned, Hazard, HazardKind
from reviewbot.knowledge import Knowledge
from reviewbot.model import Confidence, Evidence, Finding, Severity

_TOKEN = re.compile(r"\b[A-Za-z_]\w*\b")
_SWITCH_LEVELS = ("kmalloc", "dma")


def check_use(use: Transfer, o: Origin, judging: Judging) -> Verdict | None:
    """A struct member taking inbound DMA, aligned with a kmalloc-level macro."""
    knowledge = judging.knowledge
    if o.kind is not OriginKind.EMBEDDED or not use.inbound or o.level != "kmalloc":
        return None
    return Verdict(f"it is aligned with {o.annotation}, kmalloc's minimum, not "
                   f"{knowledge.level_macro('dma').name}: a shared line where kmalloc's "
                   "minimum is below the DMA alignment",
                   (Evidence("annotation-kmalloc-level", Confidence.HIGH,
                             f"{o.annotation} is a kmalloc-level alignment"),),
                   hazard=Hazard(HazardKind.LINE, Aligned.KMALLOC_MACRO,
                                 length=o.member.bytes if o.member is not None else None,
                                 macro=_macro_of(o.annotation or "", knowledge)))


def _macro_of(annotation: str, knowledge: Knowledge) -> str | None:
    """The kmalloc-level macro an annotation names (``__aligned(IIO_DMA_MINALIGN)``)."""
    for token in _TOKEN.findall(annotation):
        macro = knowledge.macro(token)
        if macro is not None and macro.level == "kmalloc":
            return macro.name
    return None


def check_diff(change: DiffFile) -> list[Finding]:
    """Lines that replace one level's alignment macro by the other's."""
    knowledge = change.knowledge
    out = []
    for hunk in change.hunks:
        for block in change_blocks(hunk.lines):
            removed = _tokens([ln for ln in block if ln.kind == "-"], knowledge)
            added = _tokens([ln for ln in block if ln.kind == "+"], knowledge)
            gone = {t: lvl for t, lvl in removed.items() if t not in added}
            new = {t: lvl for t, lvl in added.items() if t not in removed}
            for old_level, new_level in (("kmalloc", "dma"), ("dma", "kmalloc")):
                olds = sorted(t for t, lvl in gone.items() if lvl == old_level)
                news = sorted(t for t, lvl in new.items() if lvl == new_level)
                if not olds or not news:
                    continue
                added_lines = [ln for ln in block if ln.kind == "+" and news[0] in ln.text]
                ln = added_lines[0] if added_lines else block[-1]
                defined = DEFINE.match(ln.text)
                macro = defined.group(1) if defined else None
                known = knowledge.macro(macro) if macro else None
                if known is not None and known.watch_definition:
                    continue  # minalign-definition reports this one
                out.append(_switch(change, ln.number, macro, hunk.function if macro is None
                                   else None, olds[0], news[0], new_level))
    return out


def _switch(change: DiffFile, line: int, macro: str | None, function: str | None,
            old: str, new: str, new_level: str) -> Finding:
    k = change.knowledge
    dma, arch = k.level_macro("dma"), k.quoted_arch
    if new_level == "dma":
        why = (f"the DMA minimum ({dma.bytes} bytes on {arch}) replaces the kmalloc minimum: "
               "layouts and memory use grow; right for DMA buffers, waste elsewhere")
    else:
        why = ("the kmalloc minimum replaces the DMA minimum: buffers aligned with it are "
               "safe for inbound DMA only where kmalloc's minimum is the DMA alignment")
    site = macro or function
    return Finding(
        rule=RULE.id, severity=RULE.severity, file=change.path, line=line, function=function,
        buffer=None, sink=None, direction=None, macro=macro,
        message=f"{site or 'this code'} switches from {old} to {new}: {why}",
        confidence=Confidence.HIGH,
        evidence=(Evidence("switch-in-diff", Confidence.HIGH,
                           f"the patch replaces {old} by {new}"),),
        details=(("before", old), ("after", new), ("level", new_level)))


def _tokens(lines: list[Line], knowledge: Knowledge) -> dict[str, str]:
    out = {}
    for ln in lines:
        for tok in _TOKEN.findall(ln.text):
            macro = knowledge.macro(tok)
            if macro is not None and macro.level in _SWITCH_LEVELS:
                out[tok] = macro.level
    return out


RULE = Rule(
    "minalign-usage", Severity.WARNING,
    "code switches between ARCH_KMALLOC_MINALIGN and ARCH_DMA_MINALIGN, or aligns a DMA "
    "buffer with the kmalloc minimum",
    "A patch replaces ARCH_KMALLOC_MINALIGN-level alignment (ARCH_KMALLOC_MINALIGN, "
    "CRYPTO_MINALIGN, ...) by ARCH_DMA_MINALIGN-level alignment or back, or a buffer used "
    "for inbound DMA is aligned with a kmalloc-level macro.",
    "The two were equal on arm64 until v6.5; now ARCH_KMALLOC_MINALIGN is 8, so a buffer "
    "aligned with it is no longer isolated, and a switch changes struct layouts and "
    "memory use.",
    "Align DMA buffers with ARCH_DMA_MINALIGN (or the subsystem's DMA macro such as "
    "IIO_DMA_MINALIGN, crypto_*_ctx_dma()); keep ARCH_KMALLOC_MINALIGN for allocator "
    "metadata.",
    ("the series 'mm, dma, arm64: Reduce ARCH_KMALLOC_MINALIGN to 8' (v6.5)",
     "the crypto 'Set DMA alignment explicitly' patches (v6.2)"),
    needs=(Fact.DIFF, Fact.SINK_USE, Fact.ORIGIN),
    check_use=check_use,
    check_diff=check_diff,
    precedence=60,
    alignment_change=AlignmentChange.USAGE,
    uses_knowledge=lambda k: {"kmalloc", "dma"} <= {m.level for m in k.macros},
)
