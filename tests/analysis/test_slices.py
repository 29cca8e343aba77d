"""Parsing only the functions that matter gives the findings of the whole file.

The driver below needs every step of the slicer: a helper found from its
own body, a caller found only after the helper is known, a direction that
comes from the callers, a member whose kmalloc'd value is stored by probe,
and a local struct definition; the rest of the file is functions that can
be left out.
"""

from __future__ import annotations

import pytest

from reviewbot.analysis import engine
from reviewbot.analysis.c import slices
from reviewbot.analysis.c.preprocess import conditionals

HEAD = """// SPDX-License-Identifier: GPL-2.0
/*
 * A USB driver written for the slicer's test.
 */
#include <linux/usb.h>
#include <linux/slab.h>

#define FOO_REQ_READ	0x01

struct foo_priv {
	struct usb_device *udev;
	u8 *status;
	int count;
};

"""

HELPER = """/* Forwards its buffer to the device: a helper, found from its own body. */
static int foo_read_reg(struct foo_priv *priv, u16 reg, u8 *buf, int len)
{
	return usb_control_msg(priv->udev, usb_rcvctrlpipe(priv->udev, 0),
				FOO_REQ_READ, USB_DIR_IN | USB_TYPE_VENDOR,
				0, reg, buf, len, 1000);
}

"""

CALLER = """/* Calls the helper with a stack buffer: kept only once the helper is known. */
static int foo_get_version(struct foo_priv *priv)
{
	u8 version[2];
	int ret;

	ret = foo_read_reg(priv, 0x10, version, sizeof(version));
	if (ret < 0)
		return ret;
	return version[0];
}

"""

STATUS = """static int foo_read_status(struct foo_priv *priv)
{
	return usb_control_msg(priv->udev, usb_rcvctrlpipe(priv->udev, 0),
				FOO_REQ_READ, USB_DIR_IN | USB_TYPE_VENDOR,
				0, 0, priv->status, 1, 1000);
}

"""

PROBE = """/* Stores the member's memory: needed for the finding in foo_read_status. */
static int foo_probe(struct usb_interface *intf, const struct usb_device_id *id)
{
	struct foo_priv *priv;

	priv = devm_kzalloc(&intf->dev, sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	priv->udev = interface_to_usbdev(intf);
	priv->status = kmalloc(1, GFP_KERNEL);
	if (!priv->status)
		return -ENOMEM;
	usb_set_intfdata(intf, priv);
	return foo_get_version(priv);
}

"""

DIRECTION = """static int foo_xfer(struct usb_device *udev, u8 *buf, int len, u8 type)
{
	return usb_control_msg(udev, usb_sndctrlpipe(udev, 0), 2, type, 0, 0, buf, len, 100);
}

static int foo_write_defaults(struct usb_device *udev)
{
	u8 defaults[4] = { 1, 2, 3, 4 };

	return foo_xfer(udev, defaults, sizeof(defaults), USB_DIR_OUT | USB_TYPE_VENDOR);
}

"""


def filler(i: int) -> str:
    return f"""/* Bookkeeping that names no sink: left out. */
static int foo_count_{i}(struct foo_priv *priv, int step)
{{
	int total = 0;
	int k;

	for (k = 0; k < step; k++) {{
		if (priv->count > k)
			total += k * {i};
		else
			total -= {i};
	}}
	priv->count = total;
	return total;
}}

"""


LOCAL_STRUCT = """static int foo_local(void)
{
	struct foo_priv {
		int other;
	} local = { 0 };

	return local.other;
}

"""

# past slices.MIN_BYTES, so the slicer cuts it
TEXT = (HEAD + "".join(filler(i) for i in range(16)) + LOCAL_STRUCT + HELPER + CALLER + STATUS
        + "".join(filler(i) for i in range(16, 28)) + PROBE + DIRECTION)


def whole_file(monkeypatch: pytest.MonkeyPatch, knowledge, text: str):
    with monkeypatch.context() as m:
        m.setattr(slices, "MIN_BYTES", len(text) + 1)  # parse the whole text
        return engine.analyse_source("drivers/usb/misc/foo.c", text, knowledge)


def test_sliced_findings_are_the_whole_files(monkeypatch, knowledge) -> None:
    assert len(TEXT) > slices.MIN_BYTES
    whole = whole_file(monkeypatch, knowledge, TEXT)
    sliced = engine.analyse_source("drivers/usb/misc/foo.c", TEXT, knowledge)
    assert sliced == whole
    found = {(f.rule, f.function, f.buffer) for f in whole}
    assert ("dma-stack", "foo_get_version", "version") in found  # through the helper
    assert ("dma-kmalloc-small", "foo_read_status", "priv->status") in found  # probe's store
    stack = {f.function: f for f in whole if f.rule == "dma-stack"}
    assert stack["foo_write_defaults"].direction == "to_device"  # from the caller's argument


def test_the_first_cut_leaves_out_what_names_no_sink(knowledge) -> None:
    raw = TEXT.encode()
    hits, certain = slices.trigger_hits(raw, knowledge)
    assert certain
    plan = slices.Plan(raw, knowledge, hits)
    plan.cut(bytes(conditionals(raw)))
    spans = plan.spans()
    assert spans is not None
    kept = b"".join(raw[a:b] for a, b in spans)
    assert b"foo_read_reg(struct foo_priv" in kept and b"foo_read_status(struct" in kept
    assert b"int other;" in kept  # a local struct definition is always kept
    assert b"foo_count_3(struct" not in kept and b"foo_get_version(struct" not in kept
    assert b"struct foo_priv {\n\tstruct usb_device" in kept  # file scope is always kept
    # the analysis asks for the helper's callers and the member's stores
    assert plan.extend({"foo_read_reg"}, {"status"})
    kept = b"".join(raw[a:b] for a, b in plan.spans() or [(0, len(raw))])
    assert b"foo_get_version(struct" in kept and b"foo_probe(struct" in kept
    assert b"foo_count_3(struct" not in kept
    assert not plan.extend({"foo_read_reg"}, {"status"})  # nothing new the second time


def test_a_sink_in_a_function_the_layout_misses_parses_everything(knowledge) -> None:
    # K&R-style brace on the header line: not a block, so its sink forces the whole text
    text = TEXT + "static int foo_odd(struct usb_device *udev, u8 *b) {\n" \
                  "\treturn usb_bulk_msg(udev, 1, b, 4, NULL, 100);\n}\n"
    raw = text.encode()
    plan = slices.Plan(raw, knowledge, slices.trigger_hits(raw, knowledge)[0])
    plan.cut(bytes(conditionals(raw)))
    assert plan.spans() is None


def test_a_definition_after_a_macro_call_without_semicolon_is_kept(knowledge) -> None:
    # error recovery joins 'FOO(x)' to the next definition: leaving that one out
    # would give the parser different neighbours
    text = TEXT + "FOO_DEFINE_THING(bar)\n\nstatic int foo_tail(void)\n{\n\treturn 0;\n}\n"
    raw = text.encode()
    cond = bytes(conditionals(raw))
    starts = {raw[b.start:b.start + 30] for b in slices._blocks(cond) or []}
    assert b"static int foo_tail(void)\n{\n\tr" not in starts
    assert any(s.startswith(b"static int foo_count_3") for s in starts)


def test_findings_identical_with_helpers_of_helpers(monkeypatch, knowledge) -> None:
    # a chain: outer() -> middle() -> foo_read_reg(): each level found in a later cut
    chain = """static int foo_middle(struct foo_priv *priv, u8 *out)
{
	return foo_read_reg(priv, 0x20, out, 2);
}

static int foo_outer(struct foo_priv *priv, u8 *dst)
{
	return foo_middle(priv, dst);
}

static int foo_top(struct foo_priv *priv)
{
	u8 tmp[2];

	return foo_outer(priv, tmp);
}
"""
    text = TEXT + chain
    whole = whole_file(monkeypatch, knowledge, text)
    assert ("dma-stack", "foo_top") in {(f.rule, f.function) for f in whole}
    assert engine.analyse_source("drivers/usb/misc/foo.c", text, knowledge) == whole


def test_functions_naming_an_asked_member_are_kept(knowledge) -> None:
    raw = TEXT.encode()
    plan = slices.Plan(raw, knowledge, slices.trigger_hits(raw, knowledge)[0])
    plan.cut(bytes(conditionals(raw)))
    kept = b"".join(raw[a:b] for a, b in plan.spans() or [])
    assert b"foo_count_3(struct" not in kept
    # every foo_count_N reads and writes priv->count; a member check asks for them
    assert plan.extend(set(), set(), {"count"})
    kept = b"".join(raw[a:b] for a, b in plan.spans() or [(0, len(raw))])
    assert b"foo_count_3(struct" in kept and b"foo_count_12(struct" in kept
    assert b"foo_local(void)" in kept  # kept from the first cut (a local struct)
    assert not plan.extend(set(), set(), {"count"})


def test_whole_files_on_request(monkeypatch, knowledge) -> None:
    # the reference compare_engines.py --old-env REVIEWBOT_WHOLE_FILES=1 checks against
    raw = TEXT.encode()
    monkeypatch.setenv("REVIEWBOT_WHOLE_FILES", "1")
    plan = slices.Plan(raw, knowledge, slices.trigger_hits(raw, knowledge)[0])
    plan.cut(bytes(conditionals(raw)))
    assert plan.spans() is None
    monkeypatch.delenv("REVIEWBOT_WHOLE_FILES")
    plan = slices.Plan(raw, knowledge, slices.trigger_hits(raw, knowledge)[0])
    plan.cut(bytes(conditionals(raw)))
    assert plan.spans() is not None


def test_trigger_words_sharing_a_prefix_are_each_found_as_whole_words(knowledge) -> None:
    # dma_map_page is a prefix of dma_map_page_attrs, and both share "dma_map_" with
    # dma_map_single: one search finds them all, and only whole words count
    raw = (b"x = dma_map_page_attrs(d, p, 0, n, DMA_TO_DEVICE, 0);\n"
           b"y = dma_map_page(d, p, 0, n, DMA_TO_DEVICE);\n"
           b"z = my_dma_map_single(d, b, n); w = dma_map_singles; dma_map_single(d, b, n);\n"
           b"regmap_bulk_read(m, 0, b, 2); regmap_raw_write_async(m, 0, b, 2);\n")
    hits, certain = slices.trigger_hits(raw, knowledge)
    words = sorted(raw[h:h + 24].split(b"(")[0] for h in hits)
    assert words == [b"dma_map_page", b"dma_map_page_attrs", b"dma_map_single",
                     b"regmap_bulk_read"]
    assert certain
    assert slices.trigger_hits(b"u8 *my_tx_buffer = regmap_raw_writes;\n", knowledge) == ([], False)
