"""DMA analysis: kernel C in, findings out.

Public entry points:

- ``analyse_source(path, text, knowledge)`` for one file or fragment;
- ``analyse_series(series, knowledge, images=None)`` for a patch series;
- ``explain(rule)``, ``summary_list()`` and ``RULES`` for the rules' documentation.

Directions in findings are "to_device", "from_device", "bidirectional", or
None when the code does not say.
"""

from reviewbot.analysis.engine import analyse_source
from reviewbot.analysis.rules import RULES, Rule, explain, summary_list
from reviewbot.analysis.series import Images, analyse_patch, analyse_series

__all__ = ["RULES", "Images", "Rule", "analyse_patch", "analyse_series", "analyse_source",
           "explain", "summary_list"]
