"""What review, check and scan share: sources, the tree rule, the scan cache, progress.

Kept here so the three commands answer the same questions the same way:
which tree (``kerneltree.choose_tree``), which cache, and whether to draw
a progress bar (on a terminal only, never on a pipe or with ``-q``).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reviewbot.errors import InputError
from reviewbot.progress import Bar as ScanProgress
from reviewbot.progress import progress_wanted

if TYPE_CHECKING:
    from reviewbot.analysis.facts.profile import TreeProfile
    from reviewbot.analysis.rules.exposure import TreeFacts
    from reviewbot.intake import IntakeOptions
    from reviewbot.knowledge import Knowledge
    from reviewbot.limits import Limits
    from reviewbot.model import AffectedDriver, Finding, Review
    from reviewbot.settings import Settings

__all__ = [
    "ScanProgress",
    "add_cache_arguments",
    "add_intake_arguments",
    "affected_drivers",
    "classify_sources",
    "commit_hint",
    "format_patch_base",
    "intake_options",
    "progress_wanted",
    "scan_cache_dir",
]


def intake_options(settings: Settings, limits: Limits, repo: Path | None,
                   args: argparse.Namespace | None = None) -> IntakeOptions:
    """How review and check fetch: ``--lore-url`` or lore.url (or REVIEWBOT_LORE_URL),
    ``--revision``, its retry policy, the download cache and the limits, so a
    message-id means the same in both (``args`` from ``add_intake_arguments``)."""
    from reviewbot.intake import IntakeOptions, LorePolicy

    lore_url = getattr(args, "lore_url", None)
    nocache = bool(getattr(args, "no_cache", False))
    return IntakeOptions(
        lore_url=lore_url or settings.lore_url,
        revision=getattr(args, "revision", None),
        repo=repo,
        lore=LorePolicy(
            attempts=settings.lore_attempts,
            backoff=settings.lore_backoff,
            timeout=settings.lore_timeout,
            cache_dir=settings.cache_dir / "lore",
            nocache=nocache,
            deadline=limits.http_deadline,
            max_body=limits.http_body_bytes,
        ),
        limits=limits,
    )


def add_intake_arguments(p: argparse.ArgumentParser) -> None:
    """Where a series is read and what it is applied to: one definition for review and check.

    A maintainer who reviews a message-id with ``review --lore-url`` runs the
    same words through ``check`` in CI; two definitions had drifted (``check
    --lore-url`` was refused). ``--no-cache`` here means no cache at all:
    neither the lore downloads nor the tree-scan cache.
    """
    p.add_argument(
        "--lore-url",
        metavar="URL",
        help="public-inbox base a message-id is fetched from (default: lore.url); "
        "drafts link to it",
    )
    p.add_argument("--revision", type=int, metavar="N", help="review vN instead of the latest")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--tree",
        type=Path,
        metavar="PATH",
        help="kernel tree the series is applied to, and where a git range is read "
        "(default: config tree.path, else the kernel tree the current directory is in)",
    )
    where.add_argument(
        "--no-tree",
        action="store_true",
        help="use no tree: review the patches alone (from their hunks)",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="use no cache: neither the lore downloads nor the tree-scan cache",
    )
    add_assume_argument(p)
    add_all_argument(p)


def add_cache_arguments(p: argparse.ArgumentParser, *, no_cache: bool = True) -> None:
    """``--cache-dir`` (and ``--no-cache``) for every command that may scan a tree."""
    p.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="tree-scan cache (default: ~/.cache/reviewbot/scan)",
    )
    if no_cache:
        p.add_argument(
            "--no-cache", action="store_true", help="neither read nor write the scan cache"
        )


def scan_cache_dir(args: argparse.Namespace, settings) -> Path | None:
    if getattr(args, "no_cache", False):
        return None
    return args.cache_dir or settings.cache_dir / "scan"


def classify_sources(sources: list[str], repo: Path | None) -> set[str]:
    """The kinds of ``sources`` (intake.classify), with a hint for a lone commit."""
    from reviewbot.intake import classify

    kinds = set()
    for source in sources:
        try:
            kinds.add(classify(source))
        except InputError:
            hint = commit_hint(source, repo or Path.cwd())
            if hint:
                raise InputError(f"{source}: {hint}") from None
            raise
    return kinds


def commit_hint(spec: str, repo: Path) -> str | None:
    """For a source that names one commit: the ranges the user probably meant."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"],
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return (
        f"one commit, not a range: give {spec}^..{spec} for that commit alone, "
        f"or {spec}..HEAD for the commits after it"
    )


def wrap_for_terminal(text: str, width: int | None = None) -> str:
    """Long lines folded to the terminal (at most 100 columns), keeping each line's indent.

    The rule documentation is written one paragraph per line; unwrapped it
    runs off an 80-column terminal or wraps mid-word.
    """
    import shutil
    import textwrap

    width = width or min(100, shutil.get_terminal_size((80, 24)).columns)
    out = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        bullet = "- " if line.lstrip().startswith("- ") else ""
        out.append(
            textwrap.fill(
                line.strip(),
                width,
                initial_indent=indent,
                subsequent_indent=indent + " " * len(bullet),
                break_on_hyphens=False,
                break_long_words=False,
            )
        )
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


_FROM_SHA_RE = re.compile(rb"^From ([0-9a-f]{40}) Mon Sep 17 00:00:00 2001$", re.M)


def format_patch_base(blobs: list[bytes], tree: Path | None) -> str | None:
    """The commit ``git format-patch`` output was made on, when ``tree`` has its commits.

    Each format-patch mail starts ``From <commit sha> Mon Sep 17 00:00:00 2001``.
    When the tree holds those commits (patches made in this repository),
    the series' base is the one parent that is not itself in the series:
    applying the patches there, rather than to HEAD (where they already
    are), is what ``check A..B`` does for the same commits.
    """
    if tree is None:
        return None
    shas = list(dict.fromkeys(m.decode() for b in blobs for m in _FROM_SHA_RE.findall(b)))
    if not shas:
        return None
    proc = subprocess.run(
        ["git", "-C", str(tree), "rev-list", "--no-walk", "--parents", *shas],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if proc.returncode != 0:  # not a git tree, or the commits are not in it
        return None
    parents = set()
    for line in proc.stdout.split("\n"):
        words = line.split()
        if len(words) == 2:  # merges and root commits give no single base
            parents.add(words[1])
        elif words:
            return None
    bases = parents - set(shas)
    return bases.pop() if len(bases) == 1 else None


def local_base(series, sources: list[str], tree: Path | None, stdin_data: bytes | None = None):
    """``series`` with the base its format-patch files were made on, when the mail names none."""
    from dataclasses import replace

    if series.base_commit or tree is None:
        return series
    blobs = []
    for source in sources:
        if source == "-":
            blobs.append(stdin_data or b"")
        elif Path(source).is_file():
            try:
                blobs.append(Path(source).read_bytes())
            except OSError:
                continue
    base = format_patch_base(blobs, tree)
    return replace(series, base_commit=base) if base else series


def affected_drivers(root: Path, findings: Sequence[Finding],
                     cache_dir: Path | None) -> tuple[AffectedDriver, ...]:
    """The findings grouped by driver (Kbuild module, MAINTAINERS section).

    Reading MAINTAINERS and the Makefiles above each finding was half of a
    warm rescan of the whole tree (0.45 s of 0.95). With a scan cache the
    grouping is kept with the stat of every file it read and the answer of
    every folder test it made, and used again only for the same findings
    while each of those is as it was: an edited MAINTAINERS, Makefile or
    Kconfig, or a file turned folder, groups afresh.
    """
    import hashlib
    import json

    from reviewbot.impact.drivers import DriverIndex, sites_of
    from reviewbot.scan.cache import open_cache
    from reviewbot.treewalk import file_stat

    sites = sites_of(findings)
    key = hashlib.sha1(json.dumps([[s.file, s.line, s.function, s.rule] for s in sites])
                       .encode()).hexdigest()
    engine = _impact_engine()
    cache = open_cache(cache_dir, root, engine) if cache_dir is not None else None
    try:
        if cache is not None:
            kept = _kept_drivers(root, cache.memo("drivers", engine, key))
            if kept is not None:
                return kept
        reads: dict[str, tuple[int, int] | None] = {}
        dirs: dict[str, bool] = {}

        def read(path: str) -> str | None:
            state = reads[path] = file_stat(root / path)  # before reading: never newer
            if state is None:  # a FIFO named Makefile would block
                return None
            try:
                return (root / path).read_text(errors="replace")
            except OSError:
                return None

        def is_dir(path: str) -> bool:
            answer = dirs[path] = (root / path).is_dir()
            return answer

        drivers = DriverIndex(read, is_dir).group(sites)
        if cache is not None:
            cache.store_memo("drivers", engine, key, {
                "reads": [[p, *(st or (None, None))] for p, st in reads.items()],
                "dirs": [[p, v] for p, v in dirs.items()],
                "drivers": [_driver_dict(d) for d in drivers],
            })
        return drivers
    finally:
        if cache is not None:
            cache.close()


def _impact_engine() -> str:
    """The reviewbot version and the impact code: a changed grouping never comes from a cache."""
    from reviewbot.scan.cache import code_digest

    impact = Path(__file__).resolve().parent.parent / "impact"
    return code_digest(sorted(impact.glob("*.py")), impact)


def _kept_drivers(root: Path, memo: dict | None) -> tuple[AffectedDriver, ...] | None:
    """The stored grouping if every file it read and folder it tested is as it was."""
    from reviewbot.treewalk import file_stat

    if memo is None:
        return None
    prefix = os.path.join(root, "")  # strings, not Paths: 1,100 tests on Linux 6.1
    try:
        for path, mtime, size in memo["reads"]:
            state = file_stat(prefix + path)
            if (state or (None, None)) != (mtime, size):
                return None
        for path, answer in memo["dirs"]:
            if os.path.isdir(prefix + path) != answer:
                return None
        return tuple(_driver_from_dict(d) for d in memo["drivers"])
    except (KeyError, TypeError, ValueError):  # a damaged entry: group afresh
        return None


def _driver_dict(d: AffectedDriver) -> dict:
    return {"name": d.name, "path": d.path, "kconfig": d.kconfig,
            "maintainers": list(d.maintainers), "lists": list(d.lists),
            "sites": [[s.file, s.line, s.function, s.rule] for s in d.sites],
            "section": d.section, "reviewers": list(d.reviewers), "status": d.status,
            "sections": list(d.sections)}


def _driver_from_dict(d: dict) -> AffectedDriver:
    from reviewbot.model import AffectedDriver, DriverSite

    return AffectedDriver(
        name=d["name"], path=d["path"], kconfig=d["kconfig"],
        maintainers=tuple(d["maintainers"]), lists=tuple(d["lists"]),
        sites=tuple(DriverSite(f, int(line), fn, rule) for f, line, fn, rule in d["sites"]),
        section=d["section"], reviewers=tuple(d["reviewers"]), status=d["status"],
        sections=tuple(d["sections"]))


ASSUME_HELP = ("judge as NAME's tree profile (a shipped one: 6.1, 6.12, mainline) instead of "
               "the tree's own, and/or as if kmalloc-minalign=N: kmalloc guaranteed N bytes "
               "without bouncing (the audit a minalign change needs); may be repeated")


def add_assume_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--assume", action="append", default=[], metavar="NAME|kmalloc-minalign=N",
                   help=ASSUME_HELP)


def judged_tree(root: Path | None, assume: Sequence[str],
                cache_dir: Path | None = None, knowledge: Knowledge | None = None) -> TreeFacts:
    """The facts findings are judged on for a tree at ``root`` (None: no tree); its
    profile is kept in the scan cache under ``cache_dir`` (scan/tree_memo.py).
    ``knowledge``: the caller's, not read again (0.012 s)."""
    from reviewbot.analysis.facts.tree_reader import directory_reader, tree_arches
    from reviewbot.analysis.trees import judged_tree as judged

    if root is None:
        return judged(None, None, assume, knowledge)
    read, arches = directory_reader(root), tree_arches(root)

    def profile() -> TreeProfile:
        from reviewbot.scan.cache import open_cache
        from reviewbot.scan.tree_memo import tree_profile

        cache = open_cache(cache_dir, root, "tree-memo") if cache_dir is not None else None
        try:
            return tree_profile(cache, root, None, read, arches)
        finally:
            if cache is not None:
                cache.close()

    return judged(read, arches, assume, knowledge, profile=profile)


def add_all_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all", action="store_true",
                   help="also show findings that do not bite on the tree judged (info; JSON "
                   "always has them, with their verdict)")


def hide_dormant(review: Review) -> Review:
    """``review`` without the findings that do not bite on the tree it was judged on, and a
    note saying how many there were: what a reader sees by default (``--all`` keeps them)."""
    from dataclasses import replace

    dormant = sum(1 for f in review.findings if f.verdict == "dormant")
    if not dormant:
        return review
    note = (f"{dormant} finding(s) that do not bite on this tree not shown "
            "(--all shows them)")
    return replace(review, findings=tuple(f for f in review.findings if f.verdict != "dormant"),
                   notes=(*review.notes, note))
