"""What the analysis looked up through the whole file: the slicer's next round.

A scan parses only some functions of a file (analysis/c/slices.py). When the
analysis of those asks about a name across the file (the callers of a
helper, every store into a member, every write of a neighbour), the
functions that name it must be parsed too and the analysis run again, or the
findings of a sliced parse would differ from those of the whole file. Each
question the facts layer answers over the whole file is recorded here, as it
is asked; nothing else has to remember to record it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Demand:
    """Names looked up through the whole file, by the kind of occurrence that matters.

    ``words``: every occurrence of the name (a callee, the callers of a
    function, a variable assigned elsewhere); ``members``: every ``->name`` or
    ``.name`` (neighbours whose writers were looked for); ``fields``: the
    stores ``->name = ...`` (members whose stored values were followed).
    """

    words: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
