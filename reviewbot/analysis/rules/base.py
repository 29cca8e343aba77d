"""What a rule is: its id, severity, documentation, the facts it reads and its check.

A rule is one module of this package holding one ``Rule``; the registry in
``__init__`` lists them. Two kinds of check exist, by the facts they need:

- ``check_use(use, origin, judging)`` looks at one buffer handed to a
  device (a ``Transfer``) and one possible origin of its memory, and returns a
  ``Verdict`` (why, and the evidence) or None. When several rules could judge
  the same pair, the one with the lowest ``precedence`` that answers wins.
  ``judging`` gives the knowledge and, for a rule that declares
  ``Fact.NEIGHBOURS``, the neighbourhood of a member (computed when asked).
- ``check_diff(change)`` looks at the removed and added lines of one patched
  file (a ``DiffFile``) and returns findings.

``needs`` declares the facts a rule reads; the engine computes only the facts
the rules it runs need (no parse for diff rules alone, no Kconfig reach
without ``Fact.PLATFORM``) and refuses a neighbourhood to a rule that did not
declare it. Other stages ask a rule for its properties (``alignment_change``,
``depends_on_kmalloc_alignment``) instead of comparing rule ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from reviewbot.analysis.flow.origin import MemberSite, Origin
from reviewbot.analysis.flow.sharing import Neighbourhood
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.diffs import DiffFile
from reviewbot.knowledge import Knowledge
from reviewbot.model import Condition, Evidence, Finding, Hazard, Severity


class Fact(StrEnum):
    """The facts a check reads (what the engine must compute before running it)."""

    SINK_USE = "sink-use"  # a buffer handed to a device, with direction and sink properties
    ORIGIN = "origin"  # where its memory comes from, with the struct layouts of the file
    # and of the headers it includes (a member's isolation, a local struct's members)
    NEIGHBOURS = "neighbours"  # who shares a member's cache lines (computed when asked)
    PLATFORM = "platform"  # the architectures the driver's Kconfig lets it build for
    DIFF = "diff"  # the removed and added lines of a patch


class Judging:
    """What a use check may consult besides the transfer and the origin.

    One per rule and file: it hands a neighbourhood only to a rule that declared
    ``Fact.NEIGHBOURS``, so a rule's ``needs`` is the truth about what it reads.
    """

    def __init__(self, knowledge: Knowledge, needs: tuple[Fact, ...],
                 neighbourhood: Callable[[MemberSite, bool], Neighbourhood]) -> None:
        self.knowledge = knowledge
        self._allowed = Fact.NEIGHBOURS in needs
        self._neighbourhood = neighbourhood

    def neighbourhood(self, o: Origin, synchronous: bool) -> Neighbourhood | None:
        """Who shares the member's cache lines, for an (a)synchronous sink; None when the
        origin is no member buffer."""
        if not self._allowed:
            raise RuntimeError("a rule asked for neighbours without Fact.NEIGHBOURS in needs")
        return self._neighbourhood(o.site, synchronous) if o.site is not None else None


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
    # what is wrong, for the tree's facts to decide where it bites (rules/exposure.py)
    hazard: Hazard | None = None


KnowledgeCheck = Callable[[Knowledge], bool]
UseCheck = Callable[[Transfer, Origin, Judging], "Verdict | None"]
DiffCheck = Callable[[DiffFile], list[Finding]]


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
