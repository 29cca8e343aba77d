"""Group sites into drivers, each with its Kconfig symbol and MAINTAINERS entry.

A driver is the module a file builds into (from its Makefile), or its
directory. Its people are everyone get_maintainer.pl names for the
driver's first site from MAINTAINERS patterns (every section covering it,
through .mailmap), but not the sections a K: keyword of its text adds;
its section and status are the most specific section's, which is what a
maintainer would be asked about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reviewbot.impact.kbuild import Kbuild
from reviewbot.impact.maintainers import (
    Maintainers,
    Responsible,
    parse_mailmap,
    parse_maintainers,
)
from reviewbot.model import AffectedDriver, DriverSite, Finding

Reader = Callable[[str], str | None]


class DriverIndex:
    """Kbuild and MAINTAINERS of one tree, read once and asked many times."""

    def __init__(self, read: Reader, is_dir: Callable[[str], bool]) -> None:
        self.kbuild = Kbuild(read)
        text = read("MAINTAINERS")
        mailmap = parse_mailmap(read(".mailmap") or "") if text else None
        self.maintainers = (
            # no reader: K: keywords (a file's text naming "mediatek", "pwm_config")
            # say what API code uses, not who looks after it; a driver table
            # names its owners
            Maintainers(parse_maintainers(text), is_dir, None, mailmap) if text else None
        )

    def group(self, sites: Iterable[DriverSite]) -> tuple[AffectedDriver, ...]:
        groups: dict[tuple[str, str], list[DriverSite]] = {}
        modules = {}
        for site in sites:
            module = self.kbuild.module_of(site.file)
            key = (module.name, module.path)
            modules[key] = module
            groups.setdefault(key, []).append(site)
        out = []
        for key, group in groups.items():
            module = modules[key]
            group.sort(key=lambda s: (s.file, s.line, s.rule))
            who = (
                self.maintainers.responsible(group[0].file)
                if self.maintainers is not None
                else Responsible()
            )
            section = who.section
            out.append(
                AffectedDriver(
                    name=module.name,
                    path=module.path,
                    kconfig=f"CONFIG_{module.kconfig}" if module.kconfig else None,
                    maintainers=who.maintainers,
                    lists=who.lists,
                    sites=tuple(_dedupe(group)),
                    section=section.title if section else None,
                    reviewers=who.reviewers,
                    status=section.status if section else None,
                    sections=tuple(s.title for s in who.sections),
                )
            )
        out.sort(key=lambda d: d.path)
        return tuple(out)


def sites_of(findings: Iterable[Finding]) -> list[DriverSite]:
    return [DriverSite(f.file, f.line, f.function, f.rule) for f in findings]


def _dedupe(sites: list[DriverSite]) -> list[DriverSite]:
    seen = set()
    out = []
    for s in sites:
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def covers(driver: AffectedDriver, who: str) -> bool:
    """Whether ``who`` (a MAINTAINERS section title, or an address) is among a driver's people.

    An address matches a maintainer, reviewer or list of the driver; anything
    else is a section title, matched without regard to case against every
    section covering the driver (NETWORKING DRIVERS covers hso.c too).
    """
    want = who.strip().strip("<>").lower()
    if "@" in want:
        people = (*driver.maintainers, *driver.reviewers, *driver.lists)
        return any(_address(p) == want for p in people)
    titles = driver.sections or ((driver.section,) if driver.section else ())
    return any(t.lower() == want for t in titles)


def _address(entry: str) -> str:
    start, end = entry.rfind("<"), entry.rfind(">")
    return (entry[start + 1 : end] if 0 <= start < end else entry).strip().lower()
