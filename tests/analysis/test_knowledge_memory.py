"""Every [[context]] and [[cache_creator]] entry of config/dma.toml has its effect.

Generated from the entries themselves, as test_knowledge_entries.py does for
sinks and allocators: a context from a kmalloc-aligned accessor mapped
inbound is a conditional dma-crypto-ctx finding naming the macro, one from a
DMA-aligned accessor is silent; an object of a cache created with alignment 0
is a dma-kmem-cache-align finding, and silent with an aligning flag.
"""

from __future__ import annotations

import json

import pytest

from reviewbot.analysis import analyse_source
from reviewbot.knowledge import load_knowledge
from reviewbot.render.as_json import finding_dict

K = load_knowledge()


def _ctx_text(accessor: str) -> str:
    return ("struct foo_ctx { u8 buf[64]; };\n"
            "static int foo(void *obj, struct device *dev)\n{\n"
            f"\tstruct foo_ctx *ctx = {accessor}(obj);\n\n"
            "\treturn dma_map_single(dev, ctx, sizeof(*ctx), DMA_FROM_DEVICE) ? 0 : -EIO;\n}\n")


@pytest.mark.parametrize("acc", K.contexts, ids=lambda c: c.function)
def test_every_context_accessor_gives_its_alignment(acc) -> None:
    found = analyse_source("ctx.c", _ctx_text(acc.function), K)
    level = K.macro(acc.alignment).level
    if level == "dma":
        assert found == []
        return
    assert [(f.rule, f.line) for f in found] == [("dma-crypto-ctx", 6)]
    (f,) = found
    assert f.bites_when is not None and f.bites_when.macro == acc.alignment
    assert f.bites_when.text() in f.message
    if acc.instead:
        assert f"{acc.instead}()" in f.message
    data = json.loads(json.dumps(finding_dict(f)))
    assert data["bites_when"]["macro"] == acc.alignment
    assert data["bites_when"]["below"] == K.level_macro("dma").name


def _cache_text(creator, align: str, flags: str) -> str:
    if creator.struct is not None:
        args = ["struct foo_obj", flags]
    else:
        args = ['"foo"', "sizeof(struct foo_obj)", align, flags, "NULL"]
    return ("struct foo_obj { u32 tag; u8 data[60]; };\n"
            "static struct kmem_cache *foo_cache;\n"
            "static int foo_init(void)\n{\n"
            f"\tfoo_cache = {creator.function}({', '.join(args)});\n\treturn 0;\n}}\n"
            "static int foo(struct device *dev)\n{\n"
            "\tvoid *obj = kmem_cache_alloc(foo_cache, GFP_KERNEL);\n\n"
            "\treturn dma_map_single(dev, obj, 64, DMA_FROM_DEVICE) ? 0 : -EIO;\n}\n")


@pytest.mark.parametrize("creator", K.cache_creators, ids=lambda c: c.function)
def test_every_cache_creator_is_followed(creator) -> None:
    found = analyse_source("cache.c", _cache_text(creator, "0", "0"), K)
    assert [(f.rule, f.line, f.bites_when) for f in found] == [("dma-kmem-cache-align", 12, None)]
    for flag in creator.aligning_flags:
        assert analyse_source("cache.c", _cache_text(creator, "0", flag), K) == []
    if creator.align is not None:
        aligned = _cache_text(creator, K.level_macro("dma").name, "0")
        assert analyse_source("cache.c", aligned, K) == []


@pytest.mark.parametrize("fo", K.object_fields, ids=lambda f: f.field)
def test_every_object_field_gives_the_scatterlist_its_direction(fo) -> None:
    text = ("static int foo(struct foo_task *task)\n{\n"
            "\tstruct scatterlist sg;\n\tu8 *buf = kmalloc(4, GFP_KERNEL);\n\n"
            "\tsg_init_one(&sg, buf, 4);\n"
            f"\ttask->{fo.field} = sg;\n\treturn 0;\n}}\n")
    found = analyse_source("obj.c", text, K)
    inbound = fo.direction in ("from_device", "bidirectional")
    assert [(f.rule, f.line, f.direction) for f in found] == (
        [("dma-kmalloc-small", 6, fo.direction)] if inbound else [])


@pytest.mark.parametrize("cb", K.client_buffers, ids=lambda c: c.struct)
def test_every_client_buffer_is_found_in_a_controller_and_silenced_by_its_checks(cb) -> None:
    for field in cb.fields:
        text = (f"static int foo(struct device *dev, struct {cb.struct} *d)\n{{\n"
                f"\treturn dma_map_single(dev, d->{field}, 4, DMA_FROM_DEVICE) ? 0 : -EIO;\n}}\n")
        found = analyse_source("ctl.c", text, K)
        assert [(f.rule, f.line, f.confidence.value) for f in found] == [
            ("dma-client-buffer", 3, cb.confidence)]
        for word in cb.safe_with:
            assert analyse_source("ctl.c", f"/* {word} */\n" + text, K) == []
