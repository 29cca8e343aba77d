"""Series analysis from the patches alone: introduced, pre-existing, fixed."""

from __future__ import annotations

from reviewbot.analysis import analyse_series
from reviewbot.model import Severity

from .diffs import series, unified

PATH = "drivers/usb/serial/foo.c"

BASE = """// SPDX-License-Identifier: GPL-2.0
#include <linux/usb.h>

#define FOO_GET_STATUS	0x01
#define FOO_TIMEOUT	1000

static int foo_get_status(struct usb_serial_port *port)
{
	struct usb_device *udev = port->serial->dev;
	u8 *buf;
	int ret;

	buf = kmalloc(128, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	ret = usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), FOO_GET_STATUS,
				USB_DIR_IN | USB_TYPE_VENDOR, 0, 0, buf, 2, FOO_TIMEOUT);
	if (ret < 0)
		goto out;
	ret = buf[0];
out:
	kfree(buf);
	return ret;
}

static int foo_open(struct tty_struct *tty, struct usb_serial_port *port)
{
	return foo_get_status(port);
}
"""

# The same function with the buffer moved onto the stack.
STACK = (BASE.replace("\tu8 *buf;\n", "\tu8 buf[2];\n")
         .replace("\tbuf = kmalloc(128, GFP_KERNEL);\n\tif (!buf)\n\t\treturn -ENOMEM;\n\n", "")
         .replace("\tkfree(buf);\n", ""))


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_kmalloc_to_stack_is_an_introduced_dma_stack(knowledge) -> None:
    findings = analyse_series(series(unified(PATH, BASE, STACK)), knowledge)
    introduced = [f for f in findings if f.introduced]
    assert [(f.rule, f.function, f.buffer, f.sink, f.direction) for f in introduced] == [
        ("dma-stack", "foo_get_status", "buf", "usb_control_msg", "from_device")]
    f = introduced[0]
    assert f.severity is Severity.ERROR
    assert f.file == PATH and f.patch == 1 and f.fixed_in_patch is None
    assert f.line == line_of(STACK, "usb_control_msg(")  # a post-image line of the file
    assert "stack" in f.message and "buf" in f.message


def test_a_fix_introduces_nothing_and_notes_the_old_bug_as_fixed(knowledge) -> None:
    findings = analyse_series(series(unified(PATH, STACK, BASE)), knowledge)
    assert not [f for f in findings if f.introduced]
    fixed = [f for f in findings if f.rule == "dma-stack"]
    assert len(fixed) == 1
    assert fixed[0].introduced is False and fixed[0].fixed_in_patch == 1


def test_later_patch_repairing_an_earlier_one_sets_fixed_in_patch(knowledge) -> None:
    comment = BASE.replace("static int foo_open(", "/* open the port */\nstatic int foo_open(")
    broken = STACK.replace("static int foo_open(", "/* open the port */\nstatic int foo_open(")
    s = series(unified(PATH, BASE, STACK), unified(PATH, STACK, broken),
               unified(PATH, broken, comment))
    findings = analyse_series(s, knowledge)
    stack = [f for f in findings if f.rule == "dma-stack"]
    assert len(stack) == 1
    assert stack[0].introduced is True and stack[0].patch == 1
    assert stack[0].fixed_in_patch == 3


def test_a_hazard_fixed_then_reintroduced_is_introduced_by_the_last_patch(knowledge) -> None:
    """Three patches: 1 brings the stack buffer, 2 removes it, 3 brings it back.

    The last state counts: one finding, introduced by patch 3 and not fixed.
    """
    s = series(unified(PATH, BASE, STACK), unified(PATH, STACK, BASE),
               unified(PATH, BASE, STACK))
    stack = [f for f in analyse_series(s, knowledge) if f.rule == "dma-stack"]
    assert [(f.introduced, f.patch, f.fixed_in_patch) for f in stack] == [(True, 3, None)]
    assert stack[0].counts_against


def test_a_pre_existing_hazard_fixed_then_reintroduced_stays_pre_existing(knowledge) -> None:
    """The base has the stack buffer; 2 fixes it and 3 puts it back: older than the
    series, so never blamed on it, and no longer fixed either."""
    touched = STACK.replace("static int foo_open(", "/* open the port */\nstatic int foo_open(")
    fixed = BASE.replace("static int foo_open(", "/* open the port */\nstatic int foo_open(")
    s = series(unified(PATH, STACK, touched), unified(PATH, touched, fixed),
               unified(PATH, fixed, touched))
    stack = [f for f in analyse_series(s, knowledge) if f.rule == "dma-stack"]
    assert [(f.introduced, f.patch, f.fixed_in_patch) for f in stack] == [(False, 2, None)]
    assert not stack[0].counts_against


def test_pre_existing_hazard_in_touched_function_is_not_blamed(knowledge) -> None:
    renamed = STACK.replace("\tint ret;\n", "\tint ret = 0;\n")
    findings = analyse_series(series(unified(PATH, STACK, renamed)), knowledge)
    assert [(f.rule, f.introduced, f.fixed_in_patch) for f in findings] == [
        ("dma-stack", False, None)]


def test_comment_only_patch_reports_nothing(knowledge) -> None:
    new = BASE.replace("static int foo_open(", "/* Called with ARCH_KMALLOC_MINALIGN */\n"
                                              "static int foo_open(")
    assert analyse_series(series(unified(PATH, BASE, new)), knowledge) == []


def test_helper_sink_across_hunks_of_one_file(knowledge) -> None:
    old = """// SPDX-License-Identifier: GPL-2.0
static int ark3116_read_reg(struct usb_serial *serial, unsigned int reg, unsigned char *buf)
{
	int result = usb_control_msg(serial->dev, usb_rcvctrlpipe(serial->dev, 0), 0xfe, 0xc0,
				0x00, reg, buf, 1, ARK_TIMEOUT);

	return result;
}

static void unrelated_one(void)
{
}

static void unrelated_two(void)
{
}

static int ark3116_port_probe(struct usb_serial_port *port)
{
	struct usb_serial *serial = port->serial;
	u8 *buf = kmalloc(1, GFP_KERNEL);

	ark3116_read_reg(serial, 3, buf);
	return 0;
}
"""
    new = old.replace("\tu8 *buf = kmalloc(1, GFP_KERNEL);\n", "\tu8 buf[1];\n")
    findings = analyse_series(series(unified("drivers/usb/serial/ark3116.c", old, new)),
                              knowledge)
    introduced = [(f.rule, f.function, f.sink) for f in findings if f.introduced]
    # The helper's body is not in the hunk: from the patch alone it is unknown.
    assert introduced == []
    findings = analyse_series(series(unified("drivers/usb/serial/ark3116.c", old, new,
                                             context=20)), knowledge)
    introduced = [(f.rule, f.function, f.sink) for f in findings if f.introduced]
    assert introduced == [("dma-stack", "ark3116_port_probe", "ark3116_read_reg")]


def test_whole_file_images_find_what_hunks_cannot_see(knowledge) -> None:
    old = BASE.replace("kmalloc(128, GFP_KERNEL)", "kmalloc(128, GFP_KERNEL)\n" + "\n" * 12)
    new = old.replace("\tu8 *buf;\n", "\tu8 buf[2];\n").replace(
        "\tbuf = kmalloc(128, GFP_KERNEL)\n", "")
    diff = unified(PATH, old, new, context=1)
    assert not [f for f in analyse_series(series(diff), knowledge) if f.introduced]

    def images(path: str, index: int) -> tuple[str, str] | None:
        assert index == 1
        return (old, new) if path == PATH else None  # headers, Makefile: not in this tree

    found = [f for f in analyse_series(series(diff), knowledge, images) if f.introduced]
    assert [(f.rule, f.line) for f in found] == [("dma-stack", line_of(new, "usb_control_msg("))]


def test_arm64_kmalloc_minalign_change_is_a_definition_finding(knowledge) -> None:
    old = """#ifndef __ASM_CACHE_H
#define __ASM_CACHE_H

#define ARCH_DMA_MINALIGN	(128)

#endif
"""
    new = old.replace("(128)\n", "(128)\n#define ARCH_KMALLOC_MINALIGN\t(8)\n")
    findings = analyse_series(series(unified("arch/arm64/include/asm/cache.h", old, new)),
                              knowledge)
    assert [(f.rule, f.macro, f.buffer, f.introduced) for f in findings] == [
        ("minalign-definition", "ARCH_KMALLOC_MINALIGN", None, True)]
    details = dict(findings[0].details)
    assert details["arch"] == "arm64"
    assert details["after"] == "8"
    assert "not defined here" in details["before"] and "128" in details["before"]
    assert findings[0].severity is Severity.INFO


def test_definition_values_are_quoted_as_written_not_squeezed(knowledge) -> None:
    old = """#ifndef __ASM_CACHE_H
#define __ASM_CACHE_H

#define ARCH_SLAB_MINALIGN	__alignof__(unsigned long long)

#endif
"""
    new = old.replace("__alignof__(unsigned long long)", "( 16 )")
    findings = analyse_series(series(unified("arch/arm64/include/asm/cache.h", old, new)),
                              knowledge)
    assert [f.rule for f in findings] == ["minalign-definition"]
    details = dict(findings[0].details)
    assert details["before"] == "__alignof__(unsigned long long)"
    assert details["after"] == "16"
    assert "__alignof__(unsigned long long) to 16" in findings[0].message
    # blanks alone are no change
    same = old.replace("(unsigned long long)", "( unsigned  long long )")
    assert analyse_series(series(unified("arch/arm64/include/asm/cache.h", old, same)),
                          knowledge) == []


def test_switch_from_kmalloc_to_dma_minalign_is_a_usage_finding(knowledge) -> None:
    old = """struct foo_priv {
	struct device *dev;
	u8 buf[16] __aligned(ARCH_KMALLOC_MINALIGN);
};
"""
    new = old.replace("ARCH_KMALLOC_MINALIGN", "ARCH_DMA_MINALIGN")
    findings = analyse_series(series(unified("include/linux/foo.h", old, new)), knowledge)
    assert [(f.rule, f.line, f.introduced) for f in findings] == [("minalign-usage", 3, True)]
    assert "ARCH_KMALLOC_MINALIGN" in findings[0].message
    assert "ARCH_DMA_MINALIGN" in findings[0].message


def test_non_c_files_are_ignored(knowledge) -> None:
    diff = unified("Documentation/core-api/dma.rst", "old ARCH_KMALLOC_MINALIGN\n",
                   "new ARCH_DMA_MINALIGN\n")
    assert analyse_series(series(diff), knowledge) == []
