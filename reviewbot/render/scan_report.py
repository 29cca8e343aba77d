"""A tree scan as text, JSON (the scan contract of docs/architecture.md) or a Markdown report.

The text is one line per finding, at most 120 columns, so a whole-tree scan
reads (and greps) like a compiler's warnings; ``-v`` gives each finding
whole under its driver. The Markdown groups drivers by MAINTAINERS section,
so each part can be pasted into a mail to the people who own it. Every
summary says how much was read: parsed in this run, or from the cache; and
every format lists the files that were not analysed (their findings are
missing): a scan never passes them off as clean.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reviewbot import __version__
from reviewbot.model import AffectedDriver, Finding, ScanStats, Unanalysed
from reviewbot.render.as_json import SCHEMA_VERSION, driver_dict, dumps, finding_dict
from reviewbot.render.as_text import finding_line
from reviewbot.render.terminal import visible

WIDTH = 120  # a finding's line in the text report (its details: -v, explain, JSON)


@dataclass(frozen=True)
class Shown:
    """What the report shows of the scan, when a filter hid some of it.

    ``total`` is the number of findings before ``--severity`` and
    ``--maintainer``; ``filters`` says which were given, for the header.
    """

    total: int = 0
    filters: tuple[str, ...] = ()
    judged: str = ""  # what the findings were judged on (analysis/trees.py describe())


def short_line(f: Finding, width: int = WIDTH) -> str:
    """One finding in at most ``width`` columns: where, severity, what (cut short), rule.

    What is the first clause of the message (the buffer, where its memory
    comes from and the call that takes it); the reason after it, often
    longer than the rest, is for ``-v``, ``reviewbot explain RULE`` and JSON.
    """
    tag = f.rule + ("" if f.confidence.value == "high" else f", {f.confidence.value}")
    head = f"{f.file}:{f.line}: {f.severity.value}: "
    tail = f" [{tag}]"
    room = width - len(head) - len(tail)
    for what in _shorter(_terse(f.message.split(": ", 1)[0])):
        if len(what) <= room:
            return head + what + tail
    cut = what[: max(0, room - 3)].rsplit(" ", 1)[0].rstrip(",;(")
    return head + cut + "..." + tail


def _shorter(what: str) -> list[str]:
    """``what``, then shorter forms: without the direction, then with the first call only."""
    out = [what]
    plain = re.sub(r" \(DMA [a-z/]+\)$", "", what)
    out.append(plain)
    hops = plain.split(" -> ")
    if len(hops) > 2:
        out.append(" -> ".join(hops[:2]) + " -> ...")
    return out


# The message's first clause, said shorter ("buf is the stack array 'buf' (line
# 334), passed to spi_read() for DMA from the device" -> "buf: stack array ->
# spi_read() (DMA in)"): names, lines and the whole call chain are in -v.
_TERSE = (
    (re.compile(r"^(?:the|a|an) "), ""),
    (re.compile(r" '[^']*'"), ""),
    (re.compile(r"\(\) memory\b"), "()"),
    (re.compile(r" \(line \d+\)"), ""),
    (re.compile(r", (?:passed to|which hands it to|stored in) "), " -> "),
    (re.compile(r", returned by "), " from "),
    (re.compile(r" for DMA from the device$"), " (DMA in)"),
    (re.compile(r" for DMA to the device$"), " (DMA out)"),
    (re.compile(r" for bidirectional DMA$"), " (DMA in/out)"),
)


def _terse(what: str) -> str:
    subject, sep, rest = what.partition(" is ")
    if not sep:
        return what
    for rx, by in _TERSE:
        rest = rx.sub(by, rest)
    return f"{subject}: {rest}"


def _counts(findings: list[Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
    return ", ".join(
        f"{counts[s]} {s}{'' if counts[s] == 1 else 's'}"
        for s in ("error", "warning", "info")
        if s in counts
    )


def _work(stats: ScanStats) -> str:
    """What the scan read: files seen, those naming a sink, parsed now or from the cache."""
    return (
        f"{stats.files} files seen, {stats.candidates} name a DMA sink: {stats.parsed} parsed, "
        f"{stats.cached} from the cache, in {stats.seconds:.1f}s"
    )


def _not_analysed(unanalysed: Sequence[Unanalysed]) -> str:
    return f"{len(unanalysed)} file(s) not analysed (their findings are missing)"


def _filtered(shown: Shown) -> str:
    if not shown.filters:
        return ""
    return f" (of {shown.total}; {', '.join(shown.filters)})"


def text(
    findings: list[Finding],
    drivers: tuple[AffectedDriver, ...],
    stats: ScanStats,
    verbose: bool = False,
    shown: Shown = Shown(),
    unanalysed: Sequence[Unanalysed] = (),
) -> str:
    """One line per finding (``verbose``: under their driver, whole), the files not
    analysed, then a summary."""
    lines: list[str] = []
    if verbose:
        lines += _grouped(findings, drivers)
    else:
        lines += [short_line(f) for f in findings]
        if findings:
            lines.append("")
    if unanalysed:
        lines.append("Not analysed (their findings are missing):")
        lines.extend(f"  {u.file}: {u.reason}" for u in unanalysed)
        lines.append("")
    detail = _counts(findings)
    lines.append(
        f"{len(findings)} finding(s)" + (f" ({detail})" if detail else "")
        + _filtered(shown) + f" in {len(drivers)} driver(s)"
        + (f"; {_not_analysed(unanalysed)}" if unanalysed else "")
    )
    lines.append(_work(stats) + (f"; judged on {shown.judged}" if shown.judged else ""))
    return visible("\n".join(lines) + "\n")


def _grouped(findings: list[Finding], drivers: tuple[AffectedDriver, ...]) -> list[str]:
    """Findings under their driver (Makefile module, Kconfig, maintainers), whole."""
    by_site = {(f.file, f.line, f.rule): f for f in findings}
    lines: list[str] = []
    shown: set[tuple[str, int, str]] = set()
    for d in sorted(drivers, key=lambda d: d.path):
        who = ", ".join(d.maintainers[:3]) or "no maintainer listed"
        lines.append(f"{d.path or d.name or '.'} ({d.kconfig or 'no Kconfig symbol'}; {who})")
        for site in d.sites:
            key = (site.file, site.line, site.rule)
            f = by_site.get(key)
            if f is not None and key not in shown:
                shown.add(key)
                lines.append("  " + finding_line(f))
        lines.append("")
    rest = [f for f in findings if (f.file, f.line, f.rule) not in shown]
    if rest:  # not in any driver the Makefiles name
        lines.append("(no driver)")
        lines.extend("  " + finding_line(f) for f in rest)
        lines.append("")
    return lines


def json_text(
    findings: list[Finding],
    drivers: tuple[AffectedDriver, ...],
    stats: ScanStats,
    verbose: bool = False,
    shown: Shown = Shown(),
    unanalysed: Sequence[Unanalysed] = (),
) -> str:
    return dumps(
        {
            "tool": "reviewbot",
            "version": __version__,
            "schema": SCHEMA_VERSION,
            "findings": [finding_dict(f, with_patch=False) for f in findings],
            "drivers": [driver_dict(d) for d in drivers],
            "unanalysed": [{"file": u.file, "reason": u.reason} for u in unanalysed],
            "judged_on": shown.judged or None,
            "stats": {
                "files": stats.files,
                "parsed": stats.parsed,
                "seconds": stats.seconds,
                "candidates": stats.candidates,
                "cached": stats.cached,
            },
        }
    )


def markdown(
    findings: list[Finding],
    drivers: tuple[AffectedDriver, ...],
    stats: ScanStats,
    verbose: bool = False,
    shown: Shown = Shown(),
    unanalysed: Sequence[Unanalysed] = (),
) -> str:
    """One section per MAINTAINERS entry: its people, its drivers, each finding with severity;
    then the files not analysed."""
    by_site = {(f.file, f.line, f.rule): f for f in findings}
    sections: dict[str, list[AffectedDriver]] = {}
    for d in drivers:
        sections.setdefault(d.section or "(no MAINTAINERS entry)", []).append(d)
    out = [
        "# DMA-alignment report",
        "",
        f"{len(findings)} finding(s)"
        + (f" ({_counts(findings)})" if findings else "")
        + _filtered(shown)
        + f" in {len(drivers)} driver(s), from `reviewbot scan` {__version__} "
        f"({_work(stats)})" + (f"; {_not_analysed(unanalysed)}" if unanalysed else "")
        + (f"; judged on {shown.judged}." if shown.judged else "."),
        "",
    ]
    if unanalysed:
        out.append("## Not analysed")
        out.append("")
        out.append("These files were not read to the end; their findings are missing.")
        out.append("")
        out.extend(f"- `{u.file}`: {u.reason}" for u in unanalysed)
        out.append("")
    for title in sorted(sections):
        group = sections[title]
        first = group[0]
        out.append(f"## {title}")
        out.append("")
        if first.maintainers:
            out.append("Maintainers: " + ", ".join(first.maintainers))
        if first.lists:
            out.append("Lists: " + ", ".join(first.lists))
        out.append("")
        out.append("| driver | path | Kconfig | errors | warnings | info |")
        out.append("| --- | --- | --- | --- | --- | --- |")
        for d in group:
            of_driver = [f for s in d.sites if (f := by_site.get((s.file, s.line, s.rule)))]
            n = {sev: sum(f.severity.value == sev for f in of_driver)
                 for sev in ("error", "warning", "info")}
            out.append(
                f"| {d.name} | `{d.path}` | {d.kconfig or '-'} "
                f"| {n['error']} | {n['warning']} | {n['info']} |"
            )
        out.append("")
        for d in group:
            for s in d.sites:
                f = by_site.get((s.file, s.line, s.rule))
                if f is None:
                    continue
                conf = f" ({f.confidence.value} confidence)" if f.confidence.value != "high" else ""
                out.append(
                    f"- **{f.severity.value}** `{s.file}:{s.line}` `{s.rule}`{conf}: {f.message}"
                )
        out.append("")
    return visible("\n".join(out))
