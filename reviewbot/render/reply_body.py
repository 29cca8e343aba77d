"""What a reply says: the data handed to the templates, and the rendering itself.

Templates get plain data only (strings, lists, dicts); text from a mail is
never part of a template's source, and the environment is sandboxed, so a
subject or a diff line containing ``{{ ... }}`` or ``{% ... %}`` is printed
as it is. The bundled ``templates/`` fill in for any template a user's own
folder (``reply.templates``) does not have.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from reviewbot import __version__
from reviewbot.errors import ConfigError
from reviewbot.model import PLAIN_TREE, AffectedDriver, Confidence, Finding, Patch, Review
from reviewbot.render.impact_report import attachment_name
from reviewbot.render.reply_headers import clean_msgid, identity, is_real_address
from reviewbot.render.reply_quote import quote_lines
from reviewbot.render.reply_text import (
    alignment_change,
    changes_alignment_macro,
    fitted_table,
    moves_to_dma_level,
    one_line,
    packed,
    rule_doc,
    table,
    tidy_body,
)
from reviewbot.resources import data_path
from reviewbot.settings import ReplySettings

logger = logging.getLogger(__name__)

PATCH_TEMPLATE = "patch-reply.txt.j2"
SERIES_TEMPLATE = "series-reply.txt.j2"


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
    """Against which base the review was made, in one phrase that follows "checked it"."""
    status = {s.index: s for s in review.patch_status}
    st = status.get(patch.index) if patch is not None else None
    if review.base:
        if st is not None and st.applied is False and st.error:
            return (
                f"from its hunks alone, since it does not apply to {one_line(review.base)} "
                f"({one_line(st.error)}),"
            )
        version = _version(review)
        if version and review.base == PLAIN_TREE:  # the version says more than "plain"
            return f"against {version} (no git history)"
        return f"against {one_line(review.base)}" + (f" ({version})" if version else "")
    return "without a kernel tree"


def _version(review: Review) -> str:
    """The kernel the tree holds, as its Makefile says ("Linux 6.1.192"), or ""."""
    judged = review.judged_on or ""
    return one_line(judged) if judged.startswith("Linux ") else ""


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


def _base_commit(review: Review) -> str:
    """The commit a reader should check out to reproduce the review, or ""."""
    for candidate in (review.base, review.series.base_commit):
        text = one_line(candidate)
        if re.fullmatch(r"[0-9a-f]{7,64}", text):
            return text[:12]
    return ""


def reproduce_command(review: Review, settings: ReplySettings) -> str:
    """The command that gives the same review, with no path of the reviewer's in it.

    The series is named by its archive URL (a message-id anyone can fetch);
    the tree is the one the command runs in (a message-id reviewed inside a
    kernel tree uses it), named in the line before it (``reproduce_where``),
    so the command holds no placeholder to fill in.
    """
    series = review.series
    words = ["reviewbot", "review"]
    if series.revision > 1:
        words += ["--revision", str(series.revision)]
    answered = series.cover.msgid if series.cover else series.msgid
    if not answered and series.patches:
        answered = min(series.patches, key=lambda p: p.index).msgid
    words.append(archive_link(settings, answered))
    return " ".join(words)


def reproduce_where(review: Review) -> str:
    """Where the reproduce command runs: ", in a Linux tree at <commit>" for a review on a
    tree (the commit when known), "" for one without."""
    if review.base is None:
        return ""
    at = _base_commit(review)
    return f", in a Linux tree at {at}" if at else ", in a Linux tree"


def common_context(
    review: Review, settings: ReplySettings, reply_msgid: str, greet: str
) -> dict[str, Any]:
    me = identity(settings)
    return {
        "greeting_name": first_name(greet),
        "version": __version__,
        "command": one_line(reproduce_command(review, settings)),
        "command_where": reproduce_where(review),
        "signature": settings.signature,
        "opt_out": one_line(settings.opt_out),
        # Tags are offered only under a name that can be written to.
        "offer_tags": is_real_address(me),
        "reported_by": str(me),
        "closes": archive_link(settings, reply_msgid),
        "base": base_line(review),
        "series_subject": one_line(review.series.subject),
        "total": review.series.expected,
    }


# The advice at the end of a finding's message ("...; use a kmalloc'd
# buffer"): said once, as the remark's Fix, not in the heading as well.
_ADVICE = re.compile(
    r";\s+((?:use|copy|mark|audit|align|allocate|switch|move|keep|map)\b.*)$", re.IGNORECASE
)


def split_advice(message: str) -> tuple[str, str]:
    """A finding's message as (what is wrong, what to do), the second possibly empty."""
    m = _ADVICE.search(message)
    if not m:
        return message, ""
    advice = m.group(1).strip()
    return message[: m.start()].rstrip(), advice[:1].upper() + advice[1:].rstrip(".") + "."


_BREAKS_ONLY = re.compile(r"[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _finding_view(f: Finding, patch: Patch, settings: ReplySettings, total: int) -> dict:
    doc = rule_doc(f.rule)
    where = f" in {f.function}()" if f.function else ""
    origin = f.detail("origin_line")
    q = quote_lines(
        patch.diff,
        f.file,
        f.line,
        settings.quote_before,
        f.buffer,
        int(origin) if origin and origin.isdigit() else None,
    )
    what, advice = split_advice(one_line(f.message))
    excerpt: list[str] = []
    if q is None:
        # Lines of the tree the patch does not change (kernel test robot style:
        # the line number, the finding's line marked with ">").
        for row in dict(f.details).get("excerpt", "").split("\n"):
            number, _, code = row.partition("\t")
            if number.isdigit():
                mark = " >" if int(number) == f.line else "  "
                excerpt.append(f"{mark}{number:>5}\t{_BREAKS_ONLY.sub(' ', code)}".rstrip())
    return {
        "excerpt": excerpt,
        "rule": f.rule,
        "severity": f.severity.value,
        "file": one_line(f.file),
        "line": f.line,
        "function": one_line(f.function),
        "heading": one_line(f"{f.file}:{f.line}: {f.severity.value}: {what} [{f.rule}]"),
        "where": one_line(where),
        "message": one_line(f.message),
        "quote": list(q.lines) if q else [],
        "why": one_line(doc.why),
        "read": one_line(doc.read),
        # The message's own advice when it names what to call, else the rule's.
        "fix": one_line(advice if "(" in advice or not doc.fix else doc.fix),
        "confidence": f.confidence.value if f.confidence != Confidence.HIGH else "",
        "fixed_later": (
            f"{f.fixed_in_patch}/{total}"
            if f.fixed_in_patch is not None and f.fixed_in_patch != f.patch
            and f.replaced_by is None
            else ""
        ),
        # A later patch made the same buffer as bad or worse: not a fix.
        "replaced_later": (
            f"{f.fixed_in_patch}/{total}"
            if f.replaced_by is not None and f.fixed_in_patch != f.patch
            else ""
        ),
        "replaced_by": f.replaced_by or "",
    }


def patch_context(
    review: Review,
    patch: Patch,
    introduced: Sequence[Finding],
    older: Sequence[Finding],
    settings: ReplySettings,
    reply_msgid: str,
    series_reply: str,
    series_section: Sequence[str] = (),
) -> dict[str, Any]:
    """The data of one per-patch reply.

    ``series_reply`` names what the series reply answers ("the cover
    letter", "patch 1/3"), empty when there is none: a patch reply never
    points at a reply that is not written.
    """
    total = review.series.expected
    ctx = common_context(review, settings, reply_msgid, patch.author.name)
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
                "fixed_later": (
                    f"{f.fixed_in_patch}/{total}"
                    if f.fixed_in_patch and f.replaced_by is None else ""
                ),
                "replaced_later": (
                    f"{f.fixed_in_patch}/{total}" if f.fixed_in_patch and f.replaced_by else ""
                ),
                "replaced_by": f.replaced_by or "",
            }
            for f in older
        ],
        series_reply=series_reply,
        series_section=list(series_section),
        has_minalign=any(changes_alignment_macro(f) for f in introduced),
    )
    return ctx


_NOT_DEFINED = re.compile(r"^not defined here \(default for [^:]+: ([^;]+?)(?:;[^)]*)?\)$")


def _before_value(before: str) -> tuple[str, str]:
    """A value "before" for the table cell and for the sentence.

    The analysis says ``not defined here (default for arm64: X; ...)`` for
    a macro the patch adds: the value before is that default, X.
    """
    m = _NOT_DEFINED.match(before)
    if not m:
        return before, before
    value = m.group(1).strip()
    return f"{value} (default)", f"{value}, the default where it is not defined,"


def _change_rows(findings: Sequence[Finding], total: int) -> tuple[list[str], list[str]]:
    """The per-architecture table of definition changes, and one sentence per change."""
    rows, sentences = [], []
    for f in findings:
        d = dict(f.details)
        macro = f.macro or "?"
        arch = d.get("arch", "generic")
        cell, before = _before_value(d.get("before", "?"))
        after = d.get("after", "?")
        rows.append([arch, macro, cell, after, f"{f.patch}/{total}"])
        meaning = d.get("meaning") or f"what {macro} means"
        sentences.append(
            one_line(f"On {arch}, {meaning} changes from {before} to {after} (patch {f.patch}).")
        )
    if not rows:
        return [], sentences
    return fitted_table(("arch", "macro", "before", "after", "patch"), rows), sentences


def _fix_sentence(fixes: Sequence[Finding], total: int) -> str:
    """One sentence for the patches that move code to DMA-level alignment: the fix.

    "Patches 1/3 and 2/3 move IIO_DMA_MINALIGN and CRYPTO_MINALIGN from
    ARCH_KMALLOC_MINALIGN to ARCH_DMA_MINALIGN": said once here, and those
    patches get no reply of their own, since there is nothing to change in
    them.
    """
    if not fixes:
        return ""
    patches = sorted({f.patch for f in fixes if f.patch is not None})
    what = human_list(
        list(dict.fromkeys(one_line(f.macro or (f"{f.function}()" if f.function else f.file))
                           for f in fixes))
    )
    befores = sorted({f.detail("before") or "?" for f in fixes})
    afters = sorted({f.detail("after") or "?" for f in fixes})
    moves = "moves" if len(patches) == 1 else "move"
    who = human_list([f"{i}/{total}" for i in patches])
    who = f"Patch {who}" if len(patches) == 1 else f"Patches {who}"
    span = (
        f" from {befores[0]} to {afters[0]}" if len(befores) == 1 and len(afters) == 1
        else f" to {human_list(afters)}"
    )
    return one_line(
        f"{who} {moves} {what}{span}: that is the fix, which keeps the DMA buffers "
        "aligned with them in cache lines of their own when kmalloc() aligns to less. "
        "Nothing to change there, so "
        f"{'it gets' if len(patches) == 1 else 'they get'} no reply of "
        f"{'its' if len(patches) == 1 else 'their'} own."
    )


def _kconfig(symbol: str | None) -> str:
    return one_line(symbol).removeprefix("CONFIG_") or "-"


def driver_table(drivers: Sequence[AffectedDriver], width: int = 80) -> list[str]:
    """One row per driver (path, sites, Kconfig), its people on indented lines under it.

    Never wrapped and built to fit ``width`` columns: a row too wide for
    its Kconfig symbol gives the symbol a line of its own. The lines under
    a row hold no ``name:`` label, so b4 cannot read them as trailers.
    """
    # several modules of one folder (dvb-usb's dozens) are told apart by their name
    seen = Counter(d.path for d in drivers)
    rows = [[one_line(d.path if seen[d.path] == 1 else f"{d.path} ({d.name})"),
             d.consequence.value if d.consequence is not None else "-",
             str(len(d.sites)), _kconfig(d.kconfig)] for d in drivers]
    head = ("path", "change", "sites", "Kconfig")
    lines = table(head, rows, right=(2,))
    fits = all(len(line) <= width for line in lines)
    if not fits:
        lines = table(head[:3], [r[:3] for r in rows], right=(2,))
    out = [lines[0]]
    for d, row, line in zip(drivers, rows, lines[1:], strict=True):
        out.append(line)
        if not fits and row[3] != "-":
            out.append(f"      Kconfig {row[3]}")
        people = [one_line(m) for m in d.maintainers]
        out += packed(people or ["no maintainer listed"], "      ", width)
        if d.lists:
            lists = [one_line(x) for x in d.lists]
            lists[0] = ("list " if len(lists) == 1 else "lists ") + lists[0]
            out += packed(lists, "      ", width)
    return out


def series_context(
    review: Review,
    answered: Patch | None,
    minalign: Sequence[Finding],
    patch_replies: Sequence[int],
    settings: ReplySettings,
    reply_msgid: str,
    embedded: bool = False,
) -> dict[str, Any]:
    """The data of the one reply about series-wide matters (minalign changes, drivers)."""
    series = review.series
    total = series.expected
    ctx = common_context(review, settings, reply_msgid, series.author.name)
    definitions = [f for f in minalign if alignment_change(f) == "definition"]
    fixes = [f for f in minalign if moves_to_dma_level(f)]
    usages = [f for f in minalign if alignment_change(f) == "usage" and f not in fixes]
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
    drivers: list[dict[str, Any]] = [
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
    driver_lines = driver_table(shown) if shown else []
    why = rule_doc(definitions[0].rule).why if definitions else ""
    ctx.update(
        checked=base_phrase(review, None),
        url=archive_link(settings, answered.msgid if answered else series.msgid),
        change_table=change_table,
        change_sentences=change_sentences,
        why=one_line(why),
        usage_table=(
            fitted_table(("where", "before", "after", "patch"), usage_rows) if usages else []
        ),
        fix_sentence=_fix_sentence(fixes, total),
        has_tree=review.base is not None,
        drivers=drivers,
        driver_table=driver_lines,
        more_drivers=max(0, len(review.affected_drivers) - len(shown)),
        guessed_drivers=len(review.guessed_drivers),
        attachment=attachment_name(series) if review.affected_drivers else "",
        patch_replies=human_list([f"{i}/{total}" for i in patch_replies]),
        patch_reply_count=len(patch_replies),
        embedded=embedded,
    )
    return ctx
