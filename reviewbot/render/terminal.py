"""Text for a terminal: control characters from mail or a tree are shown, never obeyed.

A Subject holding ``ESC ] 52 ; c ; ... BEL`` writes the reader's clipboard
(OSC 52) when printed raw; other sequences retitle the window, hide text or
move the cursor over earlier lines (issue 26). Anything reviewbot prints as
text (``review``/``check`` text, ``scan`` text and Markdown, GitHub
annotations, checkpatch lines, and every log line on stderr) passes through
``visible`` once, at the end, so no field can be forgotten.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (0x9b is CSI on some terminals),
# the bidirectional overrides that make code read other than it is ("Trojan Source"),
# and lone surrogates (bytes of a file name that were not UTF-8).
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff]")
_NAMES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\r": "\\r", "\v": "\\v", "\x1b": "\\e"}


def _shown(m: re.Match[str]) -> str:
    c = m.group()
    if c in _NAMES:
        return _NAMES[c]
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape kept: show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with each control character written out (``\\e``, ``\\a``, ``\\x9b``).

    Tabs and line breaks stay: they are the layout of the text around the
    fields, and a terminal cannot be driven with them.
    """
    return _HIDDEN.sub(_shown, text)
