"""Which tree findings are judged on: the tree's own profile, a shipped one, a what-if.

A review with a kernel tree judges on that tree's profile, read from the
tree as it is after the series (facts/profile.py); a review of mail alone
judges on a shipped profile the user names (``--assume 6.1``), the newest
shipped by default; and ``--assume kmalloc-minalign=N`` asks what would
happen if kmalloc guaranteed only N bytes without bouncing (the audit a
minalign change needs). The answer says which, for every output to say.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reviewbot.analysis.facts.profile_model import TreeProfile
from reviewbot.analysis.facts.profile_store import (
    default_profile_name,
    load_profile,
    profile_names,
)
from reviewbot.analysis.facts.tree_reader import Reader
from reviewbot.analysis.rules.exposure import TreeFacts, assume_kmalloc_minalign, tree_facts
from reviewbot.errors import UsageError
from reviewbot.knowledge import Knowledge, load_knowledge

WHATIF = "kmalloc-minalign"


def judged_tree(read: Reader | None, arches: Sequence[str] | None,
                assume: Sequence[str] = (), knowledge: Knowledge | None = None, *,
                profile: Callable[[], TreeProfile] | None = None) -> TreeFacts:
    """The facts to judge on: the tree ``read`` gives (its ``arches``), unless ``assume``
    names a shipped profile (or there is no tree: the newest shipped), with the
    what-ifs of ``assume`` on top. A bad ``assume`` is a UsageError naming it.
    ``profile``: gives the tree's profile instead of reading it through ``read`` (a
    caller's cache); asked only when no shipped profile is named."""
    knowledge = knowledge or load_knowledge()
    lines = knowledge.line_of_its_cpu
    classes = knowledge.kmalloc_size_classes
    names = [a for a in assume if "=" not in a]
    whatifs = [a for a in assume if "=" in a]
    if len(names) > 1:
        raise UsageError(f"--assume names more than one profile: {', '.join(names)}")
    if names:
        if names[0] not in profile_names():
            raise UsageError(f"--assume {names[0]}: no such profile; shipped: "
                             f"{', '.join(profile_names())}")
        facts = tree_facts(load_profile(names[0]), f"the shipped {names[0]} profile", lines,
                           classes)
    elif profile is not None:
        facts = tree_facts(profile(), None, lines, classes)
    elif read is not None:
        # the profile's readers only when one is read (not to judge on a kept profile)
        from reviewbot.analysis.facts.profile import read_profile

        facts = tree_facts(read_profile(read, arches), None, lines, classes)
    else:
        name = default_profile_name()
        facts = tree_facts(load_profile(name), f"the shipped {name} profile", lines, classes)
    for w in whatifs:
        key, _, value = w.partition("=")
        if key != WHATIF or not value.isdigit() or int(value) < 1:
            raise UsageError(f"--assume {w}: not a profile name or {WHATIF}=N")
        facts = assume_kmalloc_minalign(facts, int(value))
    return facts


def describe(facts: TreeFacts) -> str:
    """How outputs name what findings were judged on."""
    return facts.name + (f", assuming {facts.assumed}" if facts.assumed else "")
