"""The rules, one module each, registered here and nowhere else.

A rule module holds one ``Rule`` (``base.py`` says what that is): its id,
severity and documentation (what ``reviewbot explain`` prints), the facts it
reads, its check, and its precedence among the use checks. Adding a rule is
one module here, one line in ``_MODULES``, and one ``tests/rules/<id>/``
folder of annotated C; the rule tests find it through ``RULES``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewbot.errors import UsageError

if TYPE_CHECKING:
    from reviewbot.analysis.rules.base import AlignmentChange, Fact, Rule, Verdict

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
    "dma_stack", "dma_vmalloc", "dma_static", "dma_coherent_remap", "dma_kmalloc_small",
    "dma_embedded_unaligned", "dma_cacheline_l1", "minalign_definition", "minalign_usage",
    "dma_tail_unaligned", "dma_carved_unaligned", "dma_crypto_ctx", "dma_kmem_cache_align",
    "dma_client_buffer",
)

if TYPE_CHECKING:
    RULES: tuple[Rule, ...]
    # Use checks in precedence order: the first rule that answers for a (use, origin) wins.
    USE_RULES: tuple[Rule, ...]
    DIFF_RULES: tuple[Rule, ...]


@dataclass(frozen=True)
class _Registry:
    rules: tuple[Rule, ...]
    use_rules: tuple[Rule, ...]
    diff_rules: tuple[Rule, ...]
    by_id: dict[str, Rule]


_LOADED: list[_Registry] = []
_BASE = ("AlignmentChange", "Fact", "Rule", "Verdict")
_NAMES = {"RULES": "rules", "USE_RULES": "use_rules", "DIFF_RULES": "diff_rules"}


def __getattr__(name: str) -> object:
    """The registry, built on first use (PEP 562): importing ``rules.exposure`` (a warm
    rescan judging cached findings) must not import every rule and the parser."""
    if name in _BASE:
        return getattr(importlib.import_module(f"{__name__}.base"), name)
    if name in _NAMES:
        return getattr(_registry(), _NAMES[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _registry() -> _Registry:
    """The rule modules, imported once, and their rules."""
    if not _LOADED:
        rules: tuple[Rule, ...] = tuple(
            importlib.import_module(f"{__name__}.{m}").RULE for m in _MODULES)
        by_id = {r.id: r for r in rules}
        assert len(by_id) == len(rules), "two rules share an id"
        _LOADED.append(_Registry(
            rules,
            tuple(sorted((r for r in rules if r.check_use is not None),
                         key=lambda r: r.precedence)),
            tuple(r for r in rules if r.check_diff is not None),
            by_id))
    return _LOADED[0]


def find(rule_id: str) -> Rule | None:
    """The rule with this id, or None (a finding from a newer engine, say)."""
    return _registry().by_id.get(rule_id)


def rule(rule_id: str) -> Rule:
    r = _registry().by_id.get(rule_id)
    if r is None:
        raise UsageError(f"unknown rule {rule_id!r}; known: "
                         f"{', '.join(r.id for r in _registry().rules)}")
    return r


def explain(rule_id: str) -> str:
    """The documentation ``reviewbot explain RULE`` prints."""
    return rule(rule_id).explain()


def summary_list() -> str:
    """Every rule id with its severity and one-line summary (``explain --list``)."""
    rules = _registry().rules
    width = max(len(r.id) for r in rules)
    return "".join(f"{r.id:<{width}}  {r.severity.value:<7}  {r.summary}\n" for r in rules)
