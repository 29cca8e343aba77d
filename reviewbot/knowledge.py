"""DMA knowledge (allocators, sinks, copying APIs, alignment macros) loaded from data.

The analysis never names a kernel API in code: everything it knows about the
kernel comes from ``config/dma.toml`` through these frozen objects, so adding
an API is a reviewed data change. Validation is strict (unknown key, missing
key, wrong type) because a typo in a knowledge file silently disables a check.
"""

from __future__ import annotations

import logging
from collections.abc import KeysView
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reviewbot.errors import ConfigError
from reviewbot.knowledge_memory import (
    CacheCreator,
    ClientBuffer,
    ContextAccessor,
    ObjectField,
    check_macros,
    read_cache_creators,
    read_client_buffers,
    read_contexts,
    read_object_fields,
)
from reviewbot.model import Confidence
from reviewbot.tomlcheck import Checker, read_toml

logger = logging.getLogger(__name__)

SCHEMA = 1
DIRECTIONS = ("to_device", "from_device", "bidirectional")
ALLOCATOR_CLASSES = ("kmalloc", "devm-kmalloc", "kmem-cache", "page", "vmalloc", "coherent")
LEVELS = ("dma", "kmalloc", "l1", "slab", "runtime")
QUOTED_LEVELS = ("dma", "kmalloc", "l1")  # the levels messages quote a macro and number for
_DIRECTION_KINDS = ("dma_dir_arg", "pipe_arg", "request_type_arg", "via_object", "flag")


@dataclass(frozen=True)
class DirectionSpec:
    """How a call or field tells which way the data goes.

    ``kind`` is "fixed" (``value`` is a direction or None for unknown) or one
    of ``dma_dir_arg``, ``pipe_arg``, ``request_type_arg``, ``via_object``
    (``arg`` is the argument index) or ``flag`` (``value`` is the flag name).
    """

    kind: str
    arg: int | None = None
    value: str | None = None


@dataclass(frozen=True)
class Allocator:
    function: str
    cls: str
    size_args: tuple[int, ...]


@dataclass(frozen=True)
class Sink:
    function: str
    buffer: int
    direction: DirectionSpec
    maps: bool = False
    confidence: Confidence = Confidence.HIGH
    vmalloc_ok: bool = False
    synchronous: bool = False  # the transfer is over when the call returns


@dataclass(frozen=True)
class FieldSink:
    struct: str
    field: str
    direction: DirectionSpec
    untyped: bool
    flags_field: str | None = None
    only_with_flag: str | None = None
    vmalloc_ok: bool = False
    consumers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectConsumer:
    function: str
    object: int
    direction: DirectionSpec


@dataclass(frozen=True)
class CopyingApi:
    function: str
    buffer: int
    why: str
    instead_of: tuple[str, ...] = ()
    family: tuple[str, ...] = ()  # all functions of its entry, suggested together


@dataclass(frozen=True)
class Macro:
    name: str
    level: str
    watch_definition: bool
    values: tuple[tuple[str, str], ...]
    meaning: str | None = None  # what it stands for, as the series reply says it
    bytes: int | None = None  # its value on the quoted architecture
    since: str | None = None  # the release that brought that value

    def value_for(self, arch: str) -> str | None:
        return dict(self.values).get(arch)


@dataclass(frozen=True)
class Annotation:
    name: str
    level: str | None = None
    takes_alignment: bool = False
    group: str | None = None


@dataclass(frozen=True)
class Directions:
    dma_dir: tuple[tuple[str, str], ...]
    pipe: tuple[tuple[str, str], ...]
    request_type_in: tuple[str, ...]
    request_type_out: tuple[str, ...]
    request_type_in_bit: int
    request_type_prefix: str


@dataclass(frozen=True)
class Knowledge:
    """Everything the analysis knows about the kernel, indexed for lookups."""

    path: str
    directions: Directions
    allocators: tuple[Allocator, ...]
    sinks: tuple[Sink, ...]
    field_sinks: tuple[FieldSink, ...]
    consumers: tuple[ObjectConsumer, ...]
    copying: tuple[CopyingApi, ...]
    macros: tuple[Macro, ...]
    annotations: tuple[Annotation, ...]
    quoted_arch: str
    level_macros: tuple[tuple[str, str], ...]  # level -> the macro quoted for it
    kmalloc_size_classes: tuple[int, ...]
    buffer_wrappers: tuple[str, ...]
    attribute_words: tuple[str, ...]
    attribute_calls: tuple[str, ...]
    loop_macro_words: tuple[str, ...]
    type_argument_macros: tuple[str, ...]
    sizes: tuple[tuple[str, int], ...]
    skip_dirs: tuple[str, ...]  # folder names a tree walk never enters
    contexts: tuple[ContextAccessor, ...] = ()
    cache_creators: tuple[CacheCreator, ...] = ()
    object_fields: tuple[ObjectField, ...] = ()
    client_buffers: tuple[ClientBuffer, ...] = ()
    # Member types the CPU (or a core) writes from other contexts, and words naming
    # functions that run before any DMA (probe, init): see analysis/flow/neighbours.py.
    busy_types: tuple[str, ...] = ()
    setup_words: tuple[str, ...] = ()
    setup_calls: tuple[str, ...] = ()
    # architectures where L1 < ARCH_DMA_MINALIGN; Kconfig symbol -> architecture
    arch_symbols: tuple[tuple[str, str], ...] = ()
    line_of_its_cpu: tuple[tuple[str, int], ...] = ()  # [arch]: explicit alignment that isolates
    synchronous_sinks: tuple[str, ...] = ()  # the transfer is over when the call returns
    # calls that end a streaming mapping, and calls whose first argument runs as a
    # kernel thread: see analysis/flow/neighbours.py (stores after a mapping, other threads)
    unmap_calls: tuple[str, ...] = ()
    thread_starters: tuple[str, ...] = ()
    # per architecture, Kconfig symbols non-coherent DMA needs ([arch] noncoherent_needs)
    noncoherent_needs: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...] = ()
    # match-table types of buses whose devices are DMA-coherent wherever the bus exists
    # ([arch] coherent_buses: fsl-mc), with why, for a driver that binds only through them
    coherent_buses: tuple[tuple[str, str], ...] = ()
    # path prefixes of core and bus code: many drivers sit behind it, so an impact there
    # ranks before a leaf driver's ([tree] core_paths)
    core_paths: tuple[str, ...] = ()
    # the allocator and the architectures: code defining what kmalloc's alignment is,
    # never a driver affected by it ([tree] allocator_paths)
    allocator_paths: tuple[str, ...] = ()
    # per architecture, the Kconfig symbols under which dma_alloc_coherent() can return
    # remapped (vmalloc) memory ([arch] coherent_remap; empty: always possible there)
    coherent_remap: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...] = ()
    # member types a core writes only between transfers, after syncing each transfer's
    # buffers ([neighbours] between_transfers: SPI descriptors)
    between_transfers: tuple[str, ...] = ()
    # functions that copy memory, with the argument each copies from ([copy_from])
    copy_from: tuple[tuple[str, int], ...] = ()
    # Lookup maps built once; the analysis asks them for every call it sees.
    _by_name: dict[str, dict[str, Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        maps = {
            "allocator": {a.function: a for a in self.allocators},
            "sink": {s.function: s for s in self.sinks},
            "consumer": {c.function: c for c in self.consumers},
            "copying": {c.function: c for c in self.copying},
            "macro": {m.name: m for m in self.macros},
            "annotation": {a.name: a for a in self.annotations},
            "size": dict(self.sizes),
            "context": {c.function: c for c in self.contexts},
            "cache_creator": {c.function: c for c in self.cache_creators},
            "alternative": {s: c for c in self.copying for s in c.instead_of
                            if c.function == c.family[0]},
        }
        object.__setattr__(self, "_by_name", maps)
        words = {s.function for s in self.sinks}
        for fs in self.field_sinks:
            if fs.consumers:
                words.update(fs.consumers)
            elif fs.only_with_flag:
                words.add(fs.only_with_flag)
            else:
                words.add(fs.field.rsplit(".", 1)[-1])
        object.__setattr__(self, "_triggers", tuple(sorted(words)))

    def trigger_words(self) -> tuple[str, ...]:
        """Words without which a text cannot hand a buffer to a device.

        A file that mentions none of them has no sink, so no helper either, and
        a tree scan can skip parsing it.
        """
        return self._triggers  # type: ignore[attr-defined]

    def allocator(self, name: str) -> Allocator | None:
        return self._by_name["allocator"].get(name)

    def sink(self, name: str) -> Sink | None:
        return self._by_name["sink"].get(name)

    def sink_names(self) -> KeysView[str]:
        """Every sink's name (a set view: ``isdisjoint`` tests a function's calls at once)."""
        return self._by_name["sink"].keys()

    def consumer(self, name: str) -> ObjectConsumer | None:
        return self._by_name["consumer"].get(name)

    def copying_api(self, name: str) -> CopyingApi | None:
        return self._by_name["copying"].get(name)

    def copying_alternative(self, sink: str) -> CopyingApi | None:
        """The copying API a finding at ``sink`` can suggest, if the data names one."""
        return self._by_name["alternative"].get(sink)

    def macro(self, name: str) -> Macro | None:
        return self._by_name["macro"].get(name)

    def level_macro(self, level: str) -> Macro:
        """The macro messages quote for an alignment level (dma, kmalloc, l1)."""
        macro: Macro = self._by_name["macro"][dict(self.level_macros)[level]]
        return macro

    @property
    def dma_minalign_bytes(self) -> int:
        """The worst-case DMA alignment: the quoted DMA-level macro's bytes."""
        value = self.level_macro("dma").bytes
        assert value is not None  # the loader requires it
        return value

    def kmalloc_alignment_macros(self) -> frozenset[str]:
        """Watched kmalloc-level macros: kmalloc's own alignment is defined by them."""
        return frozenset(m.name for m in self.macros
                         if m.level == "kmalloc" and m.watch_definition)

    def context(self, name: str) -> ContextAccessor | None:
        """The crypto context accessor ``name`` and the alignment it guarantees."""
        return self._by_name["context"].get(name)

    def cache_creator(self, name: str) -> CacheCreator | None:
        return self._by_name["cache_creator"].get(name)

    def annotation(self, name: str) -> Annotation | None:
        return self._by_name["annotation"].get(name)

    def size_of(self, type_name: str) -> int | None:
        return self._by_name["size"].get(type_name)


def default_path() -> Path:
    """Where the bundled knowledge lives, installed wheel or source checkout."""
    bundled = Path(__file__).parent / "_data/config/dma.toml"
    if bundled.exists():
        return bundled
    return Path(__file__).resolve().parent.parent / "config/dma.toml"


def load_knowledge(path: Path | None = None) -> Knowledge:
    """Read and validate a knowledge file; raise ConfigError on any mistake."""
    path = path or default_path()
    return _Reader(str(path)).knowledge(read_toml(path))


class _Reader(Checker):
    """Validates one file; every error names the file, the entry and the key.

    Entries of arrays are named ``sink[3]``; the message adds the first
    function or name the entry lists, so it can be found in a long file.
    """

    def __init__(self, path: str) -> None:
        self.hints: dict[str, str] = {}
        super().__init__(path, self._hint)

    def _hint(self, where: str) -> str:
        return self.hints.get(where.split(".", 1)[0], "")

    def field(self, entry: str, key: str, why: str) -> ConfigError:
        return self.fail(self.key(entry, key), why)

    def entry(self, raw: Any, entry: str, required: dict[str, Any],
              optional: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.table(raw, entry, {**required, **(optional or {})}, required)

    def direction(self, value: Any, entry: str, field_sink: bool = False) -> DirectionSpec:
        where = self.key(entry, "direction")
        if isinstance(value, str):
            if value == "unknown":
                return DirectionSpec("fixed", value=None)
            return DirectionSpec("fixed", value=self.choice(value, DIRECTIONS, where))
        kinds = ("flag",) if field_sink else _DIRECTION_KINDS[:-1]
        spec = self.table(value, where, {k: str if k == "flag" else int for k in kinds})
        if len(spec) != 1:
            raise self.fail(where, f"must have exactly one of {', '.join(kinds)}")
        ((kind, arg),) = spec.items()
        if kind == "flag":
            return DirectionSpec("flag", value=arg)
        return DirectionSpec(kind, arg=arg)

    def confidence(self, value: str, entry: str) -> Confidence:
        return Confidence(self.choice(value, [c.value for c in Confidence],
                                      self.key(entry, "confidence")))

    def str_map(self, value: dict[str, Any], entry: str, key: str,
                kind: type = str) -> tuple[tuple[str, Any], ...]:
        """A table of ``kind`` values (strings unless told), checked one by one."""
        for k, v in value.items():
            self.value(v, kind, f"{self.key(entry, key)}.{k}")
        return tuple(value.items())

    def entries(self, raw: dict[str, Any], name: str) -> list[tuple[str, Any]]:
        items = self.value(raw.get(name, []), list, name)
        out = []
        for i, item in enumerate(items):
            label = f"{name}[{i}]"
            if isinstance(item, dict):
                ident = item.get("functions") or item.get("name") or item.get("field")
                if isinstance(ident, list) and ident:
                    ident = ident[0]
                if isinstance(ident, str):
                    self.hints[label] = ident
            out.append((label, item))
        return out

    def knowledge(self, raw: dict[str, Any]) -> Knowledge:
        top = self.entry(raw, "", {
            "schema": int, "directions": dict, "allocator": list, "sink": list,
            "field_sink": list, "object_consumer": list, "copying": list, "macro": list,
            "annotation": list, "alignment": dict, "parse": dict, "sizes": dict, "tree": dict},
            {"context": list, "cache_creator": list, "object_field": list,
             "client_buffer": list, "neighbours": dict, "arch": dict, "copy_from": dict})
        if top["schema"] != SCHEMA:
            raise self.fail("schema", f"is version {top['schema']}, not {SCHEMA}")
        d = self.entry(top["directions"], "directions", {
            "dma_dir": dict, "pipe": dict, "request_type_in": list[str],
            "request_type_out": list[str], "request_type_in_bit": int,
            "request_type_prefix": str})
        for key in ("dma_dir", "pipe"):
            for token, direction in d[key].items():
                self.choice(direction, DIRECTIONS, f"directions.{key}.{token}")
        directions = Directions(
            dma_dir=self.str_map(d["dma_dir"], "directions", "dma_dir"),
            pipe=self.str_map(d["pipe"], "directions", "pipe"),
            request_type_in=tuple(d["request_type_in"]),
            request_type_out=tuple(d["request_type_out"]),
            request_type_in_bit=d["request_type_in_bit"],
            request_type_prefix=d["request_type_prefix"])
        align = self.entry(top["alignment"], "alignment", {
            "quoted_arch": str, "level_macros": dict, "kmalloc_size_classes": list[int]})
        parse = self.entry(top["parse"], "parse", {
            "buffer_wrappers": list[str], "attribute_words": list[str],
            "attribute_calls": list[str], "loop_macro_words": list[str],
            "type_argument_macros": list[str]})
        nb = self.entry(top.get("neighbours", {}), "neighbours", {},
                        {"busy_types": list[str], "setup_words": list[str],
                         "setup_calls": list[str], "synchronous_sinks": list[str],
                         "unmap_calls": list[str], "thread_starters": list[str],
                         "between_transfers": list[str]})
        arch = self.entry(top.get("arch", {}), "arch", {},
                          {"symbols": dict, "line_of_its_cpu": dict, "noncoherent_needs": dict,
                           "coherent_buses": dict, "coherent_remap": dict})
        sizes = top["sizes"]
        for key, value in sizes.items():
            self.value(value, int, f"sizes.{key}")
        tree = self.entry(top["tree"], "tree", {"skip_dirs": list[str]},
                          {"core_paths": list[str], "allocator_paths": list[str]})
        knowledge = Knowledge(
            path=str(self.path),
            directions=directions,
            allocators=self.allocators(top),
            sinks=tuple(replace(x, synchronous=x.function in nb.get("synchronous_sinks", ()))
                        for x in self.sinks(top)),
            field_sinks=self.field_sinks(top),
            consumers=self.consumers(top),
            copying=self.copying(top),
            macros=self.macros(top),
            annotations=self.annotations(top),
            quoted_arch=align["quoted_arch"],
            level_macros=self.str_map(align["level_macros"], "alignment", "level_macros"),
            kmalloc_size_classes=tuple(align["kmalloc_size_classes"]),
            buffer_wrappers=tuple(parse["buffer_wrappers"]),
            attribute_words=tuple(parse["attribute_words"]),
            attribute_calls=tuple(parse["attribute_calls"]),
            loop_macro_words=tuple(parse["loop_macro_words"]),
            type_argument_macros=tuple(parse["type_argument_macros"]),
            sizes=tuple(sizes.items()),
            skip_dirs=tuple(tree["skip_dirs"]),
            core_paths=tuple(tree.get("core_paths", [])),
            allocator_paths=tuple(tree.get("allocator_paths", [])),
            busy_types=tuple(nb.get("busy_types", [])),
            setup_words=tuple(nb.get("setup_words", [])),
            setup_calls=tuple(nb.get("setup_calls", [])),
            arch_symbols=self.str_map(arch.get("symbols", {}), "arch", "symbols"),
            line_of_its_cpu=self.str_map(arch.get("line_of_its_cpu", {}), "arch",
                                         "line_of_its_cpu", int),
            synchronous_sinks=tuple(nb.get("synchronous_sinks", [])),
            unmap_calls=tuple(nb.get("unmap_calls", [])),
            thread_starters=tuple(nb.get("thread_starters", [])),
            copy_from=self.str_map(top.get("copy_from", {}), "", "copy_from", int),
            coherent_buses=self.str_map(arch.get("coherent_buses", {}), "arch",
                                        "coherent_buses"),
            between_transfers=tuple(nb.get("between_transfers", [])),
            coherent_remap=tuple(
                (a, self.str_map(v, "arch.coherent_remap", a, bool))
                for a, v in self.str_map(arch.get("coherent_remap", {}), "arch",
                                         "coherent_remap", dict)),
            noncoherent_needs=tuple(
                (a, self.str_map(v, "arch.noncoherent_needs", a, bool))
                for a, v in self.str_map(arch.get("noncoherent_needs", {}), "arch",
                                         "noncoherent_needs", dict)),
            contexts=read_contexts(self, top),
            cache_creators=read_cache_creators(self, top),
            object_fields=read_object_fields(self, top),
            client_buffers=read_client_buffers(self, top),
        )
        check_macros(self, knowledge)
        self.check_unique(knowledge)
        self.check_level_macros(knowledge)
        for api in knowledge.copying:
            for name in api.instead_of:
                if knowledge.sink(name) is None:
                    raise self.field(f"copying ({api.function})", "instead_of",
                                    f"{name} is not a sink")
        return knowledge

    def allocators(self, top: dict[str, Any]) -> tuple[Allocator, ...]:
        out = []
        for entry, raw in self.entries(top, "allocator"):
            t = self.entry(raw, entry, {"class": str, "size": list[int], "functions": list[str]})
            cls = self.choice(t["class"], ALLOCATOR_CLASSES, self.key(entry, "class"))
            size = tuple(t["size"])
            for fn in tuple(t["functions"]):
                out.append(Allocator(fn, cls, size))
        return tuple(out)

    def sinks(self, top: dict[str, Any]) -> tuple[Sink, ...]:
        out = []
        for entry, raw in self.entries(top, "sink"):
            t = self.entry(raw, entry, {"functions": list[str], "buffer": int, "direction": object},
                           {"maps": bool, "confidence": str, "vmalloc_ok": bool})
            direction = self.direction(t["direction"], entry)
            conf = self.confidence(t.get("confidence", "high"), entry)
            for fn in tuple(t["functions"]):
                out.append(Sink(fn, t["buffer"], direction, t.get("maps", False), conf,
                                t.get("vmalloc_ok", False)))
        return tuple(out)

    def field_sinks(self, top: dict[str, Any]) -> tuple[FieldSink, ...]:
        out = []
        for entry, raw in self.entries(top, "field_sink"):
            t = self.entry(raw, entry, {"struct": str, "field": str, "direction": object,
                                        "untyped": bool},
                           {"flags_field": str, "only_with_flag": str, "vmalloc_ok": bool,
                            "consumers": list[str]})
            direction = self.direction(t["direction"], entry, field_sink=True)
            if (direction.kind == "flag" or "only_with_flag" in t) and "flags_field" not in t:
                raise self.field(entry, "flags_field", "is required by a flag direction")
            out.append(FieldSink(t["struct"], t["field"], direction, t["untyped"],
                                 t.get("flags_field"), t.get("only_with_flag"),
                                 t.get("vmalloc_ok", False),
                                 tuple(t.get("consumers", []))))
        return tuple(out)

    def consumers(self, top: dict[str, Any]) -> tuple[ObjectConsumer, ...]:
        out = []
        for entry, raw in self.entries(top, "object_consumer"):
            t = self.entry(raw, entry, {"functions": list[str], "object": int, "direction": object})
            direction = self.direction(t["direction"], entry)
            if direction.kind == "via_object":
                raise self.field(entry, "direction",
                                 "cannot defer (a consumer has its own direction)")
            for fn in tuple(t["functions"]):
                out.append(ObjectConsumer(fn, t["object"], direction))
        return tuple(out)

    def copying(self, top: dict[str, Any]) -> tuple[CopyingApi, ...]:
        out = []
        for entry, raw in self.entries(top, "copying"):
            t = self.entry(raw, entry, {"functions": list[str], "buffer": int, "why": str},
                           {"instead_of": list[str]})
            instead = tuple(t.get("instead_of", []))
            family = tuple(t["functions"])
            for fn in family:
                out.append(CopyingApi(fn, t["buffer"], t["why"], instead, family))
        return tuple(out)

    def macros(self, top: dict[str, Any]) -> tuple[Macro, ...]:
        out = []
        for entry, raw in self.entries(top, "macro"):
            t = self.entry(raw, entry, {"name": str, "level": str, "watch_definition": bool,
                                        "values": dict},
                           {"meaning": str, "bytes": int, "since": str})
            out.append(Macro(t["name"], self.choice(t["level"], LEVELS, self.key(entry, "level")),
                             t["watch_definition"], self.str_map(t["values"], entry, "values"),
                             t.get("meaning"), t.get("bytes"), t.get("since")))
        return tuple(out)

    def annotations(self, top: dict[str, Any]) -> tuple[Annotation, ...]:
        out = []
        for entry, raw in self.entries(top, "annotation"):
            t = self.entry(raw, entry, {"name": str},
                           {"level": str, "takes_alignment": bool, "group": str})
            level = t.get("level")
            if level is not None:
                self.choice(level, LEVELS, self.key(entry, "level"))
            group = t.get("group")
            if group is not None:
                self.choice(group, ("begin", "end"), self.key(entry, "group"))
            if level is None and not t.get("takes_alignment") and group != "end":
                raise self.field(entry, "level", "is required (or takes_alignment, or group = end)")
            out.append(Annotation(t["name"], level, t.get("takes_alignment", False), group))
        return tuple(out)

    def check_level_macros(self, k: Knowledge) -> None:
        levels = dict(k.level_macros)
        if set(levels) != set(QUOTED_LEVELS):
            raise self.field("alignment", "level_macros",
                            f"expected exactly the levels {', '.join(QUOTED_LEVELS)}")
        for level, name in levels.items():
            macro = k.macro(name)
            if macro is None or macro.level != level:
                raise self.field("alignment", "level_macros",
                                f"{level} = {name!r} is not a [[macro]] of level {level}")
            if macro.bytes is None:
                raise self.field(f"macro ({name})", "bytes", "is required (messages quote it)")

    def check_unique(self, k: Knowledge) -> None:
        seen: dict[str, str] = {}
        for section, items in (("allocator", k.allocators), ("sink", k.sinks),
                               ("object_consumer", k.consumers), ("copying", k.copying)):
            for item in items:
                if item.function in seen:
                    raise self.field(section, "functions",
                                    f"{item.function} is already listed in {seen[item.function]}")
                seen[item.function] = section
