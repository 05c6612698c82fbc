"""Calendar arithmetic on ISO dates (engine/dates.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine.model.dates import add_days, add_months, days_between, months_between, parse_date

D = dt.date


# --- parse_date -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-21", D(2024, 5, 21)),
        (" 2024-05-21 ", D(2024, 5, 21)),
        ("2024-02-29", D(2024, 2, 29)),
        (D(2024, 5, 21), D(2024, 5, 21)),
        (dt.datetime(2024, 5, 21, 23, 59), D(2024, 5, 21)),
    ],
)
def test_parse_date_accepts_iso_dates_and_dates(value: Any, expected: dt.date) -> None:
    result = parse_date(value)
    assert result == expected
    assert type(result) is dt.date


@pytest.mark.parametrize(
    "value",
    [
        "2025-02-30",  # impossible day
        "2023-02-29",  # not a leap year
        "2024-13-01",  # impossible month
        "2024-04-31",
        "2024-00-10",
        "21/05/2024",
        "May 21, 2024",
        "tomorrow",
        "",
        "2024-5",
    ],
)
def test_parse_date_refuses_what_is_not_a_date(value: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_date(value)
    assert str(raised.value) == f"{value!r} is not a date (expected YYYY-MM-DD)"


@pytest.mark.parametrize("value", [None, 20240521, 2024.5, ["2024-05-21"], {"date": "2024-05-21"}])
def test_parse_date_refuses_other_types(value: Any) -> None:
    with pytest.raises(ValueError, match=r"is not a date \(expected YYYY-MM-DD\)"):
        parse_date(value)


# --- add_months: end-of-month clamping --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap February
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 1, 30), 1, D(2024, 2, 29)),
        (D(2024, 1, 29), 1, D(2024, 2, 29)),
        (D(2024, 1, 28), 1, D(2024, 2, 28)),
        (D(2024, 3, 31), 1, D(2024, 4, 30)),
        (D(2024, 5, 31), 1, D(2024, 6, 30)),
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 2, 29), 48, D(2028, 2, 29)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),  # year boundary
        (D(2024, 11, 30), 14, D(2026, 1, 30)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),  # backwards
        (D(2024, 1, 15), -1, D(2023, 12, 15)),
        (D(2024, 1, 31), -13, D(2022, 12, 31)),
        (D(2024, 5, 21), 0, D(2024, 5, 21)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_add_months_is_not_associative_at_month_ends() -> None:
    # The clamping is applied once per call: 31 Jan + 1 + 1 is 29 Mar, 31 Jan + 2 is 31 Mar.
    assert add_months(add_months(D(2024, 1, 31), 1), 1) == D(2024, 3, 29)
    assert add_months(D(2024, 1, 31), 2) == D(2024, 3, 31)


def test_add_days() -> None:
    assert add_days(D(2024, 2, 28), 1) == D(2024, 2, 29)
    assert add_days(D(2023, 2, 28), 1) == D(2023, 3, 1)
    assert add_days(D(2024, 1, 1), -1) == D(2023, 12, 31)
    assert days_between(D(2024, 1, 1), D(2024, 12, 31)) == 365
    assert days_between(D(2024, 12, 31), D(2024, 1, 1)) == -365


# --- months_between ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2024, 1, 15), D(2024, 1, 15), 0),
        (D(2024, 1, 15), D(2024, 2, 14), 0),  # one day short
        (D(2024, 1, 15), D(2024, 2, 15), 1),
        (D(2024, 1, 31), D(2024, 2, 29), 1),  # as add_months counts: 31 Jan + 1 month = 29 Feb
        (D(2024, 1, 31), D(2024, 2, 28), 0),
        (D(2023, 1, 31), D(2023, 2, 28), 1),
        (D(2024, 1, 31), D(2024, 3, 30), 1),
        (D(2024, 1, 31), D(2024, 3, 31), 2),
        (D(2024, 2, 29), D(2025, 2, 28), 12),
        (D(2024, 5, 21), D(2024, 11, 21), 6),
        (D(2024, 5, 21), D(2024, 11, 20), 5),
        (D(2023, 12, 31), D(2024, 1, 1), 0),  # year boundary, one day
        (D(2024, 2, 15), D(2024, 1, 15), -1),  # backwards
        (D(2024, 2, 15), D(2024, 1, 16), 0),
        (D(2024, 3, 31), D(2024, 2, 29), -1),
        (D(2024, 3, 15), D(2024, 1, 16), -1),
    ],
)
def test_months_between(start: dt.date, end: dt.date, expected: int) -> None:
    assert months_between(start, end) == expected


@pytest.mark.parametrize("start", [D(2024, 1, 31), D(2024, 2, 29), D(2023, 8, 31), D(2024, 5, 21)])
@pytest.mark.parametrize("months", [0, 1, 2, 5, 6, 11, 12, 13, 36])
def test_months_between_counts_as_add_months_does(start: dt.date, months: int) -> None:
    end = add_months(start, months)
    assert months_between(start, end) == months
    assert months_between(start, end - dt.timedelta(days=1)) == max(months - 1, 0)


@pytest.mark.parametrize("value", ["20240521", "2024-W21-2"])
def test_parse_date_accepts_only_the_extended_calendar_form(value: str) -> None:
    with pytest.raises(ValueError):
        parse_date(value)
