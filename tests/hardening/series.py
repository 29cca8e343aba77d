"""Hostile series built in code: each says in its subject what it attempts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def mail(n: int, total: int, subject: str, diff: str, *, tag: str = "evil") -> bytes:
    return (
        f"From: Mallory <mallory@example.org>\n"
        f"To: linux-hwmon@vger.kernel.org\n"
        f"Subject: [PATCH {n}/{total}] {subject}\n"
        f"Date: Thu, 01 Oct 2026 09:0{n}:00 +0000\n"
        f"Message-Id: <{tag}-{n}@example.org>\n"
        + (f"In-Reply-To: <{tag}-1@example.org>\n" if n > 1 else "")
        + "\n"
        f"{subject}.\n\nSigned-off-by: Mallory <mallory@example.org>\n---\n{diff}"
    ).encode()


def mbox(*mails: bytes) -> bytes:
    return b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + m + b"\n" for m in mails)


def new_symlink(path: str, target: str) -> str:
    return (
        f"diff --git a/{path} b/{path}\n"
        "new file mode 120000\n"
        "index 0000000..1111111\n"
        "--- /dev/null\n"
        f"+++ b/{path}\n"
        "@@ -0,0 +1 @@\n"
        f"+{target}\n"
        "\\ No newline at end of file\n"
    )


def edit(path: str, old: str, new: str) -> str:
    return (
        f"diff --git a/{path} b/{path}\n"
        "index 1111111..2222222 100644\n"
        f"--- a/{path}\n"
        f"+++ b/{path}\n"
        "@@ -1 +1 @@\n"
        f"-{old}\n"
        f"+{new}\n"
    )


def new_file(path: str, lines: list[str]) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f"diff --git a/{path} b/{path}\n"
        "new file mode 100644\n"
        "index 0000000..3333333\n"
        "--- /dev/null\n"
        f"+++ b/{path}\n"
        f"@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def reviewbot(*args: str, stdin: bytes | None = None, timeout: float = 30, cwd=None):
    """The real command line in its own process (a hang fails the test, it does not stall it)."""
    return subprocess.run(
        [sys.executable, "-m", "reviewbot", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        cwd=cwd or Path.cwd(),
        check=False,
    )
