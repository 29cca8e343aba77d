"""Which rule judges a (use, origin) pair is the rules' precedence, declared by each rule."""

from __future__ import annotations

import pytest

from reviewbot.analysis.flow.resolver import Origin
from reviewbot.analysis.flow.sinks import SinkUse
from reviewbot.analysis.rules import RULES, USE_RULES
from reviewbot.analysis.rules.judge import judge
from reviewbot.model import Confidence


def use(direction: str = "from_device", vmalloc_ok: bool = False) -> SinkUse:
    return SinkUse("f", 1, "dma_map_single", None, None, direction, None, True,  # type: ignore[arg-type]
                   Confidence.HIGH, vmalloc_ok)


def member(level: str | None) -> Origin:
    return Origin("embedded", "member 'rx' of struct s", 3, struct="s", field="rx", level=level,
                  annotation={"l1": "____cacheline_aligned", "kmalloc": "CRYPTO_MINALIGN_ATTR"}
                  .get(level or ""))


def test_use_rules_are_ordered_by_precedence() -> None:
    assert [r.precedence for r in USE_RULES] == sorted(r.precedence for r in USE_RULES)
    assert {r.id for r in USE_RULES} == {r.id for r in RULES if r.check_use is not None}


@pytest.mark.parametrize(("level", "rule"), [
    ("l1", "dma-cacheline-l1"),
    ("kmalloc", "minalign-usage"),
    (None, "dma-embedded-unaligned"),
    ("slab", "dma-embedded-unaligned"),
    ("dma", None),
])
def test_the_more_precise_member_rule_wins(knowledge, level, rule) -> None:
    # dma-embedded-unaligned would also answer for l1 and kmalloc members: it
    # ranks last, so the rule that names the actual shortfall reports it.
    unaligned = next(r for r in USE_RULES if r.id == "dma-embedded-unaligned")
    assert unaligned.check_use(use(), member(level), knowledge) is not None or level == "dma"
    found = judge(use(), member(level), knowledge)
    assert (found[0].id if found else None) == rule


def test_outbound_member_dma_is_nobody_s_business(knowledge) -> None:
    assert judge(use("to_device"), member("l1"), knowledge) is None
