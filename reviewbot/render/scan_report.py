"""A tree scan as text, JSON (the scan contract of docs/architecture.md) or a Markdown report.

The Markdown groups drivers by MAINTAINERS section, so each part can be
pasted into a mail to the people who own it.
"""

from __future__ import annotations

from reviewbot import __version__
from reviewbot.model import AffectedDriver, Finding, ScanStats
from reviewbot.render.as_json import SCHEMA_VERSION, driver_dict, dumps, finding_dict
from reviewbot.render.as_text import finding_line


def text(findings: list[Finding], drivers: tuple[AffectedDriver, ...], stats: ScanStats) -> str:
    """Findings under their driver (Makefile module, Kconfig, maintainers), then a summary."""
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
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
    detail = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "info") if s in counts)
    lines.append(
        f"{len(findings)} finding(s)" + (f" ({detail})" if detail else "")
        + f" in {len(drivers)} driver(s); {stats.files} files seen, "
        f"{stats.candidates} name a DMA sink, {stats.parsed} parsed in {stats.seconds:.1f}s"
    )
    return "\n".join(lines) + "\n"


def json_text(
    findings: list[Finding], drivers: tuple[AffectedDriver, ...], stats: ScanStats
) -> str:
    return dumps(
        {
            "tool": "reviewbot",
            "version": __version__,
            "schema": SCHEMA_VERSION,
            "findings": [finding_dict(f, with_patch=False) for f in findings],
            "drivers": [driver_dict(d) for d in drivers],
            "stats": {
                "files": stats.files,
                "parsed": stats.parsed,
                "seconds": stats.seconds,
                "candidates": stats.candidates,
            },
        }
    )


def markdown(findings: list[Finding], drivers: tuple[AffectedDriver, ...], stats: ScanStats) -> str:
    by_site = {(f.file, f.line, f.rule): f for f in findings}
    sections: dict[str, list[AffectedDriver]] = {}
    for d in drivers:
        sections.setdefault(d.section or "(no MAINTAINERS entry)", []).append(d)
    out = [
        "# DMA-alignment report",
        "",
        f"{len(findings)} finding(s) in {len(drivers)} driver(s), from `reviewbot scan` "
        f"{__version__} ({stats.files} files, {stats.parsed} parsed in {stats.seconds:.1f}s).",
        "",
    ]
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
        out.append("| driver | path | Kconfig | sites |")
        out.append("| --- | --- | --- | --- |")
        for d in group:
            out.append(f"| {d.name} | `{d.path}` | {d.kconfig or '-'} | {len(d.sites)} |")
        out.append("")
        for d in group:
            for s in d.sites:
                f = by_site.get((s.file, s.line, s.rule))
                msg = f.message if f else ""
                conf = (
                    f" ({f.confidence.value} confidence)"
                    if f and f.confidence.value != "high"
                    else ""
                )
                out.append(f"- `{s.file}:{s.line}` `{s.rule}`{conf}: {msg}")
        out.append("")
    return "\n".join(out)
