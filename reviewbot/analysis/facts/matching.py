"""How a driver binds to its devices, from its own text: ACPI only, device tree, bus ids.

A driver whose only match table is an ``acpi_device_id`` one binds only to
devices an ACPI firmware describes: x86 machines and arm64 servers, whose DMA
coherence ACPI states per device (``_CCA``). That is a platform fact the
rules can weigh with the architectures the Kconfig allows.

Conservative by construction: ACPI-only needs a non-empty ACPI table and
nothing else that can bind the driver: no other id table of any bus
(``spi_device_id`` and ``i2c_device_id`` tables also match device-tree nodes by
their compatible without vendor prefix), no ``of_match_table``, no ``.id_table``
and no ``MODULE_ALIAS`` (a ``platform:name`` alias is how a driver says board
code or an MFD creates its device by name). A DMI or x86 CPU quirk table binds
nothing and is allowed. A text with no table at all is UNKNOWN: a library, or
one file of a driver whose table is in another.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

from reviewbot.analysis.c.words import is_word_char


class Matching(Enum):
    ACPI_ONLY = "acpi-only"  # binds only through an acpi_device_id table
    OF = "of"  # has an of_device_id table (device tree), perhaps besides others
    BUS_IDS = "bus-ids"  # id tables of a bus (pci, usb, i2c, spi, platform, ...), no OF
    UNKNOWN = "unknown"  # no match table in this text


# an array of a match-table struct being defined: "struct of_device_id foo[] = {"; no
# leading \b: with one, re tries the pattern at every offset of the file (18 times
# slower, a tenth of a cold scan); _table_defs checks the boundary on each match instead
_TABLE = re.compile(
    r"struct\s+(\w+_device_id|amba_id|x86_cpu_id|tb_service_id|dmi_system_id)\s+"
    r"(?:const\s+|__\w+\s+)*(\w+)\s*\[[^\]]*\]\s*(?:__\w+(?:\([^)]*\))?\s*)*=\s*\{")
_QUIRKS = {"dmi_system_id", "x86_cpu_id"}  # tables a driver tests, not tables that bind it
_OF_TABLE = re.compile(r"\.\s*of_match_table\s*=")
_BY_ID_OR_NAME = re.compile(r"\.\s*id_table\s*=|\bMODULE_ALIAS\s*\(")
_ENTRY = re.compile(r'\{\s*"[^"]+"|\{\s*\.id\s*=\s*"[^"]+"')


def _table_defs(text: str) -> Iterator[re.Match[str]]:
    """The matches ``_TABLE`` led by ``\b`` finds: one that does not start a word is
    passed over by a character, not by its length (a real one may start inside it)."""
    pos = 0
    while (m := _TABLE.search(text, pos)) is not None:
        if m.start() and is_word_char(text[m.start() - 1]):
            pos = m.start() + 1
            continue
        yield m
        pos = m.end()


def tables(text: str) -> dict[str, list[str]]:
    """The match tables a text defines: struct type -> array names."""
    out: dict[str, list[str]] = {}
    for m in _table_defs(text):
        out.setdefault(m.group(1), []).append(m.group(2))
    return out


def _names_of_match_table(text: str) -> bool:
    # "in" first: the pattern is tried at every "." of the file, the word found by memchr
    return "of_match_table" in text and _OF_TABLE.search(text) is not None


def _binds_by_id_or_name(text: str) -> bool:
    return ("id_table" in text or "MODULE_ALIAS" in text) and \
        _BY_ID_OR_NAME.search(text) is not None


def matching(text: str) -> Matching:
    """How the driver in ``text`` is matched to devices (see the module docstring)."""
    found = {kind for kind in tables(text) if kind not in _QUIRKS}
    if "of_device_id" in found or _names_of_match_table(text):
        return Matching.OF  # a table here, or one of another file named in the driver
    if found - {"acpi_device_id"} or _binds_by_id_or_name(text):
        return Matching.BUS_IDS
    if found and _has_acpi_entry(text):
        return Matching.ACPI_ONLY
    return Matching.UNKNOWN


def only_through(text: str, kinds: set[str]) -> str | None:
    """The one table type of ``kinds`` the driver in ``text`` binds through, when nothing
    else can bind it (no other table, no of_match_table, .id_table or MODULE_ALIAS):
    a driver of a bus whose devices share a DMA property (fsl-mc's are coherent)."""
    found = {kind for kind in tables(text) if kind not in _QUIRKS}
    if len(found) != 1 or not found <= kinds:
        return None
    if _names_of_match_table(text) or _binds_by_id_or_name(text):
        return None
    return next(iter(found))


def _has_acpi_entry(text: str) -> bool:
    """Does some acpi_device_id table list an id (``{ "INT33C0", 0 }``), not only ``{}``?"""
    for m in _table_defs(text):
        if m.group(1) != "acpi_device_id":
            continue
        end = text.find("};", m.end())
        if end >= 0 and _ENTRY.search(text, m.end() - 1, end) is not None:
            return True
    return False
