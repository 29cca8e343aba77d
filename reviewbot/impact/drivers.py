"""Group sites into drivers, each with its Kconfig symbol and MAINTAINERS entry.

A driver is the module a file builds into (from its Makefile), or its
directory; the MAINTAINERS section is the most specific one covering the
driver's first site, which is what a maintainer would be asked about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reviewbot.impact.kbuild import Kbuild
from reviewbot.impact.maintainers import Maintainers, parse_maintainers
from reviewbot.model import AffectedDriver, DriverSite, Finding

Reader = Callable[[str], str | None]


class DriverIndex:
    """Kbuild and MAINTAINERS of one tree, read once and asked many times."""

    def __init__(self, read: Reader, is_dir: Callable[[str], bool]) -> None:
        self.kbuild = Kbuild(read)
        text = read("MAINTAINERS")
        self.maintainers = Maintainers(parse_maintainers(text or ""), is_dir) if text else None

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
            section = None
            if self.maintainers is not None:
                hits = self.maintainers.lookup(group[0].file)
                section = hits[0] if hits else None
            out.append(
                AffectedDriver(
                    name=module.name,
                    path=module.path,
                    kconfig=f"CONFIG_{module.kconfig}" if module.kconfig else None,
                    maintainers=section.maintainers if section else (),
                    lists=section.lists if section else (),
                    sites=tuple(_dedupe(group)),
                    section=section.title if section else None,
                    reviewers=section.reviewers if section else (),
                    status=section.status if section else None,
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
