"""Kconfig expressions (``depends on ARM && (ARCH_FOO || COMPILE_TEST)``) as typed trees.

The grammar is the one of Documentation/kbuild/kconfig-language.rst: symbols,
constants, quoted strings, ``$(macro,...)`` calls, comparisons (``=``, ``!=``,
``<``, ``>``, ``<=``, ``>=``), ``!``, ``&&`` and ``||`` with that precedence,
and parentheses. It is a small recursive-descent parser rather than
kconfiglib's: kconfiglib parses expressions only through private methods of a
loaded ``Kconfig`` object, and takes about twice as long (bench/kconfig_reach.py
measures both and checks that they build the same tree for every expression
of Linux 6.1 and 6.12). Text this parser does not understand raises
ValueError: the caller then knows nothing, which is not the same as "any".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Sym:
    """A symbol, or one of the constants y, m, n when written bare."""
    name: str


@dataclass(frozen=True)
class Str:
    """A quoted string or a number: a value, never a symbol."""
    value: str


@dataclass(frozen=True)
class Macro:
    """``$(cc-option,...)`` and friends: decided by the build host, not by the tree."""
    text: str


@dataclass(frozen=True)
class Not:
    arg: Expr


@dataclass(frozen=True)
class And:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Or:
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Cmp:
    op: str  # = != < > <= >=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class ArchIs:
    """True exactly on these architectures: what a path under arch/<name>/ says.

    Never written in a Kconfig; the Makefile side builds it."""
    arches: frozenset[str]


Expr = Sym | Str | Macro | Not | And | Or | Cmp | ArchIs

TRUE = Sym("y")

_TOKEN = re.compile(r"""\s*(?:
    (?P<op>&&|\|\||!=|<=|>=|[!()=<>])
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<word>[A-Za-z0-9_.+-]+)
  | (?P<macro>\$\()
)""", re.X)


_NUMBER = re.compile(r"[+-]?(?:0[xX][0-9a-fA-F]+|[0-9]+)$")


def parse(text: str) -> Expr:
    """The expression tree of ``text``; ValueError when it is not an expression."""
    return _parse(text.strip())


@lru_cache(maxsize=65536)
def _parse(text: str) -> Expr:
    tokens = _tokens(text)
    parser = _Parser(tokens)
    expr = parser.or_expr()
    if parser.i != len(tokens):
        raise ValueError(f"unexpected {tokens[parser.i][1]!r} in {text!r}")
    return expr


def conjunction(parts: list[Expr] | tuple[Expr, ...]) -> Expr:
    """``a && b && ...``; ``y`` for none."""
    out: Expr | None = None
    for p in parts:
        out = p if out is None else And(out, p)
    return TRUE if out is None else out


def disjunction(parts: list[Expr] | tuple[Expr, ...]) -> Expr | None:
    """``a || b || ...``; None for none (nothing enables it)."""
    out: Expr | None = None
    for p in parts:
        out = p if out is None else Or(out, p)
    return out


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    n = len(text)
    while i < n:
        m = _TOKEN.match(text, i)
        if m is None:
            if text[i:].strip() == "":
                break
            raise ValueError(f"cannot read {text[i:]!r}")
        kind = m.lastgroup or ""
        if kind == "macro":
            end = _macro_end(text, m.end())
            out.append(("macro", text[m.start("macro"):end]))
            i = end
            continue
        out.append((kind, m.group(kind)))
        i = m.end()
        while i < n and text[i].isspace():
            i += 1
    return out


def _macro_end(text: str, i: int) -> int:
    """Index after the ``)`` closing a ``$(`` whose body starts at ``i``."""
    depth = 1
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unclosed macro in {text!r}")


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def _peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def or_expr(self) -> Expr:
        left = self.and_expr()
        while self._peek() == "||":
            self.i += 1
            left = Or(left, self.and_expr())
        return left

    def and_expr(self) -> Expr:
        left = self.not_expr()
        while self._peek() == "&&":
            self.i += 1
            left = And(left, self.not_expr())
        return left

    def not_expr(self) -> Expr:
        if self._peek() == "!":
            self.i += 1
            return Not(self.not_expr())
        if self._peek() == "(":
            self.i += 1
            inner = self.or_expr()
            if self._peek() != ")":
                raise ValueError("unbalanced parenthesis")
            self.i += 1
            return inner
        left = self.atom()
        op = self._peek()
        if op in ("=", "!=", "<", ">", "<=", ">="):
            self.i += 1
            return Cmp(op, left, self.atom())
        return left

    def atom(self) -> Expr:
        if self.i >= len(self.tokens):
            raise ValueError("expression ends early")
        kind, value = self.tokens[self.i]
        self.i += 1
        if kind == "word":
            return Str(value) if _NUMBER.match(value) else Sym(value)  # 64BIT is a symbol
        if kind == "str":
            return Str(value[1:-1])
        if kind == "macro":
            return Macro(value)
        raise ValueError(f"unexpected {value!r}")
