"""What a reply says: the data handed to the templates, and the rendering itself.

Templates get plain data only (strings, lists, dicts); text from a mail is
never part of a template's source, and the environment is sandboxed, so a
subject or a diff line containing ``{{ ... }}`` or ``{% ... %}`` is printed
as it is. The bundled ``templates/`` fill in for any template a user's own
folder (``reply.templates``) does not have.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from reviewbot import __version__
from reviewbot.errors import ConfigError
from reviewbot.model import Confidence, Finding, Patch, Review
from reviewbot.render.reply_headers import clean_msgid, identity
from reviewbot.render.reply_quote import quote_lines
from reviewbot.render.reply_text import one_line, rule_doc, table, tidy_body
from reviewbot.resources import data_path
from reviewbot.settings import ReplySettings

logger = logging.getLogger(__name__)

PATCH_TEMPLATE = "patch-reply.txt.j2"
SERIES_TEMPLATE = "series-reply.txt.j2"


def alignment_change(f: Finding) -> str | None:
    """"definition" or "usage" when the finding's rule reports an alignment-macro change."""
    from reviewbot.analysis.rules import find

    r = find(f.rule)
    return r.alignment_change.value if r is not None and r.alignment_change else None


def changes_alignment_macro(f: Finding) -> bool:
    """A series-wide matter: what an alignment macro means changes."""
    return alignment_change(f) is not None


def template_env(settings: ReplySettings) -> SandboxedEnvironment:
    """A sandboxed jinja2 environment over the user's folder, then the bundled one."""
    loaders: list[jinja2.BaseLoader] = []
    if settings.templates is not None:
        if not settings.templates.is_dir():
            raise ConfigError(f"reply.templates: {settings.templates} is not a folder")
        loaders.append(jinja2.FileSystemLoader(str(settings.templates)))
    loaders.append(jinja2.FileSystemLoader(str(data_path("templates"))))
    return SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(env: SandboxedEnvironment, name: str, context: dict[str, Any], width: int) -> str:
    try:
        text = env.get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or name
        raise ConfigError(f"reply template {where}: {exc}") from None
    return tidy_body(text, width)


def first_name(name: str) -> str:
    """What a greeting calls a person: ``Dana`` for ``Dana Developer`` or ``Developer, Dana``."""
    name = one_line(name).strip("\"' ")
    if "," in name:
        name = name.split(",", 1)[1].strip()
    word = name.split(" ", 1)[0] if name else ""
    return word if word and "@" not in word else ""


def archive_link(settings: ReplySettings, msgid: str) -> str:
    return f"{settings.archive_url.rstrip('/')}/{quote(clean_msgid(msgid), safe='@!$&*+,;=:~.-_')}/"


def base_phrase(review: Review, patch: Patch | None) -> str:
    """Against which base the review was made, in one phrase."""
    status = {s.index: s for s in review.patch_status}
    st = status.get(patch.index) if patch is not None else None
    if review.base:
        if st is not None and st.applied is False and st.error:
            return (
                f"from its hunks alone: it does not apply to {review.base} ({one_line(st.error)})"
            )
        return f"against {one_line(review.base)}"
    alone = "the patch" if patch is not None else "the patches"
    return f"from {alone} alone: no tree"


def base_line(review: Review) -> str:
    """The metadata block's base: the tree's, or the one the series names."""
    if review.base:
        return one_line(review.base)
    stated = one_line(review.series.base_commit)[:64]
    if stated:
        return f"{stated} (named by the series, not applied)"
    return "none (reviewed from the patches alone)"


def human_list(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def common_context(
    review: Review, settings: ReplySettings, command: str, reply_msgid: str, greet: str
) -> dict[str, Any]:
    me = identity(settings)
    return {
        "greeting_name": first_name(greet),
        "version": __version__,
        "command": one_line(command),
        "signature": settings.signature,
        "opt_out": one_line(settings.opt_out),
        "reported_by": str(me),
        "closes": archive_link(settings, reply_msgid),
        "base": base_line(review),
        "series_subject": one_line(review.series.subject),
        "total": review.series.expected,
    }


def _finding_view(f: Finding, patch: Patch, settings: ReplySettings, total: int) -> dict:
    doc = rule_doc(f.rule)
    where = f" in {f.function}()" if f.function else ""
    q = quote_lines(patch.diff, f.file, f.line, settings.quote_before)
    return {
        "rule": f.rule,
        "severity": f.severity.value,
        "file": one_line(f.file),
        "line": f.line,
        "function": one_line(f.function),
        "heading": one_line(f"{f.file}:{f.line}: {f.severity.value}: {f.message} [{f.rule}]"),
        "where": one_line(where),
        "message": one_line(f.message),
        "quote": list(q.lines) if q else [],
        "why": one_line(doc.why),
        "read": one_line(doc.read),
        "fix": one_line(doc.fix),
        "confidence": f.confidence.value if f.confidence != Confidence.HIGH else "",
        "fixed_later": (
            f"{f.fixed_in_patch}/{total}"
            if f.fixed_in_patch is not None and f.fixed_in_patch != f.patch
            else ""
        ),
    }


def patch_context(
    review: Review,
    patch: Patch,
    introduced: Sequence[Finding],
    older: Sequence[Finding],
    settings: ReplySettings,
    command: str,
    reply_msgid: str,
    series_reply: bool,
) -> dict[str, Any]:
    """The data of one per-patch reply."""
    total = review.series.expected
    ctx = common_context(review, settings, command, reply_msgid, patch.author.name)
    views = [_finding_view(f, patch, settings, total) for f in introduced]
    shown_file = ""
    for v in views:
        v["show_file"] = bool(v["quote"]) and v["file"] != shown_file
        if v["quote"]:
            shown_file = v["file"]
    ctx.update(
        index=patch.index,
        subject=one_line(patch.subject),
        checked=base_phrase(review, patch),
        url=archive_link(settings, patch.msgid),
        findings=views,
        problems=sum(1 for f in introduced if f.severity.rank > 0),
        notes=sum(1 for f in introduced if f.severity.rank == 0),
        older=[
            {
                "text": one_line(f"{f.file}:{f.line}: {f.severity.value}: {f.message} [{f.rule}]"),
                "fixed_later": f"{f.fixed_in_patch}/{total}" if f.fixed_in_patch else "",
            }
            for f in older
        ],
        series_reply=series_reply,
        has_minalign=any(changes_alignment_macro(f) for f in introduced),
    )
    return ctx


def _change_rows(findings: Sequence[Finding], total: int) -> tuple[list[str], list[str]]:
    """The per-architecture table of definition changes, and one sentence per change."""
    rows, sentences = [], []
    for f in findings:
        d = dict(f.details)
        macro = f.macro or "?"
        arch = d.get("arch", "generic")
        before, after = d.get("before", "?"), d.get("after", "?")
        rows.append([arch, macro, before, after, f"{f.patch}/{total}"])
        meaning = d.get("meaning") or f"what {macro} means"
        sentences.append(
            one_line(f"On {arch}, {meaning} changes from {before} to {after} (patch {f.patch}).")
        )
    if not rows:
        return [], sentences
    return table(("arch", "macro", "before", "after", "patch"), rows), sentences


def series_context(
    review: Review,
    answered: Patch | None,
    minalign: Sequence[Finding],
    patch_replies: Sequence[int],
    settings: ReplySettings,
    command: str,
    reply_msgid: str,
) -> dict[str, Any]:
    """The data of the one reply about series-wide matters (minalign changes, drivers)."""
    series = review.series
    total = series.expected
    ctx = common_context(review, settings, command, reply_msgid, series.author.name)
    definitions = [f for f in minalign if alignment_change(f) == "definition"]
    usages = [f for f in minalign if alignment_change(f) == "usage"]
    change_table, change_sentences = _change_rows(definitions, total)
    usage_rows = [
        [
            f"{f.file}:{f.line}",
            dict(f.details).get("before", "?"),
            dict(f.details).get("after", "?"),
            f"{f.patch}/{total}",
        ]
        for f in usages
    ]
    shown = review.affected_drivers[: settings.max_drivers]
    drivers = [
        {
            "name": one_line(d.name),
            "path": one_line(d.path),
            "kconfig": one_line(d.kconfig),
            "sites": len(d.sites),
            "maintainers": [one_line(m) for m in d.maintainers],
            "lists": [one_line(x) for x in d.lists],
        }
        for d in shown
    ]
    driver_lines: list[str] = []
    if drivers:
        driver_lines = table(
            ("driver", "path", "config", "sites"),
            [[d["name"], d["path"], d["kconfig"] or "-", str(d["sites"])] for d in drivers],
        )
        head, body = driver_lines[0], driver_lines[1:]
        driver_lines = [head]
        for d, row in zip(drivers, body, strict=True):
            driver_lines.append(row)
            driver_lines.append(
                "      maintainers: " + (", ".join(d["maintainers"]) or "none listed")
            )
            if d["lists"]:
                driver_lines.append("      lists: " + ", ".join(d["lists"]))
    why = rule_doc(definitions[0].rule).why if definitions else ""
    ctx.update(
        checked=base_phrase(review, None),
        url=archive_link(settings, answered.msgid if answered else series.msgid),
        change_table=change_table,
        change_sentences=change_sentences,
        why=one_line(why),
        usage_table=table(("where", "before", "after", "patch"), usage_rows) if usages else [],
        drivers=drivers,
        driver_table=driver_lines,
        more_drivers=max(0, len(review.affected_drivers) - len(shown)),
        patch_replies=human_list([f"{i}/{total}" for i in patch_replies]),
        patch_reply_count=len(patch_replies),
    )
    return ctx
