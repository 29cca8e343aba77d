"""Size caps and deadlines: how much hostile input or a broken server may cost.

A 0.5 MB ``.mbox.gz`` can inflate to gigabytes, ``/dev/zero`` never ends,
and a server can trickle one byte a second forever (issue 15). Every read
of untrusted bytes is therefore capped *after* decompression, and every
HTTP request has a total deadline. The numbers live in one place, the
``[limits]`` table of ``config/default.toml``; a user's settings file may
change them. Going over a cap is one clear error: exit 2 for an input
(``InputError``), exit 3 for a server (``NetworkError``).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from reviewbot.resources import data_path
from reviewbot.tomlcheck import Checker, Want, read_toml

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The ``[limits]`` table; see config/default.toml for what each one means."""

    input_bytes: int  # one file, stdin, or one maildir message, after gunzip
    http_body_bytes: int  # one HTTP answer, after Content-Encoding and t.mbox.gz gunzip
    http_deadline: float  # seconds for one request, retries and waits included
    max_patches: int  # patches in one series; more is refused, never cut
    parse_work: int  # tree-sitter progress steps for one file before it is "not analysed"


KEYS: dict[str, Want] = {
    "input_bytes": int,
    "http_body_bytes": int,
    "http_deadline": (int, float),
    "max_patches": int,
    "parse_work": int,
}


def check_limits(raw: Any, check: Checker, required: bool = False) -> dict[str, Any]:
    """A ``[limits]`` table checked by the common checker, then for range.

    Every limit must be positive, and ``max_patches`` fit b4's 4-digit
    counters; errors name the file and the dotted key as for any other key.
    """
    table = check.table(raw, "limits", KEYS, required=KEYS if required else ())
    for key, value in table.items():
        if value <= 0:
            raise check.fail(f"limits.{key}", f"must be a positive number, not {value!r}")
    if table.get("max_patches", 0) > 9999:
        raise check.fail("limits.max_patches", "must be at most 9999 (b4 reads 4-digit counters)")
    return table


@lru_cache(maxsize=1)
def _bundled() -> dict[str, Any]:
    path = data_path("config/default.toml")
    return check_limits(read_toml(path).get("limits", {}), Checker(path), required=True)


def default_limits() -> Limits:
    """The bundled defaults (config/default.toml): the one place each number is written."""
    return limits_from({})


def limits_from(table: Mapping[str, Any], source: Path | str = "settings") -> Limits:
    """Limits from a settings ``[limits]`` table laid over the bundled defaults.

    ``load_settings`` has already checked a user's table naming its file;
    ``source`` names the table in an error when a caller builds one itself.
    """
    merged = check_limits({**_bundled(), **table}, Checker(source))
    return Limits(**{f.name: merged[f.name] for f in fields(Limits)})


def limits_of(settings: Any) -> Limits:
    """The limits of loaded ``Settings`` (its merged ``[limits]`` table)."""
    return limits_from(settings.raw.get("limits", {}))


class TooLarge(Exception):
    """More bytes than the cap allows; ``str()`` says how many were allowed."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"more than {describe_size(cap)}")
        self.cap = cap


def describe_size(n: int) -> str:
    return f"{n // MIB} MiB" if n >= MIB and n % MIB == 0 else f"{n} bytes"


class Inflater:
    """Incremental gunzip (or zlib/deflate) that stops at ``cap`` decoded bytes.

    ``zlib``'s ``max_length`` bounds each step, so a gzip bomb costs at most
    ``cap`` bytes of memory, never its inflated size. Concatenated gzip
    members (as ``gzip`` writes for appended files) are read one after another.
    """

    def __init__(self, cap: int, wbits: int = 31) -> None:
        self.cap = cap
        self.wbits = wbits
        self.out = bytearray()
        self._d = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> None:
        while data:
            room = self.cap - len(self.out) + 1
            chunk = self._d.decompress(data, room)
            self.out += chunk
            if len(self.out) > self.cap:
                raise TooLarge(self.cap)
            data = self._d.unconsumed_tail
            if self._d.eof:
                rest = self._d.unused_data
                if not rest.strip(b"\0"):
                    return
                self._d = zlib.decompressobj(self.wbits)
                data = rest

    def finish(self) -> bytes:
        """The decoded bytes; zlib.error when the stream stopped in the middle."""
        if not self._d.eof:
            tail = self._d.flush()
            self.out += tail
            if len(self.out) > self.cap:
                raise TooLarge(self.cap)
            raise zlib.error("compressed data ends in the middle")
        return bytes(self.out)


def gunzip(data: bytes, cap: int) -> bytes:
    """Decompress gzip ``data`` to at most ``cap`` bytes (TooLarge, zlib.error)."""
    inflater = Inflater(cap)
    inflater.feed(data)
    return inflater.finish()


# The most bytes one file may have to be handed to the parser. Fixed, not a
# setting: it guards memory, not a trade-off (tree-sitter's error recovery
# on 10 MB of garbage took 1.2 GB and 18-48 s, issue 26), and it is more
# than twice the largest C file of Linux 6.12 (1.8 MB, a register table).
PARSE_BYTES = 4 * MIB


def parse_refusal(text: bytes, cap: int = PARSE_BYTES) -> str | None:
    """Why ``text`` is not given to the parser at all, or None when it may be.

    Too big (over ``cap``), or binary: no C source of Linux holds a NUL
    byte, and random bytes cost the parser the most work per step.
    """
    if len(text) > cap:
        return f"{describe_size(len(text))} is more than the {describe_size(cap)} a file may " \
               "have to be parsed"
    nul = text.find(b"\0")
    if nul >= 0:
        return f"binary, not C source (a NUL byte at offset {nul})"
    return None


def read_capped(stream: IO[bytes], cap: int) -> bytes:
    """Read a stream to its end, but never more than ``cap`` bytes (TooLarge)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(1 << 20, cap + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > cap:
            raise TooLarge(cap)
