"""Which rule judges a (use, origin) pair is the rules' precedence, declared by each rule."""

from __future__ import annotations

import pytest

from reviewbot.analysis.flow.origin import Member, MemberSite, Origin, OriginKind
from reviewbot.analysis.flow.sharing import Neighbourhood, Sharing
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules import RULES, USE_RULES
from reviewbot.analysis.rules.base import Judging
from reviewbot.analysis.rules.judge import Judge
from reviewbot.model import Confidence

BUSY = Neighbourhood(Sharing.BUSY, busy=("lock",), typed=True)


def use(direction: str = "from_device", vmalloc_ok: bool = False) -> Transfer:
    return Transfer("f", 1, "dma_map_single", None, "st->rx", direction, True,
                    Confidence.HIGH, vmalloc_ok)


def member(level: str | None) -> Origin:
    return Origin(OriginKind.EMBEDDED, "member 'rx' of struct s", 3, member=Member("s", "rx"),
                  level=level, site=MemberSite(0),
                  annotation={"l1": "____cacheline_aligned", "kmalloc": "CRYPTO_MINALIGN_ATTR"}
                  .get(level or ""))


def judge(transfer: Transfer, origin: Origin, knowledge):
    return Judge(knowledge, RULES, lambda _site, _sync: BUSY).first(transfer, origin)


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
    judging = Judging(knowledge, unaligned.needs, lambda _site, _sync: BUSY)
    assert unaligned.check_use(use(), member(level), judging) is not None or level == "dma"
    found = judge(use(), member(level), knowledge)
    assert (found[0].id if found else None) == rule


def test_outbound_member_dma_is_nobody_s_business(knowledge) -> None:
    assert judge(use("to_device"), member("l1"), knowledge) is None


def test_a_rule_gets_neighbours_only_when_it_declares_them(knowledge) -> None:
    # Rule.needs is what the engine computes: a rule that did not declare
    # Fact.NEIGHBOURS cannot read a member's neighbourhood behind its back.
    judging = Judging(knowledge, (), lambda _site, _sync: BUSY)
    with pytest.raises(RuntimeError, match="NEIGHBOURS"):
        judging.neighbourhood(member(None), False)
