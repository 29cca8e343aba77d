"""Human summary: the series, then ``file:line: severity: message [rule]`` lines.

The finding lines use the shape checkpatch, Coccinelle and compilers use so
editors and CI can jump to them.
"""

from __future__ import annotations

from reviewbot.model import Finding, Review


def finding_line(f: Finding) -> str:
    tag = f.rule
    if f.introduced is False:
        tag += ", pre-existing"
    if f.fixed_in_patch is not None:
        tag += f", fixed by patch {f.fixed_in_patch}"
    if f.confidence.value != "high":
        tag += f", {f.confidence.value} confidence"
    return f"{f.file}:{f.line}: {f.severity.value}: {f.message} [{tag}]"


def render_review(review: Review) -> str:
    s = review.series
    lines = [f"Series: [v{s.revision}] {s.subject}", f"  from: {s.author}", f"  msgid: <{s.msgid}>"]
    if s.list_id:
        lines.append(f"  list: {s.list_id}")
    base = review.base or s.base_commit
    if review.base:
        lines.append(f"  base: {review.base} (applied)")
    elif base:
        lines.append(f"  base-commit: {base} (stated; not applied)")
    else:
        lines.append("  base: none (reviewed from the patches alone)")
    status = {p.index: p for p in review.patch_status}
    width = len(str(s.expected))
    for p in s.patches:
        st = status.get(p.index)
        mark = ""
        if st is not None and st.applied is False and st.error:
            mark = f"  (does not apply: {st.error})"
        lines.append(f"  [{p.index:>{width}}/{s.expected}] {p.subject}{mark}")
    for note in (*s.notes, *review.notes):
        lines.append(f"  note: {note}")
    lines.append("")
    introduced = [f for f in review.findings if f.introduced is not False]
    older = [f for f in review.findings if f.introduced is False]
    if not review.findings:
        lines.append("No DMA-alignment findings.")
    for f in introduced:
        lines.append(finding_line(f))
    if older:
        lines.append("")
        lines.append("Already present before this series (not caused by it):")
        lines.extend(finding_line(f) for f in older)
    if review.affected_drivers:
        lines.append("")
        lines.append(f"Affected drivers ({len(review.affected_drivers)}):")
        for d in review.affected_drivers:
            who = ", ".join(d.maintainers[:3]) or "no maintainer listed"
            lines.append(f"  {d.path}  {d.kconfig or '-'}  {len(d.sites)} site(s)  {who}")
    if review.drafts:
        lines.append("")
        lines.append("Drafts:")
        lines.extend(f"  {d.path}" for d in review.drafts)
    return "\n".join(lines) + "\n"
