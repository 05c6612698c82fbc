"""The expression language of rules: CEL, plus a few registered functions.

Conditions and computed values are written in CEL (the Common Expression
Language, https://cel.dev), run by its Rust implementation. CEL is a
published, side-effect-free, terminating language; nothing in a file is ever
handed to Python's `eval`. What a rule may read:

    facts.<name>      dossier inputs and facts concluded by other rules
    params.<name>     the referential's parameters (their values)
    tables.<name>     the referential's tables (maps from key to row)
    bands.<name>      the referential's band sets (lists of bands)
    criteria          the referential's criteria, a list in the grid's order
    versions.<section> the id of the version that governs a section
    item / value      the element of `for_each`, the concluded value (templates)

The functions CEL lacks for this domain are registered in one table below
(`FUNCTIONS`), documented in docs/expressions.md.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Mapping

from engine.compilation.rust_cel import cel

from engine.model import dates

NAMESPACES = ("facts", "params", "tables", "bands", "criteria", "versions")
LOCALS = ("item", "value")
ALL = "*"  # the name under which a whole namespace (criteria) is referenced

_STRING_LITERAL = re.compile(r"""(?:[rR]?)("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')""")
_REFERENCE = re.compile(r"\b(facts|params|tables|bands|versions)\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")
_UNNAMED = re.compile(r"\b(facts|params|tables|bands|versions)\b(?!\s*\.\s*[A-Za-z_])")  # facts[...], size(params), 'x' in tables
# CEL's standard functions and macros (cel-spec, "List of Standard Definitions")
CEL_FUNCTIONS = frozenset(
    "size has matches startsWith endsWith contains int uint double string bool bytes type dyn "
    "timestamp duration all exists exists_one map filter getDate getDayOfMonth getDayOfWeek "
    "getDayOfYear getFullYear getHours getMilliseconds getMinutes getMonth getSeconds".split()
)
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")

# The CEL binding logs every failing Python function to the "cel" logger; the
# failure is reported to the user once, as an ExpressionError, not logged.
logging.getLogger("cel").addHandler(logging.NullHandler())
logging.getLogger("cel").propagate = False


class ExpressionError(ValueError):
    """An expression that does not compile or fails when evaluated."""


def _date_arg(value: Any, function: str) -> Any:
    try:
        return dates.parse_date(value)
    except ValueError as exc:
        raise ExpressionError(f"{function}(): {exc}") from None


def _numbers(args: tuple, function: str) -> list:
    values = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ExpressionError(f"{function}() takes numbers, got {v!r}")
    return values


def _min(*args: Any) -> Any:
    values = _numbers(args, "min")
    if not values:
        raise ExpressionError("min() of an empty list")
    return min(values)


def _max(*args: Any) -> Any:
    values = _numbers(args, "max")
    if not values:
        raise ExpressionError("max() of an empty list")
    return max(values)


def _sum(*args: Any) -> Any:
    return sum(_numbers(args, "sum"))


def _product(*args: Any) -> Any:
    """The product of numbers (1 for an empty list), e.g. of the factors (1 - rate) of discounts applied in turn."""
    result: Any = 1
    for v in _numbers(args, "product"):
        result *= v
    return result


def _round(number: Any, digits: int = 0) -> Any:
    """Round half away from zero (the commercial rounding texts mean), not banker's rounding."""
    _numbers((number,), "round")
    quantum = Decimal(1).scaleb(-int(digits))
    rounded = Decimal(repr(number)).quantize(quantum, rounding=ROUND_HALF_UP)
    return int(rounded) if digits <= 0 else float(rounded)


def _add_days(day: Any, days: int) -> str:
    return dates.add_days(_date_arg(day, "add_days"), int(days)).isoformat()


def _add_months(day: Any, months: int) -> str:
    return dates.add_months(_date_arg(day, "add_months"), int(months)).isoformat()


def _add_years(day: Any, years: int) -> str:
    return dates.add_months(_date_arg(day, "add_years"), 12 * int(years)).isoformat()


def _days_between(start: Any, end: Any) -> int:
    return dates.days_between(_date_arg(start, "days_between"), _date_arg(end, "days_between"))


def _months_between(start: Any, end: Any) -> int:
    return dates.months_between(_date_arg(start, "months_between"), _date_arg(end, "months_between"))


def _format_date(day: Any, pattern: Any) -> str:
    """A date written as a text writes it: the tokens YYYY, MM and DD are replaced (e.g. 'DD/MM/YYYY')."""
    parsed = _date_arg(day, "format_date")
    if not isinstance(pattern, str) or not any(token in pattern for token in ("YYYY", "MM", "DD")):
        raise ExpressionError(f"format_date() takes a pattern with YYYY, MM or DD, got {pattern!r}")
    return pattern.replace("YYYY", f"{parsed.year:04d}").replace("MM", f"{parsed.month:02d}").replace("DD", f"{parsed.day:02d}")


def _lookup(table: Any, key: Any) -> Any:
    if not isinstance(table, Mapping):
        raise ExpressionError(f"lookup() takes a table, got {table!r}")
    if key not in table:
        raise ExpressionError(f"lookup(): no row {key!r} (rows: {', '.join(sorted(map(str, table)))})")
    return table[key]


def _in_band(band: Mapping, number: Any) -> bool:
    lower, upper = band["lower"], band["upper"]
    above = number > lower["value"] or (lower["inclusive"] and number == lower["value"])
    below = number < upper["value"] or (upper["inclusive"] and number == upper["value"])
    return above and below


def _band(bands: Any, number: Any) -> str:
    """The id of the band holding `number`; bands are checked for gaps and overlaps at load."""
    _numbers((number,), "band")
    for band in bands:
        if _in_band(band, number):
            return band["id"]
    raise ExpressionError(f"band(): {number!r} lies in no band")


def _order_by(items: Any, keys: Any) -> list:
    """Sort a list of maps by fields, `-field` for descending; ties keep the list's order."""
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, Mapping) for i in items):
        raise ExpressionError(f"order_by() sorts a list of maps, got {ordered(items)!r}")
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, (list, tuple)) or not keys or not all(
        isinstance(k, str) and k.removeprefix("-") and not k.removeprefix("-").startswith("-") for k in keys
    ):
        raise ExpressionError(f"order_by() takes a list of field names ('-name' for descending), got {ordered(keys)!r}")
    result = list(items)
    for key in reversed(keys):  # a stable sort per key, least significant first
        name, descending = key.removeprefix("-"), key.startswith("-")
        missing = [i for i in result if name not in i]
        if missing:
            raise ExpressionError(f"order_by(): an element has no field {name!r}: {ordered(missing[0])!r}")
        values = [i[name] for i in result]
        if not all(isinstance(v, (bool, int, float, str)) for v in values):
            raise ExpressionError(
                f"order_by(): field {name!r} holds values that cannot be ordered "
                f"(numbers, strings or booleans only): {ordered(values)!r}"
            )
        if len({bool if isinstance(v, bool) else (int if isinstance(v, float) else type(v)) for v in values}) > 1:
            raise ExpressionError(f"order_by(): field {name!r} mixes types: {ordered(values)!r}")
        result.sort(key=lambda i: i[name], reverse=descending)
    return result


def _distinct(items: Any) -> list:
    """The list without repeats, in the order of first appearance (linear for texts and numbers)."""
    if not isinstance(items, (list, tuple)):
        raise ExpressionError(f"distinct() takes a list, got {items!r}")
    seen: list = []
    hashed: set = set()
    for item in items:
        if isinstance(item, (str, int, float, bool)) or item is None:
            key = (type(item) is bool, item)  # True and 1 are distinct values
            if key not in hashed:
                hashed.add(key)
                seen.append(item)
        elif item not in seen:
            seen.append(item)
    return seen


# Linear counterparts of filter() and map() for long lists of records: CEL's macros copy the list
# they accumulate at each element in this binding, so a year's invoices would cost seconds.


def _records(items: Any, function: str) -> list:
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, Mapping) for i in items):
        raise ExpressionError(f"{function}() takes a list of maps, got {ordered(items)!r}")
    return list(items)


def _field(function: str, name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise ExpressionError(f"{function}() takes a field name, got {name!r}")
    return name


def _where(items: Any, name: Any, value: Any) -> list:
    """The maps of a list whose field equals `value`, in their order (a map lacking the field does not)."""
    name = _field("where", name)
    return [i for i in _records(items, "where") if name in i and i[name] == value and (type(i[name]) is bool) == (type(value) is bool)]


def _pluck(items: Any, name: Any) -> list:
    """The field's value of each map of a list, in their order; a map lacking the field is an error."""
    name = _field("pluck", name)
    records = _records(items, "pluck")
    missing = [i for i, r in enumerate(records) if name not in r]
    if missing:
        raise ExpressionError(f"pluck(): element {missing[0]} has no field {name!r}")
    return [r[name] for r in records]


def _compact(items: Any) -> list:
    """The list without its nulls."""
    if not isinstance(items, (list, tuple)):
        raise ExpressionError(f"compact() takes a list, got {items!r}")
    return [i for i in items if i is not None]


def _join(items: Any, separator: Any) -> str:
    """The texts of a list, one after the other with `separator` between them."""
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise ExpressionError(f"join() takes a list of texts, got {items!r}")
    if not isinstance(separator, str):
        raise ExpressionError(f"join() takes a text as separator, got {separator!r}")
    return separator.join(items)


def _format_number(value: Any, decimals: Any, separator: Any) -> str:
    """A number written with `decimals` decimals (half-up) and `separator` as decimal mark, e.g. 41,7 in French."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(f"format_number() takes a number, got {value!r}")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 12:
        raise ExpressionError(f"format_number() takes 0 to 12 decimals, got {decimals!r}")
    if separator not in (".", ","):
        raise ExpressionError(f"format_number() takes '.' or ',' as decimal mark, got {separator!r}")
    text = f"{_round(value, decimals):.{decimals}f}"
    return text.replace(".", separator)


# A paragraph ends at a blank line, or at a line break before a list item ("- ", "* ", "• ", "– ", "1. ", "2) ").
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*|\n(?=[^\S\n]*(?:[-*•–—]|\d+[.)])\s)")
# A candidate end of sentence: . ! ? or …, then the closing quotes or brackets that belong to it (French
# typography puts a space before », as in « … vérification. »), before a space.
_SENTENCE_END = re.compile(r"[.!?…]+(?: ?[»”\"’)\]])*(?= )")


def _sentences(text: Any) -> list:
    """The sentences of a text, in order, each with its runs of white space written as one space.

    A sentence ends at `.`, `!`, `?` or `…` (with the closing quotes or brackets after it) followed by a
    space and then neither a lower-case letter nor a digit ("env. 500", "art. 30 al. 2" do not end one);
    nor does a single letter's full stop (an initial, "J. Martin"), or one after no letter ("1. Premier").
    A blank line, or a line break before a list item, ends a sentence too.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"sentences() takes a string, got {text!r}")
    result: list = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        paragraph = " ".join(paragraph.split())
        start = 0
        for end in _SENTENCE_END.finditer(paragraph):
            piece, following = paragraph[start : end.start()], paragraph[end.end() + 1 : end.end() + 2]
            words = piece.split()
            if (
                following.islower() or following.isdigit()
                or not any(c.isalpha() for c in piece)
                or (len(words[-1]) == 1 and words[-1].isalpha())
            ):
                continue
            result.append(paragraph[start : end.end()].strip())
            start = end.end()
        result.append(paragraph[start:].strip())
    return [sentence for sentence in result if sentence]


FUNCTIONS: dict[str, Callable[..., Any]] = {}
_last_failure: list[Exception] = []


def register(name: str, function: Callable[..., Any]) -> None:
    """Add a function to the language; a name can be registered once only."""
    if name in FUNCTIONS:
        raise ValueError(f"expression function {name!r} is already registered")

    @functools.wraps(function)
    def remembering_failures(*args: Any) -> Any:
        try:
            return function(*args)
        except Exception as exc:
            _last_failure[:] = [exc]
            raise

    FUNCTIONS[name] = remembering_failures


for _name, _function in (
    ("min", _min),
    ("max", _max),
    ("sum", _sum),
    ("product", _product),
    ("round", _round),
    ("add_days", _add_days),
    ("add_months", _add_months),
    ("add_years", _add_years),
    ("days_between", _days_between),
    ("months_between", _months_between),
    ("lookup", _lookup),
    ("band", _band),
    ("order_by", _order_by),
    ("distinct", _distinct),
    ("where", _where),
    ("pluck", _pluck),
    ("compact", _compact),
    ("join", _join),
    ("format_number", _format_number),
    ("format_date", _format_date),
    ("sentences", _sentences),
):
    register(_name, _function)


def _strip_strings(source: str) -> str:
    return _STRING_LITERAL.sub('""', source)


@dataclass(frozen=True)
class Expression:
    """A compiled CEL expression and the names it reads, found statically."""

    source: str
    program: Any = field(compare=False, repr=False)
    references: frozenset[tuple[str, str]]

    @classmethod
    def compile(cls, source: str) -> "Expression":
        if not isinstance(source, str) or not source.strip():
            raise ExpressionError("an expression must be a non-empty string")
        try:
            program = cel.compile(source)
        except Exception as exc:  # the binding raises ValueError with CEL's own message
            raise ExpressionError(str(exc)) from None
        unnamed = _UNNAMED.search(_strip_strings(source))
        if unnamed:
            ns = unnamed.group(1)
            raise ExpressionError(f"write {ns}.NAME, not {ns}[...] or {ns} alone: the engine must see what a rule reads")
        functions = sorted(
            f for f in program.functions()  # operators are listed too, under non-identifier names
            if re.match(r"^[A-Za-z]\w*$", f) and f not in CEL_FUNCTIONS and f not in FUNCTIONS
        )
        if functions:
            raise ExpressionError(f"unknown function(s) {', '.join(functions)}; see docs/expressions.md")
        unknown = sorted(set(program.variables()) - set(NAMESPACES) - set(LOCALS) - _bound_names(source))
        if unknown:
            raise ExpressionError(
                f"unknown name(s) {', '.join(unknown)}: an expression reads "
                f"{', '.join(NAMESPACES)} (and item/value where the rule provides them)"
            )
        refs = set(_REFERENCE.findall(_strip_strings(source)))
        if "criteria" in program.variables():
            refs.add(("criteria", ALL))
        return cls(source=source, program=program, references=frozenset(refs))

    def names(self, namespace: str) -> set[str]:
        return {name for ns, name in self.references if ns == namespace}

    def evaluate(self, scope: "Scope") -> Any:
        _last_failure.clear()
        try:
            result = self.program.execute(scope.context_for(self))
        except Exception as exc:
            if _last_failure:  # a registered function failed: its own message is the clear one
                raise ExpressionError(f"{self.source}: {_last_failure.pop()}") from None
            raise _translate(self.source, exc) from None
        return ordered(result)


def _translate(source: str, exc: Exception) -> ExpressionError:
    if isinstance(exc, KeyError):
        return ExpressionError(f"{source}: no such key {exc.args[0]!r}")
    return ExpressionError(f"{source}: {exc}")


def _bound_names(source: str) -> set[str]:
    """Variables bound by CEL macros (`x` in `list.all(x, ...)`), which `variables()` also lists."""
    stripped = _strip_strings(source)
    return set(re.findall(r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,", stripped))


@dataclass(frozen=True)
class Template:
    """A justification sentence with `{expression}` placeholders."""

    source: str
    parts: tuple[str | Expression, ...]

    @classmethod
    def compile(cls, source: str) -> "Template":
        parts: list[str | Expression] = []
        position = 0
        for match in _PLACEHOLDER.finditer(source):
            parts.append(source[position : match.start()])
            parts.append(Expression.compile(match.group(1)))
            position = match.end()
        parts.append(source[position:])
        return cls(source=source, parts=tuple(p for p in parts if p != ""))

    @property
    def references(self) -> frozenset[tuple[str, str]]:
        refs: set[tuple[str, str]] = set()
        for part in self.parts:
            if isinstance(part, Expression):
                refs |= part.references
        return frozenset(refs)

    def render(self, scope: "Scope") -> str:
        return "".join(p if isinstance(p, str) else format_value(p.evaluate(scope)) for p in self.parts)


def format_value(value: Any) -> str:
    """How a value reads inside a sentence."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == int(value):
            return str(int(value))
        # a number with at most six decimals (a factor per euro, 0.041667) reads as it is; a longer one to three
        decimals = 6 if round(value, 6) == value else 3
        return f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, Mapping) for v in value):  # records: one per parenthesis
            return "; ".join(f"({format_value(v)})" for v in value)
        return ", ".join(format_value(v) for v in value) if value else "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    if value is None:
        return "not given"
    return str(value)


def ordered(value: Any) -> Any:
    """A value from CEL with its maps' keys sorted, so that a decision is the same on every run."""
    if isinstance(value, Mapping):
        return {k: ordered(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [ordered(v) for v in value]
    return value


class Scope:
    """What expressions of one evaluation can read; facts grow as rules conclude."""

    # Each evaluation gets a context of what its expression names, and only that: cel.Context converts
    # its variables again whenever one changes, so a shared context would convert the whole referential
    # and every fact after each conclusion.

    def __init__(self, referential: Mapping[str, Any], facts: Mapping[str, Any]):
        self._referential = referential
        self._facts = dict(facts)
        self._bound: dict[str, Any] = dict.fromkeys(LOCALS)

    def context_for(self, expression: "Expression") -> Any:
        variables: dict[str, Any] = dict(self._bound)
        for namespace in NAMESPACES:
            variables[namespace] = {}
        for namespace, name in expression.references:
            source = self._facts if namespace == "facts" else self._referential.get(namespace, {})
            if namespace == "criteria":
                variables["criteria"] = self._referential.get("criteria", [])
            elif name in source:
                variables[namespace][name] = source[name]
        return cel.Context(variables=variables, functions=FUNCTIONS)

    def evaluate(self, expression: Expression) -> Any:
        return expression.evaluate(self)

    def render(self, template: Template) -> str:
        return template.render(self)

    def add_fact(self, name: str, value: Any) -> None:
        self._facts[name] = value

    def bind(self, name: str, value: Any) -> None:
        self._bound[name] = value

    def unbind(self, *names: str) -> None:
        for name in names:
            self._bound[name] = None
