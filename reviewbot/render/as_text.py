"""Human summary: the series, then ``file:line: severity: message [rule]`` lines.

The finding lines use the shape checkpatch, Coccinelle and compilers use so
editors and CI can jump to them.
"""

from __future__ import annotations

import re

from reviewbot.model import Finding, Review
from reviewbot.render.terminal import visible

_PREFIX_RE = re.compile(r"^\[[^\]]*\]\s*")


def hunks_only_text(why: str) -> str:
    """What reading a patch from its hunks alone means, in one sentence (every format)."""
    return (
        f"read from its hunks only ({why}): a hazard that needs the whole file "
        "(a helper, another function) is not seen"
    )


def finding_line(f: Finding) -> str:
    tag = f.rule
    if f.introduced is False:
        tag += ", pre-existing"
    if f.replaced_by is not None:
        tag += f", replaced by {f.replaced_by} in patch {f.fixed_in_patch}"
    elif f.fixed_in_patch is not None:
        tag += f", fixed by patch {f.fixed_in_patch}"
    if f.confidence.value != "high":
        tag += f", {f.confidence.value} confidence"
    return f"{f.file}:{f.line}: {f.severity.value}: {f.message} [{tag}]"


def render_review(review: Review, tree: str | None = None) -> str:
    """The review for a person; ``tree`` says which tree was used and why (front ends know)."""
    s = review.series
    lines = [f"Series: [v{s.revision}] {s.subject}", f"  from: {s.author}", f"  msgid: <{s.msgid}>"]
    if s.list_id:
        lines.append(f"  list: {s.list_id}")
    if tree:
        lines.append(f"  tree: {tree}")
    base = review.base or s.base_commit
    if review.base:
        lines.append(f"  base: {review.base} (applied)")
    elif base:
        lines.append(f"  base-commit: {base} (stated; not applied)")
    else:
        lines.append("  base: none (reviewed from the patches alone)")
    status = {p.index: p for p in review.patch_status}
    partial = dict(review.hunks_only)
    width = len(str(s.expected))
    for p in s.patches:
        st = status.get(p.index)
        mark = ""
        if p.index in partial and st is not None and st.error:
            mark = f"  (hunks only: does not apply: {st.error})"
        elif st is not None and st.applied is False and st.error:
            mark = f"  (does not apply: {st.error})"
        elif st is not None and st.commit:
            mark = f"  (in the tree as {st.commit[:12]})"
        lines.append(f"  [{p.index:>{width}}/{s.expected}] {p.subject}{mark}")
    for note in (*s.notes, *review.notes):
        lines.append(f"  note: {note}")
    lines.append("")
    introduced = [f for f in review.findings if f.introduced is not False]
    older = [f for f in review.findings if f.introduced is False]
    if not review.findings and review.unanalysed:  # not a clean result: say so
        lines.append(f"No DMA-alignment findings in what was analysed; "
                     f"{_count(len(review.unanalysed), 'file')} not analysed (see the notes).")
    elif not review.findings:
        lines.append("No DMA-alignment findings.")
    lines.extend(_by_patch(introduced, s))
    if older:
        lines.append("")
        lines.append("Already present before this series (not caused by it):")
        lines.extend(finding_line(f) for f in older)
    if review.affected_drivers:
        lines.append("")
        lines.append(f"Affected drivers ({len(review.affected_drivers)}), "
                     "core code first, then the worst:")
        for d in review.affected_drivers:
            who = ", ".join(d.maintainers[:3]) or "no maintainer listed"
            what = d.consequence.value if d.consequence is not None else "-"
            lines.append(f"  {d.path}  {d.kconfig or '-'}  {what}  {len(d.sites)} site(s)  "
                         f"{who}")
    if review.guessed_drivers:
        lines.append(f"  and {_count(len(review.guessed_drivers), 'more driver')} to check by "
                     "hand, resting only on low-confidence findings (--format markdown)")
    if review.drafts:
        lines.append("")
        lines.append("Drafts:")
        lines.extend(f"  {d.path}" for d in review.drafts)
    lines.append("")
    lines.append(summary_line(review))
    return visible("\n".join(lines) + "\n")


def _by_patch(findings: list[Finding], series) -> list[str]:
    """Introduced findings under the patch that introduced them, in series order."""
    subjects = {p.index: _PREFIX_RE.sub("", p.subject) for p in series.patches}
    groups: dict[int | None, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.patch, []).append(f)
    out: list[str] = []
    for index in sorted(groups, key=lambda i: (i is None, i or 0)):
        if out:
            out.append("")
        if index is None:
            out.append("Introduced by the series:")
        else:
            out.append(f"Patch {index}/{series.expected}: {subjects.get(index, '')}".rstrip())
        out.extend(finding_line(f) for f in groups[index])
    return out


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def summary_line(review: Review) -> str:
    """One closing line with the counts, so a long review ends with its verdict."""
    introduced = [f for f in review.findings if f.introduced is not False]
    by_severity: dict[str, int] = {}
    for f in introduced:
        by_severity[f.severity.value] = by_severity.get(f.severity.value, 0) + 1
    detail = ", ".join(
        _count(by_severity[sev], sev) for sev in ("error", "warning", "info") if sev in by_severity
    )
    patches = len({f.patch for f in introduced if f.patch is not None})
    parts = [
        _count(len(introduced), "finding") + " introduced"
        + (f" ({detail})" if detail else "")
        + (f" by {_count(patches, 'patch').replace('patchs', 'patches')}" if patches else ""),
        f"{len(review.findings) - len(introduced)} pre-existing",
    ]
    if review.unanalysed:
        parts.append(_count(len(review.unanalysed), "file") + " not analysed")
    if review.affected_drivers:
        parts.append(_count(len(review.affected_drivers), "affected driver"))
    if review.drafts:
        parts.append(_count(len(review.drafts), "draft"))
    return "; ".join(parts) + "."
