"""Who else lives in a DMA buffer's cache lines, and whether the CPU writes them in flight.

A struct member that takes inbound DMA without ARCH_DMA_MINALIGN isolation is a
real hazard only if something else in its cache lines is CPU-written while the
device writes the member: a lock, a counter, a work item, another transfer's
descriptor the SPI/USB core updates, a flag another context sets. Neighbours
written only at probe/init, or a struct that is one transfer's own
allocation, make the finding a guess, and the rules lower its confidence
instead of asserting it (or stay silent where the neighbours are inside the
buffer itself).

The window is estimated from the member list, not computed from an ABI: a
reviewer's reading of "what sits next to it", which is what the message says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewbot.analysis.facts.functions import ask, call_name, call_names, calls_to
from reviewbot.analysis.facts.structs import Field, StructDef, base_type
from reviewbot.analysis.facts.textindex import (
    bitop_members,
    body_text,
    function_spans,
    is_write,
    word_count,
    writers,
)
from reviewbot.model import Confidence, Evidence

if TYPE_CHECKING:
    from tree_sitter import Node

    from reviewbot.analysis.facts.functions import FileFacts, FunctionFacts
    from reviewbot.analysis.flow.resolver import Origin
    from reviewbot.analysis.flow.sinks import SinkUse
    from reviewbot.knowledge import Knowledge

_POINTER = 8
_UNKNOWN_SIZE = 64
_LINE = 128  # ARCH_DMA_MINALIGN on arm64: the line an unisolated member may share
_L1 = 64  # an L1-aligned member starts on a 64-byte boundary: 64 bytes before share


@dataclass(frozen=True)
class Neighbourhood:
    """How a member sits in its struct, as far as DMA cache lines go.

    kind: "alone" (no other member), "whole" (the first member of a struct
    allocated for this transfer: the buffer is the struct), "own-allocation"
    (the struct is this transfer's allocation), "quiet" (no neighbour is
    written after setup) or "busy" (``busy`` names the neighbours that are).
    """

    kind: str
    busy: tuple[str, ...] = ()
    quiet: tuple[str, ...] = ()
    typed: bool = False  # a busy neighbour is a lock, counter, work item or descriptor
    # busy only through the DMA function's own writes, the last of them at this line:
    # before an asynchronous mapping made later in it, they cannot overlap the transfer
    written_until: int | None = None
    # a struct this function allocates and publishes (its mapping outlives the call):
    # (line, neighbour) of the function's own stores through the same pointer, and the
    # lines of its unmap calls; a store after the mapping and before any unmap dirties a
    # mapped line (mlx5 macsec: umr->dma_addr = dma_addr after mapping umr->ctx)
    stores: tuple[tuple[int, str], ...] = ()
    unmaps: tuple[int, ...] = ()
    # (neighbour, thread function): written by a function reached only from a kernel
    # thread the DMA function is not reached from (mxs-dcp: the AES channel thread
    # writes aes_key beside the SHA channel's DMA buffer)
    threads: tuple[tuple[str, str], ...] = ()


class LazyNeighbours:
    """A member's (asynchronous, synchronous) neighbourhoods, worked out on first use.

    Most embedded origins never reach a neighbour judgement (outbound transfers,
    isolated members, helper discovery asking only for parameters); the walks over
    the file's writers and callers, and the slices they ask for, are then not paid.
    Equality compares the values (evaluating both sides), so origins deduplicate as
    before; the hash is constant, so hashing an origin evaluates nothing.
    """

    __slots__ = ("_args", "_pair")

    def __init__(self, facts: FileFacts, fn: FunctionFacts, base: Node, sdef: StructDef,
                 member: Field) -> None:
        self._args: tuple | None = (facts, fn, base, sdef, member)
        self._pair: tuple[Neighbourhood, Neighbourhood] | None = None

    def pair(self) -> tuple[Neighbourhood, Neighbourhood]:
        if self._pair is None:
            assert self._args is not None
            facts, fn, base, sdef, member = self._args
            self._pair = (neighbourhood(facts, fn, base, sdef, member, False),
                          neighbourhood(facts, fn, base, sdef, member, True))
            self._args = None
        return self._pair

    def __getitem__(self, synchronous: bool) -> Neighbourhood:
        return self.pair()[synchronous]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyNeighbours):
            return other is self or self.pair() == other.pair()
        if isinstance(other, tuple):
            return self.pair() == other
        return NotImplemented

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"LazyNeighbours({self.pair()!r})"


def neighbourhood(facts: FileFacts, fn: FunctionFacts, base: Node, sdef: StructDef,
                  member: Field, synchronous: bool) -> Neighbourhood:
    """``synchronous``: the sink completes the transfer before it returns (usb_control_msg)."""
    fields = sdef.fields
    if len(fields) <= 1:
        return Neighbourhood("alone")
    window = [f for f in _window(facts, sdef, member)
              if not _sized_together(facts, fn, base, member, f)]
    fresh = _allocated_here(facts, fn, base)
    private = fresh and not _published(facts, fn, base)
    if private and fields[0].name == member.name:
        return Neighbourhood("whole")
    if private and _freed_here(facts, fn, base):
        # one transfer's own struct: only descriptors the core updates are a hazard
        busy = tuple(f.name for f in window if _busy_type(facts, f))
        return Neighbourhood("busy", busy=busy, typed=True) if busy else \
            Neighbourhood("own-allocation")
    if synchronous and is_setup(facts, fn):
        # read during setup and over before it returns: no other context has the struct yet
        return Neighbourhood("own-allocation")
    if synchronous and window and all(_own_buffer(facts, fn, f) for f in window):
        # a tx/rx pair: the neighbours are this transfer's own buffers, filled before it
        return Neighbourhood("own-allocation")
    # with a synchronous sink the function's own writes come before or after the transfer;
    # with an asynchronous one they follow a live mapping, even in setup code
    busy = tuple(f.name for f in window
                 if _busy(facts, f, serial=fn if synchronous else None,
                          live=None if synchronous else fn))
    if busy:
        typed = any(_busy_type(facts, f) for f in window)
        if not typed and synchronous and all(_path_serial(facts, fn, f)
                                             for f in window if f.name in busy):
            # written only on the DMA function's own call paths (its entry points): the
            # same thread before submission or after completion, not another context
            return Neighbourhood("serial", busy=busy)
        if (not typed and member.isolation == "l1" and _only_before(sdef, member, busy)
                and not _busy_l1_pair(facts, fn, sdef, member, synchronous)):
            # an L1-aligned member shares its 128-byte line with the 64 bytes before it
            # only when it starts at an odd 64-byte slot, which the estimate cannot tell
            return Neighbourhood("offset", busy=busy)
        mine = [f for f in window if f.name in busy]
        live = fresh and not private and not synchronous and not typed  # mapping kept
        return Neighbourhood("busy", busy=busy, typed=typed,
                             written_until=None if synchronous or typed else
                             _last_own_write(facts, fn, mine),
                             stores=_own_stores(facts, fn, base, mine) if live else (),
                             unmaps=_unmap_lines(facts, fn) if live else (),
                             threads=() if typed else _other_threads(facts, fn, mine))
    return Neighbourhood("quiet", quiet=tuple(f.name for f in window))


def _last_own_write(facts: FileFacts, fn: FunctionFacts, fields: list[Field]) -> int | None:
    """The line of ``fn``'s last write to ``fields``, or None when another non-setup
    function writes them too."""
    text = function_spans(facts)[0]
    last = -1
    for f in fields:
        array = f.array_len is not None
        if any(w is not fn and not is_setup(facts, w) for w in writers(facts, f.name, array)):
            return None
        for m in re.finditer(rf"(?:->|\.)\s*{re.escape(f.name)}\b",
                             text[:fn.node.end_byte]):
            if m.start() >= fn.node.start_byte and is_write(
                    text[max(0, m.start() - 160):m.start()], text[m.end():m.end() + 80], array):
                last = max(last, m.start())
    return text.count("\n", 0, last) + 1 if last >= 0 else None


def _own_stores(facts: FileFacts, fn: FunctionFacts, base: Node,
                fields: list[Field]) -> tuple[tuple[int, str], ...]:
    """(line, member) of ``fn``'s writes to ``fields`` through ``base`` itself
    (``umr->dma_addr = ...``, ``&umr->mkey``), in the order of the text."""
    text = function_spans(facts)[0]
    start, end = fn.node.start_byte, fn.node.end_byte
    b = re.escape(facts.src.text_of(base))
    out = []
    for f in fields:
        for m in re.finditer(rf"\b{b}\s*((?:->|\.)\s*{re.escape(f.name)}\b)",
                             text[start:end]):
            at, after = start + m.start(1), start + m.end(1)
            if is_write(text[max(0, at - 160):at], text[after:after + 80],
                         f.array_len is not None):
                out.append((text.count("\n", 0, at) + 1, f.name))
    return tuple(sorted(out))


def _unmap_lines(facts: FileFacts, fn: FunctionFacts) -> tuple[int, ...]:
    """Lines where ``fn`` ends a streaming mapping (any of the unmap calls)."""
    k = facts.knowledge
    return tuple(sorted(c.start_point[0] + 1 for c in fn.calls
                        if call_name(facts.src, c) in k.unmap_calls))


def _other_threads(facts: FileFacts, fn: FunctionFacts,
                   fields: list[Field]) -> tuple[tuple[str, str], ...]:
    """(member, thread function) for each of ``fields`` that a non-setup function other
    than ``fn`` writes and that is reached only from kernel-thread functions of this file
    (the first argument of kthread_run()) from which ``fn`` is not reached: two threads
    run at the same time, whatever the transfer's timing within one of them."""
    threads = _thread_functions(facts)
    if not threads:
        return ()
    mine = _entries(facts, fn)
    if not mine:
        return ()
    out = []
    for f in fields:
        for w in writers(facts, f.name, f.array_len is not None):
            if w is fn or is_setup(facts, w):
                continue
            theirs = _entries(facts, w)
            if theirs and theirs <= threads and not theirs & mine:
                out.append((f.name, min(theirs)))
                break
    return tuple(out)


def _thread_functions(facts: FileFacts) -> frozenset[str]:
    """Functions this file starts as kernel threads: ``kthread_run(fn, data, ...)``."""
    if "_threads" not in facts.__dict__:
        starters = facts.knowledge.thread_starters
        text = function_spans(facts)[0]
        found = frozenset(re.findall(
            rf"\b(?:{'|'.join(map(re.escape, starters))})\s*\(\s*(\w+)\s*,", text)) \
            if starters else frozenset()
        facts.__dict__["_threads"] = found
    return facts.__dict__["_threads"]


def _busy_l1_pair(facts: FileFacts, fn: FunctionFacts, sdef: StructDef, member: Field,
                  synchronous: bool) -> bool:
    """An L1-aligned array (another buffer) declared right before or after the member is
    written too: of adjacent short L1 slots, one pair always shares a 128-byte line
    (ccree's digest buffers, iforce's data_in beside data_out). An L1-aligned scalar or
    pointer after it starts the CPU side of the struct, aligned away on purpose; whether
    that suffices depends on the buffer's size and offset (caamhash's caam_ctx)."""
    fields = list(sdef.fields)
    i = fields.index(member)
    for j in (i - 1, i + 1):
        if 0 <= j < len(fields) and fields[j].isolation == "l1" and fields[j].starts_region \
                and fields[j].array_len is not None and not fields[j].pointer \
                and _busy(facts, fields[j], serial=fn if synchronous else None,
                          live=None if synchronous else fn):
            return True
    return False


def _only_before(sdef: StructDef, member: Field, names: tuple[str, ...]) -> bool:
    order = [f.name for f in sdef.fields]
    at = order.index(member.name)
    return all(order.index(n) < at for n in names)


def _path_serial(facts: FileFacts, fn: FunctionFacts, f: Field) -> bool:
    """Every non-setup writer of ``f`` other than ``fn`` is reached only from ``fn``'s
    own entry points (surface3: the IRQ thread reads, then parses into pen_tool). Only
    for a synchronous sink: after an asynchronous one the same path may write while
    the transfer runs."""
    mine = _entries(facts, fn)
    if not mine:
        return False
    others = [w for w in writers(facts, f.name, f.array_len is not None)
              if w is not fn and not is_setup(facts, w)]
    return bool(others) and all(_entries(facts, w) <= mine for w in others)


def _entries(facts: FileFacts, fn: FunctionFacts) -> frozenset[str]:
    """The functions of the file through which ``fn`` can be entered: itself if nothing in
    the file calls it or its address is taken (a callback), else its callers' entries."""
    cache = facts.__dict__.setdefault("_entries", {})
    if fn.name in cache:
        return cache[fn.name]
    cache[fn.name] = frozenset()  # recursion: no entry through the cycle
    ask(facts, fn.name)
    callers = _callers(facts).get(fn.name, [])
    named = word_count(facts, fn.name)
    calls = sum(1 for other, _call in calls_to(facts, fn.name) if other.name != fn.name)
    out: frozenset[str] = frozenset()
    if not callers or named > calls + 2:  # no caller here, or a callback's address
        out = frozenset((fn.name,))
    for other in callers:
        out |= _entries(facts, other)
    cache[fn.name] = out
    return out


def _callers(facts: FileFacts) -> dict[str, list[FunctionFacts]]:
    if "_callers" not in facts.__dict__:
        out: dict[str, list[FunctionFacts]] = {}
        for other in facts.functions:
            for name in set(call_names(facts, other)):
                if name and name != other.name:
                    out.setdefault(name, []).append(other)
        facts.__dict__["_callers"] = out
    return facts.__dict__["_callers"]


def _sized_together(facts: FileFacts, fn: FunctionFacts, base: Node, member: Field,
                    f: Field) -> bool:
    """The DMA length adds up both members (``sizeof(c->prehdr) + sizeof(c->sh_desc)``,
    caam/qi): the neighbour is inside the mapped buffer, not beside it."""
    body = body_text(facts, fn)
    if body.count("sizeof") < 2 or member.name not in body or f.name not in body:
        return False  # what the pattern needs, checked without compiling it
    b = re.escape(facts.src.text_of(base))
    a, c = (rf"sizeof\s*\(?\s*{b}\s*(?:->|\.)\s*{re.escape(x.name)}\b\s*\)?"
            for x in (member, f))
    return re.search(rf"{a}\s*\+\s*{c}|{c}\s*\+\s*{a}", body) is not None


def _own_buffer(facts: FileFacts, fn: FunctionFacts, f: Field) -> bool:
    """An array member this function itself uses (mpl115: tx beside rx in one transfer)."""
    if f.array_len is None:
        return False
    return re.search(rf"(?:->|\.)\s*{re.escape(f.name)}\b",
                     body_text(facts, fn)) is not None


def _allocated_here(facts: FileFacts, fn: FunctionFacts, base: Node) -> bool:
    """``base`` is a local pointer whose every value is a heap allocation in this function."""
    if base.type != "identifier":
        return False
    name = facts.src.text_of(base)
    var = fn.var(name)
    values = fn.assigns.get(name, [])
    if var is None or var.storage != "local" or not var.pointer or not values:
        return False
    for value in values:
        while value.type in ("cast_expression", "parenthesized_expression"):
            inner = value.child_by_field_name("value") or (
                value.named_children[-1] if value.named_children else None)
            if inner is None:
                return False
            value = inner
        if value.type != "call_expression":
            return False
        alloc = facts.knowledge.allocator(call_name(facts.src, value) or "")
        if alloc is None or alloc.cls not in ("kmalloc", "devm-kmalloc", "kmem-cache"):
            return False
    return True


def is_setup(facts: FileFacts, fn: FunctionFacts) -> bool:
    """Runs before the driver serves anyone: named like probe/init, initialises locks and
    work items, or is called only from such functions (acx565akm_detect from probe)."""
    cache = facts.__dict__.setdefault("_setup", {})
    if fn.name not in cache:
        cache[fn.name] = False  # a recursive call chain is not setup-only
        k = facts.knowledge
        cache[fn.name] = (any(w in fn.name for w in k.setup_words)
                          or any(name in k.setup_calls for name in call_names(facts, fn))
                          or _only_called_from_setup(facts, fn))
    return cache[fn.name]


def _only_called_from_setup(facts: FileFacts, fn: FunctionFacts) -> bool:
    ask(facts, fn.name)
    sites = [(other, call) for other, call in calls_to(facts, fn.name) if other is not fn]
    callers = list({id(other): other for other, _call in sites}.values())
    if not callers:
        return False
    named = word_count(facts, fn.name)
    calls = len(sites)
    if named > calls + 2:  # its definition, maybe a prototype; more is a callback's address
        return False
    return all(is_setup(facts, other) for other in callers)


def _freed_here(facts: FileFacts, fn: FunctionFacts, base: Node) -> bool:
    name = facts.src.text_of(base)
    for call in fn.calls:
        if call_name(facts.src, call) in ("kfree", "kfree_sensitive", "kmem_cache_free"):
            args = call.child_by_field_name("arguments")
            if args is not None and re.search(rf"\b{re.escape(name)}\b",
                                              facts.src.text_of(args)):
                return True
    return False


def _published(facts: FileFacts, fn: FunctionFacts, base: Node) -> bool:
    """The new struct is stored where other contexts find it (``aso->umr = umr``)."""
    name = facts.src.text_of(base)
    if any(facts.src.text_of(rhs).strip() == name for _lhs, rhs in fn.stores):
        return True
    body = body_text(facts, fn)
    n = re.escape(name)
    return re.search(rf"\breturn\s+{n}\s*;|_set_\w*data\s*\([^;]*\b{n}\b|"
                     rf"\*\s*\w+\s*=\s*{n}\s*;", body) is not None  # *out = umr;


def _window(facts: FileFacts, sdef: StructDef, member: Field) -> list[Field]:
    """Members that may share a cache line with ``member``: before it and after it."""
    fields = list(sdef.fields)
    i = next(k for k, f in enumerate(fields) if f.name == member.name)
    out: list[Field] = []
    room = _L1 if member.isolation == "l1" else _LINE
    for f in reversed(fields[:i]):
        if f.line == member.line:
            continue  # 'u8 rx[4], tx[4];' declared together: the same buffer group
        out.append(f)
        room -= _size(facts, f)
        if room <= 0:
            break
    room = _LINE
    for f in fields[i + 1:]:
        if f.starts_region and (f.isolation == "dma" or member.isolation == "l1"):
            break  # a fresh DMA-aligned line, or the next L1 half of an L1-aligned pair
        out.append(f)
        room -= _size(facts, f)
        if room <= 0:
            break
    return out


def _size(facts: FileFacts, f: Field, depth: int = 0) -> int:
    element = _POINTER if f.pointer else facts.knowledge.size_of(base_type(f.type))
    if element is None:
        sdef = facts.structs.get(base_type(f.type))
        if sdef is not None and depth < 2:
            element = sum(_size(facts, g, depth + 1) for g in sdef.fields) or _UNKNOWN_SIZE
        else:
            element = 4 if base_type(f.type) in ("int", "enum") else _UNKNOWN_SIZE
    if f.array_len is None:
        return element
    try:
        return element * int(f.array_len, 0)
    except ValueError:
        return _UNKNOWN_SIZE * 2


def _busy_type(facts: FileFacts, f: Field) -> bool:
    """A lock, counter, work item or transfer descriptor held in the struct (not a pointer),
    or a flags word changed with atomic bitops (they are atomic because contexts race)."""
    if not f.pointer and base_type(f.type) in facts.knowledge.busy_types:
        return True
    return f.name in bitop_members(facts)


def _busy(facts: FileFacts, f: Field, serial: FunctionFacts | None,
          live: FunctionFacts | None) -> bool:
    """Written with bitops, or by a store or copy in a function that is not setup code (nor
    ``serial``, whose writes come before or after its transfer), or in ``live``, which
    writes after it has mapped the buffer."""
    if _busy_type(facts, f):
        return True
    return any(fn is live or (fn is not serial and not is_setup(facts, fn))
               for fn in writers(facts, f.name, f.array_len is not None))


def judged(use: SinkUse, o: Origin, knowledge: Knowledge,
           elsewhere: Confidence = Confidence.MEDIUM) -> tuple[bool, tuple[Evidence, ...], str]:
    """(silent, evidence, message tail) for a member finding, from its neighbourhood.

    ``elsewhere``: the confidence of neighbours only stored (no lock, counter, work
    item, descriptor or bitops word), whose timing against the transfer is not
    visible; a rule sets it from its labelled precision."""
    if o.neighbours is None:
        return False, (), ""
    nb = o.neighbours[use.synchronous]
    if nb.kind in ("alone", "whole"):
        # nothing to share a line with (at most a small-kmalloc case), or the first
        # member of the transfer's own struct: the buffer is the struct
        return True, (), ""
    if nb.kind == "own-allocation":
        return False, (Evidence("own-allocation", Confidence.LOW,
                                "the struct is allocated for this transfer; its other "
                                "members are likely the transfer's own"),), \
            " (the struct is allocated for this transfer: check its other members)"
    if nb.kind == "quiet":
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
    if nb.kind == "serial":
        return False, (Evidence("neighbours-same-path", Confidence.LOW,
                                f"{names} are written only on the call paths of the "
                                "function doing the DMA, before or after it"),), \
            f" ({names} look written only on this transfer's own call paths)"
    if nb.kind == "offset":
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
