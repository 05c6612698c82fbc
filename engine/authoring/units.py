"""What a parameter's or a table's `unit` says its value is, and whether the value is that.

A unit is written for a reader ("EUR excl. VAT", "share of credits", "list of benefits"), and its words
also say what kind of value it measures: a fee in EUR is a number, not `[1000]` nor `"1000"`; a share
lies within [0, 1]. `validate` checks each value against the kind its unit names (docs/referentials.md,
"Units"). A unit ending in ", or null" also admits null. A unit none of these words begin describes a
text or a structure in the author's words, and is not checked.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.model.dates import parse_date


@dataclass(frozen=True)
class Kind:
    name: str  # what the message calls it
    test: Any  # value -> bool
    low: float | None = None
    high: float | None = None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any) -> bool:
    return _number(value) and float(value).is_integer()


def _date(value: Any) -> bool:
    if isinstance(value, dt.date):
        return True
    try:
        parse_date(value)
    except ValueError:
        return False
    return True


NUMBER = Kind("a number", _number)
COUNT = Kind("a whole number, not negative", _integer, low=0)
SHARE = Kind("a number from 0 to 1", _number, low=0, high=1)
PERCENT = Kind("a number from 0 to 100", _number, low=0, high=100)
BOOLEAN = Kind("true or false", lambda v: isinstance(v, bool))
DATE = Kind("a date (YYYY-MM-DD)", _date)
TEXT = Kind("a text", lambda v: isinstance(v, str))
LIST = Kind("a list", lambda v: isinstance(v, list))
MAPPING = Kind("a mapping", lambda v: isinstance(v, Mapping))

# (pattern on the unit, without ", or null"; its kind), the first that matches
VOCABULARY: tuple[tuple[re.Pattern[str], Kind], ...] = tuple((re.compile(p), k) for p, k in (
    (r"^(yes/no|boolean)$", BOOLEAN),
    (r"^date$", DATE),
    (r"^text$|^RE2 pattern$", TEXT),
    (r"^list of |(prefixes|codes)$", LIST),
    (r"^map of |^\{", MAPPING),
    (r"^share\b", SHARE),
    (r"^percent$|^points out of 100$", PERCENT),
    (r"^(days|months|years|audits|categories|consultations|rank|employees)\b", COUNT),
    (r"^(EUR|tCO2e|kgCO2e|gCO2e|potential carbon credits|credits|kWh|km|t|kg|1)\b", NUMBER),
))


def kind_of(unit: str) -> tuple[Kind | None, bool]:
    """The kind a unit names (None: a unit in the author's words), and whether it admits null."""
    nullable = unit.endswith(", or null")
    bare = unit.removesuffix(", or null").strip()
    return next((kind for pattern, kind in VOCABULARY if pattern.search(bare)), None), nullable


def value_problems(value: Any, unit: str) -> Iterator[str]:
    """What is wrong with a value of that unit, if anything."""
    kind, nullable = kind_of(unit)
    if kind is None or (value is None and nullable):
        return
    if not kind.test(value) or (kind.low is not None and value < kind.low) or (kind.high is not None and value > kind.high):
        yield f"{value!r} is not {kind.name}, as its unit {unit!r} says"


def column_problems(rows: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(row, column, message) for a column whose cells are not all of one type (null aside): `400` in one row, `"400"` in another."""
    if not all(isinstance(row, Mapping) for row in rows.values()):
        return
    types: dict[str, dict[str, str]] = {}
    for key, row in rows.items():
        for column, cell in row.items():
            if cell is not None:
                types.setdefault(column, {})[key] = _type_name(cell)
    for column, by_row in types.items():
        kinds = set(by_row.values())
        if len(kinds) > 1:
            usual = max(kinds, key=lambda k: sum(v == k for v in by_row.values()))
            for key, found in by_row.items():
                if found != usual:
                    yield key, column, f"column {column} holds {found} here and {usual} in the other rows"


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, (dt.date, dt.datetime)):
        return "a date"
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, Mapping) else type(value).__name__
