"""One confidence model: ordered, parsed on load, derived from named evidence.

The scan tests pin which findings each ``--min-confidence`` shows, so a
ranking that breaks (an order by spelling, a filter that compares strings,
evidence that no longer lowers a guess) fails here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reviewbot.analysis import analyse_source
from reviewbot.cli import main
from reviewbot.errors import ConfigError
from reviewbot.knowledge import default_path, load_knowledge
from reviewbot.model import Confidence, Evidence, confidence_of
from tests.conftest import EXAMPLES

# One finding per confidence, each for a different reason.
MIXED = """\
// SPDX-License-Identifier: GPL-2.0
#include <linux/usb.h>
#include <linux/regmap.h>

static int certain_stack(struct usb_device *udev)
{
\tu8 status[2];

\treturn usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 1, USB_DIR_IN, 0, 0,
\t\t\t       status, sizeof(status), 1000);
}

static int ambiguous_heap(struct device *dev, int big)
{
\tu8 *buf = big ? kmalloc(6, GFP_KERNEL) : kzalloc(4, GFP_KERNEL);

\treturn dma_map_single(dev, buf, 4, DMA_FROM_DEVICE) != 0;
}

static int unknown_size(struct device *dev, size_t len)
{
\tu8 *buf = kmalloc(len, GFP_KERNEL);

\treturn dma_map_single(dev, buf, len, DMA_FROM_DEVICE) != 0;
}

static int bus_dependent(struct regmap *map)
{
\tu8 raw[4];

\treturn regmap_bulk_read(map, 0x10, raw, 4);
}
"""

EXPECTED = {
    "certain_stack": (Confidence.HIGH, {"origin-certain", "sink-maps"}),
    "ambiguous_heap": (Confidence.MEDIUM, {"origin-ambiguous", "sink-maps", "size-known"}),
    "unknown_size": (Confidence.LOW, {"origin-certain", "sink-maps", "size-unknown"}),
    "bus_dependent": (Confidence.LOW, {"origin-certain", "sink-may-not-map"}),
}


def test_order_is_by_rank_not_by_spelling() -> None:
    assert Confidence.LOW < Confidence.MEDIUM < Confidence.HIGH
    assert sorted([Confidence.HIGH, Confidence.LOW, Confidence.MEDIUM]) == [
        Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH]
    assert min(Confidence.HIGH, Confidence.LOW) is Confidence.LOW
    assert max(Confidence.MEDIUM, Confidence.HIGH) is Confidence.HIGH
    assert Confidence.parse("medium") is Confidence.MEDIUM
    with pytest.raises(ValueError, match="'certain' is not one of low, medium, high"):
        Confidence.parse("certain")


def test_confidence_is_the_weakest_evidence() -> None:
    high = Evidence("a", Confidence.HIGH)
    medium = Evidence("b", Confidence.MEDIUM)
    low = Evidence("c", Confidence.LOW)
    assert confidence_of(()) is Confidence.HIGH
    assert confidence_of((high, medium)) is Confidence.MEDIUM
    assert confidence_of((medium, high, low)) is Confidence.LOW


def test_each_finding_s_confidence_comes_from_its_evidence(knowledge) -> None:
    found = {f.function: f for f in analyse_source("mixed.c", MIXED, knowledge)}
    got = {fn: (f.confidence, {e.name for e in f.evidence}) for fn, f in found.items()}
    assert got == EXPECTED
    for f in found.values():
        assert f.confidence is confidence_of(f.evidence)


def test_sink_confidence_is_parsed_on_load(knowledge, tmp_path) -> None:
    assert knowledge.sink("regmap_bulk_read").confidence is Confidence.LOW
    assert knowledge.sink("usb_control_msg").confidence is Confidence.HIGH
    text = default_path().read_text().replace('confidence = "low"', 'confidence = "lowish"', 1)
    path = tmp_path / "dma.toml"
    path.write_text(text)
    want = r"sink\[\d+\]\.confidence: 'lowish' is not one of low, medium, high \(regmap_bulk_read\)"
    with pytest.raises(ConfigError, match=want):
        load_knowledge(path)


@pytest.fixture()
def tree(tmp_path) -> Path:
    root = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", root)
    (root / "drivers/usb/misc/mixed.c").write_text(MIXED)
    return root


@pytest.mark.parametrize("floor", ["low", "medium", "high"])
def test_scan_min_confidence_shows_exactly_the_findings_at_or_above(tree, capsys, floor) -> None:
    assert main(["scan", "--format", "json", "--no-cache", "--all", "--min-confidence", floor,
                 str(tree), "drivers/usb/misc/mixed.c"]) == 0
    data = json.loads(capsys.readouterr().out)
    shown = {f["function"]: f["confidence"] for f in data["findings"]}
    rank = ["low", "medium", "high"]
    want = {fn: c.value for fn, (c, _) in EXPECTED.items()
            if rank.index(c.value) >= rank.index(floor)}
    assert shown == want
