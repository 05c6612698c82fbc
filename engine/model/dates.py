"""Calendar arithmetic on ISO dates.

Dates are `datetime.date` at the edges (YAML, Cerberus) and ISO strings
(`YYYY-MM-DD`) inside expressions, where lexical order is date order. Month
arithmetic clamps to the end of the month: 31 January + 1 month is the last
day of February, the reading used for "within one month" deadlines.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(value: object) -> dt.date:
    """A date from a `date` or an ISO `YYYY-MM-DD` string; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        if not _ISO_DATE.match(value.strip()):
            raise ValueError(f"{value!r} is not a date (expected YYYY-MM-DD)")
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date (expected YYYY-MM-DD)") from None
    raise ValueError(f"{value!r} is not a date (expected YYYY-MM-DD)")


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_days(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


def days_between(start: dt.date, end: dt.date) -> int:
    """Whole days from `start` to `end` (negative when `end` is earlier)."""
    return (end - start).days


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from `start` to `end`, counted as `add_months` does."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if months > 0 and add_months(start, months) > end:
        months -= 1
    elif months < 0 and add_months(start, months) < end:
        months += 1
    return months
