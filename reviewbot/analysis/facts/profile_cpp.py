"""Preprocessor text of a few kernel headers: which ``#define`` holds under which ``#if``.

The tree profile (profile.py) needs what a handful of headers say about a few
macros (``ARCH_DMA_MINALIGN`` in ``arch/arm/include/asm/cache.h`` under
``#ifdef CONFIG_...``), the body of a few functions, and the integer an
expression like ``(1 << L1_CACHE_SHIFT)`` can take. A real preprocessor run
needs a configuration; a review has none, so every branch is kept with the
condition it sits under, and a value is the set it can take over them all.
Plain text: one pass over each (small) file, no parser.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"//[^\n]*")
_DEFINE = re.compile(r"([A-Za-z_]\w*)(\(?)[ \t]*(.*)$")
_INCLUDE = re.compile(r"[<\"]([^>\"]+)[>\"]")
_TOKEN = re.compile(r"0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|\S")
_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$")
# ``__alignof__(unsigned long long)``, the generic fallback of both minalign
# macros: 8 on every architecture gcc builds Linux for in 64-bit, and on x86-32
# (gcc's __alignof__ is the preferred alignment); the kernel's own slab.h tests
# it against 8 ("the alignment of a 64-bit integer").
_ALIGNOF_U64 = re.compile(r"__alignof__\s*\(\s*unsigned\s+long\s+long\s*\)")
ALIGNOF_U64_BYTES = 8
_MAX_CHOICES = 256  # value combinations tried for one expression


@dataclass(frozen=True)
class Define:
    """One object-like ``#define NAME expression`` and the ``#if`` branches around it.

    ``frames`` are the C conditions of the enclosing branches, outermost first,
    as written (an ``#else`` is the negation of what came before it).
    """

    name: str
    expression: str
    frames: tuple[str, ...]
    path: str
    line: int

    @property
    def at(self) -> str:
        return f"{self.path}:{self.line}"

    def under(self, frames: Iterable[str]) -> Define:
        """The same definition seen through an ``#include`` inside ``frames``."""
        return Define(self.name, self.expression, (*frames, *self.frames), self.path, self.line)


@dataclass(frozen=True)
class Include:
    target: str  # as written between <> or ""
    frames: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class HeaderText:
    defines: tuple[Define, ...]
    includes: tuple[Include, ...]

    def named(self, name: str) -> tuple[Define, ...]:
        return tuple(d for d in self.defines if d.name == name)


def uncomment(text: str) -> str:
    """``text`` without C comments; newlines kept, so line numbers stay true."""
    text = _BLOCK_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    return _LINE_COMMENT.sub("", text)


_DIRECTIVES = re.compile(r"#[ \t]*(if|ifdef|ifndef|elif|else|endif|define|include)\b[ \t]*")


def scan_header(text: str, path: str) -> HeaderText:
    """The object-like defines and the includes of a header, each with its branch conditions."""
    defines: list[Define] = []
    includes: list[Include] = []
    stack: list[tuple[list[str], str | None]] = []  # (conditions before, current or None: #else)
    text = uncomment(text)
    line_no, counted = 1, 0
    # led by the literal '#': far faster than a '^'-anchored pattern tried on every line
    for m in _DIRECTIVES.finditer(text):
        bol = text.rfind("\n", 0, m.start()) + 1
        if text[bol:m.start()].strip(" \t"):
            continue  # '#' inside a line: not a directive
        end = text.find("\n", m.end())
        while end > 0 and text[end - 1] == "\\":
            end = text.find("\n", end + 1)
        end = len(text) if end < 0 else end
        line_no += text.count("\n", counted, m.start())
        counted = m.start()
        word = m.group(1)
        rest = " ".join(text[m.end():end].replace("\\\n", " ").split())
        if word in ("if", "ifdef", "ifndef"):
            cond = rest if word == "if" else (
                f"defined({rest})" if word == "ifdef" else f"!defined({rest})")
            stack.append(([], cond))
        elif word in ("elif", "else") and stack:
            before, current = stack[-1]
            stack[-1] = ([*before, current] if current else before,
                         rest if word == "elif" else None)
        elif word == "endif" and stack:
            stack.pop()
        elif word == "define":
            d = _DEFINE.match(rest)
            if d is not None and not d.group(2):  # object-like only
                defines.append(Define(d.group(1), d.group(3).strip(), _frames(stack), path,
                                      line_no))
        elif word == "include":
            inc = _INCLUDE.search(rest)
            if inc is not None:
                includes.append(Include(inc.group(1), _frames(stack), line_no))
    return HeaderText(tuple(defines), tuple(includes))


def _frames(stack: list[tuple[list[str], str | None]]) -> tuple[str, ...]:
    out = []
    for before, current in stack:
        parts = [negate(c) for c in before] + ([current] if current else [])
        out.append(all_of(parts))
    return tuple(out)


def all_of(conds: Iterable[str]) -> str:
    """``a && b`` for C conditions, an ``||`` inside one kept together by parentheses."""
    conds = list(conds)
    if len(conds) == 1:
        return conds[0]
    return " && ".join(f"({c})" if "||" in c and not _wrapped(c) else c for c in conds)


def _wrapped(cond: str) -> bool:
    """Is ``cond`` one parenthesised group, ``(a || b)``?"""
    bare = cond[1:] if cond.startswith("!") else cond
    return bare.startswith("(") and _matching(bare, 0, "(", ")") == len(bare) - 1


def negate(cond: str) -> str:
    if cond.startswith("!defined(") and cond.endswith(")") and cond.count("(") == 1:
        return cond[1:]
    if re.fullmatch(r"defined\(\w+\)|\w+", cond):
        return "!" + cond
    return f"!({cond})"


def kconfig_when(frames: Iterable[str]) -> str | None:
    """The branch conditions in Kconfig words (``defined(CONFIG_X)`` -> ``X``); None: always.

    Branches that test no ``CONFIG_`` symbol (include guards, ``__ASSEMBLY__``,
    ``__KERNEL__``) do not depend on the configuration and are left out.
    """
    parts = [kconfig_words(f) for f in frames if "CONFIG_" in f]
    return all_of(parts) if parts else None


def kconfig_words(cond: str) -> str:
    cond = re.sub(r"defined\s*\(\s*CONFIG_(\w+)\s*\)", r"\1", cond)
    cond = re.sub(r"defined\s+CONFIG_(\w+)", r"\1", cond)
    cond = re.sub(r"\bCONFIG_(\w+)", r"\1", cond)
    cond = re.sub(r"!\((\w+)\)", r"!\1", cond)
    return " ".join(cond.split())


def any_of(conds: Iterable[str]) -> str:
    """``(a) || (b)`` for C conditions; a single one as is."""
    conds = list(dict.fromkeys(conds))
    if len(conds) == 1:
        return conds[0]
    return " || ".join(c if re.fullmatch(r"!?[\w()]+", c) else f"({c})" for c in conds)


# ------------------------------------------------------------------ values

Lookup = Callable[[str], "frozenset[int] | None"]


def expression_values(expression: str, macros: Mapping[str, Iterable[str]],
                      config_ints: Lookup, depth: int = 0) -> frozenset[int] | None:
    """Every integer ``expression`` can take: each macro it names may have several
    definitions (one per ``#if`` branch), each ``CONFIG_`` integer several values
    (its Kconfig defaults). None when a name is not known or the text is not arithmetic.
    """
    if depth > 8:
        return None
    expression = _ALIGNOF_U64.sub(str(ALIGNOF_U64_BYTES), expression)
    tokens = _TOKEN.findall(expression)
    choices: dict[str, list[int]] = {}
    for tok in tokens:
        if not (tok[0].isalpha() or tok[0] == "_") or tok in choices:
            continue
        if tok.startswith("CONFIG_"):
            values = config_ints(tok[len("CONFIG_"):])
        elif tok in macros:
            values = _union(expression_values(e, macros, config_ints, depth + 1)
                            for e in macros[tok])
        else:
            return None
        if not values:
            return None
        choices[tok] = sorted(values)
    names = list(choices)
    combos = list(itertools.islice(itertools.product(*(choices[n] for n in names)),
                                   _MAX_CHOICES + 1))
    if len(combos) > _MAX_CHOICES:
        return None
    out = set()
    for combo in combos:
        value = dict(zip(names, combo, strict=True))
        text = " ".join(str(value[t]) if t in value else _number(t) for t in tokens)
        result = arithmetic(text)
        if result is None:
            return None
        out.add(result)
    return frozenset(out)


def _union(sets: Iterable[frozenset[int] | None]) -> frozenset[int] | None:
    out: set[int] = set()
    for s in sets:
        if s is None:
            return None
        out |= s
    return frozenset(out) if out else None


def _number(tok: str) -> str:
    m = _NUMBER.match(tok)
    return str(int(m.group(1), 0)) if m else tok


_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a // b if b else None,
        ast.FloorDiv: lambda a, b: a // b if b else None,
        ast.LShift: lambda a, b: a << b if 0 <= b < 64 else None,
        ast.RShift: lambda a, b: a >> b if 0 <= b < 64 else None}


def arithmetic(text: str) -> int | None:
    """An integer expression of + - * / << >> and parentheses; None for anything else."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None
    return _eval(tree.body)


def _eval(node: ast.AST) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _eval(node.operand)
        return None if v is None else -v
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        a, b = _eval(node.left), _eval(node.right)
        if a is None or b is None:
            return None
        return _OPS[type(node.op)](a, b)
    return None


# ------------------------------------------------------------------ functions

@dataclass(frozen=True)
class Function:
    """A C function's definition: the line it starts on, its body and the body's first line."""

    line: int
    body: str
    body_line: int

    def line_of(self, offset: int) -> int:
        """The line of ``offset`` in the body."""
        return self.body_line + self.body.count("\n", 0, offset)


def definition(text: str, name: str) -> Function | None:
    """The C function ``name`` defined in ``text`` (comments removed), or None.
    A definition starts at a line's first column, as kernel style has it."""
    pattern = re.compile(r"^(?!return\b)(?:[A-Za-z_][\w \t*]*?[ \t*\n])?" + re.escape(name)
                         + r"[ \t]*\(", re.M)
    for m in pattern.finditer(text):
        close = _matching(text, m.end() - 1, "(", ")")
        if close is None:
            continue
        after = text[close + 1:close + 400].lstrip()
        if not after.startswith("{"):
            continue  # a declaration or a call at column 0
        brace = text.index("{", close)
        end = _matching(text, brace, "{", "}")
        if end is None:
            return None
        return Function(text.count("\n", 0, m.start()) + 1, text[brace:end + 1],
                        text.count("\n", 0, brace) + 1)
    return None


def declares(text: str, name: str) -> int | None:
    """The line where ``text`` declares or defines the function ``name``, or None."""
    pattern = re.compile(r"^(?!return\b)(?:[A-Za-z_][\w \t*]*?[ \t*])?" + re.escape(name)
                         + r"[ \t]*\(", re.M)
    m = pattern.search(text)
    return None if m is None else text.count("\n", 0, m.start()) + 1


def _matching(text: str, at: int, open_: str, close: str) -> int | None:
    depth = 0
    for i in range(at, len(text)):
        c = text[i]
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i
    return None


# ------------------------------------------------------------------ conditions

_COND_TOKEN = re.compile(r"&&|\|\||!(?!=)|\(|\)|\w+|\S")
_MAX_ATOMS = 12


def always_holds(conds: Iterable[str | None]) -> bool:
    """Does one of the conditions (Kconfig words, None: always) hold in every configuration?

    Tried on every assignment of the symbols they name, which is what an
    ``#if A`` / ``#else`` pair needs (alpha's L1 line is 64 or 32, never
    undefined). A condition that is not plain ``! && || ()`` over symbols
    counts as not known to hold.
    """
    conds = list(conds)
    if any(c is None for c in conds):
        return True
    trees = [_bool_tree(c) for c in conds if c is not None]
    if not trees or any(t is None for t in trees):
        return False
    atoms = sorted({a for t in trees if t is not None for a in _atoms(t)})
    if len(atoms) > _MAX_ATOMS:
        return False
    for values in itertools.product((False, True), repeat=len(atoms)):
        env = dict(zip(atoms, values, strict=True))
        if not any(_holds(t, env) for t in trees if t is not None):
            return False
    return True


def _bool_tree(cond: str) -> ast.expr | None:
    """``A && !(B || C)`` as a Python boolean expression tree over placeholder names."""
    out = []
    names: dict[str, str] = {}
    for tok in _COND_TOKEN.findall(cond):
        if tok == "&&":
            out.append(" and ")
        elif tok == "||":
            out.append(" or ")
        elif tok == "!":
            out.append(" not ")
        elif tok in "()":
            out.append(tok)
        elif re.fullmatch(r"\w+", tok) and not tok.isdigit():
            out.append(names.setdefault(tok, f"_{tok}"))
        else:
            return None
    try:
        tree = ast.parse("".join(out).strip(), mode="eval").body
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.BoolOp | ast.UnaryOp | ast.Name | ast.And | ast.Or
                          | ast.Not | ast.Load):
            return None
    return tree


def _atoms(tree: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _holds(tree: ast.expr, env: Mapping[str, bool]) -> bool:
    if isinstance(tree, ast.Name):
        return env[tree.id]
    if isinstance(tree, ast.UnaryOp):
        return not _holds(tree.operand, env)
    assert isinstance(tree, ast.BoolOp)
    parts = (_holds(v, env) for v in tree.values)
    return all(parts) if isinstance(tree.op, ast.And) else any(parts)
