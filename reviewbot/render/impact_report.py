"""The affected-driver list as a file a maintainer can attach or paste: Markdown.

The reply to a series that changes kmalloc's alignment names the first drivers
(``[reply] max_drivers``) in rank order; the whole list, every site, grouped by
MAINTAINERS section so each maintainer finds theirs, is this document: written
beside the drafts by ``--outbox`` (the reply names it), printed by
``review --format markdown``, and by ``scan --by-maintainer`` for a tree with a
what-if instead of a series.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Sequence

from reviewbot.model import AffectedDriver, DriverSite, Review, Series, Unanalysed
from reviewbot.render.terminal import visible

_NO_SECTION = "(no MAINTAINERS section)"


def attachment_name(series: Series) -> str:
    """The file name of a series' list: one per series in an outbox shared by many."""
    digest = hashlib.sha1(series.msgid.encode()).hexdigest()[:10]
    return f"affected-drivers-{digest}.md"


def markdown(drivers: Sequence[AffectedDriver], title: str, about: str,
             guessed: Sequence[AffectedDriver] = (),
             unanalysed: Sequence[Unanalysed] = ()) -> str:
    """The ranked list, grouped by MAINTAINERS section (sections in the order of their
    first driver); ``about`` says what changed and what it was judged on. ``guessed``:
    drivers resting only on low-confidence findings, after the list, apart and uncounted;
    ``unanalysed``: the files whose drivers the list may miss (docs/limits.md)."""
    lines = [f"# {title}", "", *_wrapped(about), ""]
    if not drivers:
        lines += ["No driver of the tree is affected.", ""]
    else:
        counts = {c: sum(1 for d in drivers if d.consequence == c)
                  for c in dict.fromkeys(d.consequence for d in drivers)}
        lines.append(f"{len(drivers)} driver(s), core and bus code first, then the worst: "
                     + ", ".join(f"{n} {c.value if c is not None else 'listed'}"
                                 for c, n in counts.items()) + ".")
        lines.append("")
        lines += _sections(drivers)
    if guessed:
        lines += [f"## To check by hand: {len(guessed)} more driver(s)", "",
                  *_wrapped("Each rests only on low-confidence findings: a buffer whose "
                            "size, or whose way to the device, is not known where it is "
                            "found. Not counted above; read the site before writing a fix."),
                  "",
                  "| driver | path | Kconfig | MAINTAINERS section | sites |",
                  "| --- | --- | --- | --- | --- |"]
        for d in guessed:
            lines.append(f"| {d.name} | `{d.path}` | {d.kconfig or '-'} "
                         f"| {d.section or _NO_SECTION} | {len(d.sites)} |")
        lines += ["", *_site_lines(guessed), ""]
    if unanalysed:
        lines += [f"## Not analysed: {len(unanalysed)} file(s)", "",
                  "Their drivers may be missing from the list above.", ""]
        lines += [f"- `{u.file}`: {u.reason}" for u in unanalysed]
        lines.append("")
    # a subject or a tree's file name may hold control characters: written out, never
    # sent to the terminal that prints this or the mail it is attached to
    return visible("\n".join(lines).rstrip("\n") + "\n")


def _wrapped(text: str) -> list[str]:
    """A paragraph of prose at 72 columns, as the mail it is attached to."""
    return textwrap.wrap(text, 72, break_long_words=False, break_on_hyphens=False)


def _sections(drivers: Sequence[AffectedDriver]) -> list[str]:
    """One section per MAINTAINERS entry: its people, its drivers' table, their sites."""
    lines: list[str] = []
    rank = {id(d): i for i, d in enumerate(drivers, 1)}
    sections: dict[str, list[AffectedDriver]] = {}
    for d in drivers:
        sections.setdefault(d.section or _NO_SECTION, []).append(d)
    for name, group in sections.items():
        first = group[0]
        lines.append(f"## {name}")
        lines.append("")
        who = ", ".join(first.maintainers) or "no maintainer listed"
        lists = ", ".join(first.lists)
        lines.append(f"Maintainers: {who}" + (f"; lists: {lists}" if lists else ""))
        lines.append("")
        lines.append("| rank | driver | path | Kconfig | consequence | sites |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for d in group:
            what = d.consequence.value if d.consequence is not None else "-"
            core = " (core)" if d.core else ""
            lines.append(f"| {rank[id(d)]} | {d.name}{core} | `{d.path}` | {d.kconfig or '-'} "
                         f"| {what} | {len(d.sites)} |")
        lines += ["", *_site_lines(group), ""]
    return lines


def _site_lines(drivers: Sequence[AffectedDriver]) -> list[str]:
    """Every site of ``drivers``, a list item each."""
    return [f"- `{s.file}:{s.line}` {_site(s)}" for d in drivers for s in d.sites]


def about(review: Review) -> str:
    """What changed and what it was judged on, in one paragraph for the list's head."""
    tree = review.judged_on or "no tree"
    return (f"Series: \"{review.series.subject}\". It changes the alignment that kmalloc() "
            "and the alignment macros give; each driver below is judged on the tree before "
            f"and after it ({tree}). \"corrupts\": a buffer now shares a cache line with "
            "other data or fails; \"relies\": code computes with a changed macro; "
            "\"bounced\": the DMA core now bounces a mapping (slower). The rule names are "
            "explained by `reviewbot explain RULE`.")


def review_markdown(review: Review) -> str:
    """``review --format markdown``: the whole ranked list of the series' review."""
    return markdown(review.affected_drivers, "Affected drivers", about(review),
                    review.guessed_drivers, review.unanalysed)


def attachments(review: Review) -> dict[str, bytes]:
    """The files a reply to ``review`` names: the whole affected-driver list, if any
    (guesses alone get no file: the reply names none)."""
    if not review.affected_drivers:
        return {}
    return {attachment_name(review.series): review_markdown(review).encode()}


def _site(s: DriverSite) -> str:
    where = f"{s.function}(): " if s.function else ""
    what = s.consequence.value if s.consequence is not None else "listed"
    arches = f" on {', '.join(s.arches)}" if s.arches else ""
    sure = f", {s.confidence.value} confidence" if s.confidence is not None else ""
    return f"{where}{s.rule}, {what}{arches}{sure}"
