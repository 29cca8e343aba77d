"""Issue 23, item 3: how a driver binds, from its text (ACPI only, device tree, bus ids).

The labelled 6.12 sample had a member finding in a driver that matches only
through ACPI, i.e. only on x86 and on arm64 servers whose ACPI states DMA
coherence. The classification must be conservative: any other way to bind
(another id table, an OF table, a name alias) is not ACPI-only.
"""

from __future__ import annotations

import pytest

from reviewbot.analysis.facts.matching import Matching, matching, tables

ACPI_TABLE = """\
static const struct acpi_device_id chip_acpi_match[] = {
\t{ "MSHW0037", 0 },
\t{ }
};
MODULE_DEVICE_TABLE(acpi, chip_acpi_match);
"""

OF_TABLE = """\
static const struct of_device_id chip_of_match[] = {
\t{ .compatible = "vendor,chip" },
\t{ }
};
MODULE_DEVICE_TABLE(of, chip_of_match);
"""

SPI_IDS = """\
static const struct spi_device_id chip_spi_ids[] = {
\t{ "chip" },
\t{ }
};
"""

DMI_QUIRKS = """\
static const struct dmi_system_id chip_quirks[] __initconst = {
\t{ .matches = { DMI_MATCH(DMI_SYS_VENDOR, "Microsoft Corporation") } },
\t{ }
};
"""


def driver(*parts: str, fields: str = "") -> str:
    return "".join(parts) + (
        "static struct spi_driver chip_driver = {\n"
        "\t.driver = {\n\t\t.name = \"chip\",\n"
        "\t\t.acpi_match_table = ACPI_PTR(chip_acpi_match),\n"
        f"{fields}\t}},\n\t.probe = chip_probe,\n}};\nmodule_spi_driver(chip_driver);\n")


@pytest.mark.parametrize(("text", "expected"), [
    (driver(ACPI_TABLE), Matching.ACPI_ONLY),  # surface3_spi's shape
    (driver(ACPI_TABLE, DMI_QUIRKS), Matching.ACPI_ONLY),  # a quirk table binds nothing
    (driver(ACPI_TABLE, OF_TABLE,
            fields="\t\t.of_match_table = chip_of_match,\n"), Matching.OF),
    (driver(OF_TABLE, fields="\t\t.of_match_table = chip_of_match,\n"), Matching.OF),
    # a table defined in another file of the driver, named here
    (driver(ACPI_TABLE, fields="\t\t.of_match_table = of_match_ptr(chip_dt_ids),\n"),
     Matching.OF),
    # spi ids also match a device-tree compatible without its vendor prefix
    (driver(ACPI_TABLE, SPI_IDS) + "/* .id_table = chip_spi_ids */\n", Matching.BUS_IDS),
    (driver(ACPI_TABLE) + "MODULE_ALIAS(\"platform:chip\");\n", Matching.BUS_IDS),
    (driver(ACPI_TABLE).replace('"MSHW0037", 0 ', ""), Matching.UNKNOWN),  # only { }
    (driver(ACPI_TABLE).replace(".probe", ".id_table = chip_ids,\n\t.probe"),
     Matching.BUS_IDS),
    ("static const struct pci_device_id ids[] = {\n\t{ PCI_VDEVICE(INTEL, 0x1234) },\n"
     "\t{ }\n};\n", Matching.BUS_IDS),
    ("static int helper(void)\n{\n\treturn 0;\n}\n", Matching.UNKNOWN),
])
def test_matching_is_acpi_only_only_when_nothing_else_can_bind(text: str, expected) -> None:
    assert matching(text) is expected


def test_tables_lists_each_match_table_by_type() -> None:
    assert tables(driver(ACPI_TABLE, SPI_IDS, DMI_QUIRKS)) == {
        "acpi_device_id": ["chip_acpi_match"], "spi_device_id": ["chip_spi_ids"],
        "dmi_system_id": ["chip_quirks"]}
