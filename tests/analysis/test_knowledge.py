"""Loading and validating config/dma.toml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewbot.errors import ConfigError
from reviewbot.knowledge import ALLOCATOR_CLASSES, default_path, load_knowledge

SOURCE = default_path().read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dma.toml"
    path.write_text(text)
    return path


def test_bundled_knowledge_loads_and_indexes(knowledge) -> None:
    assert default_path().name == "dma.toml"
    assert knowledge.sink("usb_control_msg").buffer == 6
    assert knowledge.allocator("vzalloc").cls == "vmalloc"
    assert knowledge.copying_api("i2c_transfer") is not None
    assert knowledge.macro("ARCH_DMA_MINALIGN").value_for("arm64") == "128"
    assert {a.cls for a in knowledge.allocators} == set(ALLOCATOR_CLASSES)


def test_unknown_key_names_file_entry_and_key(tmp_path) -> None:
    text = SOURCE.replace('functions = ["usb_control_msg"]',
                          'functions = ["usb_control_msg"]\nbufer = 6', 1)
    with pytest.raises(ConfigError) as exc:
        load_knowledge(write(tmp_path, text))
    msg = str(exc.value)
    assert str(tmp_path / "dma.toml") in msg
    assert re.search(r"unknown key sink\[\d+\]\.bufer \(usb_control_msg\)$", msg)


def test_missing_key_is_an_error(tmp_path) -> None:
    text = re.sub(r'(\[\[allocator\]\]\nclass = "vmalloc"\n)size = \[0\]\n', r"\1", SOURCE,
                  count=1)
    assert text != SOURCE
    with pytest.raises(ConfigError, match=r"allocator\[\d+\]\.size is required \(vmalloc\)"):
        load_knowledge(write(tmp_path, text))


def test_wrong_type_is_an_error(tmp_path) -> None:
    text = SOURCE.replace("buffer = 6\n", 'buffer = "six"\n', 1)
    with pytest.raises(ConfigError, match=r"sink\[\d+\]\.buffer must be an integer, not a string"):
        load_knowledge(write(tmp_path, text))


def test_bad_direction_and_class_values_are_errors(tmp_path) -> None:
    bad_dir = SOURCE.replace('direction = "from_device"', 'direction = "inbound"', 1)
    with pytest.raises(ConfigError, match="'inbound' is not one of"):
        load_knowledge(write(tmp_path, bad_dir))
    bad_class = SOURCE.replace('class = "page"', 'class = "pages"', 1)
    with pytest.raises(ConfigError, match=r"allocator\[\d+\]\.class: 'pages' is not one of"):
        load_knowledge(write(tmp_path, bad_class))


def test_function_listed_twice_is_an_error(tmp_path) -> None:
    text = SOURCE.replace('functions = ["regmap_read", ', 'functions = ["spi_write", ', 1)
    with pytest.raises(ConfigError, match="spi_write is already listed in sink"):
        load_knowledge(write(tmp_path, text))


def test_copying_alternative_must_be_a_sink(tmp_path) -> None:
    text = SOURCE.replace('instead_of = ["usb_control_msg"]', 'instead_of = ["usb_ctrl_msg"]')
    with pytest.raises(ConfigError, match=r"instead_of.*usb_ctrl_msg is not a sink"):
        load_knowledge(write(tmp_path, text))


def test_schema_version_is_checked(tmp_path) -> None:
    with pytest.raises(ConfigError, match="schema"):
        load_knowledge(write(tmp_path, SOURCE.replace("schema = 1", "schema = 2", 1)))


def test_unreadable_and_invalid_files(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_knowledge(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_knowledge(write(tmp_path, "schema = = 1"))


def test_knowledge_is_frozen(knowledge) -> None:
    with pytest.raises(AttributeError):
        knowledge.sinks = ()  # type: ignore[misc]
