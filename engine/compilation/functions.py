"""The functions referee adds to CEL, in one table that refuses duplicates (docs/expressions.md).

CEL lacks what these schemes need: calendar arithmetic on ISO dates, rounding
half away from zero, bands and table look-ups, linear filters over long lists
of records, sentences of a text. Each function checks its arguments and fails
with a message naming itself; both the Rust CEL runtime and the translated
expressions call the same Python functions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.model import dates
from engine.model.canonical import SCALAR_TYPES


class ExpressionError(ValueError):
    """An expression that does not compile or fails when evaluated."""


def ordered(value: Any) -> Any:
    """A value from CEL with its maps' keys sorted, so that a decision is the same on every run."""
    kind = type(value)
    if kind in SCALAR_TYPES:  # the common case
        return value
    if kind is list:
        return [ordered(v) for v in value]
    if kind is dict or isinstance(value, Mapping):
        return {k: ordered(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [ordered(v) for v in value]
    return value


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
    if type(table) is not dict and not isinstance(table, Mapping):
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


def _counted(items: Any, function: str) -> list[tuple[Any, int]]:
    """Each distinct item of a list with how many times it appears, in the order of first appearance (linear for
    texts and numbers, which is what a check that ids are unique needs on a list of thousands)."""
    if not isinstance(items, (list, tuple)):
        raise ExpressionError(f"{function}() takes a list, got {items!r}")
    seen: list[list] = []  # [item, count]
    hashed: dict = {}
    for item in items:
        if isinstance(item, (str, int, float, bool)) or item is None:
            key = (type(item) is bool, item)  # True and 1 are distinct values
            if key not in hashed:
                hashed[key] = [item, 0]
                seen.append(hashed[key])
            hashed[key][1] += 1
        else:
            entry = next((entry for entry in seen if entry[0] == item), None)
            if entry is None:
                entry = [item, 0]
                seen.append(entry)
            entry[1] += 1
    return [(item, count) for item, count in seen]


def _distinct(items: Any) -> list:
    """The list without repeats, in the order of first appearance."""
    return [item for item, _ in _counted(items, "distinct")]


def _repeated(items: Any) -> list:
    """The items that appear more than once, each once, in the order of first appearance: ids that should be unique."""
    return [item for item, count in _counted(items, "repeated") if count > 1]


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
        except Exception as exc:  # CEL turns it into its own error; its message is the clear one
            _last_failure[:] = [exc]
            raise

    FUNCTIONS[name] = remembering_failures


def forget_failures() -> None:
    _last_failure.clear()


def last_failure() -> Exception | None:
    """The exception of the registered function that failed since `forget_failures`: the Rust binding
    wraps it in its own error, whose message says less."""
    return _last_failure.pop() if _last_failure else None


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
    ("repeated", _repeated),
    ("where", _where),
    ("pluck", _pluck),
    ("compact", _compact),
    ("join", _join),
    ("format_number", _format_number),
    ("format_date", _format_date),
    ("sentences", _sentences),
):
    register(_name, _function)
