"""Kernel idioms survive parsing with every byte where it was."""

from __future__ import annotations

import pytest

from reviewbot.analysis.c.parser import function_name, parse
from reviewbot.analysis.c.preprocess import preprocess
from reviewbot.analysis.engine import file_facts

IDIOMS = {
    "attributes": """
static int __init __must_check foo_init(void)
{
	return 0;
}
static void __iomem *foo_map(struct device *dev, void __user *arg) __maybe_unused;
""",
    "aligned members": """
struct foo_state {
	struct mutex lock;
	u8 rx[4] __aligned(IIO_DMA_MINALIGN);
	u8 tx[4] ____cacheline_aligned;
	__dma_from_device_group_begin();
	u8 evts[8];
	__dma_from_device_group_end();
} __packed;
""",
    "iterators": """
static void foo_walk(struct foo *foo)
{
	struct foo_port *port;
	struct device_node *np;

	list_for_each_entry(port, &foo->ports, node) {
		port->count = 0;
	}
	for_each_child_of_node(foo->np, np)
		of_node_put(np);
	if (foo->busy)
		scoped_guard(mutex, &foo->lock)
			foo->busy = false;
	else
		list_for_each_entry_safe(port, tmp, &foo->ports, node)
			kfree(port);
}
""",
    "type arguments": """
static int foo_len(struct work_struct *work, size_t a, size_t b)
{
	struct foo *foo = container_of(work, struct foo, work);
	struct bar *bar = list_first_entry(&foo->list, struct bar, node);

	return min_t(unsigned int, a, b) + sizeof(struct foo) + offsetof(struct foo, work);
}
""",
    "initialisers": """
static int foo_xfer(struct spi_device *spi, struct i2c_client *c, u8 *buf)
{
	struct spi_transfer xfers[] = {
		{ .tx_buf = buf, .len = 1, .cs_change = 1, },
		{ .rx_buf = buf + 1, .len = 2, },
	};
	struct i2c_msg msg = (struct i2c_msg){ .addr = c->addr, .buf = buf, .len = 2 };

	return spi_sync_transfer(spi, xfers, ARRAY_SIZE(xfers));
}
""",
    "conditionals": """
static int foo_suspend(struct device *dev)
{
#ifdef CONFIG_PM_SLEEP
	if (device_may_wakeup(dev)) {
#else
	if (0) {
#endif
		return 1;
	}
	return 0;
}
#if 0
static int dead(void) { return ( }
#endif
#ifdef CONFIG_FOO
static int foo_opt(void)
{
	return 1;
}
#else
static int foo_opt(void)
{
	return 0;
}
#endif
""",
    "strings and ranges": """
static int foo_show(u8 c)
{
	pr_info(KBUILD_MODNAME ": " DRIVER_DESC " v" DRIVER_VERSION "\\n");
	switch (c) {
	case 'a' ... 'z':
		return 1;
	}
	return 0;
}
""",
}


@pytest.mark.parametrize("name", sorted(IDIOMS))
def test_idiom_parses_without_errors(name, knowledge) -> None:
    text = IDIOMS[name].encode()
    clean = preprocess(text, knowledge)
    assert len(clean) == len(text)
    assert clean.count(b"\n") == text.count(b"\n")
    src = parse("idiom.c", text, knowledge)
    assert src is not None
    assert not src.tree.root_node.has_error, src.tree.root_node


def test_both_balanced_branches_are_kept(knowledge) -> None:
    facts = file_facts("x.c", IDIOMS["conditionals"], knowledge)
    names = [fn.name for fn in facts.functions]
    assert names == ["foo_suspend", "foo_opt", "foo_opt"]


def test_annotations_are_read_from_the_original_text(knowledge) -> None:
    facts = file_facts("x.c", IDIOMS["aligned members"], knowledge)
    sdef = facts.structs.get("foo_state")
    assert [(f.name, f.isolation) for f in sdef.fields] == [
        ("lock", None), ("rx", "dma"), ("tx", "dma"), ("evts", "dma")]  # tx: inside rx's region


def test_loop_macro_used_as_an_expression_is_left_alone(knowledge) -> None:
    text = b"static int f(struct device *d)\n{\n\treturn device_for_each_child(d, 0, g);\n}\n"
    assert preprocess(text, knowledge) == text


def test_function_names_through_pointer_declarators(knowledge) -> None:
    src = parse("x.c", b"static struct foo *foo_get(int a)\n{\n\treturn 0;\n}\n", knowledge)
    fn = src.tree.root_node.named_children[0]
    assert function_name(fn) == "foo_get"


def test_slow_error_recovery_gives_up_instead_of_hanging(knowledge) -> None:
    # Deeply unbalanced input makes error recovery expensive; a tiny work budget
    # must cancel the parse (None) rather than return a tree or raise.
    text = b"int f(void) {" + b"a(" * 20000 + b"\n"
    assert parse("slow.c", text, knowledge, work=1) is None
    assert parse("ok.c", b"int g(void) { return 0; }\n", knowledge) is not None
