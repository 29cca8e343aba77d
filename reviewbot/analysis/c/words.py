"""What a C identifier character is, for the byte and the text searches.

The slicer, the preprocessor and the text indexes find names with
``find`` and check the characters on either side themselves (a regex led by
``\\b`` tries every position); they must agree on what a word character is.
"""

from __future__ import annotations


def is_word(c: int) -> bool:
    """Is the byte ``c`` part of a C identifier (ASCII letters, digits, ``_``)?"""
    return c == 0x5F or 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def is_word_char(c: str) -> bool:
    """What ``\\w`` matches in a str pattern (letters and digits of any script, '_')."""
    return c.isalnum() or c == "_"
