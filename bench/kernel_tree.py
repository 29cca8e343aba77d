"""The real Linux 6.1 tree for benchmarks: Debian's linux-source-6.1, unpacked once.

``apt-get install linux-source-6.1`` ships /usr/src/linux-source-6.1.tar.xz;
the whole tree is unpacked into $REVIEWBOT_KERNEL_CACHE (default
~/.cache/reviewbot/linux-6.1) through a temporary folder, so an
interrupted unpack never leaves a half tree behind. Never committed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")


def kernel_tree() -> Path:
    root = Path(
        os.environ.get("REVIEWBOT_KERNEL_CACHE", Path.home() / ".cache/reviewbot/linux-6.1")
    )
    if (root / "MAINTAINERS").is_file() and (root / "drivers/usb").is_dir():
        return root
    if not TARBALL.is_file():
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print("installing linux-source-6.1 ...", file=sys.stderr)
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "linux-source-6.1"],
                check=True,
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
            )
        else:
            sys.exit(f"{TARBALL} is missing: apt-get install linux-source-6.1")
    tmp = root.with_name(root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    print(f"unpacking {TARBALL} into {root} ...", file=sys.stderr)
    subprocess.run(
        ["tar", "-xJf", str(TARBALL), "-C", str(tmp), "--strip-components=1"], check=True
    )
    if root.exists():
        shutil.rmtree(root)  # a partial tree from an older unpack
    tmp.rename(root)
    return root
