"""Intake: any SOURCE the user names becomes one ``Series``.

SOURCE is a message-id, a public-inbox URL, an mbox or single-message file, a
maildir, ``-`` for standard input, or a git range. Everything funnels
through ``build_series`` so the same mail yields the same Series whatever
road it came by.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO

from reviewbot.errors import InputError
from reviewbot.intake.gitrange import looks_like_range, series_from_range
from reviewbot.intake.lore import LorePolicy, clean_msgid, fetch_thread, split_lore_url
from reviewbot.intake.mail import read_input, read_path, split_bytes
from reviewbot.intake.series import build_series
from reviewbot.limits import Limits, default_limits
from reviewbot.model import Series
from reviewbot.settings import bundled_default

__all__ = ["IntakeOptions", "LorePolicy", "classify", "load_files", "load_series"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeOptions:
    lore_url: str = field(default_factory=lambda: bundled_default("lore", "url"))
    revision: int | None = None
    repo: Path | None = None
    lore: LorePolicy = field(default_factory=LorePolicy)
    limits: Limits = field(default_factory=default_limits)


def classify(source: str) -> str:
    """Name the kind of SOURCE: stdin, path, url, range or msgid."""
    if source == "-":
        return "stdin"
    if source.startswith(("http://", "https://")):
        return "url"
    if Path(source).exists():
        return "path"
    if looks_like_range(source):
        return "range"
    if "@" in source and not any(c.isspace() for c in source.strip()):
        return "msgid"
    raise InputError(f"{source}: no such file, and not a message-id, URL or git range")


def load_series(source: str, options: IntakeOptions, stdin: BinaryIO | None = None) -> Series:
    """Read SOURCE into a Series (latest revision unless one is asked for)."""
    kind = classify(source)
    if kind == "stdin":
        stream = stdin if stdin is not None else sys.stdin.buffer
        cap = options.limits.input_bytes
        raw = split_bytes(read_input(stream, "<stdin>", cap), "<stdin>", cap)
        return _build(raw, "<stdin>", options)
    if kind == "path":
        raw = read_path(Path(source), options.limits.input_bytes)
        return _build(raw, source, options)
    if kind == "range":
        series, _base = series_from_range(source, options.repo or Path.cwd(),
                                          options.limits.input_bytes, options.limits.max_patches)
        return series
    if kind == "url":
        base, msgid = split_lore_url(source)
    else:
        base, msgid = options.lore_url, clean_msgid(source)
    messages = fetch_thread(msgid, base, options.lore)
    series = build_series(
        messages,
        f"<{msgid}>",
        options.revision,
        base_url=base,
        max_patches=options.limits.max_patches,
    )
    return replace(series, source=f"{base}/{msgid}")


def load_files(sources: list[str], options: IntakeOptions) -> Series:
    """Several patch or mbox files (``git format-patch`` output) as one series.

    The files are read in the order given; b4 then orders the patches by
    their ``[PATCH n/m]`` counters, as it would for mail.
    """
    messages: list[EmailMessage] = []
    unreadable = 0
    for source in sources:
        if source == "-" or classify(source) != "path":
            raise InputError(f"{source}: with several SOURCEs each must be a patch or mbox file")
        raw = read_path(Path(source), options.limits.input_bytes)
        messages.extend(raw.messages)
        unreadable += raw.unreadable
    name = f"{sources[0]} (+{len(sources) - 1} more)"
    return build_series(
        messages,
        name,
        options.revision,
        unreadable=unreadable,
        max_patches=options.limits.max_patches,
    )


def _build(raw, name: str, options: IntakeOptions) -> Series:
    return build_series(
        raw.messages,
        name,
        options.revision,
        unreadable=raw.unreadable,
        max_patches=options.limits.max_patches,
    )
