"""How bad and how sure a finding is: ``Severity`` and ``Confidence``.

Apart from the model (which re-exports them) so the command line can offer
their values as choices without importing the model: ``scan`` forks its walk
of the tree right after parsing its arguments.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class Confidence(StrEnum):
    """How sure a finding is, ordered: ``LOW < MEDIUM < HIGH``.

    The order is the enum's own (not the strings', where "high" < "low"), so
    ``min()`` of several confidences is the weakest and ``--min-confidence``
    filters compare members, never spellings.
    """

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _CONFIDENCE_ORDER.index(self)

    @classmethod
    def parse(cls, text: str) -> Confidence:
        """The member spelled ``text``; ValueError naming the choices otherwise."""
        try:
            return cls(text)
        except ValueError:
            choices = ", ".join(c.value for c in _CONFIDENCE_ORDER)
            raise ValueError(f"{text!r} is not one of {choices}") from None

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Confidence):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Confidence):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Confidence):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Confidence):
            return NotImplemented
        return self.rank >= other.rank


_CONFIDENCE_ORDER = (Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH)
