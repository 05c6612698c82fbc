"""The regular expressions of CEL's `matches()`, in the syntax of the Rust `regex` crate that the
binding runs, translated to Python's `re`.

A pattern is parsed as the crate parses it (its errors are errors here too), then written twice:

- natively, with Python's own \\w, \\d, \\s, \\b and IGNORECASE: fast to compile, and the same as the
  crate on the characters `unicode_tables` lists as agreeing (Latin, Greek, Cyrillic text...);
- exactly, with the crate's classes spelt out from `unicode_tables` and case folding done by hand:
  right on every text, but slow to compile (a \\b becomes four classes of 800 ranges).

`Pattern.matches` uses the native form unless the text holds a character on which it may differ.
Constructs Python cannot run the same way are refused (RegexError): Unicode classes \\p{..},
nested classes and class set operations, and the flags x (verbose), R (CRLF) and -u (bytes).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import TypeAlias

from engine.compilation.cel import unicode_tables as tables

Ranges = tuple[tuple[int, int], ...]
MAX_CODE_POINT = 0x10FFFF


class RegexError(ValueError):
    """A pattern the crate refuses, or one this translation cannot run the same way."""


@dataclass(frozen=True)
class Literal:
    char: str
    fold: bool  # under (?i)


@dataclass(frozen=True)
class Perl:
    """\\d, \\w or \\s, or their negations \\D, \\W, \\S."""

    kind: str
    negated: bool


@dataclass(frozen=True)
class CharClass:
    items: tuple[tuple[int, int] | Perl, ...]  # ranges of code points, and Perl classes
    negated: bool
    fold: bool


@dataclass(frozen=True)
class AnyChar:
    dotall: bool


@dataclass(frozen=True)
class Assertion:
    kind: str  # text_start text_end line_start line_end word_boundary not_word_boundary word_start word_end ...


@dataclass(frozen=True)
class Group:
    alternatives: tuple[tuple[RegexNode, ...], ...]


@dataclass(frozen=True)
class Repeat:
    node: RegexNode
    low: int
    high: int | None
    greedy: bool


RegexNode: TypeAlias = Literal | Perl | CharClass | AnyChar | Assertion | Group | Repeat

_POSIX: dict[str, Ranges] = {
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "ascii": ((0x00, 0x7F),),
    "blank": ((0x09, 0x09), (0x20, 0x20)),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "digit": ((0x30, 0x39),),
    "graph": ((0x21, 0x7E),),
    "lower": ((0x61, 0x7A),),
    "print": ((0x20, 0x7E),),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "space": ((0x09, 0x0D), (0x20, 0x20)),
    "upper": ((0x41, 0x5A),),
    "word": ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)),
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}
_CHAR_ESCAPES = {"a": "\a", "f": "\f", "t": "\t", "n": "\n", "r": "\r", "v": "\v"}
_HEX_WIDTH = {"x": 2, "u": 4, "U": 8}
_WORD_ASSERTIONS = {"start": "word_start", "end": "word_end", "start-half": "word_start_half", "end-half": "word_end_half"}
_SPACES = " \t\n\r\v\f"


# --- parsing the crate's syntax -----------------------------------------------------------------------------


class _Parser:
    """A recursive-descent reader of the crate's syntax (regex-syntax), one pattern at a time."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.position = 0
        self.group_names: set[str] = set()

    def error(self, message: str) -> RegexError:
        return RegexError(f"{message} (at offset {self.position} of the regular expression {self.pattern!r})")

    def peek(self, offset: int = 0) -> str:
        at = self.position + offset
        return self.pattern[at] if at < len(self.pattern) else ""

    def parse(self) -> Group:
        group = self.alternation(frozenset())
        if self.position < len(self.pattern):
            raise self.error("unopened group")
        return group

    def alternation(self, flags: frozenset[str]) -> Group:
        """Alternatives up to a ')' or the end; a `(?flags)` sets flags for the rest of the group."""
        alternatives: list[tuple[RegexNode, ...]] = []
        sequence: list[RegexNode] = []
        repeatable = False
        while self.position < len(self.pattern):
            char = self.peek()
            if char == ")":
                break
            if char == "|":
                alternatives.append(tuple(sequence))
                sequence, repeatable = [], False
                self.position += 1
            elif char in "*+?{":
                if not repeatable:
                    raise self.error("repetition operator missing expression")
                sequence[-1] = self.repetition(sequence[-1], flags)
            elif self.pattern.startswith("(?", self.position) and self.flag_directive_ahead():
                flags = self.flags(flags)
                self.position += 1  # the ')'
                repeatable = False
            else:
                sequence.append(self.atom(flags))
                repeatable = True
        alternatives.append(tuple(sequence))
        return Group(tuple(alternatives))

    def flag_directive_ahead(self) -> bool:
        """Whether `(?` starts `(?flags)`, which changes the group it is in, rather than a group."""
        end = self.position + 2
        while end < len(self.pattern) and self.pattern[end] not in ":)":
            end += 1
        return end < len(self.pattern) and self.pattern[end] == ")" and self.peek(2) not in ("", "<", "P", "=", "!")

    def flags(self, flags: frozenset[str]) -> frozenset[str]:
        """Read `(?flags` up to ':' or ')' (left unread); returns the flags in force after it."""
        self.position += 2
        seen: set[str] = set()
        negative = dangling = False
        result = set(flags)
        while self.peek() not in (":", ")"):
            char = self.peek()
            dangling = char == "-"
            if char == "":
                raise self.error("unclosed group")
            if char == "-" and not negative:
                negative = True
            elif char in "imsU":
                if char in seen:
                    raise self.error("duplicate flag")
                seen.add(char)
                if negative:
                    result.discard(char)
                else:
                    result.add(char)
            elif char == "u" and not negative:
                seen.add(char)
            elif char in "xRu":
                raise self.error(f"the flag {'-' if char == 'u' else ''}{char} is not supported")
            else:
                raise self.error("unrecognized flag")
            self.position += 1
        if dangling or (not seen and self.peek() == ")"):
            raise self.error("expected a flag")
        return frozenset(result)

    def repetition(self, node: RegexNode, flags: frozenset[str]) -> Repeat:
        char = self.peek()
        self.position += 1
        low: int
        high: int | None
        if char == "*":
            low, high = 0, None
        elif char == "+":
            low, high = 1, None
        elif char == "?":
            low, high = 0, 1
        else:
            low, high = self.counted()
        lazy = self.peek() == "?"
        if lazy:
            self.position += 1
        return Repeat(node, low, high, greedy=lazy == ("U" in flags))

    def counted(self) -> tuple[int, int | None]:
        """`{n}`, `{n,}` or `{n,m}` after the '{' (blanks allowed inside, as the crate allows)."""
        low = self.decimal()
        high: int | None = low
        self.skip_spaces()
        if self.peek() == ",":
            self.position += 1
            self.skip_spaces()
            high = None if self.peek() == "}" else self.decimal()
        self.skip_spaces()
        if self.peek() != "}":
            raise self.error("unclosed counted repetition")
        self.position += 1
        if high is not None and low > high:
            raise self.error("invalid repetition count range, the start must be <= the end")
        return low, high

    def decimal(self) -> int:
        self.skip_spaces()
        start = self.position
        while self.peek().isascii() and self.peek().isdigit():
            self.position += 1
        if start == self.position:
            if self.peek() == "":
                raise self.error("unclosed counted repetition")
            raise self.error("repetition quantifier expects a valid decimal")
        return int(self.pattern[start : self.position])

    def skip_spaces(self) -> None:
        while self.peek() and self.peek() in _SPACES:
            self.position += 1

    def atom(self, flags: frozenset[str]) -> RegexNode:
        char = self.peek()
        self.position += 1
        if char == "(":
            return self.group(flags)
        if char == "[":
            return self.char_class(flags)
        if char == ".":
            return AnyChar(dotall="s" in flags)
        if char == "^":
            return Assertion("line_start" if "m" in flags else "text_start")
        if char == "$":
            return Assertion("line_end" if "m" in flags else "text_end")
        if char == "\\":
            return self.escape(flags)
        return Literal(char, fold="i" in flags)

    def group(self, flags: frozenset[str]) -> Group:
        if self.peek() == "?":
            if self.peek(1) in ("=", "!") or self.pattern.startswith(("?<=", "?<!"), self.position):
                raise self.error("look-around, including look-ahead and look-behind, is not supported")
            if self.pattern.startswith(("?P<", "?<"), self.position):
                self.position += 3 if self.peek(1) == "P" else 2
                self.group_name()
            else:
                self.position -= 1
                flags = self.flags(flags)  # then ':' (a directive was handled by `alternation`)
                self.position += 1
        inner = self.alternation(flags)
        if self.peek() != ")":
            raise self.error("unclosed group")
        self.position += 1
        return inner

    def group_name(self) -> None:
        end = self.pattern.find(">", self.position)
        name = self.pattern[self.position : end] if end >= 0 else ""
        if not re.fullmatch(r"[_A-Za-z][_A-Za-z0-9.\[\]]*", name):
            raise self.error("invalid capture group name")
        if name in self.group_names:
            raise self.error("duplicate capture group name")
        self.group_names.add(name)
        self.position = end + 1

    def escape(self, flags: frozenset[str]) -> RegexNode:
        char = self.peek()
        self.position += 1
        if char == "":
            raise self.error("incomplete escape sequence")
        if char in "dwsDWS":
            return Perl(char.lower(), negated=char.isupper())
        if char == "b" and self.peek() == "{":
            end = self.pattern.find("}", self.position)
            kind = _WORD_ASSERTIONS.get(self.pattern[self.position + 1 : end]) if end > 0 else None
            if kind is None:
                raise self.error("unrecognized word boundary")
            self.position = end + 1
            return Assertion(kind)
        assertion = {"b": "word_boundary", "B": "not_word_boundary", "A": "text_start", "z": "text_end",
                     "<": "word_start", ">": "word_end"}.get(char)
        if assertion:
            return Assertion(assertion)
        return Literal(self.escaped_char(char), fold="i" in flags)

    def escaped_char(self, char: str) -> str:
        """The character of an escape that stands for one (in or out of a class)."""
        if char in _CHAR_ESCAPES:
            return _CHAR_ESCAPES[char]
        if char in _HEX_WIDTH:
            return self.hexadecimal(_HEX_WIDTH[char])
        if char in "pP":
            raise self.error("Unicode classes (\\p, \\P) are not supported")
        if char.isdigit():
            raise self.error("backreferences are not supported")
        if char.isascii() and not char.isalnum() and char not in "<>":
            return char
        raise self.error("unrecognized escape sequence")

    def hexadecimal(self, width: int) -> str:
        if self.peek() == "{":
            end = self.pattern.find("}", self.position)
            digits = self.pattern[self.position + 1 : end] if end > 0 else ""
            self.position = end + 1 if end > 0 else len(self.pattern)
        else:
            digits = self.pattern[self.position : self.position + width]
            self.position += width
            if len(digits) != width:
                raise self.error("incomplete hexadecimal escape")
        if not digits or not all(c in "0123456789abcdefABCDEF" for c in digits):
            raise self.error("invalid hexadecimal digit")
        code = int(digits, 16)
        if code > MAX_CODE_POINT or 0xD800 <= code <= 0xDFFF:
            raise self.error("hexadecimal literal is not a Unicode scalar value")
        return chr(code)

    def char_class(self, flags: frozenset[str]) -> CharClass:
        negated = self.peek() == "^"
        if negated:
            self.position += 1
        items: list[tuple[int, int] | Perl] = []
        if self.peek() == "]":  # a ']' first is a literal
            items.append((0x5D, 0x5D))
            self.position += 1
        while self.peek() != "]":
            if self.peek() == "":
                raise self.error("unclosed character class")
            if self.pattern.startswith(("&&", "--", "~~"), self.position):
                raise self.error("character class set operations (&&, --, ~~) are not supported")
            item = self.class_item()
            if isinstance(item, Perl):
                items.append(item)
            elif self.peek() == "-" and self.peek(1) not in ("]", "", "-"):  # `--` is a set operation
                self.position += 1
                end = self.class_item()
                if isinstance(end, Perl):
                    raise self.error("invalid range boundary, must be a literal")
                if end[0] < item[0]:
                    raise self.error("invalid character class range, the start must be <= the end")
                items.append((item[0], end[0]))
            else:
                items.append(item)
            if isinstance(items[-1], Perl) and self.peek() == "-" and self.peek(1) not in ("]", ""):
                raise self.error("invalid range boundary, must be a literal")
        self.position += 1
        return CharClass(tuple(items), negated, fold="i" in flags)

    def class_item(self) -> tuple[int, int] | Perl:
        """A character (as a one-point range), or a Perl or POSIX class (`[:alpha:]`, kind "posix:alpha")."""
        char = self.peek()
        self.position += 1
        if char == "[":
            posix = re.match(r":(\^?)([a-z]+):\]", self.pattern[self.position :])
            if not posix:
                raise self.error("nested character classes are not supported")
            if posix.group(2) not in _POSIX:
                raise self.error("invalid ASCII character class")
            self.position += posix.end()
            return Perl("posix:" + posix.group(2), negated=posix.group(1) == "^")
        if char == "\\":
            escaped = self.peek()
            self.position += 1
            if escaped in "dwsDWS" and escaped:
                return Perl(escaped.lower(), negated=escaped.isupper())
            code = ord(self.escaped_char(escaped)) if escaped else -1
            if code < 0:
                raise self.error("incomplete escape sequence")
            return (code, code)
        return (ord(char), ord(char))


# --- sets of code points ------------------------------------------------------------------------------------


def _normalized(ranges: list[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


def _complement(ranges: Ranges) -> Ranges:
    result, start = [], 0
    for low, high in ranges:
        if low > start:
            result.append((start, low - 1))
        start = high + 1
    if start <= MAX_CODE_POINT:
        result.append((start, MAX_CODE_POINT))
    return tuple(result)


def _intersection(a: Ranges, b: Ranges) -> Ranges:
    return _complement(_normalized([*_complement(a), *_complement(b)]))


def _holds(ranges: Ranges, code: int) -> bool:
    at = bisect.bisect_right(ranges, (code, MAX_CODE_POINT + 1)) - 1
    return at >= 0 and ranges[at][0] <= code <= ranges[at][1]


_PERL: dict[str, Ranges] = {"d": tables.DIGIT, "w": tables.WORD, "s": tables.SPACE}
_FOLDS: dict[int, str] = {ord(c): group for group in tables.CASE_FOLDS for c in group}


def _perl_ranges(perl: Perl) -> Ranges:
    ranges = _POSIX[perl.kind[6:]] if perl.kind.startswith("posix:") else _PERL[perl.kind]
    return _complement(ranges) if perl.negated else ranges


def _positive_set(char_class: CharClass) -> Ranges:
    """The code points a class names before folding and negation."""
    parts: list[tuple[int, int]] = []
    for item in char_class.items:
        parts.extend(_perl_ranges(item) if isinstance(item, Perl) else (item,))
    return _normalized(parts)


def _folded(ranges: Ranges) -> Ranges:
    """The set with every character the crate's case folding makes equal to one of its characters."""
    extra = [(ord(c), ord(c)) for code, group in _FOLDS.items() if _holds(ranges, code) for c in group]
    return _normalized([*ranges, *extra])


# --- writing Python patterns --------------------------------------------------------------------------------


def _class_char(code: int) -> str:
    char = chr(code)
    if char in "\\]^-[":
        return "\\" + char
    if code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def _range_source(low: int, high: int) -> str:
    return _class_char(low) if low == high else f"{_class_char(low)}-{_class_char(high)}"


def _class_source(ranges: Ranges) -> str:
    if not ranges:
        return "(?!)"  # a class that matches nothing
    return f"[{''.join(_range_source(low, high) for low, high in ranges)}]"


_WORD_CLASS = _class_source(tables.WORD)
_EXACT_ASSERTIONS = {
    "text_start": r"\A",
    "text_end": r"\Z",
    "line_start": "(?m:^)",
    "line_end": "(?m:$)",
    "word_boundary": f"(?:(?<={_WORD_CLASS})(?!{_WORD_CLASS})|(?<!{_WORD_CLASS})(?={_WORD_CLASS}))",
    "not_word_boundary": f"(?:(?<={_WORD_CLASS})(?={_WORD_CLASS})|(?<!{_WORD_CLASS})(?!{_WORD_CLASS}))",
    "word_start": f"(?<!{_WORD_CLASS})(?={_WORD_CLASS})",
    "word_end": f"(?<={_WORD_CLASS})(?!{_WORD_CLASS})",
    "word_start_half": f"(?<!{_WORD_CLASS})",
    "word_end_half": f"(?!{_WORD_CLASS})",
}
_NATIVE_ASSERTIONS = {
    "text_start": r"\A",
    "text_end": r"\Z",
    "line_start": "(?m:^)",
    "line_end": "(?m:$)",
    "word_boundary": r"\b",
    "not_word_boundary": r"\B",
    "word_start": r"\b(?=\w)",
    "word_end": r"\b(?<=\w)",
    "word_start_half": r"(?<!\w)",
    "word_end_half": r"(?!\w)",
}


def _write(node: RegexNode, exact: bool) -> str:
    """Python `re` source for a node, native or exact (see the module's docstring)."""
    if isinstance(node, Literal):
        if exact:
            group = _FOLDS.get(ord(node.char)) if node.fold else None
            return _class_source(_normalized([(ord(c), ord(c)) for c in group])) if group else re.escape(node.char)
        return f"(?i:{re.escape(node.char)})" if node.fold else re.escape(node.char)
    if isinstance(node, Perl):
        return _class_source(_perl_ranges(node)) if exact else "\\" + (node.kind.upper() if node.negated else node.kind)
    if isinstance(node, CharClass):
        if exact:
            positive = _positive_set(node)
            ranges = _folded(positive) if node.fold else positive
            return _class_source(_complement(ranges) if node.negated else ranges)
        body = "".join(_native_class_item(item) for item in node.items)
        source = f"[{'^' if node.negated else ''}{body}]"
        return f"(?i:{source})" if node.fold else source
    if isinstance(node, AnyChar):
        return "(?s:.)" if node.dotall else "."
    if isinstance(node, Assertion):
        return (_EXACT_ASSERTIONS if exact else _NATIVE_ASSERTIONS)[node.kind]
    if isinstance(node, Group):
        return "(?:" + "|".join("".join(_write(n, exact) for n in sequence) for sequence in node.alternatives) + ")"
    quantifier = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((node.low, node.high))
    if quantifier is None:
        high = "" if node.high is None else str(node.high)
        quantifier = f"{{{node.low}}}" if node.high == node.low else f"{{{node.low},{high}}}"
    return f"(?:{_write(node.node, exact)}){quantifier}{'' if node.greedy else '?'}"


def _native_class_item(item: tuple[int, int] | Perl) -> str:
    if isinstance(item, Perl):
        if item.kind.startswith("posix:"):
            return "".join(_range_source(low, high) for low, high in _perl_ranges(item))
        return "\\" + (item.kind.upper() if item.negated else item.kind)
    return _range_source(*item)


# --- where the native pattern can be trusted ----------------------------------------------------------------


def _walk(node: RegexNode) -> list[RegexNode]:
    if isinstance(node, Group):
        return [node, *(n for sequence in node.alternatives for item in sequence for n in _walk(item))]
    if isinstance(node, Repeat):
        return [node, *_walk(node.node)]
    return [node]


def _features(tree: Group) -> tuple[frozenset[str], bool]:
    """The Unicode data the pattern relies on (word, digit, space, fold), and whether only the exact
    form is right whatever the text (a folded set that splits a class where Python and the crate
    fold differently, or a folded range past the BMP, which Python folds another way)."""
    features: set[str] = set()
    always_exact = False
    for node in _walk(tree):
        perls: list[Perl] = [node] if isinstance(node, Perl) else []
        if isinstance(node, CharClass):
            perls = [item for item in node.items if isinstance(item, Perl)]
        features.update(p.kind for p in perls if not p.kind.startswith("posix:"))
        if isinstance(node, Assertion) and "word" in node.kind:
            features.add("w")
        folded: Ranges | None = None
        if isinstance(node, Literal) and node.fold:
            folded = ((ord(node.char), ord(node.char)),)
        elif isinstance(node, CharClass) and node.fold:
            folded = _positive_set(node)
            always_exact |= any(high > 0xFFFF for high in (r[1] for r in folded))
        if folded is not None:
            features.add("fold")
            always_exact |= _splits_a_divergent_class(folded)
    return frozenset(features), always_exact


def _splits_a_divergent_class(folded: Ranges) -> bool:
    """Whether a set under (?i) holds a FOLD_COVER character but not its whole FOLD_DIVERGENT class:
    then Python may match a text character the crate does not, whatever the text."""
    for divergent in tables.FOLD_DIVERGENT:
        held = [_holds(folded, ord(c)) for c in divergent]
        covered = any(h for c, h in zip(divergent, held) if c in tables.FOLD_COVER)
        if covered and not all(held):
            return True
    return False


_REGION: Ranges = ((0, tables.NATIVE_REGION_END - 1),)
_NATIVE_SETS: dict[str, Ranges] = {
    "w": tables.NATIVE_WORD,
    "d": tables.NATIVE_DIGIT,
    "s": tables.NATIVE_SPACE,
    "fold": _complement(_normalized([(ord(c), ord(c)) for c in tables.FOLD_COVER])),
}


@functools.cache
def _untrusted(features: frozenset[str]) -> re.Pattern[str]:
    """Finds a character of a text on which the native form of a pattern using `features` may differ."""
    trusted = _REGION
    for feature in features:
        trusted = _intersection(trusted, _NATIVE_SETS[feature])
    return re.compile(_class_source(_complement(trusted)))


class Pattern:
    """A translated pattern; `matches` searches it anywhere in a text, as the crate's is_match."""

    __slots__ = ("_exact", "_native", "_tree", "_untrusted", "source")

    def __init__(self, source: str):
        self.source = source
        self._tree = _Parser(source).parse()
        features, always_exact = _features(self._tree)
        self._exact: re.Pattern[str] | None = None
        self._native: re.Pattern[str] | None = None if always_exact else _compiled(_write(self._tree, exact=False), source)
        self._untrusted: re.Pattern[str] | None = _untrusted(features) if features and not always_exact else None

    def matches(self, text: str) -> bool:
        if self._native is not None and (self._untrusted is None or self._untrusted.search(text) is None):
            return self._native.search(text) is not None
        if self._exact is None:
            self._exact = _compiled(_write(self._tree, exact=True), self.source)
        return self._exact.search(text) is not None


def _compiled(python_source: str, source: str) -> re.Pattern[str]:
    try:
        return re.compile(python_source)
    except (re.error, OverflowError, RecursionError) as exc:
        raise RegexError(f"the regular expression {source!r} cannot be run: {exc}") from None


@functools.lru_cache(maxsize=1024)
def compile_pattern(source: str) -> Pattern:
    """The pattern of `source`, translated once; RegexError if the crate refuses it or it cannot be run alike."""
    return Pattern(source)
