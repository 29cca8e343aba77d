"""The real Linux trees for benchmarks: Debian's linux-source-6.1 and -6.12, unpacked once.

``apt-get install linux-source-6.1`` (or ``-6.12``) ships
/usr/src/linux-source-X.tar.xz; the whole tree is unpacked into
~/.cache/reviewbot/linux-X (for 6.1, $REVIEWBOT_KERNEL_CACHE overrides it)
through a temporary folder, so an interrupted unpack never leaves a half tree
behind. Never committed. ``python bench/kernel_tree.py 6.12`` fetches one and
prints where it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

VERSIONS = ("6.1", "6.12")


def kernel_tree(version: str = "6.1") -> Path:
    """The unpacked tree of Debian's linux-source-``version``, fetched when missing."""
    if version not in VERSIONS:
        sys.exit(f"no Debian kernel tree {version!r} known here: {', '.join(VERSIONS)}")
    default = Path.home() / f".cache/reviewbot/linux-{version}"
    root = Path(os.environ.get("REVIEWBOT_KERNEL_CACHE", default)) if version == "6.1" \
        else default
    if (root / "MAINTAINERS").is_file() and (root / "drivers/usb").is_dir():
        return root
    tarball = Path(f"/usr/src/linux-source-{version}.tar.xz")
    if not tarball.is_file():
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print(f"installing linux-source-{version} ...", file=sys.stderr)
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", f"linux-source-{version}"],
                check=True,
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
            )
        else:
            sys.exit(f"{tarball} is missing: apt-get install linux-source-{version}")
    tmp = root.with_name(root.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    print(f"unpacking {tarball} into {root} ...", file=sys.stderr)
    subprocess.run(
        ["tar", "-xJf", str(tarball), "-C", str(tmp), "--strip-components=1"], check=True
    )
    if root.exists():
        shutil.rmtree(root)  # a partial tree from an older unpack
    tmp.rename(root)
    return root


if __name__ == "__main__":
    print(kernel_tree(sys.argv[1] if len(sys.argv) > 1 else "6.1"))
