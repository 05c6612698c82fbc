"""CEL source text to the syntax tree of `nodes`, with Lark's LALR parser on the grammar `cel.lark`.

What the grammar leaves to this module, each time as the Rust binding (its ANTLR grammar) does:
the sign folded into a numeric literal, runs of `!` or `-`, literal ranges and string escapes,
reserved words, and the macros (`has`, `all`, `exists`, `exists_one`/`existsOne`, `filter`, `map`).
"""

from __future__ import annotations

import functools
import hashlib
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import lark

from engine.compilation.cel.errors import CelSyntaxError
from engine.compilation.cel.nodes import (
    Binary,
    Call,
    Comprehension,
    Conditional,
    CreateList,
    CreateMap,
    Ident,
    Index,
    Literal,
    Node,
    Presence,
    Select,
    Unary,
)
from engine.compilation.cel.values import INT_MAX, INT_MIN, UINT_MAX, UInt

# cel-spec: reserved words may be field names and receiver-style function names, nothing else.
RESERVED = frozenset({
    "as", "break", "const", "continue", "else", "for", "function", "if", "import",
    "let", "loop", "package", "namespace", "return", "var", "void", "while",
})
_PREDICATE_MACROS = {
    "all": "all", "exists": "exists", "exists_one": "exists_one", "existsOne": "exists_one", "filter": "filter"
}
_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    '"': '"', "'": "'", "\\": "\\", "?": "?", "`": "`",
}
_HEX = frozenset("0123456789abcdefABCDEF")
_MEMBER_CHAIN = frozenset({"select", "member_call", "index", "message"})


_OPTIONS: dict[str, Any] = {"parser": "lalr", "lexer": "basic", "propagate_positions": True, "maybe_placeholders": True}


def grammar() -> str:
    return files(__package__).joinpath("cel.lark").read_text(encoding="utf-8")


def _built(positions: bool = True) -> lark.Lark:
    return lark.Lark(grammar(), **{**_OPTIONS, "propagate_positions": positions})


@functools.cache
def _lark(positions: bool = True) -> lark.Lark:
    """The parser, from the tables shipped in `_parser_tables` when they were made from this grammar by this Lark.

    Building the LALR tables costs about 40 ms, a sixth of a one-dossier run; the shipped tables load
    in 2 ms. They are plain Python literals (no pickle), and any doubt about them means a build.
    `positions`: each subtree knows where it starts, which only an error needs, and which doubles the
    time of a parse.
    """
    from engine.compilation.cel import _parser_tables

    if _parser_tables.GRAMMAR_SHA256 == hashlib.sha256(grammar().encode("utf-8")).hexdigest() and _parser_tables.LARK_VERSION == lark.__version__:
        try:
            return lark.Lark.__new__(lark.Lark)._load(_parser_tables.TABLES, propagate_positions=positions)  # read once: cached
        except Exception:  # noqa: BLE001 - tables this Lark cannot read: build them instead
            pass
    return _built(positions)


def parser_tables_module() -> str:
    """The text of `_parser_tables.py` for the grammar and the Lark installed (tests check the shipped one is current)."""
    parser = _built()
    data, memo = parser.memo_serialize([lark.lexer.TerminalDef, lark.grammar.Rule])
    return (
        '"""The LALR tables of cel.lark, made by `python -m engine.compilation.cel.parser`; do not edit."""\n\n'
        f"GRAMMAR_SHA256 = {hashlib.sha256(grammar().encode('utf-8')).hexdigest()!r}\n"
        f"LARK_VERSION = {lark.__version__!r}\n"
        f"TABLES = {({'data': data, 'memo': memo})!r}\n"
    )


def parse(source: str) -> Node:
    """The syntax tree of a CEL expression; CelSyntaxError names the line and column of a fault."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: no CEL implementation can be given such a text
        line, column = _line_column(source, exc.start)
        raise _error(source, line, column, "the expression is not valid Unicode") from None
    try:
        return _Converter(source).node(_lark(positions=False).parse(source))
    except _Unplaced:  # a fault the grammar allows: parsed again, keeping positions, to say where it is
        return _Converter(source).node(_lark().parse(source))
    except lark.exceptions.UnexpectedCharacters as exc:
        raise _error(source, exc.line, exc.column, f"unexpected character {exc.char!r}") from None
    except lark.exceptions.UnexpectedToken as exc:
        if exc.token.type == "$END":
            line, column = _line_column(source, len(source))
            raise _error(source, line, column, "unexpected end of expression") from None
        raise _error(source, exc.line, exc.column, f"unexpected {exc.token.value!r}") from None
    except lark.exceptions.UnexpectedEOF:
        line, column = _line_column(source, len(source))
        raise _error(source, line, column, "unexpected end of expression") from None


def _line_column(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _error(source: str, line: int, column: int, message: str) -> CelSyntaxError:
    text = source.split("\n")[line - 1] if 0 < line <= source.count("\n") + 1 else ""
    return CelSyntaxError(f"{message} at line {line}, column {column}\n| {text}\n| {'.' * (column - 1)}^")


class _Unplaced(Exception):
    """A fault in a tree parsed without positions: it must be parsed again to be placed."""


class _Converter:
    """Builds nodes from Lark's tree; holds the source only to place errors."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: lark.Tree[Any] | lark.Token, message: str, offset: int = 0) -> CelSyntaxError:
        if isinstance(where, lark.Token):
            start = where.start_pos
        elif where.meta.empty:
            raise _Unplaced
        else:
            start = where.meta.start_pos
        line, column = _line_column(self.source, (start or 0) + offset)
        return _error(self.source, line, column, message)

    def node(self, tree: lark.Tree[Any], negative: bool = False) -> Node:
        """The node of a subtree; `negative` carries one minus down a member chain to its numeric literal."""
        kind = tree.data
        children: list[Any] = tree.children
        if kind == "number":
            return Literal(self.number(children[0], negative))
        if kind in _MEMBER_CHAIN:
            return self.member(tree, negative)
        if kind == "binary":
            left, operator, right = children
            return Binary(operator.value, self.node(left), self.node(right))
        if kind == "unary":
            return self.unary(tree)
        if kind == "conditional":
            condition, if_true, if_false = children
            return Conditional(self.node(condition), self.node(if_true), self.node(if_false))
        if kind == "nested":
            return self.node(children[0])
        if kind == "ident":
            dot, name = children
            return Ident(self.name(name, dot))
        if kind == "global_call":
            return self.global_call(tree)
        if kind == "list":
            return CreateList(tuple(self.node(c) for c in children))
        if kind == "map":
            return CreateMap(tuple((self.node(e.children[0]), self.node(e.children[1])) for e in children))
        if kind == "quoted":
            return Literal(self.quoted(children[0]))
        return Literal({"true": True, "false": False, "null": None}[kind])

    def name(self, token: lark.Token, dot: lark.Token | None) -> str:
        if token.value in RESERVED:
            raise self.fail(token, f"reserved identifier: {token.value}")
        return ("." if dot is not None else "") + str(token.value)

    def unary(self, tree: lark.Tree[Any]) -> Node:
        children: list[Any] = tree.children
        *operators, operand = children
        base = _leftmost(operand)
        signed = base.data == "number" and not str(base.children[0]).endswith(("u", "U"))  # a uint has no sign
        if operators[-1].value == "-" and (len(operators) == 1 or operators[0].value == "!"):
            if signed:  # CEL.g4 reads `-1` (and `-1.f()`, `!-1`) as a literal
                inner = self.node(operand, negative=True)
                operators.pop()
                return inner if len(operators) % 2 == 0 else Unary("!", inner)
            if operators[0].value == "!":  # after `!`, only a numeric literal may take a sign
                raise self.fail(operators[-1], "unexpected '-'")
        if len(operators) % 2 == 0:  # the binding drops an even run without checking the operand's type
            return self.node(operand)
        return Unary(operators[0].value, self.node(operand))

    def member(self, tree: lark.Tree[Any], negative: bool) -> Node:
        kind = tree.data
        children: list[Any] = tree.children
        operand = self.node(children[0], negative)
        if kind == "select":
            return Select(operand, children[1].value)
        if kind == "index":
            return Index(operand, self.node(children[1]))
        if kind == "message":
            raise self.fail(tree, "message construction (a protocol buffer type) is not supported")
        name, *arguments = children[1:]
        args = tuple(self.node(a) for a in arguments)
        macro = _PREDICATE_MACROS.get(name.value)
        if (macro and len(args) == 2) or (name.value == "map" and len(args) in (2, 3)):
            variable = arguments[0]
            if variable.data != "ident" or variable.children[0] is not None:
                raise self.fail(variable, "argument must be a simple name")
            bound = variable.children[1].value
            if macro:
                return Comprehension(macro, operand, bound, condition=args[1], result=None)
            condition = args[1] if len(args) == 3 else None
            return Comprehension("map", operand, bound, condition=condition, result=args[-1])
        return Call(name.value, args, target=operand)

    def global_call(self, tree: lark.Tree[Any]) -> Node:
        children: list[Any] = tree.children
        dot, token, *arguments = children
        function = self.name(token, dot)
        if function == "has" and len(arguments) == 1:
            argument = arguments[0]
            if argument.data != "select":
                raise self.fail(argument, "invalid argument to has() macro")
            return Presence(self.node(argument.children[0]), argument.children[1].value)
        return Call(function, tuple(self.node(a) for a in arguments))

    def number(self, token: lark.Token, negative: bool) -> Any:
        text = str(token.value)
        if text[-1] in "uU":
            value = int(text[:-1], 16 if text.startswith("0x") else 10)
            if value > UINT_MAX:
                raise self.fail(token, "invalid uint literal")
            return UInt(value)
        if text.startswith("0x"):
            whole = int(text, 16)
        elif any(c in text for c in ".eE"):
            double = float(text)
            if double in (float("inf"), float("-inf")):
                raise self.fail(token, "invalid double literal")
            return -double if negative else double
        else:
            whole = int(text)
        whole = -whole if negative else whole
        if not INT_MIN <= whole <= INT_MAX:
            raise self.fail(token, "invalid int literal")
        return whole

    def quoted(self, token: lark.Token) -> str | bytes:
        text = str(token.value)
        is_bytes = text[0] in "bB"
        prefix = 1 if is_bytes else 0
        raw = text[prefix] in "rR"
        prefix += raw
        quote = 3 if text[prefix : prefix + 3] in ("'''", '"""') else 1
        body_start = prefix + quote
        body = text[body_start:-quote]
        if raw:
            return body.encode("utf-8") if is_bytes else body
        return self.unescape(token, body, body_start, is_bytes)

    def unescape(self, token: lark.Token, body: str, body_start: int, is_bytes: bool) -> str | bytes:
        """The escapes of cel-spec's ESCAPE production; in bytes, \\x and octal escapes are bytes."""
        pieces: list[bytes] = []
        position = 0
        while True:
            backslash = body.find("\\", position)
            if backslash < 0:
                pieces.append(body[position:].encode("utf-8"))
                break
            pieces.append(body[position:backslash].encode("utf-8"))
            code, length = self.escape(token, body, backslash, body_start, is_bytes)
            pieces.append(bytes([code]) if is_bytes and code < 256 else chr(code).encode("utf-8"))
            position = backslash + length
        joined = b"".join(pieces)
        return joined if is_bytes else joined.decode("utf-8")

    def escape(self, token: lark.Token, body: str, at: int, body_start: int, is_bytes: bool) -> tuple[int, int]:
        """The code (a code point, or a byte in bytes) and length of the escape at `at`."""
        letter = body[at + 1]
        if letter in _SIMPLE_ESCAPES:
            return ord(_SIMPLE_ESCAPES[letter]), 2
        digits = {"x": 2, "X": 2, "u": 4, "U": 8}.get(letter)
        if digits:
            hex_digits = body[at + 2 : at + 2 + digits]
            if len(hex_digits) == digits and set(hex_digits) <= _HEX and not (is_bytes and letter in "uU"):
                code = int(hex_digits, 16)
                if letter in "xX" or (code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF):
                    return code, 2 + digits
        octal = body[at + 1 : at + 4]
        if len(octal) == 3 and octal[0] in "0123" and all(c in "01234567" for c in octal[1:]):
            return int(octal, 8), 4
        raise self.fail(token, f"invalid escape sequence {body[at : at + 2]!r}", body_start + at)


def _leftmost(tree: lark.Tree[Any]) -> lark.Tree[Any]:
    """The primary a member chain starts from (`x` in `x.y[0].f()`)."""
    while tree.data in _MEMBER_CHAIN:
        tree = tree.children[0]
    return tree


if __name__ == "__main__":  # write the tables after a change of the grammar or of Lark
    target = Path(__file__).with_name("_parser_tables.py")
    target.write_text(parser_tables_module(), encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)
