"""A buffer handed to a device, as the rules see it.

flow/sinks.py finds the transfers of a function (with the tree node of the
buffer, which only the flow layer follows); the rules are given this plain
record instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewbot.model import Confidence


@dataclass(frozen=True)
class Transfer:
    """A buffer handed to a device, as rules judge it (no tree: plain data).

    ``buffer`` is the expression as a reviewer names it; ``maps``: the call maps
    the buffer itself (a scatterlist or descriptor is mapped later);
    ``vmalloc_ok``: the core maps vmalloc'd memory page by page;
    ``synchronous``: the transfer is over when the call returns.
    """

    function: str
    line: int
    sink: str
    via: str | None
    buffer: str
    direction: str | None
    maps: bool
    confidence: Confidence
    vmalloc_ok: bool = False
    synchronous: bool = False

    @property
    def inbound(self) -> bool:
        return self.direction in ("from_device", "bidirectional")
