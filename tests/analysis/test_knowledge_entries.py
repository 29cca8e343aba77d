"""flake8-style completeness: every knowledge entry has an effect, every rule its data.

For each entry of config/dma.toml a small kernel snippet is generated from the
entry itself and run through the engine; an entry the engine cannot use (a
wrong argument index, a direction kind nobody handles) fails here. So adding
an API to the data is tested by this file without writing a new test, and a
new rule must state what knowledge it needs.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from reviewbot.analysis import RULES, analyse_series, analyse_source
from reviewbot.analysis.c.parser import parse, preprocess
from reviewbot.analysis.engine import file_facts
from reviewbot.analysis.facts.structs import alignment_level
from reviewbot.analysis.flow.resolver import FileFlow
from reviewbot.analysis.flow.sinks import sink_uses
from reviewbot.knowledge import DirectionSpec, Knowledge, load_knowledge
from reviewbot.model import Confidence, Severity

from .diffs import series, unified

K = load_knowledge()
INBOUND_ARG = {"dma_dir_arg": "DMA_FROM_DEVICE", "pipe_arg": "usb_rcvbulkpipe(udev, 1)",
               "request_type_arg": "USB_DIR_IN | USB_TYPE_VENDOR"}


def call(name: str, slots: dict[int, str]) -> str:
    width = max(slots, default=-1) + 2
    return f"{name}({', '.join(slots.get(i, f'a{i}') for i in range(width))})"


def direction_slots(spec: DirectionSpec) -> dict[int, str]:
    if spec.kind in INBOUND_ARG:
        return {spec.arg: INBOUND_ARG[spec.kind]}
    if spec.kind == "via_object":
        return {spec.arg: "&sg"}
    return {}


def expected_direction(spec: DirectionSpec) -> str | None:
    return spec.value if spec.kind == "fixed" else (
        None if spec.kind == "via_object" else "from_device")


def wrap(body: str, decls: str = "") -> str:
    return (f"{decls}\nstatic int probe(struct usb_device *udev, struct device *dev)\n{{\n"
            f"\tstruct scatterlist sg;\n\tu8 stackbuf[4];\n{body}\treturn 0;\n}}\n")


@pytest.mark.parametrize("sink", K.sinks, ids=lambda s: s.function)
def test_every_sink_is_found_and_reports_a_stack_buffer(sink) -> None:
    slots = {**direction_slots(sink.direction), sink.buffer: "stackbuf"}
    text = wrap(f"\t{call(sink.function, slots)};\n")
    facts = file_facts("entry.c", text, K)
    (use,) = sink_uses(FileFlow(facts), facts.functions[0], {})
    direction = expected_direction(sink.direction)
    assert (use.sink, use.line, use.direction, facts.src.text_of(use.buffer)) == (
        sink.function, 6, direction, "stackbuf")
    found = analyse_source("entry.c", text, K)
    paged_out = sink.vmalloc_ok and direction not in ("from_device", "bidirectional")
    if paged_out and sink.confidence is not Confidence.HIGH:
        assert found == []  # regmap: the bus decides, and on I2C it copies
        return
    # the SPI core maps a stack page by page either way: the contract is what is certain
    paged = sink.vmalloc_ok and sink.confidence is Confidence.HIGH
    severity = Severity.WARNING if paged_out or paged else Severity.ERROR
    assert [(f.rule, f.line, f.sink, f.severity) for f in found] == [
        ("dma-stack", 6, sink.function, severity)]


@pytest.mark.parametrize("api", K.copying, ids=lambda c: c.function)
def test_every_copying_api_is_silent_on_stack_buffers(api) -> None:
    assert K.sink(api.function) is None
    text = wrap(f"\t{call(api.function, {api.buffer: 'stackbuf'})};\n")
    assert analyse_source("entry.c", text, K) == []


@pytest.mark.parametrize("pair", [(c, s) for c in K.copying for s in c.instead_of],
                         ids=lambda p: f"{p[1]}->{p[0].function}")
def test_copying_alternatives_are_suggested(pair) -> None:
    api, sink_name = pair
    sink = K.sink(sink_name)
    inbound = {**direction_slots(sink.direction), sink.buffer: "stackbuf"}
    text = wrap(f"\t{call(sink_name, inbound)};\n")
    (f,) = analyse_source("entry.c", text, K)
    assert f"{api.function}()" in f.message and ", which cop" in f.message


def test_request_type_directions() -> None:
    d = K.directions
    for rt, want in ((d.request_type_in[0], "from_device"), (d.request_type_out[0], "to_device"),
                     (f"{d.request_type_prefix}TYPE_VENDOR", "to_device"),
                     (hex(d.request_type_in_bit | 0x40), "from_device"), ("0x40", "to_device"),
                     ("rtype", None)):
        text = wrap(f"\tusb_control_msg(udev, pipe, 1, {rt}, 0, 0, stackbuf, 4, 100);\n")
        (f,) = analyse_source("entry.c", text, K)
        assert f.direction == want, rt


@pytest.mark.parametrize("fs", K.field_sinks, ids=lambda f: f"{f.struct}.{f.field}")
def test_every_field_sink_reports_designated_and_assigned_buffers(fs) -> None:
    flags = " | ".join(x for x in (fs.only_with_flag, fs.direction.value
                                   if fs.direction.kind == "flag" else None) if x)
    flag_init = f"\t\t.{fs.flags_field} = {flags},\n" if fs.flags_field else ""
    flag_store = f"\tx.{fs.flags_field} = {flags};\n" if fs.flags_field else ""
    inner = "stackbuf"
    for part in reversed(fs.field.split(".")[1:]):
        inner = f"{{ .{part} = {inner} }}"
    head = fs.field.split(".")[0]
    consume = "".join(f"\t{c}(a0, &x);\n\t{c}(a0, &y);\n" for c in fs.consumers[:1])
    text = wrap(f"\tstruct {fs.struct} x = {{\n{flag_init}\t\t.{head} = {inner},\n\t}};\n"
                f"\tstruct {fs.struct} y;\n\ty.{fs.field} = stackbuf;\n"
                f"\t{flag_store.replace('x.', 'y.')}{consume}")
    want = "from_device" if fs.direction.kind == "flag" else fs.direction.value
    facts = file_facts("entry.c", text, K)
    uses = sink_uses(FileFlow(facts), facts.functions[0], {})
    shift = 1 if fs.flags_field else 0
    assert sorted((u.line, u.direction) for u in uses) == [(7 + shift, want), (10 + shift, want)]
    found = analyse_source("entry.c", text, K)
    # the SPI core maps stacks page by page, either way: the contract is what is certain
    severity = Severity.WARNING if fs.vmalloc_ok else Severity.ERROR
    assert [(f.rule, f.line, f.direction, f.severity) for f in found] == [
        ("dma-stack", 7 + shift, want, severity), ("dma-stack", 10 + shift, want, severity)]
    if fs.only_with_flag:
        quiet = text.replace(fs.only_with_flag + " | ", "")
        assert analyse_source("entry.c", quiet, K) == []
    if fs.consumers:
        assert analyse_source("entry.c", text.replace(consume, ""), K) == []


def test_vmalloc_ok_sinks_still_report_inbound_stack_buffers() -> None:
    text = wrap("\tspi_read(spi, stackbuf, 4);\n\tspi_write(spi, stackbuf, 4);\n"
                "\tspi_read(spi, vmalloc(4), 4);\n")
    found = analyse_source("entry.c", text, K)
    assert [(f.rule, f.line, f.severity) for f in found] == [
        ("dma-stack", 6, Severity.WARNING), ("dma-stack", 7, Severity.WARNING)]
    assert "discards CPU writes to the stack lines around it" in found[0].message


@pytest.mark.parametrize("consumer", K.consumers, ids=lambda c: c.function)
def test_every_object_consumer_gives_the_scatterlist_a_direction(consumer) -> None:
    slots = {consumer.object: "&sg", **direction_slots(consumer.direction)}
    text = wrap(f"\tsg_init_one(&sg, stackbuf, 4);\n\t{call(consumer.function, slots)};\n")
    found = analyse_source("entry.c", text, K)
    assert [(f.rule, f.direction) for f in found] == [
        ("dma-stack", expected_direction(consumer.direction))]


EXPECTED_RULE = {"vmalloc": "dma-vmalloc", "coherent": "dma-coherent-remap",
                 "kmalloc": "dma-kmalloc-small", "devm-kmalloc": "dma-kmalloc-small",
                 "kmem-cache": None, "page": None}


@pytest.mark.parametrize("alloc", K.allocators, ids=lambda a: a.function)
def test_every_allocator_is_recognised_with_its_class_and_size(alloc) -> None:
    slots = {i: "4" for i in alloc.size_args}
    text = wrap(f"\tu8 *p = {call(alloc.function, slots)};\n\n"
                "\tdma_map_single(dev, p, 4, DMA_FROM_DEVICE);\n")
    facts = file_facts("entry.c", text, K)
    fn = facts.functions[0]
    (origin,) = FileFlow(facts).origins(fn, fn.assigns["p"][0])
    assert origin.alloc is not None
    assert (origin.kind, origin.cls, origin.alloc.allocator) == ("heap", alloc.cls,
                                                                 alloc.function)
    assert origin.size == (4 ** len(alloc.size_args) if alloc.size_args else None)
    rules = [f.rule for f in analyse_source("entry.c", text, K)]
    assert rules == ([EXPECTED_RULE[alloc.cls]] if EXPECTED_RULE[alloc.cls] else [])


@pytest.mark.parametrize("macro", K.macros, ids=lambda m: m.name)
def test_every_macro_has_a_level_and_watched_ones_are_reported(macro) -> None:
    if macro.level in ("dma", "kmalloc", "l1"):
        assert alignment_level(macro.name, K) == macro.level
    if not macro.watch_definition:
        return
    if macro.level == "runtime":
        old = f"static inline int {macro.name}(void)\n{{\n\treturn 64;\n}}\n"
        new = old.replace("64", "128")
    else:
        old = f"#define {macro.name}\t(64)\n"
        new = f"#define {macro.name}\t(128)\n"
    found = analyse_series(series(unified("arch/arm64/include/asm/cache.h", old, new)), K)
    assert [(f.rule, f.macro, f.buffer) for f in found] == [
        ("minalign-definition", macro.name, None)]


@pytest.mark.parametrize("ann", [a for a in K.annotations if a.group != "end"],
                         ids=lambda a: a.name)
def test_every_annotation_isolates_a_member(ann) -> None:
    if ann.takes_alignment:
        mark, level = f"{ann.name}(ARCH_DMA_MINALIGN)", "dma"
    else:
        mark, level = ann.name, ann.level
    body = f"\t{mark}();\n\tu8 rx[4];\n" if ann.group == "begin" else f"\tu8 rx[4] {mark};\n"
    facts = file_facts("entry.c", f"struct s {{\n\tint a;\n{body}}};\n", K)
    assert facts.structs.get("s").field("rx").isolation == level


def test_group_end_closes_the_isolated_run(knowledge: Knowledge) -> None:
    begin = next(a.name for a in knowledge.annotations if a.group == "begin")
    end = next(a.name for a in knowledge.annotations if a.group == "end")
    text = f"struct s {{\n\t{begin}();\n\tu8 rx[4];\n\t{end}();\n\tint after;\n}};\n"
    sdef = file_facts("entry.c", text, knowledge).structs.get("s")
    assert sdef.field("rx").isolation == "dma" and sdef.field("after").isolation is None


@pytest.mark.parametrize("token", sorted(dict(K.directions.pipe)))
def test_every_pipe_macro_sets_the_direction(token) -> None:
    text = wrap(f"\tusb_bulk_msg(udev, {token}(udev, 1), stackbuf, 4, NULL, 10);\n")
    (f,) = analyse_source("entry.c", text, K)
    assert f.direction == dict(K.directions.pipe)[token]


@pytest.mark.parametrize("token", sorted(dict(K.directions.dma_dir)))
def test_every_dma_direction_token_is_read(token) -> None:
    text = wrap(f"\tdma_map_single(dev, stackbuf, 4, {token});\n")
    (f,) = analyse_source("entry.c", text, K)
    assert f.direction == dict(K.directions.dma_dir)[token]


@pytest.mark.parametrize("word", K.attribute_words + K.attribute_calls)
def test_every_attribute_macro_is_blanked(word) -> None:
    use = f"{word}(x)" if word in K.attribute_calls else word
    text = f"static int {use} foo(void)\n{{\n\treturn 0;\n}}\n".encode()
    clean = preprocess(text, K)
    assert len(clean) == len(text) and word.encode() not in clean
    src = parse("entry.c", text, K)
    assert src is not None and not src.tree.root_node.has_error


def _parses_cleanly(body: str) -> bool:
    src = parse("entry.c", f"static int f(void)\n{{\n{body}\treturn 0;\n}}\n".encode(), K)
    return src is not None and not src.tree.root_node.has_error


@pytest.mark.parametrize("word", K.loop_macro_words)
def test_every_loop_macro_word_makes_a_loop_head(word) -> None:
    body = f"\tlist_{word}(pos, head, member) {{\n\t\tg(pos);\n\t}}\n"
    assert not _parses_cleanly(body.replace(word, "not_a_loop"))
    assert _parses_cleanly(body)


@pytest.mark.parametrize("macro", K.type_argument_macros)
def test_every_type_argument_macro_takes_types(macro) -> None:
    body = f"\tx = {macro}(a, struct foo *, unsigned int, b);\n"
    assert not _parses_cleanly(body.replace(macro, "plain_call"))
    assert _parses_cleanly(body)


@pytest.mark.parametrize("wrapper", K.buffer_wrappers)
def test_every_buffer_wrapper_is_seen_through(wrapper) -> None:
    text = wrap(f"\tdma_map_page(dev, {wrapper}(stackbuf), 0, 4, DMA_TO_DEVICE);\n")
    (f,) = analyse_source("entry.c", text, K)
    assert (f.rule, f.buffer) == ("dma-stack", "stackbuf")


@pytest.mark.parametrize("type_name", sorted(dict(K.sizes)))
def test_every_size_is_used_by_sizeof(type_name) -> None:
    text = wrap(f"\tu8 *p = kmalloc(sizeof({type_name}) * 200, GFP_KERNEL);\n")
    facts = file_facts("entry.c", text, K)
    fn = facts.functions[0]
    (origin,) = FileFlow(facts).origins(fn, fn.assigns["p"][0])
    assert origin.size == dict(K.sizes)[type_name] * 200


# What each rule needs from the data is declared by the rule (Rule.uses_knowledge).
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_its_knowledge(rule) -> None:
    assert rule.uses_knowledge(K), f"{rule.id}: config/dma.toml lacks what it reads"
    empty = replace(K, sinks=(), macros=(), annotations=(), allocators=(), field_sinks=(),
                    level_macros=K.level_macros)
    assert not rule.uses_knowledge(empty), f"{rule.id}: its knowledge check reads nothing"


@pytest.mark.parametrize(("copier", "source"), K.copy_from, ids=lambda x: str(x))
def test_every_copy_function_makes_a_helper_no_sink_for_what_it_copies(copier, source) -> None:
    # A helper that copies its parameter is a copying API for it, even where it also
    # hands the original on (repaper_spi_transfer kmemdups tx): callers' stack buffers
    # are not reported. The same helper without the copy is a sink, so this can fail.
    def helper(copies: bool) -> str:
        slots = {source: "tx", source + 1: "len", **({0: "dev"} if source > 0 else {})}
        copy = f"\t\tbuf = {call(copier, slots)};\n" if copies else "\t\tbuf = NULL;\n"
        return ("static int send(struct spi_device *spi, struct device *dev, u8 *tx, "
                "size_t len)\n{\n\tu8 *buf = tx;\n\n\tif (len > 4)\n" + copy +
                "\treturn spi_write(spi, buf, len);\n}\n")
    body = "\tsend(spi, dev, stackbuf, 4);\n"
    decls = "struct spi_device *spi;\n"
    copied = analyse_source("entry.c", helper(True) + wrap(body, decls), K)
    passed = analyse_source("entry.c", helper(False) + wrap(body, decls), K)
    assert [f.rule for f in copied] == []
    assert [f.rule for f in passed] == ["dma-stack"]
