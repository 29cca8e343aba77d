"""Refuse diff paths that would leave the tree before anything touches disk."""

from __future__ import annotations

import posixpath

from reviewbot.errors import InputError


def safe_relpath(path: str, where: str) -> str:
    """Return ``path`` normalised, or raise if it is absolute or climbs out.

    ``where`` names the patch for the error message.
    """
    if not path or "\x00" in path:
        raise InputError(f"{where}: empty or invalid file name in the diff")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise InputError(f"{where}: absolute path {path!r} in the diff is refused")
    norm = posixpath.normpath(path)
    if norm == ".." or norm.startswith("../") or "/../" in f"/{path}/":
        raise InputError(f"{where}: path {path!r} leaves the tree and is refused")
    return norm
