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

from tree_sitter import Node

from reviewbot.analysis.c.expr import call_name, unwrapped
from reviewbot.analysis.facts.file import FileFacts
from reviewbot.analysis.facts.functions import FunctionFacts
from reviewbot.analysis.facts.structs import Field, StructDef, base_type
from reviewbot.analysis.facts.textindex import is_write
from reviewbot.analysis.flow.sharing import Neighbourhood, Sharing

_POINTER = 8
_UNKNOWN_SIZE = 64
_LINE = 128  # ARCH_DMA_MINALIGN on arm64: the line an unisolated member may share
_L1 = 64  # an L1-aligned member starts on a 64-byte boundary: 64 bytes before share


class Neighbours:
    """The neighbourhoods of one file's member buffers, and what they rest on, remembered.

    Which functions are setup code and through which entry points a function
    is reached are asked of many members and neighbours: each is worked out
    once per file, here.
    """

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self._entries_of: dict[str, frozenset[str]] = {}
        self._setup_of: dict[str, bool] = {}
        self._memo: dict[tuple[int, int, int, int, str],
                         tuple[Neighbourhood, Neighbourhood]] = {}

    def of(self, fn: FunctionFacts, base: Node, sdef: StructDef, member: Field,
           synchronous: bool) -> Neighbourhood:
        """The neighbourhood of ``base->member`` seen from ``fn``, remembered.

        Both (for an asynchronous and a synchronous sink) are worked out together, in
        that order: the setup and entry-point answers they share are remembered as they
        are found, and a recursive call chain makes them depend on the order asked.
        """
        key = (id(fn), base.start_byte, base.end_byte, id(sdef), member.name)
        pair = self._memo.get(key)
        if pair is None:
            pair = self._memo[key] = (
                self._neighbourhood(fn, base, sdef, member, False),
                self._neighbourhood(fn, base, sdef, member, True))
        return pair[synchronous]

    def _neighbourhood(self, fn: FunctionFacts, base: Node, sdef: StructDef,
                       member: Field, synchronous: bool) -> Neighbourhood:
        """``synchronous``: the sink completes the transfer before it returns (usb_control_msg)."""
        fields = sdef.fields
        if len(fields) <= 1:
            return Neighbourhood(Sharing.ALONE)
        window = [f for f in self._window(sdef, member)
                  if not self._sized_together(fn, base, member, f)]
        fresh = self._allocated_here(fn, base)
        private = fresh and not self._published(fn, base)
        if private and fields[0].name == member.name:
            return Neighbourhood(Sharing.WHOLE)
        if private and self._freed_here(fn, base):
            # one transfer's own struct: only descriptors the core updates are a hazard
            busy = tuple(f.name for f in window if self._busy_type(f))
            if busy and self._between(fn, window, busy):
                return Neighbourhood(Sharing.BETWEEN, busy=busy)
            return Neighbourhood(Sharing.BUSY, busy=busy, typed=True) if busy else \
                Neighbourhood(Sharing.OWN_ALLOCATION)
        if synchronous and self.is_setup(fn):
            # read during setup and over before it returns: no other context has the struct yet
            return Neighbourhood(Sharing.OWN_ALLOCATION)
        if synchronous and window and all(self._own_buffer(fn, f) for f in window):
            # a tx/rx pair: the neighbours are this transfer's own buffers, filled before it
            return Neighbourhood(Sharing.OWN_ALLOCATION)
        # with a synchronous sink the function's own writes come before or after the transfer;
        # with an asynchronous one they follow a live mapping, even in setup code
        busy = tuple(f.name for f in window
                     if self._busy(f, serial=fn if synchronous else None,
                              live=None if synchronous else fn))
        if busy and self._between(fn, window, busy):
            return Neighbourhood(Sharing.BETWEEN, busy=busy)
        if busy:
            typed = any(self._busy_type(f) for f in window)
            if not typed and synchronous and all(self._path_serial(fn, f)
                                                 for f in window if f.name in busy):
                # written only on the DMA function's own call paths (its entry points): the
                # same thread before submission or after completion, not another context
                return Neighbourhood(Sharing.SERIAL, busy=busy)
            if (not typed and member.isolation == "l1" and _only_before(sdef, member, busy)
                    and not self._busy_l1_pair(fn, sdef, member, synchronous)):
                # an L1-aligned member shares its 128-byte line with the 64 bytes before it
                # only when it starts at an odd 64-byte slot, which the estimate cannot tell
                return Neighbourhood(Sharing.OFFSET, busy=busy)
            mine = [f for f in window if f.name in busy]
            live = fresh and not private and not synchronous and not typed  # mapping kept
            return Neighbourhood(Sharing.BUSY, busy=busy, typed=typed,
                                 written_until=None if synchronous or typed else
                                 self._last_own_write(fn, mine),
                                 stores=self._own_stores(fn, base, mine) if live else (),
                                 unmaps=self._unmap_lines(fn) if live else (),
                                 threads=() if typed else self._other_threads(fn, mine))
        return Neighbourhood(Sharing.QUIET, quiet=tuple(f.name for f in window))

    def _last_own_write(self, fn: FunctionFacts, fields: list[Field]) -> int | None:
        """The line of ``fn``'s last write to ``fields``, or None when another non-setup
        function writes them too."""
        text = self.facts.text.spans()[0]
        last = -1
        for f in fields:
            array = f.array_len is not None
            if any(w is not fn and not self.is_setup(w)
                   for w in self.facts.text.writers(f.name, array)):
                return None
            for m in re.finditer(rf"(?:->|\.)\s*{re.escape(f.name)}\b",
                                 text[:fn.node.end_byte]):
                if m.start() >= fn.node.start_byte and is_write(
                        text[max(0, m.start() - 160):m.start()], text[m.end():m.end() + 80], array):
                    last = max(last, m.start())
        return text.count("\n", 0, last) + 1 if last >= 0 else None

    def _own_stores(self, fn: FunctionFacts, base: Node,
                    fields: list[Field]) -> tuple[tuple[int, str], ...]:
        """(line, member) of ``fn``'s writes to ``fields`` through ``base`` itself
        (``umr->dma_addr = ...``, ``&umr->mkey``), in the order of the text."""
        text = self.facts.text.spans()[0]
        start, end = fn.node.start_byte, fn.node.end_byte
        b = re.escape(self.facts.src.text_of(base))
        out = []
        for f in fields:
            for m in re.finditer(rf"\b{b}\s*((?:->|\.)\s*{re.escape(f.name)}\b)",
                                 text[start:end]):
                at, after = start + m.start(1), start + m.end(1)
                if is_write(text[max(0, at - 160):at], text[after:after + 80],
                             f.array_len is not None):
                    out.append((text.count("\n", 0, at) + 1, f.name))
        return tuple(sorted(out))

    def _unmap_lines(self, fn: FunctionFacts) -> tuple[int, ...]:
        """Lines where ``fn`` ends a streaming mapping (any of the unmap calls)."""
        k = self.facts.knowledge
        return tuple(sorted(c.start_point[0] + 1 for c in fn.calls
                            if call_name(self.facts.src, c) in k.unmap_calls))

    def _other_threads(self, fn: FunctionFacts,
                       fields: list[Field]) -> tuple[tuple[str, str], ...]:
        """(member, thread function) for each of ``fields`` that a non-setup function other
        than ``fn`` writes and that is reached only from kernel-thread functions of this file
        (the first argument of kthread_run()) from which ``fn`` is not reached: two threads
        run at the same time, whatever the transfer's timing within one of them."""
        threads = self._thread_functions()
        if not threads:
            return ()
        mine = self._entries(fn)
        if not mine:
            return ()
        out = []
        for f in fields:
            for w in self.facts.text.writers(f.name, f.array_len is not None):
                if w is fn or self.is_setup(w):
                    continue
                theirs = self._entries(w)
                if theirs and theirs <= threads and not theirs & mine:
                    out.append((f.name, min(theirs)))
                    break
        return tuple(out)

    def _thread_functions(self) -> frozenset[str]:
        """Functions this file starts as kernel threads: ``kthread_run(fn, data, ...)``."""
        return self.facts.text.started(self.facts.knowledge.thread_starters)

    def _busy_l1_pair(self, fn: FunctionFacts, sdef: StructDef, member: Field,
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
                    and self._busy(fields[j], serial=fn if synchronous else None,
                              live=None if synchronous else fn):
                return True
        return False

    def _path_serial(self, fn: FunctionFacts, f: Field) -> bool:
        """Every non-setup writer of ``f`` other than ``fn`` is reached only from ``fn``'s
        own entry points (surface3: the IRQ thread reads, then parses into pen_tool). Only
        for a synchronous sink: after an asynchronous one the same path may write while
        the transfer runs."""
        mine = self._entries(fn)
        if not mine:
            return False
        others = [w for w in self.facts.text.writers(f.name, f.array_len is not None)
                  if w is not fn and not self.is_setup(w)]
        return bool(others) and all(self._entries(w) <= mine for w in others)

    def _entries(self, fn: FunctionFacts) -> frozenset[str]:
        """The functions of the file through which ``fn`` can be entered: itself if nothing in
        the file calls it or its address is taken (a callback), else its callers' entries."""
        cache = self._entries_of
        if fn.name in cache:
            return cache[fn.name]
        cache[fn.name] = frozenset()  # recursion: no entry through the cycle
        callers = self.facts.calls.callers(fn.name)
        named = self.facts.text.word_count(fn.name)
        calls = sum(1 for other, _call in self.facts.calls.to(fn.name) if other.name != fn.name)
        out: frozenset[str] = frozenset()
        if not callers or named > calls + 2:  # no caller here, or a callback's address
            out = frozenset((fn.name,))
        for other in callers:
            out |= self._entries(other)
        cache[fn.name] = out
        return out

    def _sized_together(self, fn: FunctionFacts, base: Node, member: Field,
                        f: Field) -> bool:
        """The DMA length adds up both members (``sizeof(c->prehdr) + sizeof(c->sh_desc)``,
        caam/qi): the neighbour is inside the mapped buffer, not beside it."""
        body = self.facts.text.body(fn)
        if body.count("sizeof") < 2 or member.name not in body or f.name not in body:
            return False  # what the pattern needs, checked without compiling it
        b = re.escape(self.facts.src.text_of(base))
        a, c = (rf"sizeof\s*\(?\s*{b}\s*(?:->|\.)\s*{re.escape(x.name)}\b\s*\)?"
                for x in (member, f))
        return re.search(rf"{a}\s*\+\s*{c}|{c}\s*\+\s*{a}", body) is not None

    def _own_buffer(self, fn: FunctionFacts, f: Field) -> bool:
        """An array member this function itself uses (mpl115: tx beside rx in one transfer)."""
        if f.array_len is None:
            return False
        return re.search(rf"(?:->|\.)\s*{re.escape(f.name)}\b",
                         self.facts.text.body(fn)) is not None

    def _allocated_here(self, fn: FunctionFacts, base: Node) -> bool:
        """``base`` is a local pointer whose every value is a heap allocation in this function."""
        if base.type != "identifier":
            return False
        name = self.facts.src.text_of(base)
        var = fn.var(name)
        values = fn.assigns.get(name, [])
        if var is None or var.storage != "local" or not var.pointer or not values:
            return False
        for written in values:
            value = unwrapped(written)
            if value is None or value.type != "call_expression":
                return False
            alloc = self.facts.knowledge.allocator(call_name(self.facts.src, value) or "")
            if alloc is None or alloc.cls not in ("kmalloc", "devm-kmalloc", "kmem-cache"):
                return False
        return True

    def is_setup(self, fn: FunctionFacts) -> bool:
        """Runs before the driver serves anyone: named like probe/init, initialises locks and
        work items, or is called only from such functions (acx565akm_detect from probe)."""
        cache = self._setup_of
        if fn.name not in cache:
            cache[fn.name] = False  # a recursive call chain is not setup-only
            k = self.facts.knowledge
            cache[fn.name] = (any(w in fn.name for w in k.setup_words)
                              or any(name in k.setup_calls for name in self.facts.calls.names(fn))
                              or self._only_called_from_setup(fn))
        return cache[fn.name]

    def _only_called_from_setup(self, fn: FunctionFacts) -> bool:
        sites = [(other, call) for other, call in self.facts.calls.to(fn.name) if other is not fn]
        callers = list({id(other): other for other, _call in sites}.values())
        if not callers:
            return False
        named = self.facts.text.word_count(fn.name)
        calls = len(sites)
        if named > calls + 2:  # its definition, maybe a prototype; more is a callback's address
            return False
        return all(self.is_setup(other) for other in callers)

    def _freed_here(self, fn: FunctionFacts, base: Node) -> bool:
        name = self.facts.src.text_of(base)
        for call in fn.calls:
            if call_name(self.facts.src, call) in ("kfree", "kfree_sensitive", "kmem_cache_free"):
                args = call.child_by_field_name("arguments")
                if args is not None and re.search(rf"\b{re.escape(name)}\b",
                                                  self.facts.src.text_of(args)):
                    return True
        return False

    def _published(self, fn: FunctionFacts, base: Node) -> bool:
        """The new struct is stored where other contexts find it (``aso->umr = umr``)."""
        name = self.facts.src.text_of(base)
        if any(self.facts.src.text_of(rhs).strip() == name for _lhs, rhs in fn.stores):
            return True
        body = self.facts.text.body(fn)
        n = re.escape(name)
        return re.search(rf"\breturn\s+{n}\s*;|_set_\w*data\s*\([^;]*\b{n}\b|"
                         rf"\*\s*\w+\s*=\s*{n}\s*;", body) is not None  # *out = umr;

    def _window(self, sdef: StructDef, member: Field) -> list[Field]:
        """Members that may share a cache line with ``member``: before it and after it."""
        fields = list(sdef.fields)
        i = next(k for k, f in enumerate(fields) if f.name == member.name)
        out: list[Field] = []
        room = _L1 if member.isolation == "l1" else _LINE
        for f in reversed(fields[:i]):
            if f.line == member.line:
                continue  # 'u8 rx[4], tx[4];' declared together: the same buffer group
            out.append(f)
            room -= self._size(f)
            if room <= 0:
                break
        room = _LINE
        for f in fields[i + 1:]:
            if f.starts_region and (f.isolation == "dma" or member.isolation == "l1"):
                break  # a fresh DMA-aligned line, or the next L1 half of an L1-aligned pair
            out.append(f)
            room -= self._size(f)
            if room <= 0:
                break
        return out

    def _size(self, f: Field, depth: int = 0) -> int:
        element = _POINTER if f.pointer else self.facts.knowledge.size_of(base_type(f.type))
        if element is None:
            sdef = self.facts.structs.get(base_type(f.type))
            if sdef is not None and depth < 2:
                element = sum(self._size(g, depth + 1) for g in sdef.fields) or _UNKNOWN_SIZE
            else:
                element = 4 if base_type(f.type) in ("int", "enum") else _UNKNOWN_SIZE
        if f.array_len is None:
            return element
        try:
            return element * int(f.array_len, 0)
        except ValueError:
            return _UNKNOWN_SIZE * 2

    def _between(self, fn: FunctionFacts, window: list[Field], busy: tuple[str, ...]) -> bool:
        """Every busy neighbour is a descriptor a core writes only between transfers, or
        another buffer of those descriptors (mcr20a's reg_cmd beside reg_data: filled before
        the message is submitted), and one descriptor at least."""
        kinds = self.facts.knowledge.between_transfers
        descriptors = [f for f in window
                       if f.name in busy and not f.pointer and base_type(f.type) in kinds]
        return bool(descriptors) and all(
            f in descriptors or self._message_buffer(fn, f)
            for f in window if f.name in busy)

    def _message_buffer(self, fn: FunctionFacts, f: Field) -> bool:
        """An array member this function stores in a between-transfers descriptor's buffer
        field (``xfer.tx_buf = lp->reg_cmd``): one more buffer of the same message."""
        if f.array_len is None:
            return False
        fields = "|".join(re.escape(fs.field.split(".")[-1])
                          for fs in self.facts.knowledge.field_sinks
                          if fs.struct in self.facts.knowledge.between_transfers)
        return bool(fields) and re.search(
            rf"\.\s*(?:{fields})\s*=\s*[^;]*?(?:->|\.)\s*{re.escape(f.name)}\b",
            self.facts.text.body(fn)) is not None

    def _busy_type(self, f: Field) -> bool:
        """A lock, counter, work item or transfer descriptor held in the struct (not a pointer),
        or a flags word changed with atomic bitops (they are atomic because contexts race)."""
        if not f.pointer and base_type(f.type) in self.facts.knowledge.busy_types:
            return True
        return f.name in self.facts.text.bitop_members()

    def _busy(self, f: Field, serial: FunctionFacts | None,
              live: FunctionFacts | None) -> bool:
        """Written with bitops, or by a store or copy in a function that is not setup code (nor
        ``serial``, whose writes come before or after its transfer), or in ``live``, which
        writes after it has mapped the buffer."""
        if self._busy_type(f):
            return True
        return any(fn is live or (fn is not serial and not self.is_setup(fn))
                   for fn in self.facts.text.writers(f.name, f.array_len is not None))


def _only_before(sdef: StructDef, member: Field, names: tuple[str, ...]) -> bool:
    order = [f.name for f in sdef.fields]
    at = order.index(member.name)
    return all(order.index(n) < at for n in names)
