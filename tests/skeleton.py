"""The landmarks that make a test folder a kernel tree to reviewbot.

reviewbot refuses a ``--tree`` that is not a kernel tree (MAINTAINERS, a
top-level Makefile with ``VERSION =``, arch/ and include/linux/), so test
repositories carry the same four, as examples/tree does.
"""

from __future__ import annotations

from pathlib import Path

FILES = {
    "MAINTAINERS": "List of maintainers (test tree)\n",
    "Makefile": "# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 1\n",
    "arch/arm64/include/asm/cache.h": "/* test tree */\n",
    "include/linux/types.h": "/* test tree */\n",
}


def make_kernel_skeleton(root: Path) -> list[str]:
    """Write the landmarks into ``root``; return their paths (for ``git add``)."""
    for path, text in FILES.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.write_text(text)
    return list(FILES)
