"""The rules, one module each, registered here and nowhere else.

A rule module holds one ``Rule`` (``base.py`` says what that is): its id,
severity and documentation (what ``reviewbot explain`` prints), the facts it
reads, its check, and its precedence among the use checks. Adding a rule is
one module here, one line in ``_MODULES``, and one ``tests/rules/<id>/``
folder of annotated C; the rule tests find it through ``RULES``.
"""

from __future__ import annotations

from reviewbot.analysis.rules import (
    dma_cacheline_l1,
    dma_carved_unaligned,
    dma_client_buffer,
    dma_coherent_remap,
    dma_crypto_ctx,
    dma_embedded_unaligned,
    dma_kmalloc_small,
    dma_kmem_cache_align,
    dma_stack,
    dma_static,
    dma_tail_unaligned,
    dma_vmalloc,
    minalign_definition,
    minalign_usage,
)
from reviewbot.analysis.rules.base import AlignmentChange, Fact, Rule, Verdict
from reviewbot.errors import UsageError

__all__ = [
    "DIFF_RULES",
    "RULES",
    "USE_RULES",
    "AlignmentChange",
    "Fact",
    "Rule",
    "Verdict",
    "explain",
    "find",
    "rule",
    "summary_list",
]

# Documentation order: what ``explain --list``, SARIF and the tests show.
_MODULES = (
    dma_stack, dma_vmalloc, dma_static, dma_coherent_remap, dma_kmalloc_small,
    dma_embedded_unaligned, dma_cacheline_l1, minalign_definition, minalign_usage,
    dma_tail_unaligned, dma_carved_unaligned, dma_crypto_ctx, dma_kmem_cache_align,
    dma_client_buffer,
)

RULES: tuple[Rule, ...] = tuple(m.RULE for m in _MODULES)

# Use checks in precedence order: the first rule that answers for a (use, origin) wins.
USE_RULES: tuple[Rule, ...] = tuple(sorted((r for r in RULES if r.check_use is not None),
                                           key=lambda r: r.precedence))
DIFF_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.check_diff is not None)

_BY_ID = {r.id: r for r in RULES}
assert len(_BY_ID) == len(RULES), "two rules share an id"


def find(rule_id: str) -> Rule | None:
    """The rule with this id, or None (a finding from a newer engine, say)."""
    return _BY_ID.get(rule_id)


def rule(rule_id: str) -> Rule:
    r = _BY_ID.get(rule_id)
    if r is None:
        raise UsageError(f"unknown rule {rule_id!r}; known: {', '.join(r.id for r in RULES)}")
    return r


def explain(rule_id: str) -> str:
    """The documentation ``reviewbot explain RULE`` prints."""
    return rule(rule_id).explain()


def summary_list() -> str:
    """Every rule id with its severity and one-line summary (``explain --list``)."""
    width = max(len(r.id) for r in RULES)
    return "".join(f"{r.id:<{width}}  {r.severity.value:<7}  {r.summary}\n" for r in RULES)
