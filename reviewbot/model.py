"""The objects that flow between stages: Series in, Findings and Review out.

They are plain frozen dataclasses so every stage can be tested on hand-made
values, and so no stage needs to know which front end produced them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from unidiff import PatchSet

from reviewbot.diffpaths import file_path
from reviewbot.levels import Confidence, Severity


@dataclass(frozen=True)
class Person:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True)
class CoverLetter:
    msgid: str
    subject: str
    body: str
    author: Person
    date: str = ""
    to: tuple[Person, ...] = ()
    cc: tuple[Person, ...] = ()
    references: tuple[str, ...] = ()


@dataclass(frozen=True)
class Patch:
    """One patch mail of a series.

    ``diff`` is the unidiff parse of ``diff_text``; a diff unidiff cannot read
    leaves an empty PatchSet and a note in ``diff_error`` rather than failing
    the series, so the rest can still be reviewed.
    """

    index: int
    total: int
    msgid: str
    subject: str
    author: Person
    date: str
    commit_message: str
    diff_text: str
    diff: PatchSet = field(compare=False, repr=False)
    to: tuple[Person, ...] = ()
    cc: tuple[Person, ...] = ()
    references: tuple[str, ...] = ()
    in_reply_to: str | None = None
    diff_error: str | None = None

    @property
    def files(self) -> list[str]:
        """Post-image paths the patch touches (pre-image path for deletions)."""
        out = []
        for pf in self.diff:
            out.append(file_path(pf))
        return out


@dataclass(frozen=True)
class Series:
    """A patch series revision as received, whatever the source.

    ``archive`` is the public-inbox the mail was fetched from (``--lore-url``,
    a watch subscription), None for local mail: the drafts link there, not
    to an archive that may not have the series.
    """

    revision: int
    subject: str
    patches: tuple[Patch, ...]
    expected: int
    msgid: str
    author: Person
    cover: CoverLetter | None = None
    base_commit: str | None = None
    prerequisite_patch_ids: tuple[str, ...] = ()
    list_id: str | None = None
    source: str = ""
    notes: tuple[str, ...] = ()
    archive: str | None = None

    @property
    def missing(self) -> tuple[int, ...]:
        have = {p.index for p in self.patches}
        return tuple(i for i in range(1, self.expected + 1) if i not in have)

    @property
    def complete(self) -> bool:
        return not self.missing

    def incomplete_message(self) -> str | None:
        """Why the series is incomplete, in the words the user sees, or None."""
        if self.complete:
            return None
        have = ", ".join(str(p.index) for p in self.patches)
        return f"v{self.revision} is incomplete: have {have} of {self.expected}"


@dataclass(frozen=True)
class Evidence:
    """One named fact behind a finding and how far it lets the finding be trusted.

    ``name`` is stable (``origin-certain``, ``size-unknown``...), ``confidence``
    is the most this fact allows: HIGH for what the text shows for certain, lower
    for what had to be guessed. A finding's confidence is the lowest of its
    evidence (``confidence_of``), so no stage decides it on its own.
    """

    name: str
    confidence: Confidence
    note: str = ""


def confidence_of(evidence: tuple[Evidence, ...]) -> Confidence:
    """The weakest confidence of ``evidence``; HIGH when nothing was guessed."""
    return min((e.confidence for e in evidence), default=Confidence.HIGH)


@dataclass(frozen=True)
class Condition:
    """When a hazard bites: ``macro`` (what the memory is aligned to) below ``below``.

    On a tree where kmalloc still aligns to ``ARCH_DMA_MINALIGN`` (arm64 before
    v6.5) a small kmalloc buffer or a crypto context is safe; it becomes a
    hazard once ``ARCH_KMALLOC_MINALIGN`` (or ``CRYPTO_MINALIGN``, which follows
    it) drops below ``ARCH_DMA_MINALIGN``. Impact lists such a finding for a
    series exactly when the series changes ``macro`` (or what it is defined by).
    """

    macro: str
    below: str
    since: str = ""  # where it already holds, e.g. "arm64 since v6.5"

    def text(self) -> str:
        return f"{self.macro} < {self.below}" + (f" ({self.since})" if self.since else "")


class HazardKind(StrEnum):
    """What is wrong with a transfer, before a tree decides where it bites."""

    FAILS = "fails"  # not DMA-able memory: the mapping fails or corrupts wherever it runs
    CONTRACT = "contract"  # against the documented contract, but the core copes on this tree
    LINE = "line"  # shares a cache line unless aligned to ARCH_DMA_MINALIGN (non-coherent)
    # coherent memory mapped again: fails where dma_alloc_coherent() hands out remapped
    # (vmalloc) addresses, which dma_map_single() refuses
    REMAP = "remap"


class Aligned(StrEnum):
    """What a buffer (or the isolation of a member) is aligned to."""

    NOTHING = "nothing"  # no isolation: it shares a line with whatever is next to it
    L1 = "l1"  # L1_CACHE_BYTES (____cacheline_aligned)
    KMALLOC = "kmalloc"  # kmalloc()'s alignment at run time (a block's start, a context)
    KMALLOC_MACRO = "kmalloc-macro"  # the ARCH_KMALLOC_MINALIGN macro as the tree defines it
    BYTES = "bytes"  # an explicit number of bytes (__aligned(64), a cache's align)


@dataclass(frozen=True)
class Hazard:
    """What a rule found wrong with a transfer; a tree's facts decide where it bites
    (analysis/rules/exposure.py).

    ``aligned``/``bytes``: for a LINE hazard, what the memory is aligned to.
    ``bounced``: a whole small kmalloc buffer, which the DMA core bounces where the
    tree bounces small inbound kmalloc mappings (then it is only slower).
    ``length``: the most bytes the transfer maps (see ``bounced_by_size`` in exposure).
    """

    kind: HazardKind
    aligned: Aligned = Aligned.NOTHING
    bytes: int | None = None
    bounced: bool = False
    # the most bytes the transfer maps, when visible (a member's size): a small inbound
    # mapping is bounced by size where the tree bounces, whatever memory it is
    length: int | None = None
    # for a kmalloc-macro hazard, the macro (CRYPTO_MINALIGN, IIO_DMA_MINALIGN): a tree
    # that defines it as ARCH_DMA_MINALIGN makes the memory DMA-aligned
    macro: str | None = None
    # the kmalloc-level macro the object holding the memory is aligned to (a crypto
    # context: CRYPTO_MINALIGN): a change lowering it moves the memory's lines too
    container: str | None = None


@dataclass(frozen=True)
class Platform:
    """Where a file's driver runs: the architectures its Makefiles and Kconfig let it
    build for (None: unknown, any), whether it matches only ACPI devices, and the
    architectures where it cannot be in a configuration doing non-coherent DMA
    ([arch] noncoherent_needs: a PPC64-only driver on powerpc)."""

    arches: frozenset[str] | None = None
    acpi_only: bool = False
    coherent: frozenset[str] = frozenset()
    # why every device it binds is DMA-coherent (a bus like fsl-mc), or None
    coherent_bus: str | None = None
    # the architectures where it can be built in a configuration whose
    # dma_alloc_coherent() returns remapped memory ([arch] coherent_remap); None: unknown
    remaps: frozenset[str] | None = None

    @property
    def only_arch(self) -> str | None:
        """The one architecture it builds for, or None (several, or unknown)."""
        return next(iter(self.arches)) if self.arches is not None and len(self.arches) == 1 \
            else None


@dataclass(frozen=True)
class Finding:
    """One hazard at one place.

    ``buffer`` is the C expression handed to a device (None when there is no
    buffer, as for a changed ``#define``); ``macro`` is the alignment macro
    whose definition the finding is about (minalign rules). ``evidence`` names
    what the finding rests on; ``confidence`` is derived from it.
    ``introduced`` is True when the post-image of the series has it and the
    pre-image did not, False for hazards already present in touched code, and
    None where there is no before/after (a tree scan). ``fixed_in_patch``
    records a problem one patch introduced and a later patch removed (or,
    with ``replaced_by``, turned into a worse one).
    ``bites_when`` is set for a conditional hazard: one that exists only where
    the condition holds (and is reported so the audit comes before the change).
    """

    rule: str
    severity: Severity
    file: str
    line: int
    function: str | None
    buffer: str | None
    sink: str | None
    direction: str | None
    message: str
    confidence: Confidence = Confidence.HIGH
    introduced: bool | None = None
    patch: int | None = None
    fixed_in_patch: int | None = None
    details: tuple[tuple[str, str], ...] = ()
    # The rule of the finding that took this one's place in ``fixed_in_patch``:
    # the same buffer became as bad or worse (a small kmalloc buffer turned
    # into a stack or kvmalloc buffer), so it is "replaced by", never "fixed".
    replaced_by: str | None = None
    macro: str | None = None
    evidence: tuple[Evidence, ...] = ()
    bites_when: Condition | None = None
    # Whether it bites on the tree under review (rules/exposure.py): "bites" (corrupts
    # or fails on an architecture the driver builds for), "contract" (breaks a documented
    # DMA contract, works), "dormant" (only under a condition this tree does not meet);
    # None where no tree was judged. ``arches``: the architectures it bites on.
    verdict: str | None = None
    arches: tuple[str, ...] = ()
    # what a tree needs to judge it (set by the rules, kept through the scan cache, so a
    # finding can be judged on any tree without analysing it again: impact judges the
    # same findings on the tree before and after a series)
    hazard: Hazard | None = None
    platform: Platform | None = None

    def key(self) -> tuple[str, str, str | None, str | None]:
        """Identity across pre/post images: never the line number.

        The last part is what the finding is about: its buffer, else the
        alignment macro it concerns, else what a macro switch switches to.
        """
        return (self.rule, self.file, self.function,
                self.buffer if self.buffer is not None else self.macro or self.detail("after"))

    def detail(self, name: str) -> str | None:
        """One entry of ``details`` by name."""
        return dict(self.details).get(name)

    def fingerprint(self) -> str:
        """A stable id: a hash of ``key()`` (no line number).

        The baseline and SARIF's ``partialFingerprints`` both use it, so CI
        and code scanning agree on what "the same finding" is.
        """
        rule, file, function, subject = self.key()
        text = json.dumps([rule, file, function or "", subject or ""], ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @property
    def counts_against(self) -> bool:
        """Whether the finding is the series' doing: introduced and not fixed later in it.

        Pre-existing hazards are reported but never fail a check (blaming a
        patch for what was already there is what maintainers resent most),
        and neither does a problem one patch adds and a later patch removes.
        """
        return self.introduced is not False and self.fixed_in_patch is None


def blocking(findings: Iterable[Finding], fail_on: Severity) -> list[Finding]:
    """The findings that make a check fail at threshold ``fail_on``."""
    return [f for f in findings if f.counts_against and f.severity.rank >= fail_on.rank]


@dataclass(frozen=True)
class Unanalysed:
    """A file the analysis could not read, so its findings are missing.

    Never a clean result: ``check`` fails closed on it, a scan lists it in
    every format (and never caches it as findings-free).
    """

    file: str
    reason: str  # why, in words: "parsing needs more than 50000 steps (limits.parse_work)"
    patch: int | None = None  # the patch whose images it is; None in a scan


@dataclass(frozen=True)
class ScanStats:
    """What a tree scan looked at."""

    files: int  # C sources and headers seen
    candidates: int  # files that name a sink
    parsed: int  # files analysed in this run
    seconds: float
    cached: int = 0  # files whose findings came from the cache (candidates = parsed + cached)


class Consequence(StrEnum):
    """What a change of the tree's alignment facts does at one site, worst first."""

    CORRUPTS = "corrupts"  # a finding that now bites (shares a line, fails)
    RELIES = "relies"  # code computing an alignment from the changed macro (ALIGN(len, X))
    BOUNCED = "bounced"  # a mapping the DMA core now bounces: slower, not corrupting

    @property
    def rank(self) -> int:
        return list(Consequence).index(self)


@dataclass(frozen=True)
class DriverSite:
    file: str
    line: int
    function: str | None
    rule: str
    bites_when: Condition | None = None  # the finding's condition, for a conditional hazard
    # what the change does here (impact; None for a scan's findings), on which
    # architectures, and how sure the finding is
    consequence: Consequence | None = None
    arches: tuple[str, ...] = ()
    confidence: Confidence | None = None


@dataclass(frozen=True)
class AffectedDriver:
    name: str
    path: str
    kconfig: str | None
    maintainers: tuple[str, ...]
    lists: tuple[str, ...]
    sites: tuple[DriverSite, ...]
    section: str | None = None  # the MAINTAINERS section title
    reviewers: tuple[str, ...] = ()
    status: str | None = None  # S: of that section
    # every MAINTAINERS section covering it, most specific first (section is the first)
    sections: tuple[str, ...] = ()
    # impact: the worst consequence among its sites, and whether it is core or bus code
    # (many drivers behind it) rather than a leaf driver
    consequence: Consequence | None = None
    core: bool = False


@dataclass(frozen=True)
class Draft:
    path: str
    in_reply_to: str
    subject: str


@dataclass(frozen=True)
class PatchStatus:
    """What the apply stage could do with one patch.

    ``commit`` is the commit of the tree that already holds the patch (found
    by patch-id), when the series was applied on that commit's parent.
    """

    index: int
    applied: bool | None
    error: str | None = None
    commit: str | None = None


# The note every review carries, naming what its findings were judged on.
JUDGED_ON = "judged on "

# What a review on a tree without git history gives as its base (Review.base).
PLAIN_TREE = "a plain source tree (no git commit)"


@dataclass(frozen=True)
class Review:
    """Everything the render stage needs: the product of one pipeline run."""

    series: Series
    findings: tuple[Finding, ...] = ()
    affected_drivers: tuple[AffectedDriver, ...] = ()
    # drivers whose every site rests on a low-confidence finding (a size or a path not
    # known where the finding is made): kept apart, in the attachment and the JSON only,
    # never counted, addressed or put in the reply's table (impact.split_guesses)
    guessed_drivers: tuple[AffectedDriver, ...] = ()
    drafts: tuple[Draft, ...] = ()
    base: str | None = None
    patch_status: tuple[PatchStatus, ...] = ()
    notes: tuple[str, ...] = ()
    # files that could not be analysed: their findings are missing, so a CI gate
    # fails closed on them.
    unanalysed: tuple[Unanalysed, ...] = ()

    @property
    def judged_on(self) -> str | None:
        """What the findings were judged on ("Linux 6.1.192", "the shipped 6.12 profile
        (no tree)"), from the note the pipeline writes for every review."""
        note = next((n for n in self.notes if n.startswith(JUDGED_ON)), None)
        return note.removeprefix(JUDGED_ON) if note is not None else None

    @property
    def hunks_only(self) -> tuple[tuple[int, str], ...]:
        """(patch, why) for each patch with C code read from its hunks alone, despite a tree.

        Whole files show what hunks cannot: a stack buffer handed to a helper
        defined elsewhere, a buffer allocated in another function. A patch
        that neither applies to the tree nor is found in it (issue 25) read
        less than the tree would have shown, and every output must say so:
        a gate that silently reads less must not pass. Patches that touch no
        C file lose nothing; a review with no tree at all says so in its
        tree line instead.
        """
        if self.base is None:
            return ()
        status = {s.index: s for s in self.patch_status}
        base = self.base[:12] if re.fullmatch(r"[0-9a-f]{40}", self.base) else self.base
        out = []
        for p in self.series.patches:
            if not any(f.endswith((".c", ".h")) for f in p.files):
                continue
            st = status.get(p.index)
            if st is None or st.applied:  # no status: a review cut down to other patches
                continue
            out.append((p.index, f"it does not apply to {base}: {st.error or 'not applied'}"))
        return tuple(out)
