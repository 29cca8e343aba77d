"""Issue 26, item 4: escape sequences in mail are shown on a terminal, never obeyed.

A Subject carrying ``ESC ] 52 ; c ; <base64> BEL`` (OSC 52) writes the
reader's clipboard when ``review`` or ``check`` print it raw. The tests run
the real command under ``script``, a real pseudo-terminal, and read back
every byte the terminal received.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.render.terminal import visible
from tests.conftest import EXAMPLES
from tests.hardening.series import mbox, new_file

pytestmark = pytest.mark.skipif(shutil.which("script") is None, reason="needs script(1)")

OSC52 = "\x1b]52;c;cHduZWQ=\x07"  # "pwned" to the clipboard
SHOWN = "\\e]52;c;cHduZWQ=\\a"
STACK = [
    "static int clip_read(struct usb_device *udev)",
    "{",
    "\tu8 buf[4];",
    "",
    "\treturn usb_control_msg(udev, usb_rcvctrlpipe(udev, 0), 1, 0xc0, 0, 0, buf, 4, 1000);",
    "}",
]


def quoted_new_file(quoted: str, lines: list[str]) -> str:
    """A new file whose name git wrote C-quoted (``quoted`` is inside the quotes, no prefix)."""
    body = "".join(f"+{line}\n" for line in lines)
    return (
        f'diff --git "a/{quoted}" "b/{quoted}"\n'
        "new file mode 100644\n"
        "index 0000000..3333333\n"
        "--- /dev/null\n"
        f'+++ "b/{quoted}"\n'
        f"@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


def _series(tmp_path: Path, diff: str | None = None) -> Path:
    # RFC 2047 carries the control bytes through any mail system: =1B is ESC, =07 BEL
    subject = "=?utf-8?q?usb=3A_clip=3A_=1B]52;c;cHduZWQ=3D=07_read_the_status?="
    msg = (
        "From: Mallory <mallory@example.org>\n"
        "To: linux-usb@vger.kernel.org\n"
        f"Subject: [PATCH] {subject}\n"
        "Date: Thu, 01 Oct 2026 09:00:00 +0000\n"
        "Message-Id: <clip-1@example.org>\n\n"
        "Read the status.\n\nSigned-off-by: Mallory <mallory@example.org>\n---\n"
        + (diff or new_file("drivers/usb/misc/clip.c", STACK))
    ).encode()
    src = tmp_path / "clip.mbox"
    src.write_bytes(mbox(msg))
    return src


def _on_a_terminal(tmp_path: Path, *args: str) -> tuple[int, bytes]:
    """Run reviewbot in a pseudo-terminal; (exit status, every byte the terminal got)."""
    typescript = tmp_path / "typescript"
    command = shlex.join([sys.executable, "-m", "reviewbot", *args])
    proc = subprocess.run(
        ["script", "-q", "-e", "-c", command, str(typescript)],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False, cwd=tmp_path,
    )
    return proc.returncode, typescript.read_bytes()


@pytest.mark.parametrize("command", [["review"], ["check"], ["review", "--format", "markdown"]])
def test_an_osc52_subject_reaches_the_terminal_only_as_text(tmp_path, command):
    status, seen = _on_a_terminal(tmp_path, *command, str(_series(tmp_path)))
    assert status == (1 if command == ["check"] else 0), seen.decode(errors="replace")
    assert b"\x1b]52" not in seen and b"\x07" not in seen
    # the subject is there, its escapes written out (b4's series subject, which the
    # Markdown list names, is cut at the bracket: the BEL after it is what is left)
    assert (SHOWN if "markdown" not in command else "52;c;cHduZWQ=\\a").encode() in seen


def test_a_control_character_in_a_file_name_is_shown_too(tmp_path):
    # git quotes such a name; unquoted (item 1), its ESC must not reach the terminal raw
    diff = quoted_new_file("drivers/usb/misc/\\033[2Jclip.c", STACK)
    status, seen = _on_a_terminal(tmp_path, "check", str(_series(tmp_path, diff)))
    assert status == 1, seen.decode(errors="replace")
    assert b"\x1b[2J" not in seen
    assert b"drivers/usb/misc/\\e[2Jclip.c:5: error:" in seen


def test_scan_by_maintainer_writes_out_a_file_name_s_escape(tmp_path):
    """The affected-driver list names files of the tree: an ESC in one is written out."""
    tree = tmp_path / "linux"
    shutil.copytree(EXAMPLES / "tree", tree)
    led = tree / "drivers/usb/misc/acme_led.c"
    led.rename(led.with_name("acme_\x1b[2Jled.c"))
    status, seen = _on_a_terminal(tmp_path, "scan", "--no-cache", "--assume",
                                  "kmalloc-minalign=8", "--by-maintainer", str(tree))
    assert status == 0, seen.decode(errors="replace")
    assert b"\x1b[2J" not in seen
    assert b"`drivers/usb/misc/acme_\\e[2Jled.c:27`" in seen


def test_visible_writes_out_every_kind_of_control_character():
    assert visible("a\x1b[31mb\x07c\x9bd\x00e\x7ff") == "a\\e[31mb\\ac\\x9bd\\x00e\\x7ff"
    assert visible("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    assert visible("bidi \u202eevil\u202c") == "bidi \\u202eevil\\u202c"
    assert visible("caf" + b"\xe9".decode("utf-8", "surrogateescape")) == "caf\\xe9"
    assert visible("café ünïcode") == "café ünïcode"
