"""GitHub Actions workflow commands: one annotation per finding.

``::error file=F,line=N,title=T::message`` makes GitHub pin the finding to
the line in a pull request's diff without uploading SARIF. Escaping follows
the Actions toolkit (``@actions/core``, command.ts): in data ``%``, CR and LF
are percent-encoded; in properties ``:`` and ``,`` as well, since they
delimit the property list.
"""

from __future__ import annotations

from reviewbot.model import Finding, Review, Severity
from reviewbot.render.as_text import hunks_only_text
from reviewbot.render.locations import final_location
from reviewbot.render.terminal import visible

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding, where: tuple[str, int | None] | None = None) -> str:
    """One workflow command; pre-existing findings are notices, never errors.

    ``where`` is the finding's place in the code after the series
    (``locations.final_location``); a line of None makes a file annotation.
    """
    command = _COMMAND[f.severity] if f.counts_against else "notice"
    title = f"reviewbot {f.rule}"
    if f.introduced is False:
        title += " (pre-existing)"
    if f.replaced_by is not None:
        title += f" (replaced by {f.replaced_by} in patch {f.fixed_in_patch})"
    elif f.fixed_in_patch is not None and f.introduced is not False:
        title += f" (fixed by patch {f.fixed_in_patch})"
    file, line = where if where is not None else (f.file, f.line)
    props = [f"file={escape_property(file)}"]
    if line is not None and line >= 1:
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::{command} {','.join(props)}::{escape_data(f.message)}"


def render_annotations(review: Review) -> str:
    """All findings as workflow commands, one a line (empty when there are none).

    A file that could not be analysed is an error annotation of its own; a
    patch read from its hunks only is a warning.
    """
    lines = [annotation(f, final_location(review, f)) for f in review.findings]
    for u in review.unanalysed:
        props = f"file={escape_property(u.file)},title={escape_property('reviewbot: not analysed')}"
        text = f"patch {u.patch}: not analysed ({u.reason}); its findings are missing"
        lines.append(f"::error {props}::{escape_data(text)}")
    files = {p.index: p.files for p in review.series.patches}
    for patch, why in review.hunks_only:
        where = [f"file={escape_property(path)}" for path in files.get(patch, [])[:1]]
        where.append(f"title={escape_property('reviewbot: hunks only')}")
        text = f"patch {patch}: {hunks_only_text(why)}"
        lines.append(f"::warning {','.join(where)}::{escape_data(text)}")
    return visible("".join(line + "\n" for line in lines))
