"""How a member finding reads its neighbourhood: silence, evidence, and the words for it.

The flow layer works out who shares a member's cache lines (flow/neighbours.py,
plain data); what that means for a finding, how sure it is and how the
message says it, is a judgement, made here for every member rule alike.
"""

from __future__ import annotations

from reviewbot.analysis.flow.origin import Origin
from reviewbot.analysis.flow.sharing import Neighbourhood, Sharing
from reviewbot.analysis.flow.transfer import Transfer
from reviewbot.analysis.rules.base import Judging
from reviewbot.model import Confidence, Evidence


def judged(use: Transfer, o: Origin, judging: Judging,
           elsewhere: Confidence = Confidence.MEDIUM) -> tuple[bool, tuple[Evidence, ...], str]:
    """(silent, evidence, message tail) for a member finding, from its neighbourhood.

    ``elsewhere``: the confidence of neighbours only stored (no lock, counter, work
    item, descriptor or bitops word), whose timing against the transfer is not
    visible; a rule sets it from its labelled precision."""
    nb = judging.neighbourhood(o, use.synchronous)
    if nb is None:
        return False, (), ""
    if nb.kind in (Sharing.ALONE, Sharing.WHOLE):
        # nothing to share a line with (at most a small-kmalloc case), or the first
        # member of the transfer's own struct: the buffer is the struct
        return True, (), ""
    if nb.kind is Sharing.OWN_ALLOCATION:
        return False, (Evidence("own-allocation", Confidence.LOW,
                                "the struct is allocated for this transfer; its other "
                                "members are likely the transfer's own"),), \
            " (the struct is allocated for this transfer: check its other members)"
    if nb.kind is Sharing.BETWEEN:
        names = ", ".join(nb.busy[:3])
        return False, (Evidence("neighbours-between-transfers", Confidence.LOW,
                                f"its neighbours ({names}) are transfer descriptors the core "
                                "writes between transfers, after syncing each one"),), \
            f" (its neighbours {names} are descriptors the core writes between transfers)"
    if nb.kind is Sharing.QUIET:
        names = ", ".join(nb.quiet[:3]) or "none"
        return False, (Evidence("neighbours-quiet", Confidence.LOW,
                                f"its neighbours ({names}) are written only at setup"),), \
            f" (its neighbours {names} look written only at setup)"
    names = ", ".join(nb.busy[:3])
    if (not use.synchronous and nb.written_until is not None
            and nb.written_until < use.line):
        return False, (Evidence("neighbours-before-mapping", Confidence.LOW,
                                f"{names} are written only in this function, before the "
                                "transfer starts"),), \
            f" ({names} look written only before the transfer starts)"
    if nb.kind is Sharing.SERIAL:
        return False, (Evidence("neighbours-same-path", Confidence.LOW,
                                f"{names} are written only on the call paths of the "
                                "function doing the DMA, before or after it"),), \
            f" ({names} look written only on this transfer's own call paths)"
    if nb.kind is Sharing.OFFSET:
        return False, (Evidence("neighbours-before-l1", Confidence.LOW,
                                f"{names} precede the L1-aligned member: they share its "
                                "128-byte line only if it starts at an odd 64-byte offset"),), \
            f" ({names} share its line only if it starts at an odd 64-byte offset)"
    if nb.typed:  # labelled sample: 16 of 17 such findings were right
        return False, (Evidence("neighbours-busy", Confidence.HIGH,
                                f"{names} may be written while the DMA is in flight"),), \
            f"; {names} may be written while it is in flight"
    # a mapping call maps when it returns (a filled URB only when it is submitted)
    after = _after_mapping(nb, use.line) if use.maps else []
    if after:  # labelled sample: mlx5 macsec's umr->ctx (1 of 1)
        said, are = _listed(after)
        return False, (Evidence("neighbours-after-mapping", Confidence.MEDIUM,
                                f"{said} {are} written by this function after it maps the "
                                "buffer, and the mapping outlives the call"),), \
            f"; {said} {are} written after the mapping is made, while it is live"
    if nb.threads:  # labelled sample: mxs-dcp's sha_out_buf (1 of 1)
        said, are = _listed([n for n, _t in nb.threads])
        thread = nb.threads[0][1]
        return False, (Evidence("neighbours-other-thread", Confidence.MEDIUM,
                                f"{said} {are} written from the kernel thread {thread}(), "
                                "which does not run the DMA"),), \
            f"; {said} {are} written by another kernel thread ({thread}()) while it may " \
            "be in flight"
    if elsewhere is Confidence.LOW:
        return False, (Evidence("neighbours-written-low", Confidence.LOW,
                                f"{names} are stored outside setup code; whether while "
                                "the DMA runs is not visible"),), \
            f" ({names} are stored outside setup code: check whether while it is in flight)"
    # stored outside setup code, but whether while the DMA runs is not visible
    return False, (Evidence("neighbours-written", Confidence.MEDIUM,
                            f"{names} are written outside setup code, maybe in flight"),), \
        f"; {names} are written outside setup code, maybe while it is in flight"


def _after_mapping(nb: Neighbourhood, line: int) -> list[str]:
    """Neighbours the DMA function stores after its mapping at ``line`` and before any
    unmap call that follows it."""
    stop = min((u for u in nb.unmaps if u > line), default=None)
    return list(dict.fromkeys(name for at, name in nb.stores
                              if at > line and (stop is None or at < stop)))


def _listed(names: list[str]) -> tuple[str, str]:
    """Up to three names, and the verb that agrees with them."""
    return ", ".join(names[:3]), "is" if len(names) == 1 else "are"
