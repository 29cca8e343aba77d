"""DMA analysis: kernel C in, findings out.

Public entry points:

- ``analyse_source(path, text, knowledge)`` for one file or fragment;
- ``analyse_series(series, knowledge, images=None)`` for a patch series;
- ``explain(rule)``, ``summary_list()`` and ``RULES`` for the rules' documentation.

Directions in findings are "to_device", "from_device", "bidirectional", or
None when the code does not say.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewbot.analysis.c.parser import ParseBudget
    from reviewbot.analysis.engine import analyse_source
    from reviewbot.analysis.rules import RULES, Rule, explain, summary_list
    from reviewbot.analysis.series import Images, analyse_patch, analyse_series

# Loaded on first use (PEP 562): a warm scan, which only groups cached findings, imports
# reviewbot.analysis.rules.conditions and the rule registry, and must not pay for the parser.
_WHERE = {
    "ParseBudget": "c.parser", "analyse_source": "engine", "RULES": "rules", "Rule": "rules",
    "explain": "rules", "summary_list": "rules", "Images": "series",
    "analyse_patch": "series", "analyse_series": "series",
}


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = [
    "RULES",
    "Images",
    "ParseBudget",
    "Rule",
    "analyse_patch",
    "analyse_series",
    "analyse_source",
    "explain",
    "summary_list",
]
