"""MAINTAINERS sections and which of them cover a file, as get_maintainer.pl says.

Matching follows get_maintainer.pl's ``file_match_pattern``: ``.``, ``*``
and ``?`` become a regex anchored at the start; a pattern ending in ``/``
(or naming a directory) covers everything below it; any other pattern must
also have as many ``/`` as the file, so ``drivers/usb/*`` does not reach
``drivers/usb/serial/x.c``. ``X:`` excludes, ``N:`` is a regex on the path,
``K:`` a regex on the file's text (``get_maintainer.pl -f`` reads it too).
Sections are ordered most specific first: by the depth of the matching
pattern, as get_maintainer.pl sorts them.

Who is responsible for a file is everyone those sections name, not only the
most specific one: ``drivers/net/usb/hso.c`` has a section of its own with
no maintainer (an orphan) and a list, under USB NETWORKING DRIVERS (a list)
and NETWORKING DRIVERS (the netdev maintainers), and get_maintainer.pl names
them all (``Maintainers.responsible``). K: keywords are matched only when
the index is given a reader of file texts (the affected-driver tables are
not: a keyword says which API a file uses, "mediatek" in btusb's device
table, not who looks after it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    title: str
    maintainers: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    status: str | None = None
    files: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    # lists marked "(subscribers-only)": get_maintainer.pl leaves them out by default
    closed_lists: tuple[str, ...] = ()


@dataclass
class _Builder:
    title: str
    tags: dict[str, list[str]] = field(default_factory=dict)

    def build(self) -> Section:
        t = self.tags
        return Section(
            title=self.title,
            maintainers=tuple(t.get("M", [])),
            reviewers=tuple(t.get("R", [])),
            lists=tuple(_list_address(v) for v in t.get("L", [])),
            status=next(iter(t.get("S", [])), None),
            files=tuple(t.get("F", [])),
            excludes=tuple(t.get("X", [])),
            regexes=tuple(t.get("N", [])),
            keywords=tuple(t.get("K", [])),
            closed_lists=tuple(
                _list_address(v) for v in t.get("L", []) if "subscribers-only" in v
            ),
        )


def _list_address(value: str) -> str:
    """``linux-arm-kernel@lists.infradead.org (moderated ...)`` -> the address."""
    return value.split()[0] if value else value


_TAG = re.compile(r"^([A-Z]):\s*(.*?)\s*$")


def parse_maintainers(text: str) -> list[Section]:
    """Sections of a MAINTAINERS file; the preamble before the first section is skipped."""
    sections: list[Section] = []
    current: _Builder | None = None
    previous = ""
    started = False
    for line in text.splitlines():
        m = _TAG.match(line)
        if m and previous.strip() and not _TAG.match(previous):
            # the line before the first tag of a section is its title
            if current is not None and current.tags:
                sections.append(current.build())
            current = _Builder(previous.strip())
            started = True
        if m and current is not None and started:
            current.tags.setdefault(m.group(1), []).append(m.group(2))
        elif not line.strip() and current is not None and current.tags:
            sections.append(current.build())
            current = None
        previous = line
    if current is not None and current.tags:
        sections.append(current.build())
    return sections


_REGEX_CHARS = "*?[]+()|^$\\{}"


class _Pattern:
    """An F:/X: pattern: its literal start, whether it covers a subtree, depth.

    Most patterns are plain paths, tested as prefixes; a pattern with
    wildcards is compiled to a regex only once a path starts with its
    literal part, and whether a plain path is a folder (so a subtree) is
    asked only then too: a lookup meets thousands of patterns and needs few.
    """

    __slots__ = ("depth", "is_dir", "literal", "regex", "rx", "slashes", "subtree")

    def __init__(self, pattern: str, literal: str, rx: str | None,
                 is_dir: Callable[[str], bool] | None) -> None:
        self.literal = literal
        self.rx = rx  # None: the literal is the whole pattern
        self.regex: re.Pattern[str] | None = None
        self.is_dir = is_dir  # set while a plain path may still turn out a folder
        self._shape(pattern)

    def _shape(self, pattern: str) -> None:
        self.subtree = pattern.endswith("/")
        self.slashes = pattern.count("/")
        depth = self.slashes + (0 if self.subtree else 1)
        self.depth = -1 if pattern.startswith("*") else depth

    def depth_for(self, path: str) -> int | None:
        if not path.startswith(self.literal):
            return None
        if self.is_dir is not None:
            if self.is_dir(self.literal):
                self.literal += "/"
                self._shape(self.literal)
            self.is_dir = None
            if not path.startswith(self.literal):
                return None
        if self.rx is not None:
            if self.regex is None:
                try:
                    self.regex = re.compile(self.rx)
                except re.error:
                    self.rx = "(?!)"  # an invalid pattern matches nothing
                    self.regex = re.compile(self.rx)
            if not self.regex.match(path):
                return None
        if not self.subtree and path.count("/") != self.slashes:
            return None
        return self.depth


def _compile(pattern: str, is_dir: Callable[[str], bool]) -> _Pattern | None:
    maybe_dir = not pattern.endswith("/") and not any(c in pattern for c in "*?")
    cut = next((i for i, c in enumerate(pattern) if c in _REGEX_CHARS), None)
    if cut is None:  # a plain path: a folder or not is asked when a path reaches it
        return _Pattern(pattern, pattern, None, is_dir if maybe_dir else None)
    if maybe_dir and is_dir(pattern):
        pattern += "/"
    rx = pattern.replace(".", r"\.").replace("*", ".*").replace("?", ".")
    return _Pattern(pattern, pattern[:cut], rx, None)


@dataclass(frozen=True)
class _Compiled:
    section: Section
    files: tuple[_Pattern, ...]
    excludes: tuple[_Pattern, ...]
    regexes: tuple[re.Pattern[str], ...]
    # the patterns' literal starts, as compiled: a path starting with none of them
    # matches none of the patterns (a literal only ever grows, by a '/' for a folder),
    # and str.startswith(tuple) says so in one call instead of one per pattern
    prefixes: tuple[str, ...] = ()
    exclude_prefixes: tuple[str, ...] = ()


# get_maintainer.pl leaves these out unless asked (--git-chief-penguins): THE REST
# names Linus for every file.
PENGUIN_CHIEFS = ("torvalds@linux-foundation.org",)
_ADDRESS = re.compile(r"<([^>]+)>|(\S+@\S+)")


def _regex(pattern: str) -> re.Pattern[str] | None:
    """An N:/K: value as get_maintainer.pl applies it (a Perl regex with /x), or None."""
    try:
        return re.compile(pattern, re.VERBOSE)
    except re.error:
        return None


@dataclass(frozen=True)
class Responsible:
    """Who get_maintainer.pl names for one file, from every section that covers it.

    ``sections`` run most specific first (then the sections a ``K:`` keyword
    of the file's text adds); people are named once, in that order, as
    get_maintainer.pl names them (a name or an address seen before is not
    repeated), without the chief penguin. ``lists`` leave out the lists of
    sections that cover every file (THE REST's linux-kernel@vger.kernel.org):
    every patch goes there anyway, and a driver table saying so on each row
    says nothing.
    """

    sections: tuple[Section, ...] = ()
    maintainers: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()

    @property
    def section(self) -> Section | None:
        """The most specific section: its title and status describe the file."""
        return self.sections[0] if self.sections else None


def _split_person(entry: str) -> tuple[str, str]:
    """``"David S. Miller" <davem@davemloft.net>`` -> (David S. Miller, davem@davemloft.net)."""
    m = _ADDRESS.search(entry)
    if not m:
        return entry.strip(), ""
    return entry[: m.start()].strip().strip('"').strip(), m.group(1) or m.group(2)


def _format_person(name: str, address: str) -> str:
    """As get_maintainer.pl's format_email: a name with other than word characters is quoted."""
    if not name:
        return address
    if re.search(r"[^\w \-]", name, re.ASCII):
        name = f'"{name}"'
    return f"{name} <{address}>"


@dataclass(frozen=True)
class Mailmap:
    """The tree's .mailmap as get_maintainer.pl applies it: old addresses to current ones.

    Keys are ``Name <address>`` (the fourth form of git-shortlog's mailmap)
    or a bare address, as in get_maintainer.pl's read_mailmap.
    """

    names: dict[str, str] = field(default_factory=dict)
    addresses: dict[str, str] = field(default_factory=dict)

    def apply(self, entry: str) -> str:
        name, address = _split_person(entry)
        if not address:
            return entry
        email = f"{name} <{address}>" if name else address
        key = email if email in self.names or email in self.addresses else address
        return _format_person(self.names.get(key, name), self.addresses.get(key, address))


_MAILMAP_FORMS = (
    (re.compile(r"^([^<]+)<([^>]+)>$"), ("name", "key")),
    (re.compile(r"^<([^>]+)>\s*<([^>]+)>$"), ("address", "key")),
    (re.compile(r"^(.+)<([^>]+)>\s*<([^>]+)>$"), ("name", "address", "key")),
    (re.compile(r"^(.+)<([^>]+)>\s*(.+)\s*<([^>]+)>$"), ("name", "address", "key_name", "key")),
)


def parse_mailmap(text: str) -> Mailmap:
    """A .mailmap file (comments and blank lines skipped; unknown lines ignored)."""
    out = Mailmap()
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        for rx, fields in _MAILMAP_FORMS:
            m = rx.match(line)
            if not m:
                continue
            got = dict(zip(fields, (g.strip() for g in m.groups()), strict=True))
            key = got["key"]
            if "key_name" in got:
                key = f"{got['key_name'].strip(chr(34))} <{key}>"
            if "name" in got:
                out.names[key] = got["name"].strip('"')
            if "address" in got:
                out.addresses[key] = got["address"]
            break
    return out


class Maintainers:
    """Look up the sections that cover a path, most specific first."""

    def __init__(
        self,
        sections: list[Section],
        is_dir: Callable[[str], bool],
        read: Callable[[str], str | None] | None = None,
        mailmap: Mailmap | None = None,
    ) -> None:
        self.sections = sections
        self._mailmap = mailmap or Mailmap()
        self._read = read  # a file's text, for K: keywords (None: keywords are not matched)
        self._keywords: list[tuple[int, re.Pattern[str]]] | None = None
        self._dirs: dict[str, bool] = {}
        self._is_dir = is_dir
        # Compiled on first use: a scan asks about a few dozen sections, and
        # compiling all ~7,000 patterns (each a stat for "is it a folder?")
        # cost more than the scan's analysis of a subtree.
        self._compiled: dict[int, _Compiled] = {}
        # index by the folder of each F: pattern's literal start: a pattern can
        # match a path only if its literal starts the path, so only the sections
        # indexed under the path's own folders (and those with N: regexes or a
        # leading wildcard) are tried, a handful instead of hundreds
        self._by_dir: dict[str, list[int]] = {}
        self._anywhere: list[int] = []
        for i, s in enumerate(sections):
            if s.regexes:
                self._anywhere.append(i)
            for f in s.files:
                cut = next((j for j, c in enumerate(f) if c in _REGEX_CHARS), len(f))
                folder = f[:f.rfind("/", 0, cut) + 1]
                self._by_dir.setdefault(folder, []).append(i)

    def _cached_is_dir(self, p: str) -> bool:
        if p not in self._dirs:
            self._dirs[p] = self._is_dir(p)
        return self._dirs[p]

    def _section(self, i: int) -> _Compiled:
        c = self._compiled.get(i)
        if c is None:
            s = self.sections[i]
            files = tuple(x for f in s.files if (x := _compile(f, self._cached_is_dir)))
            excludes = tuple(x for f in s.excludes if (x := _compile(f, self._cached_is_dir)))
            regexes = [rx for r in s.regexes if (rx := _regex(r)) is not None]
            c = self._compiled[i] = _Compiled(s, files, excludes, tuple(regexes),
                                              tuple(x.literal for x in files),
                                              tuple(x.literal for x in excludes))
        return c

    def lookup(self, path: str) -> list[Section]:
        return [self.sections[i] for i, _depth in self._hits(path)]

    def responsible(self, path: str) -> Responsible:
        """Everyone get_maintainer.pl names for ``path``: all covering sections, then K: ones."""
        hits = self._hits(path)
        order = [i for i, _ in hits]
        for i in self._keyword_hits(path):
            if i not in order:
                order.append(i)
        depth = dict(hits)
        seen_names: set[str] = set()
        seen_addresses: set[str] = set(PENGUIN_CHIEFS)
        people: dict[str, list[str]] = {"M": [], "R": []}
        lists: list[str] = []
        for i in order:
            s = self.sections[i]
            for tag, entries in (("M", s.maintainers), ("R", s.reviewers)):
                for entry in entries:
                    entry = self._mailmap.apply(entry)
                    name, address = (x.lower() for x in _split_person(entry))
                    if address in seen_addresses or (name and name in seen_names):
                        continue
                    seen_addresses.add(address)
                    if name:
                        seen_names.add(name)
                    people[tag].append(entry)
            if depth.get(i, 0) >= 0:  # a catch-all (F: *) covers every file: its list is noise
                shown = {y.lower() for y in lists}
                lists += [x for x in s.lists if x not in s.closed_lists and x.lower() not in shown]
        return Responsible(
            tuple(self.sections[i] for i in order),
            tuple(people["M"]),
            tuple(people["R"]),
            tuple(lists),
        )

    def _keyword_hits(self, path: str) -> list[int]:
        """Sections whose K: regex matches the file's text, as ``get_maintainer.pl -f``."""
        if self._read is None:
            return []
        if self._keywords is None:
            self._keywords = [
                (i, rx)
                for i, s in enumerate(self.sections)
                for k in s.keywords
                if (rx := _regex(k)) is not None
            ]
        if not self._keywords:
            return []
        text = self._read(path)
        if not text:
            return []
        return sorted({i for i, rx in self._keywords if rx.search(text)})

    def _hits(self, path: str) -> list[tuple[int, int]]:
        """(section index, depth of its deepest matching pattern), most specific first."""
        candidates = set(self._anywhere)
        candidates.update(self._by_dir.get("", ()))
        at = path.find("/")
        while at >= 0:
            candidates.update(self._by_dir.get(path[:at + 1], ()))
            at = path.find("/", at + 1)
        hits: list[tuple[int, int]] = []
        for i in sorted(candidates):
            c = self._section(i)
            if path.startswith(c.exclude_prefixes) and \
                    any(x.depth_for(path) is not None for x in c.excludes):
                continue
            depths = [d for f in c.files if (d := f.depth_for(path)) is not None] \
                if path.startswith(c.prefixes) else []
            depths += [0 for rx in c.regexes if rx.search(path)]
            if depths:
                hits.append((max(depths), i))
        hits.sort(key=lambda h: (-h[0], h[1]))
        return [(i, d) for d, i in hits]
