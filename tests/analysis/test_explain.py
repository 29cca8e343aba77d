"""Rule ids, severities and documentation are fixed by the design."""

from __future__ import annotations

import pytest

from reviewbot.analysis import RULES, explain
from reviewbot.errors import UsageError

DESIGN = {
    "dma-stack": "error", "dma-vmalloc": "error", "dma-static": "warning",
    "dma-coherent-remap": "error", "dma-kmalloc-small": "warning",
    "dma-embedded-unaligned": "warning", "dma-cacheline-l1": "warning",
    "minalign-definition": "info", "minalign-usage": "warning",
    # issue 17: the shapes of DMA buffers the kmalloc-minalign change had to fix
    "dma-tail-unaligned": "warning", "dma-carved-unaligned": "warning",
    "dma-crypto-ctx": "warning", "dma-kmem-cache-align": "warning",
    "dma-client-buffer": "warning",
}


def test_rules_match_the_design_table() -> None:
    # The design fixes these names and severities; rules added since extend the table.
    have = {r.id: r.severity.value for r in RULES}
    assert {rule: have.get(rule) for rule in DESIGN} == DESIGN
    assert len(have) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_is_documented(rule) -> None:
    for text in (rule.summary, rule.meaning, rule.why, rule.fix):
        assert text.strip() and "\n" not in text
    assert rule.read and rule.needs
    assert rule.check_use is not None or rule.check_diff is not None, "a rule needs a check"


@pytest.mark.parametrize("rule", sorted(r.id for r in RULES))
def test_explain_has_every_section(rule) -> None:
    text = explain(rule)
    severity = next(r.severity.value for r in RULES if r.id == rule)
    assert text.startswith(f"{rule} ({severity}): ")
    for heading in ("What it means", "Why it matters", "How to fix", "Read"):
        assert f"\n{heading}\n" in text


def test_unknown_rule_is_a_usage_error_listing_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown rule 'dma-heap'.*dma-stack"):
        explain("dma-heap")


def test_explain_list_prints_every_rule_with_its_summary(capsys) -> None:
    from reviewbot.cli import main

    assert main(["explain", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(RULES)
    for line, r in zip(lines, RULES, strict=True):
        assert line.split()[:2] == [r.id, r.severity.value]
        assert line.endswith(r.summary)


def test_explain_without_rule_or_list_is_a_usage_error(capsys) -> None:
    from reviewbot.cli import main

    assert main(["explain"]) == 2
    assert "explain --list" in capsys.readouterr().err
