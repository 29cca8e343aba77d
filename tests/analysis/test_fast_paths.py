"""The scan's fast paths answer exactly what the plain regexes they replaced answered.

Each one-pass index or literal-led search (issue 14) is checked here against
the pattern it stands for, on seeded random texts built from the pieces that
make the cases hard (word boundaries, nested calls, regions, overlapping
names), so a shortcut that drifts from the meaning fails here rather than
silently changing a whole-tree finding.
"""

from __future__ import annotations

import random
import re

import pytest

from reviewbot.analysis.c import preprocess
from reviewbot.analysis.c.parser import Source
from reviewbot.analysis.engine import file_facts
from reviewbot.analysis.facts import headers
from reviewbot.analysis.facts import kconfig as arch
from reviewbot.analysis.facts.demand import Demand
from reviewbot.analysis.facts.textindex import TextIndex
from reviewbot.analysis.flow.origin import MemberSite, Origin, OriginKind
from reviewbot.analysis.flow.resolver import FileFlow
from reviewbot.analysis.flow.sharing import Neighbourhood, Sharing


def _index(text: str) -> TextIndex:
    """The text indexes of a text with no parsed functions (the text is what they read)."""
    return TextIndex(Source("x.c", text.encode("latin-1"), None), [], Demand())  # type: ignore[arg-type]


def _texts(pieces: list[str], n: int, seed: int, longest: int = 14):
    rng = random.Random(seed)
    for _ in range(n):
        yield "".join(rng.choice(pieces) for _ in range(rng.randint(0, longest)))


def _old_bitop(text: str, name: str) -> bool:
    return re.search(rf"\b(?:__)?(?:test_and_)?(?:set|clear|change)_bit(?:_lock)?\s*\([^;]*?"
                     rf"(?:->|\.)\s*{re.escape(name)}\b", text) is not None


def test_bitop_members_are_the_old_searches() -> None:
    pieces = ["set_bit(", "__set_bit(", "clear_bit_lock(", "test_and_change_bit (",
              "xset_bit(", "test_bit(", "clear_bit_unlock(", "->a", ".b", "->ab", "-> a",
              ";", " ", "_", "a", "é", "(", ")", "\n"]
    checked = 0
    for text in _texts(pieces, 6000, seed=14):
        found = _index(text).bitop_members()
        for name in ("a", "b", "ab"):
            assert (name in found) == _old_bitop(text, name), (text, name)
            checked += _old_bitop(text, name)
    assert checked > 100  # the random texts do contain bitops on members


def test_word_counts_are_the_old_findall() -> None:
    pieces = ["foo", "foo_", "_foo", "bar", "é", " ", "(", "foofoo", "\n", "1"]
    for text in _texts(pieces, 6000, seed=15):
        for name in ("foo", "foofoo", "bar"):
            want = len(re.findall(rf"\b{re.escape(name)}\b", text))
            assert _index(text).word_count(name) == want, (text, name)


def test_member_uses_are_the_old_searches() -> None:
    pieces = ["->rx", ".rx", "-> rx", "->rx_buf", "x", "-", ">", ".", " ", "\n", "..."]
    for text in _texts(pieces, 4000, seed=16):
        uses = _index(text).member_uses()
        for name in ("rx", "rx_buf"):
            want = [m.span() for m in re.finditer(rf"(?:->|\.)\s*{re.escape(name)}\b", text)]
            assert uses.get(name, []) == want, (text, name)


def _regions(rng: random.Random, size: int) -> list[tuple[int, int]]:
    out, pos = [], 0
    while pos < size:
        a = rng.randint(pos, size)
        b = rng.randint(a, size)
        out.append((a, b))
        pos = b + rng.randint(0, 2)
    return out


def test_dots_ranges_are_the_old_lookaround_pattern() -> None:
    rng = random.Random(17)
    for _ in range(6000):
        text = bytes(rng.choice(b" \t.a\n") for _ in range(rng.randint(0, 30)))
        regions = _regions(rng, len(text))
        want = [m.start() for a, b in regions for m in preprocess._RANGE.finditer(text, a, b)]
        assert preprocess._ranges(text, regions) == want, (text, regions)


def test_includes_are_the_old_line_start_pattern() -> None:
    pieces = ['#include "a.h"', "#include <linux/b.h>", "  # include <c.h>", "x #include <d.h>",
              '"#include <e.h>"', "\n", "\r\n", " ", "\t", '#include "f#include<g>"']
    for text in _texts(pieces, 4000, seed=19):  # _INCLUDE: the meaning, by line start
        assert headers.include_lines(text) == headers._INCLUDE.findall(text), text


def test_struct_starts_are_the_old_search() -> None:
    pieces = ["struct foo {", "union foo{", "mystruct foo {", "struct foobar {", "struct  foo\n{",
              "struct foo;", "x", " ", "\n", "_"]
    index = headers.HeaderIndex(lambda _p: None, knowledge=None)  # type: ignore[arg-type]
    for i, text in enumerate(_texts(pieces, 4000, seed=20)):
        starts = index._starts(f"h{i}.h", text)
        for name in ("foo", "foobar"):
            m = re.search(rf"\b(?:struct|union)\s+{re.escape(name)}\s*\{{", text)
            want = None if m is None else (m.start(), m.end() - 1)
            assert starts.get(name) == want, (text, name)


def test_kconfig_definitions_and_sources_are_the_anchored_regexes() -> None:
    # the Kconfig walk reads 1,700 files: "config NAME" and "source" are found by a
    # literal first, then kept only at the start of a line (what ^ with re.M says)
    defined = re.compile(r"^[ \t]*(?:menu)?config[ \t]+(\w+)", re.M)
    sourcing = re.compile(r"^[ \t]*o?r?source[ \t]", re.M)
    pieces = ["config FOO\n", "menuconfig FOO\n", "\tconfig\tBAR\n", "menu config X\n",
              "xmenuconfig Y\n", "configconfig Z\n", "config config W\n", "\t  config A\n",
              "source \"a\"\n", "\trsource \"b\"\n", "orsource \"c\"\n", "resource d\n",
              "open source e\n", "osourcex\n", "\n", "text ", "config", " ", "\t", "source "]
    for text in _texts(pieces, 6000, seed=23, longest=10):
        assert arch._defined_in(text) == defined.findall(text), text
        assert arch._has_source(text) == (sourcing.search(text) is not None), text


@pytest.mark.parametrize("first_equal", [True, False])
def test_member_origins_merge_by_neighbourhood_and_compute_it_only_then(knowledge,
                                                                       first_equal: bool) -> None:
    # Two origins that differ only in their member site are one origin when the sites'
    # neighbourhoods are the same (a buffer reached as a->rx or b->rx); the neighbourhood
    # is worked out only for that question, never to compare with a site-less origin.
    flow = FileFlow(file_facts("x.c", "int f(void) { return 0; }\n", knowledge))
    asked = []
    values = {0: Neighbourhood(Sharing.ALONE),
              1: Neighbourhood(Sharing.ALONE if first_equal else Sharing.BUSY)}

    def neighbourhood(site: MemberSite, synchronous: bool) -> Neighbourhood:
        asked.append(site.index)
        return values[site.index]

    flow.neighbourhood = neighbourhood  # type: ignore[method-assign]
    a, b = (Origin(OriginKind.EMBEDDED, "member 'rx'", 3, site=MemberSite(i)) for i in (0, 1))
    plain = Origin(OriginKind.EMBEDDED, "member 'rx'", 3)
    assert a == b and hash(a) == hash(b)  # the site takes no part in equality
    assert not flow.same(a, plain) and not asked
    assert flow.same(a, a) and not asked
    assert flow.same(a, b) is first_equal and asked


def test_match_tables_are_the_old_word_boundary_pattern() -> None:
    """matching._TABLE lost its leading ``\\b`` (18x faster); the matches kept are those the
    pattern with it finds."""
    from reviewbot.analysis.facts import matching

    old = re.compile(r"\b" + matching._TABLE.pattern)
    pieces = ["struct of_device_id ids[] = {", "xstruct acpi_device_id a[] = {",
              "_struct usb_device_id u[] = {", "struct  amba_id  t[] __initconst = {",
              "struct acpi_device_id", " b[2] = {", "static const ", "struct", "é", " ", "\n",
              "{ \"INT33C0\", 0 },", "};", "[", "]"]
    for text in _texts(pieces, 6000, seed=23):
        assert [m.groups() for m in matching._table_defs(text)] == \
            [m.groups() for m in old.finditer(text)], text
