"""Rebuilding pre/post fragments from hunks: lines stay true, braces balance."""

from __future__ import annotations

from unidiff import PatchSet

from reviewbot.analysis.c.hunks import STUB_FUNCTION, header_function, sides
from reviewbot.analysis.c.parser import parse
from reviewbot.analysis.engine import file_facts

from .diffs import unified

HEAD = "".join(f"/* line {i} */\n" for i in range(1, 21))
OLD = HEAD + """static int foo_probe(struct usb_interface *intf)
{
	struct foo *foo;
	int ret;

	foo = kzalloc(sizeof(*foo), GFP_KERNEL);
	if (!foo)
		return -ENOMEM;
	foo->udev = interface_to_usbdev(intf);
	foo->buf = kmalloc(64, GFP_KERNEL);
	if (!foo->buf) {
		ret = -ENOMEM;
		goto err;
	}
	usb_set_intfdata(intf, foo);
	dev_info(&intf->dev, "probed\\n");
	return 0;
err:
	kfree(foo);
	return ret;
}
"""


def test_fragment_lines_are_file_lines_and_parse_inside_the_function(knowledge) -> None:
    new = OLD.replace("\tint ret;\n", "\tint ret = 0;\n").replace(
        "\tkfree(foo);\n", "\tkfree(foo->buf);\n\tkfree(foo);\n")
    pf = PatchSet(unified("drivers/usb/misc/foo.c", OLD, new))[0]
    pre, post = sides(pf)
    post_lines = post.text.splitlines()
    new_lines = new.splitlines()
    for n in post.changed:
        assert post_lines[n - 1] == new_lines[n - 1]
    assert post.headers == ("foo_probe",)  # the first hunk starts at the definition
    src = parse("foo.c", post.text.encode(), knowledge)
    assert not src.tree.root_node.has_error
    facts = file_facts("foo.c", post.text, knowledge)
    # Both hunks are one function: the second still sees the first one's locals.
    assert [fn.name for fn in facts.functions] == ["foo_probe"]
    assert "foo" in facts.functions[0].vars
    assert pre.changed == {24}
    assert len(pf) == 2  # two hunks, rebuilt as one function


def test_hunk_without_function_header_gets_a_stub(knowledge) -> None:
    text = "\tu8 buf[4];\n\tspi_read(spi, buf, 4);\n"
    pf = PatchSet("--- a/x.c\n+++ b/x.c\n@@ -10,1 +10,2 @@\n \tu8 buf[4];\n"
                  "+\tspi_read(spi, buf, 4);\n")[0]
    _, post = sides(pf)
    assert post.text.splitlines()[9:11] == text.splitlines()
    facts = file_facts("x.c", post.text, knowledge)
    assert [fn.name for fn in facts.functions] == [STUB_FUNCTION]


def test_header_function_names() -> None:
    assert header_function("static int foo_probe(struct usb_interface *intf)") == "foo_probe"
    assert header_function("struct foo_state {") is None
    assert header_function("static const struct of_device_id ids[] = {") is None
    assert header_function("") is None


CUTS = """// SPDX-License-Identifier: GPL-2.0
static const struct pci_device_id foo_ids[] = {
	{ PCI_VDEVICE(INTEL, 0x02a4), 1 },
	{ PCI_VDEVICE(INTEL, 0x06a4), 2 },
	{ PCI_VDEVICE(INTEL, 0x18e0), 3 },
	{ PCI_VDEVICE(INTEL, 0x19e0), 4 },
	{ },
};

static int foo_remove(struct platform_device *pdev)
{
	struct foo *foo = platform_get_drvdata(pdev);

	spin_unlock_irqrestore(&foo->lock, flags);
	kfree(foo->name);
	if (foo->bufs)
		dma_free_coherent(&pdev->dev,
					FOO_MAX_PACKET *
					(foo->max_ports + 1),
					foo->bufs, foo->bufs_dma);
	return 0;
}

static int foo_probe(struct platform_device *pdev)
{
	return 0;
}
"""


def test_cut_initialisers_calls_and_headers_still_parse(knowledge) -> None:
    lines = CUTS.splitlines(keepends=True)
    for drop in (3, 15, 24):  # in an initialiser, before a cut call, before a header
        new = "".join(lines[:drop - 1] + lines[drop:])
        pre, _ = sides(PatchSet(unified("drivers/foo.c", CUTS, new))[0])
        src = parse("foo.c", pre.text.encode(), knowledge)
        assert not src.tree.root_node.has_error, (drop, pre.text)
