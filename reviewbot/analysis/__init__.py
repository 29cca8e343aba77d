"""DMA analysis: kernel C in, findings out.

Public entry points:

- ``analyse_source(path, text, knowledge)`` for one file or fragment;
- ``analyse_series(series, knowledge, images=None)`` for a patch series;
- ``explain(rule)`` and ``RULES`` for the rules' documentation.

Directions in findings are "to_device", "from_device", "bidirectional", or
None when the code does not say.
"""

from reviewbot.analysis.cparse import ParseBudget
from reviewbot.analysis.engine import analyse_source
from reviewbot.analysis.rules import RULES, Rule, explain
from reviewbot.analysis.series import Images, analyse_patch, analyse_series

__all__ = [
    "RULES",
    "Images",
    "ParseBudget",
    "Rule",
    "analyse_patch",
    "analyse_series",
    "analyse_source",
    "explain",
]
