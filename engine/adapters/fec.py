"""Reading a FEC (fichier des écritures comptables, art. A47 A-1 LPF) in one streaming pass.

A FEC is a company's general ledger as one text file: a header line naming 18
columns, then one line per entry line, tab or pipe separated, dates YYYYMMDD,
amounts with a decimal comma. `summarise_fec` reads it once, line by line, and
adds each line's Debit and Credit to the category its account belongs to. The
categories come from the caller (`classify`): this module knows the file
format, not what a category means.

Memory stays bounded by the number of categories, never by the number of
lines: nothing is kept per line or per piece, problems and unmapped accounts
are capped (`max_problems`), caches have a fixed size. Every line is either
added to a category, counted as out of scope under its account class, counted
under its unmapped account, counted as blank, or rejected with a problem
naming its line number: nothing is dropped silently. Any problem or unmapped
account makes the summary unusable (`valid` is False), so that a caller
reports instead of computing on part of a ledger.

Lines are numbered as a text editor numbers them: from 1, the header is line 1.
The file's SHA-256 is computed over its bytes while reading, so that a
decision can cite exactly which file it read. docs/fec.md states the decisions
(accepted amounts, dates, encodings) and why.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, localcontext
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from engine.errors import Problem

COLUMNS: tuple[str, ...] = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
_JOURNAL, _ENTRY_DATE, _ACCOUNT, _ACCOUNT_LABEL, _PIECE, _ENTRY_LABEL = 0, 3, 4, 5, 8, 10
_DEBIT, _CREDIT, _CURRENCY_AMOUNT = 11, 12, 16
_OPTIONAL_DATES = (9, 14, 15)  # PieceDate, DateLet, ValidDate: checked when present
_SEPARATORS = {"\t": "tab", "|": "pipe"}

PROBLEM_KINDS = ("empty", "header", "line_too_long", "encoding", "columns", "account", "date", "amount", "both_sides", "balance")
"""What a `FecProblem.kind` may be; docs/fec.md says what each means."""

MAX_LINE_BYTES = 1 << 16
"""A longer line is refused unread, so that a file without line breaks cannot fill memory."""

_BLOCK_BYTES = 1 << 20
_FIRST_LINES = 5  # line numbers kept per unmapped account
_CACHE = 4096  # accounts and dates remembered; a bound, not a correctness matter
_SHOWN = 40  # characters of a faulty value quoted in a message
_BOM = b"\xef\xbb\xbf"
_FALLBACK = "cp1252"

_AMOUNT = re.compile(r"[+-]?[0-9]+(?:,[0-9]+)?")
_ACCOUNT_START = re.compile(r"[0-9]{3}")
# Sums are exact: additions never round, whatever the number of digits.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_ZERO = Decimal(0)


class Unmapped(enum.Enum):
    """The type of `UNMAPPED` (an enum, so that type checkers know it is a single value)."""

    UNMAPPED = "unmapped"


UNMAPPED = Unmapped.UNMAPPED
"""What a classifier returns for an account it must classify (its class is in scope) but cannot."""

Category = str | None | Unmapped
Classify = Callable[[str], Category]


def prefix_classifier(mapping: Mapping[str, str | None], in_scope_prefixes: Iterable[str]) -> Classify:
    """A classifier by longest account prefix, for `summarise_fec`.

    `mapping` maps account prefixes to categories ("6061" → "energy", "60" →
    "purchases": 606110 is energy, 601000 purchases). A prefix mapped to None
    excludes its accounts on purpose (641 payroll inside class 6): they are
    out of scope. An account no prefix matches is UNMAPPED when it starts with
    one of `in_scope_prefixes` (e.g. "2", "6", "7": a mapping must say what
    each of these accounts is), else out of scope (None).
    """
    table = dict(mapping)
    scope = tuple(in_scope_prefixes)
    for prefix, category in table.items():
        if not isinstance(prefix, str) or not prefix or prefix != prefix.strip():
            raise ValueError(f"account prefix {prefix!r} must be a non-empty string without spaces")
        if category is not None and (not isinstance(category, str) or not category):
            raise ValueError(f"the category of prefix {prefix!r} must be a non-empty string or None, not {category!r}")
    for prefix in scope:
        if not isinstance(prefix, str) or not prefix or prefix != prefix.strip():
            raise ValueError(f"in-scope prefix {prefix!r} must be a non-empty string without spaces")
    longest = max(map(len, table), default=0)

    def classify(account: str) -> Category:
        for size in range(min(len(account), longest), 0, -1):
            prefix = account[:size]
            if prefix in table:
                return table[prefix]
        return UNMAPPED if account.startswith(scope) else None

    return classify


@dataclass(frozen=True)
class FecProblem:
    """One thing wrong in a FEC, at one line (None: the file as a whole)."""

    line: int | None
    kind: str
    message: str
    column: str | None = None

    def render(self) -> str:
        where = "file" if self.line is None else f"line {self.line}"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "kind": self.kind, "column": self.column, "message": self.message}

    def as_problem(self, file: str) -> Problem:
        """The same problem as the engine's errors carry it (`DossierError(…, problems)`)."""
        return Problem(self.message, file=file, line=self.line)


@dataclass(frozen=True)
class Totals:
    """What a set of lines adds up to: amounts, counts, and where they lie in the file."""

    lines: int
    debit: Decimal
    credit: Decimal
    first_line: int | None
    last_line: int | None
    first_date: dt.date | None
    last_date: dt.date | None

    @property
    def net(self) -> Decimal:
        """Debit − credit: positive for expenses and assets, negative for revenue."""
        return self.debit - self.credit

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "debit": str(self.debit),
            "credit": str(self.credit),
            "net": str(self.net),
            "first_line": self.first_line,
            "last_line": self.last_line,
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
        }


@dataclass(frozen=True)
class UnmappedAccount:
    """An account in scope that the classifier could not place, with where it occurs."""

    account: str
    label: str
    totals: Totals
    first_lines: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "label": self.label, "first_lines": list(self.first_lines), **self.totals.to_dict()}


@dataclass(frozen=True)
class FecSummary:
    """The result of reading one FEC: totals per category, and all that was not added to one."""

    file: str
    sha256: str
    size: int
    encoding: str
    separator: str | None
    lines: int
    blank_lines: int
    rejected_lines: int
    totals: Totals
    categories: dict[str, Totals]
    category_accounts: dict[str, tuple[str, ...]]
    skipped_journals: dict[str, Totals]
    out_of_scope: dict[str, Totals]
    unmapped: dict[str, UnmappedAccount]
    unmapped_lines_not_listed: int
    problems: tuple[FecProblem, ...]
    problems_not_listed: int

    @property
    def valid(self) -> bool:
        """Usable for a computation: every line read, and every line in scope classified."""
        return not self.problems and not self.problems_not_listed and not self.unmapped and not self.unmapped_lines_not_listed

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "size": self.size,
            "encoding": self.encoding,
            "separator": self.separator,
            "valid": self.valid,
            "lines": self.lines,
            "blank_lines": self.blank_lines,
            "rejected_lines": self.rejected_lines,
            "totals": self.totals.to_dict(),
            "categories": [
                {"category": name, "accounts": list(self.category_accounts[name]), **t.to_dict()} for name, t in self.categories.items()
            ],
            "skipped_journals": [{"journal": name, **t.to_dict()} for name, t in self.skipped_journals.items()],
            "out_of_scope": [{"account_class": name, **t.to_dict()} for name, t in self.out_of_scope.items()],
            "unmapped": [u.to_dict() for u in self.unmapped.values()],
            "unmapped_lines_not_listed": self.unmapped_lines_not_listed,
            "problems": [p.to_dict() for p in self.problems],
            "problems_not_listed": self.problems_not_listed,
        }

    def render(self) -> str:
        """The report for people: verdict first, then what is wrong, then the totals."""
        separator = f"{self.separator}-separated" if self.separator else "separator unknown"
        out = [
            f"FEC {self.file}: {self.lines} lines, {separator}, {self.encoding}, sha256 {self.sha256}",
            "usable" if self.valid else f"NOT USABLE: {self.faults()}",
        ]
        if self.problems or self.problems_not_listed:
            out += ["", "Problems:"] + [f"  {p.render()}" for p in self.problems]
            if self.problems_not_listed:
                out.append(f"  … and {_count(self.problems_not_listed, 'more problem')}")
        if self.unmapped or self.unmapped_lines_not_listed:
            out += ["", "Unmapped accounts (in scope, no category):"]
            for u in self.unmapped.values():
                at = ", ".join(map(str, u.first_lines)) + (", …" if u.totals.lines > len(u.first_lines) else "")
                where = "line" if u.totals.lines == 1 else "lines"
                out.append(f"  {u.account} {u.label!r}: {_count(u.totals.lines, 'line')} ({where} {at}), net {u.totals.net}")
            if self.unmapped_lines_not_listed:
                out.append(f"  … and {_count(self.unmapped_lines_not_listed, 'line')} of other unmapped accounts")
        out += ["", "Categories:"] + ([_totals_row(name, t) for name, t in self.categories.items()] or ["  (none)"])
        if self.skipped_journals:
            out += ["", "Skipped journals (e.g. opening entries):"] + [_totals_row(f"journal {name}", t) for name, t in self.skipped_journals.items()]
        out += ["", "Out of scope, by account class:"]
        out += [_totals_row(f"class {name}", t) for name, t in self.out_of_scope.items()] or ["  (none)"]
        out += ["", _totals_row("all lines read", self.totals)]
        if self.blank_lines or self.rejected_lines:
            out.append(f"  ({_count(self.blank_lines, 'blank line')} skipped, {_count(self.rejected_lines, 'line')} rejected)")
        return "\n".join(out)

    def faults(self) -> str:
        problems = len(self.problems) + self.problems_not_listed
        parts = [_count(problems, "problem")] if problems else []
        if self.unmapped or self.unmapped_lines_not_listed:
            lines = sum(u.totals.lines for u in self.unmapped.values()) + self.unmapped_lines_not_listed
            parts.append(f"{_count(lines, 'line')} on unmapped accounts")
        return ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _totals_row(name: str, t: Totals) -> str:
    if not t.lines:
        return f"  {name}: no lines"
    return f"  {name}: {_count(t.lines, 'line')}, net {t.net} (debit {t.debit}, credit {t.credit}), lines {t.first_line}–{t.last_line}, {t.first_date} … {t.last_date}"


def summarise_fec(
    path: str | Path, classify: Classify, *, max_problems: int = 100, skip_journals: Iterable[str] = ()
) -> FecSummary:
    """Read the FEC at `path` once and add every line to its category.

    `classify(account)` returns a category name, None (out of scope: counted
    under the account's class) or UNMAPPED; `prefix_classifier` builds one.
    Lines of the journals in `skip_journals` (opening entries: balances
    carried from the year before, not movements of the year) are checked and
    counted per journal, never classified. At most `max_problems` problems,
    and as many unmapped accounts, are listed; the rest are counted. A file
    that cannot be opened raises OSError.
    """
    if max_problems < 0:
        raise ValueError("max_problems must be 0 or more")
    path = Path(path)
    digest = hashlib.sha256()
    reader = _Reader(_checked(classify), max_problems, frozenset(skip_journals))
    with path.open("rb") as stream, localcontext(_EXACT):
        for number, raw in _records(stream, digest):
            reader.feed(number, raw)
        return reader.summary(str(path), digest.hexdigest(), stream.tell())


def _checked(classify: Classify) -> Classify:
    """`classify` remembered per account (a ledger repeats few accounts) and held to its contract."""

    @lru_cache(maxsize=_CACHE)
    def cached(account: str) -> Category:
        category = classify(account)
        if category is None or category is UNMAPPED or (isinstance(category, str) and category):
            return category
        raise TypeError(f"classify({account!r}) returned {category!r}: expected a category name, None or UNMAPPED")

    return cached


def _records(stream: BinaryIO, digest: Any) -> Iterator[tuple[int, bytes | None]]:
    """The file's lines, numbered from 1, without their line break; None for a line over MAX_LINE_BYTES.

    Lines end with LF or CR LF; a file whose first line ends with a lone CR
    (art. A47 A-1 allows "retour chariot et/ou fin de ligne") is split on CR.
    Every byte read goes into `digest`.
    """
    terminator = b""
    carry = b""
    number = 0
    in_long_line = False
    while block := stream.read(_BLOCK_BYTES):
        digest.update(block)
        terminator = terminator or _terminator(block)
        pieces = (carry + block).split(terminator)
        carry = pieces.pop()
        if in_long_line and pieces:
            pieces.pop(0)  # the end of the over-long line, already reported
            in_long_line = False
        for raw in pieces:
            number += 1
            if raw[-1:] == b"\r":
                raw = raw[:-1]
            yield number, raw if len(raw) <= MAX_LINE_BYTES else None
        if len(carry) > MAX_LINE_BYTES:
            if not in_long_line:
                number += 1
                yield number, None
            in_long_line, carry = True, b""
    if carry and not in_long_line:
        yield number + 1, carry if carry[-1:] != b"\r" else carry[:-1]


def _terminator(block: bytes) -> bytes:
    cr = block.find(b"\r")
    if cr != -1 and block[cr + 1 : cr + 2] != b"\n" and not 0 <= block.find(b"\n") < cr:
        return b"\r"
    return b"\n"


class _Decoder:
    """One file, one encoding: UTF-8, or else Windows-1252; the first non-ASCII line settles which.

    A later line in the other encoding (a file pasted together from two
    exports) is a problem: its labels would be read wrongly.
    """

    def __init__(self) -> None:
        self.encoding: str | None = None
        self.settled_on = 0

    def decode(self, number: int, raw: bytes) -> str:
        """The line's text; ValueError saying why when it cannot be read."""
        if raw.isascii():
            return raw.decode("ascii")
        try:
            text, found = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, found = raw.decode(_FALLBACK), _FALLBACK
            except UnicodeDecodeError as exc:
                raise ValueError(f"byte {raw[exc.start]:#04x} at offset {exc.start} is neither UTF-8 nor Windows-1252 text") from None
        if self.encoding is None:
            self.encoding, self.settled_on = found, number
        elif found != self.encoding:
            raise ValueError(f"the line is {found} text, but line {self.settled_on} is {self.encoding}: a file has one encoding")
        return text


class _Tally:
    """The running counterpart of Totals (dates kept as YYYYMMDD text, whose order is date order)."""

    __slots__ = ("lines", "debit", "credit", "first_line", "last_line", "first_date", "last_date")

    def __init__(self) -> None:
        self.lines = 0
        self.debit = self.credit = _ZERO
        self.first_line = self.last_line = 0
        self.first_date = self.last_date = ""

    def add(self, line: int, date: str, debit: Decimal, credit: Decimal) -> None:
        if not self.lines:
            self.first_line, self.first_date, self.last_date = line, date, date
        elif date < self.first_date:
            self.first_date = date
        elif date > self.last_date:
            self.last_date = date
        self.lines += 1
        self.last_line = line
        self.debit += debit
        self.credit += credit

    def totals(self) -> Totals:
        return Totals(
            lines=self.lines,
            debit=self.debit,
            credit=self.credit,
            first_line=self.first_line or None,
            last_line=self.last_line or None,
            first_date=_to_date(self.first_date),
            last_date=_to_date(self.last_date),
        )


def _tally(tallies: dict[str, _Tally], key: str) -> _Tally:
    """The tally under `key`, created on first use (not one allocation per line, as setdefault would)."""
    tally = tallies.get(key)
    if tally is None:
        tally = tallies[key] = _Tally()
    return tally


def _to_date(text: str) -> dt.date | None:
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])) if text else None


@lru_cache(maxsize=_CACHE)
def _date_error(text: str) -> str | None:
    """Why `text` is not a FEC date (YYYYMMDD, a day that exists), or None."""
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        return "is not a date written YYYYMMDD"
    try:
        _to_date(text)
    except ValueError:
        return "is not a day of the calendar"
    return None


def _amount_error(text: str) -> str:
    if "." in text:
        return "is not an amount: the FEC writes a decimal comma and no thousands separator (1234,56)"
    return "is not an amount: digits, an optional sign and a decimal comma expected (-1234,56)"


def _shown(value: str) -> str:
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")


def _header_problems(names: list[str]) -> list[str]:
    """What is wrong with the header's column names, one message each (none when right).

    Names are compared without surrounding spaces and without case
    ("MontantDevise" is accepted); the order is the one art. A47 A-1 fixes.
    """
    found = [n.strip() for n in names]
    keys = [n.lower() for n in found]
    expected = [c.lower() for c in COLUMNS]
    if keys == expected:
        return []
    if {"montant", "sens"} <= set(keys) and not {"debit", "credit"} & set(keys):
        return ["the header has Montant and Sens in place of Debit and Credit: that variant is not read; export Debit and Credit columns"]
    messages = [
        f"column {keys.index(k) + 1} and column {i} are both named {found[i - 1]!r}"
        for i, k in enumerate(keys, 1)
        if k in keys[: i - 1]
    ]
    missing = [c for c in COLUMNS if c.lower() not in keys]
    extra = [(i, n) for i, n in enumerate(found, 1) if n.lower() not in expected]
    if len(found) == len(COLUMNS) and missing and [i for i, _ in extra] == [COLUMNS.index(c) + 1 for c in missing]:
        return messages + [f"column {i} is named {n!r}, expected {c!r}" for (i, n), c in zip(extra, missing)]
    messages += [f"column {c!r} is missing (expected as column {COLUMNS.index(c) + 1})" for c in missing]
    messages += [
        f"column {i} has no name (does the line end with a separator?)" if not n else f"column {i} {n!r} is not a FEC column"
        for i, n in extra
    ]
    if not messages:
        messages = [f"column {i} is {n!r}, expected {c!r}: the order of the columns is fixed" for i, (n, c) in enumerate(zip(found, COLUMNS), 1) if n.lower() != c.lower()]
    return messages


def _separator(header: str) -> str | None:
    """The column separator a header line uses: tab, else pipe; None if neither."""
    return "\t" if "\t" in header else "|" if "|" in header else None


def _decimal(amount: str) -> Decimal:
    """An amount already known well written (decimal comma, no thousands separator); empty is zero."""
    return Decimal(amount.replace(",", ".")) if amount else _ZERO


class _Reader:
    """The state of one pass over a FEC: header, decoder, tallies and the bounded lists."""

    def __init__(self, classify: Classify, max_problems: int, skip_journals: frozenset[str] = frozenset()) -> None:
        self.classify = classify
        self.max_problems = max_problems
        self.skip_journals = skip_journals
        self.decoder = _Decoder()
        self.separator: str | None = None
        self.stopped = False  # no header to read the lines by
        self.lines = self.blank_lines = self.rejected_lines = 0
        self.all = _Tally()
        self.categories: dict[str, _Tally] = {}
        self.category_accounts: dict[str, set[str]] = {}
        self.skipped: dict[str, _Tally] = {}
        self.out_of_scope: dict[str, _Tally] = {}
        self.unmapped: dict[str, tuple[str, _Tally, list[int]]] = {}
        self.unmapped_not_listed = 0
        self.problems: list[FecProblem] = []
        self.problems_not_listed = 0

    def problem(self, line: int | None, kind: str, message: str, column: str | None = None) -> None:
        if len(self.problems) < self.max_problems:
            self.problems.append(FecProblem(line, kind, message, column))
        else:
            self.problems_not_listed += 1

    def reported(self) -> int:
        return len(self.problems) + self.problems_not_listed

    def feed(self, number: int, raw: bytes | None) -> None:
        self.lines = number
        if number == 1:
            self.header(raw)
        elif self.stopped:
            return
        elif raw is None:
            self.rejected_lines += 1
            self.problem(number, "line_too_long", f"the line is longer than {MAX_LINE_BYTES} bytes")
        else:
            try:
                text = self.decoder.decode(number, raw)
            except ValueError as exc:
                self.rejected_lines += 1
                self.problem(number, "encoding", str(exc))
                return
            self.entry(number, text)

    def header(self, raw: bytes | None) -> None:
        self.stopped = True  # until the header is found right
        if raw is None:
            self.problem(1, "line_too_long", f"the header is longer than {MAX_LINE_BYTES} bytes: is this a FEC?")
            return
        try:
            text = self.decoder.decode(1, raw.removeprefix(_BOM))
        except ValueError as exc:
            self.problem(1, "encoding", str(exc))
            return
        if not text.strip():
            self.problem(1, "header", "the first line is empty: a FEC starts with a header line naming its 18 columns")
            return
        separator = _separator(text)
        if separator is None:
            other = next((f" (it is separated by {c!r})" for c in ";," if c in text), "")
            self.problem(1, "header", f"the header has neither tab nor pipe separators{other}: a FEC separates its columns by one of them")
            return
        self.separator = separator
        messages = _header_problems(text.split(separator))
        for message in messages:
            self.problem(1, "header", message)
        self.stopped = bool(messages)

    def entry(self, number: int, text: str) -> None:
        """Check one line and add it to its category; a line with any problem is rejected whole."""
        fields = text.split(self.separator)
        if len(fields) != len(COLUMNS):
            if len(fields) == 1 and not text.strip():
                self.blank_lines += 1
                return
            hint = " (the line ends with a separator)" if len(fields) == len(COLUMNS) + 1 and not fields[-1] else ""
            self.rejected_lines += 1
            self.problem(number, "columns", f"the line has {len(fields)} columns, expected {len(COLUMNS)}{hint}")
            return
        reported = self.reported()
        account = fields[_ACCOUNT].strip()
        if not _ACCOUNT_START.match(account):
            self.problem(number, "account", f"CompteNum {_shown(account)} does not start with three digits (Plan comptable général)", "CompteNum")
        date = fields[_ENTRY_DATE].strip()
        self.check_date(number, _ENTRY_DATE, date)
        for index in _OPTIONAL_DATES:
            value = fields[index].strip()
            if value:
                self.check_date(number, index, value)
        debit = self.amount(number, _DEBIT, fields[_DEBIT])
        credit = self.amount(number, _CREDIT, fields[_CREDIT])
        self.amount(number, _CURRENCY_AMOUNT, fields[_CURRENCY_AMOUNT])
        if debit and credit:
            self.problem(number, "both_sides", f"Debit {debit} and Credit {credit} are both non-zero: a line records one side", "Debit")
        if debit is None or credit is None or self.reported() != reported:
            self.rejected_lines += 1
            return
        journal = fields[_JOURNAL].strip()
        if journal in self.skip_journals:
            self.all.add(number, date, debit, credit)
            _tally(self.skipped, journal).add(number, date, debit, credit)
            return
        self.add(number, account, fields[_ACCOUNT_LABEL], date, debit, credit)

    def check_date(self, number: int, index: int, value: str) -> None:
        error = _date_error(value)
        if error:
            self.problem(number, "date", f"{COLUMNS[index]} {_shown(value)} {error}", COLUMNS[index])

    def amount(self, number: int, index: int, value: str) -> Decimal | None:
        """The amount in a column (empty is zero), or None after reporting why it is not one."""
        value = value.strip()
        if not value or _AMOUNT.fullmatch(value):
            return _decimal(value)
        self.problem(number, "amount", f"{COLUMNS[index]} {_shown(value)} {_amount_error(value)}", COLUMNS[index])
        return None

    def add(self, number: int, account: str, label: str, date: str, debit: Decimal, credit: Decimal) -> None:
        self.all.add(number, date, debit, credit)
        category = self.classify(account)
        tally: _Tally | None
        if category is None:
            tally = _tally(self.out_of_scope, account[0])
        elif category is UNMAPPED:
            tally = self.unmapped_tally(number, account, label.strip())
            if tally is None:
                self.unmapped_not_listed += 1
                return
        else:
            tally = _tally(self.categories, category)
            self.category_accounts.setdefault(category, set()).add(account)
        tally.add(number, date, debit, credit)

    def unmapped_tally(self, number: int, account: str, label: str) -> _Tally | None:
        """The tally of an unmapped account, None once `max_problems` accounts are listed."""
        known = self.unmapped.get(account)
        if known is None:
            if len(self.unmapped) >= self.max_problems:
                return None
            known = self.unmapped[account] = (label, _Tally(), [])
        if len(known[2]) < _FIRST_LINES:
            known[2].append(number)
        return known[1]

    def summary(self, file: str, sha256: str, size: int) -> FecSummary:
        if self.lines == 0:
            self.problem(1, "empty", "the file is empty: a FEC starts with a header line naming its 18 columns")
        totals = self.all.totals()
        if not self.reported() and totals.debit != totals.credit:
            self.problem(
                None,
                "balance",
                f"the lines do not balance: debit {totals.debit}, credit {totals.credit} (difference {totals.net}); is the file complete?",
            )
        return FecSummary(
            file=file,
            sha256=sha256,
            size=size,
            encoding=self.decoder.encoding or "ascii",
            separator=_SEPARATORS.get(self.separator or ""),
            lines=self.lines,
            blank_lines=self.blank_lines,
            rejected_lines=self.rejected_lines,
            totals=totals,
            categories={name: self.categories[name].totals() for name in sorted(self.categories)},
            category_accounts={name: tuple(sorted(self.category_accounts[name])) for name in sorted(self.categories)},
            skipped_journals={name: self.skipped[name].totals() for name in sorted(self.skipped)},
            out_of_scope={name: self.out_of_scope[name].totals() for name in sorted(self.out_of_scope)},
            unmapped={
                account: UnmappedAccount(account, label, tally.totals(), tuple(first))
                for account, (label, tally, first) in sorted(self.unmapped.items())
            },
            unmapped_lines_not_listed=self.unmapped_not_listed,
            problems=tuple(self.problems),
            problems_not_listed=self.problems_not_listed,
        )


@dataclass(frozen=True)
class LedgerLine:
    """One line of a FEC, as an auditor reads it back (amounts as written, decimal comma turned to a point)."""

    number: int
    journal: str
    date: str
    account: str
    piece: str
    label: str
    debit: Decimal
    credit: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.number, "journal": self.journal, "date": self.date, "account": self.account, "piece": self.piece,
                "label": self.label, "debit": str(self.debit), "credit": str(self.credit)}


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while block := stream.read(_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def lines_of_accounts(path: str | Path, accounts: Iterable[str], *, skip_journals: Iterable[str] = ()) -> Iterator[LedgerLine]:
    """The lines of `accounts` in a FEC already read by `summarise_fec` (so well formed), in file order.

    This is the second look an auditor takes: a decision keeps totals per
    category and the accounts behind them, never the lines; the lines are
    read again from the file, whose digest the caller compares first.
    """
    wanted = frozenset(accounts)
    skipped = frozenset(skip_journals)
    decoder = _Decoder()
    separator: str | None = None
    with Path(path).open("rb") as stream:
        for number, raw in _records(stream, hashlib.sha256()):
            if raw is None:
                continue
            text = decoder.decode(number, raw.removeprefix(_BOM) if number == 1 else raw)
            if number == 1:
                separator = _separator(text)
                continue
            fields = text.split(separator)
            if len(fields) != len(COLUMNS) or fields[_ACCOUNT].strip() not in wanted or fields[_JOURNAL].strip() in skipped:
                continue
            yield LedgerLine(
                number=number,
                journal=fields[_JOURNAL].strip(),
                date=fields[_ENTRY_DATE].strip(),
                account=fields[_ACCOUNT].strip(),
                piece=fields[_PIECE].strip(),
                label=fields[_ENTRY_LABEL].strip(),
                debit=_decimal(fields[_DEBIT].strip()),
                credit=_decimal(fields[_CREDIT].strip()),
            )
