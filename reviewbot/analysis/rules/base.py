"""What a rule is: its id, severity, documentation, the facts it reads and its check.

A rule is one module of this package holding one ``Rule``; the registry in
``__init__`` lists them. Two kinds of check exist, by the facts they need:

- ``check_use(use, origin, knowledge)`` looks at one buffer handed to a
  device (a ``SinkUse``) and one possible origin of its memory, and returns a
  ``Verdict`` (why, and the evidence) or None. When several rules could judge
  the same pair, the one with the lowest ``precedence`` that answers wins.
- ``check_diff(change)`` looks at the removed and added lines of one patched
  file (a ``DiffFile``) and returns findings.

Other stages ask a rule for its properties (``alignment_change``,
``depends_on_kmalloc_alignment``) instead of comparing rule ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from reviewbot.model import Condition, Evidence, Severity

if TYPE_CHECKING:
    from reviewbot.analysis.flow.resolver import Origin
    from reviewbot.analysis.flow.sinks import SinkUse
    from reviewbot.analysis.rules.diffs import DiffFile
    from reviewbot.knowledge import Knowledge
    from reviewbot.model import Finding


class Fact(StrEnum):
    """The facts a check reads (what the engine must extract before running it)."""

    SINK_USE = "sink-use"  # a buffer handed to a device, with direction and sink properties
    ORIGIN = "origin"  # where the buffer's memory comes from (stack, heap class, member...)
    STRUCT_LAYOUT = "struct-layout"  # member isolation annotations of the struct it is in
    DIFF = "diff"  # the removed and added lines of a patch


class AlignmentChange(StrEnum):
    """What a rule reports about an alignment macro, for impact and the series reply."""

    DEFINITION = "definition"  # a macro's value changes (before/after per architecture)
    USAGE = "usage"  # code moves between alignment levels


@dataclass(frozen=True)
class Verdict:
    """A use check's answer: the reason for the message, and what it rests on."""

    why: str
    evidence: tuple[Evidence, ...] = ()
    bites_when: Condition | None = None  # a conditional hazard: only where this holds
    severity: Severity | None = None  # when this case is milder than the rule's own severity


KnowledgeCheck = Callable[["Knowledge"], bool]
UseCheck = Callable[["SinkUse", "Origin", "Knowledge"], "Verdict | None"]
DiffCheck = Callable[["DiffFile"], "list[Finding]"]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    meaning: str
    why: str
    fix: str
    read: tuple[str, ...]
    needs: tuple[Fact, ...]
    uses_knowledge: KnowledgeCheck  # is the data this rule reads in config/dma.toml?
    check_use: UseCheck | None = None
    check_diff: DiffCheck | None = None
    precedence: int = 100
    alignment_change: AlignmentChange | None = None
    depends_on_kmalloc_alignment: bool = False

    @property
    def changes_alignment_macro(self) -> bool:
        """Its findings are about what an alignment macro means (a series-wide matter)."""
        return self.alignment_change is not None

    def explain(self) -> str:
        reading = "\n".join(f"  - {r}" for r in self.read)
        return (f"{self.id} ({self.severity.value}): {self.summary}\n\n"
                f"What it means\n  {self.meaning}\n\n"
                f"Why it matters\n  {self.why}\n\n"
                f"How to fix\n  {self.fix}\n\n"
                f"Read\n{reading}\n")


DMA_HOWTO = "Documentation/core-api/dma-api-howto.rst (\"What memory is DMA'able?\")"
