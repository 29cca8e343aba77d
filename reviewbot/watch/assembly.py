"""Group new patch mails into series revisions, and decide when one is ready.

A revision is identified by the message its patches hang from (the cover
letter, or patch 1 when there is none) and its ``vN``: a v2 sent in
reply to the v1 thread is still a revision of its own. Patches are taken
in counter order so a cover is known before the patches that answer it.
Replies (``Re:``) and mails without a ``[PATCH]`` counter are not patches.
"""

from __future__ import annotations

import fnmatch
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reviewbot.watch.config import Subscription
from reviewbot.watch.feeds import FeedEntry, PatchSubject, parse_subject
from reviewbot.watch.state import Revision, State

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assigned:
    rev_id: int
    created: bool
    entry: FeedEntry
    patch: PatchSubject


def root_of(state: State, entry: FeedEntry, patch: PatchSubject) -> str:
    """The message-id a patch's revision hangs from.

    A cover is its own root, and so is a single patch (even one sent in reply
    to an older thread). A numbered patch joins the revision of the patch
    it answers when that one has the same ``vN`` and count (deep threading);
    otherwise it hangs from the message it answers (the cover, possibly not
    seen yet) or, answering nothing, is the root itself (patch 1, no cover).
    """
    if patch.cover or patch.total == 1 or not entry.in_reply_to:
        return entry.msgid
    parent = state.patch_root(entry.in_reply_to)
    if parent is not None:
        root, revision, total = parent
        if (revision, total) == (patch.revision, patch.total):
            return root
        return entry.msgid if patch.index == 1 else entry.in_reply_to
    return entry.in_reply_to


def assign(
    state: State,
    db: sqlite3.Connection,
    sub: Subscription,
    entries: Iterable[FeedEntry],
    now: float,
) -> list[Assigned]:
    """Inside a transaction: record the patch mails among ``entries``."""
    patches = [(e, p) for e in entries if (p := parse_subject(e.subject)) is not None]
    patches.sort(key=lambda ep: (ep[1].revision, ep[1].index))
    out = []
    for entry, patch in patches:
        root = root_of(state, entry, patch)
        rev_id, created = state.add_patch(
            db,
            msgid=entry.msgid,
            root=root,
            revision=patch.revision,
            index=patch.index,
            total=patch.total,
            parent=entry.in_reply_to,
            sub=sub.name,
            subject=entry.subject,
            author=entry.author,
            now=now,
        )
        out.append(Assigned(rev_id, created, entry, patch))
    return out


def ready(rev: Revision, grace: int, now: float) -> bool:
    """Review when every patch is in, or when the grace period is over."""
    if rev.next_try > now:
        return False
    return rev.complete or now >= rev.first_seen + grace


def opted_out(patterns: Sequence[str], *addresses: str | None) -> str | None:
    """The first address or list id that matches an opt-out pattern, or None."""
    for addr in addresses:
        if not addr:
            continue
        value = addr.strip().strip("<>").lower()
        for pat in patterns:
            if fnmatch.fnmatchcase(value, pat):
                return value
    return None
