"""Shipped tree profiles: they load, they say what their tree says, and a bad file is one line.

Whether config/profiles/*.toml are what the reader gives on the real trees
today is checked by bench/tree_profile.py (the trees are not in the tests).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewbot.analysis.facts.profile import read_tree_profile
from reviewbot.analysis.facts.profile_store import (
    default_profile_name,
    load_profile,
    profile_names,
    read_profile_file,
    render_text,
    shipped_names,
    to_json,
    to_toml,
)
from reviewbot.errors import ConfigError
from tests.analysis.profile_trees import tree_61, tree_612, write_tree


@pytest.mark.parametrize("files", [tree_61, tree_612], ids=["6.1", "6.12"])
def test_a_profile_survives_its_file(tmp_path, files):
    profile = read_tree_profile(write_tree(tmp_path / "tree", files()))
    path = tmp_path / "p.toml"
    path.write_text(to_toml(profile, "a test tree"))
    assert read_profile_file(path) == profile


def test_json_has_every_fact_unknown_as_null(tmp_path):
    profile = read_tree_profile(write_tree(tmp_path, tree_61()))
    data = json.loads(to_json(profile))
    assert data["version"] == "6.1.192"
    assert data["bounce_check"] is None and data["has_bounce_check"] is False
    assert data["crypto_dma_align"] == []  # stated: not defined in 6.1
    arm64 = next(a for a in data["arches"] if a["name"] == "arm64")
    assert arm64["kmalloc_minalign"]["values"] == [128]


def test_shipped_profiles_are_6_1_and_6_12_and_mainline_is_the_newest():
    assert shipped_names() == ("6.1", "6.12")
    assert profile_names() == ("6.1", "6.12", "mainline")
    assert default_profile_name() == "6.12"
    assert load_profile("mainline") == load_profile("6.12")


def test_shipped_6_1_has_dma_aligned_kmalloc_and_no_bounce():
    p = load_profile("6.1")
    assert p.version == "6.1.192"
    arm64 = p.arch("arm64")
    assert arm64 is not None and arm64.kmalloc_minalign.values == (128,)
    assert arm64.bounces_kmalloc is False and p.has_bounce_check is False
    assert p.devres_align is not None and p.devres_align.expression == "ARCH_KMALLOC_MINALIGN"
    assert p.ctx_dma_helpers == ()
    assert p.arch("x86").can_be_noncoherent is False


def test_shipped_6_12_has_kmalloc_at_8_and_the_bounce():
    p = load_profile("6.12")
    assert p.version == "6.12.118"
    arm64 = p.arch("arm64")
    assert arm64 is not None and arm64.kmalloc_minalign.values == (8,)
    assert arm64.bounces_kmalloc is True and p.bounce_check is not None
    assert p.bounce_check.skips_directions == ("DMA_TO_DEVICE",)
    assert p.kmalloc_minimum is not None and p.kmalloc_minimum.function == "__kmalloc_minalign"
    assert "crypto_skcipher_ctx_dma" in (p.ctx_dma_helpers or ())
    assert p.arch("ia64") is None  # gone from the tree in 6.7


def test_an_unknown_name_lists_the_shipped_ones():
    with pytest.raises(ConfigError) as exc:
        load_profile("6.5")
    assert str(exc.value) == "no shipped tree profile '6.5' (shipped: 6.1, 6.12, mainline)"


def _bad(tmp_path: Path, edit) -> str:
    text = (Path(__file__).resolve().parents[2] / "config/profiles/6.12.toml").read_text()
    path = tmp_path / "bad.toml"
    path.write_text(edit(text))
    with pytest.raises(ConfigError) as exc:
        read_profile_file(path)
    message = str(exc.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    return message[len(f"{path}: "):]


def test_a_bad_profile_file_names_the_file_and_the_key(tmp_path):
    assert _bad(tmp_path, lambda t: t.replace('name = "ARCH_DMA_MINALIGN"',
                                              'name = "ARCH_DMA_MINALIGN"\nnmae = 1', 1)
                ) == "unknown key arches[0].dma_minalign.nmae"
    assert _bad(tmp_path, lambda t: t.replace("values = [32, 64]", 'values = [32, "64"]', 1)
                ) == ("arches[0].l1_cache_bytes.values must be an array of integers, "
                      "not an array holding a string")
    assert _bad(tmp_path, lambda t: t.replace("values = [32, 64]", "values = [32, -64]", 1)
                ) == "arches[0].l1_cache_bytes.values[1] must be a positive number of bytes"
    assert _bad(tmp_path, lambda t: t.replace('has_bounce_check = true',
                                              'has_bounce_check = "yes"')
                ) == "has_bounce_check must be true or false, not a string"
    assert _bad(tmp_path, lambda t: t.replace('name = "alpha"\n', "", 1)
                ) == "arches[0].name is required"
    assert _bad(tmp_path, lambda t: t.replace('name = "arc"', 'name = "alpha"', 1)
                ) == "arches[1].name repeats architecture 'alpha'"
    assert _bad(tmp_path, lambda t: t.replace("schema = 1", "schema = 2")
                ) == "schema is version 2, not 1"
    assert _bad(tmp_path, lambda t: t.replace("schema = 1\n", "")) == "schema is required"
    assert _bad(tmp_path, lambda t: t + "\n[[arches]\n").startswith("not valid TOML")


def test_render_says_where_each_fact_is_stated(tmp_path):
    text = render_text(read_tree_profile(write_tree(tmp_path, tree_612())))
    assert text.startswith("Linux 6.12.118\n")
    assert ("kmalloc alignment: at boot, __kmalloc_minalign() (mm/slab_common.c:23): "
            "dma_get_cache_alignment(), lowered to ARCH_KMALLOC_MINALIGN when "
            "DMA_BOUNCE_UNALIGNED_KMALLOC and is_swiotlb_allocated()") in text
    assert "    DMA_BOUNCE_UNALIGNED_KMALLOC: yes (arch/arm64/Kconfig:8)\n" in text
    assert "      (8) = 8 (arch/arm64/include/asm/cache.h:19)\n" in text
    assert "devres data: __aligned(ARCH_DMA_MINALIGN) (drivers/base/devres.c:16)" in text
