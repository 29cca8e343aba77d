"""Struct layouts per architecture: offsets as the compiler places them, and line sharing."""

from __future__ import annotations

import pytest

from reviewbot.analysis.engine import file_facts
from reviewbot.analysis.facts.layout import ArchLayout, alone_in_line, layout

ARM64_61 = ArchLayout(pointer=8, l1=64, dma=128, kmalloc=128)
ARM64_612 = ArchLayout(pointer=8, l1=64, dma=128, kmalloc=8)
ARM32 = ArchLayout(pointer=4, l1=32, dma=32, kmalloc=32)

TEXT = """
#define RX_LEN 4

struct inner {
\tu16 a;
\tu32 b;
};

struct st {
\tstruct mutex *lock;
\tu8 cmd;
\tstruct inner in;
\tu8 tx[3] ____cacheline_aligned;
\tu8 rx[RX_LEN] __aligned(ARCH_DMA_MINALIGN);
};

struct first {
\tu8 buf[64] __aligned(64);
\tu32 state ____cacheline_aligned;
};

struct last {
\tint count;
\tu8 rx[16] __aligned(128);
};

struct unknown {
\tu32 a;
\tstruct not_here b;
\tu8 rx[4];
};
"""


def _slots(knowledge, name, arch):
    facts = file_facts("x.c", TEXT, knowledge)
    sdef = facts.structs.get(name)
    return layout(sdef, arch, facts.structs, knowledge, facts.evaluator.defines), len(sdef.fields)


@pytest.mark.parametrize(("arch", "want"), [
    (ARM64_61, {"lock": 0, "cmd": 8, "in": 12, "tx": 64, "rx": 128}),
    (ARM32, {"lock": 0, "cmd": 4, "in": 8, "tx": 32, "rx": 64}),
])
def test_offsets_follow_the_architecture(knowledge, arch, want) -> None:
    slots, n = _slots(knowledge, "st", arch)
    assert len(slots) == n
    assert {s.field.name: s.offset for s in slots} == want


def test_l1_aligned_member_after_an_l1_aligned_one_is_short_only_where_l1_is(knowledge) -> None:
    slots, n = _slots(knowledge, "st", ARM64_61)
    # tx at 64 shares the 128-byte line 0 with lock, cmd and in: not alone
    assert alone_in_line(slots, "tx", 128, n) is False
    # rx at 128, last, struct rounded to 128: alone in its 128-byte line
    assert alone_in_line(slots, "rx", 128, n) is True
    slots32, n32 = _slots(knowledge, "st", ARM32)
    assert alone_in_line(slots32, "tx", 32, n32) is True  # 32-byte lines on 32-bit ARM


def test_a_first_member_exactly_one_l1_line_shares_the_dma_line_with_the_next(knowledge) -> None:
    slots, n = _slots(knowledge, "first", ARM64_61)
    assert [(s.field.name, s.offset, s.size) for s in slots] == [("buf", 0, 64), ("state", 64, 4)]
    assert alone_in_line(slots, "buf", 128, n) is False
    assert alone_in_line(slots, "buf", 64, n) is True


def test_last_member_aligned_to_the_line_is_alone(knowledge) -> None:
    slots, n = _slots(knowledge, "last", ARM64_612)
    assert [(s.field.name, s.offset) for s in slots] == [("count", 0), ("rx", 128)]
    assert alone_in_line(slots, "rx", 128, n) is True


def test_an_unknown_member_ends_the_known_layout(knowledge) -> None:
    slots, n = _slots(knowledge, "unknown", ARM64_61)
    assert [s.field.name for s in slots] == ["a"]
    assert alone_in_line(slots, "rx", 128, n) is None
