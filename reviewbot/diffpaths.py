"""The file names a diff gives, as the tree spells them.

Git quotes a path that holds a byte outside printable ASCII, a double
quote or a backslash, C style: ``"a/drivers/usb/misc/caf\\303\\251.c"``.
unidiff keeps the quotes (``PatchedFile.path`` ends in ``.c"``), so a file
read through it is "not C" and the CI gate passed a file it never read
(issue 26). Every stage that reads a path from a diff (apply, analysis,
the quoting of replies, checkpatch's line numbers) goes through this module.
"""

from __future__ import annotations

import re

from unidiff import PatchedFile

DEV_NULL = "/dev/null"

# The prefixes git and unidiff strip: a/ b/, and diff.mnemonicPrefix's c/ i/ o/ w/ 1/ 2/.
_PREFIX = re.compile(r"^[abciow12]/")

# git's quote.c: these letters after a backslash, and \ooo for any other byte.
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
_OCTAL = re.compile(r"[0-7]{3}")


def unquote(name: str) -> str:
    """A file name as git wrote it in a diff header, without git's C-style quoting.

    ``"caf\\303\\251.c"`` is ``café.c``; a name not in double quotes is
    returned as it is. Bytes that are not UTF-8 survive as surrogates
    (``surrogateescape``), so the name still round-trips to the file system.
    """
    if len(name) < 2 or name[0] != '"' or name[-1] != '"':
        return name
    out = bytearray()
    body = name[1:-1]
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\" or i + 1 == len(body):
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif _OCTAL.match(body, i + 1):
            out.append(int(body[i + 1:i + 4], 8) & 0xFF)
            i += 4
        else:  # not an escape git writes: keep it as it stands
            out += b"\\"
            i += 1
    return out.decode("utf-8", "surrogateescape")


def tree_path(name: str | None) -> str | None:
    """A diff header's name as a path in the tree: unquoted, without ``a/``/``b/``; None
    for ``/dev/null`` (the side of an added or deleted file that does not exist)."""
    if name is None:
        return None
    name = unquote(name)
    if name == DEV_NULL:
        return None
    return _PREFIX.sub("", name, count=1)


def file_pair(pf: PatchedFile) -> tuple[str | None, str | None]:
    """(pre-image path, post-image path) of one file of a diff; None for a side that is absent."""
    return tree_path(pf.source_file), tree_path(pf.target_file)


def file_path(pf: PatchedFile) -> str:
    """The one path a file of a diff is known by: the post-image path, the
    pre-image path of a deleted file (unidiff's ``PatchedFile.path``, unquoted)."""
    source, target = file_pair(pf)
    if source is None or (pf.is_rename and target is not None):
        return target or ""
    return source
