"""Reading and classifying a FEC (engine/adapters/fec.py), against hand-written files and tests/fec_synth.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fec_synth import IN_SCOPE, REPRESENTATIVE_MAPPING, UNMAPPED_ACCOUNT, defect_lines, fec_lines, write_fec
from engine.adapters.fec import COLUMNS, MAX_LINE_BYTES, UNMAPPED, FecSummary, file_sha256, lines_of_accounts, prefix_classifier, summarise_fec

MAPPING = {"6061": "energy", "60": "purchases", "641": None, "215": "machinery", "28": None, "70": "sales"}
CLASSIFY = prefix_classifier(MAPPING, ("2", "6", "7"))
HEADER = "\t".join(COLUMNS)

DEFAULTS = {
    "JournalCode": "AC",
    "JournalLib": "Achats",
    "EcritureNum": "AC000001",
    "EcritureDate": "20250115",
    "CompteNum": "606110",
    "CompteLib": "Électricité",
    "CompAuxNum": "",
    "CompAuxLib": "",
    "PieceRef": "FA25-0001",
    "PieceDate": "20250110",
    "EcritureLib": "EDF janvier",
    "Debit": "100,00",
    "Credit": "0,00",
    "EcritureLet": "",
    "DateLet": "",
    "ValidDate": "20250116",
    "Montantdevise": "",
    "Idevise": "",
}


def row(sep: str = "\t", **fields: str) -> str:
    """One entry line: the defaults (an electricity invoice line) with some fields changed."""
    unknown = set(fields) - set(DEFAULTS)
    assert not unknown, unknown
    return sep.join({**DEFAULTS, **fields}.values())


def balancing(amount: str = "100,00") -> str:
    """The supplier line that balances `row()`."""
    return row(CompteNum="401000", CompteLib="Fournisseurs", Debit="0,00", Credit=amount)


def fec(tmp_path: Path, *lines: str, header: str = HEADER, name: str = "fec.txt", newline: str = "\n", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(newline.join([header, *lines]).encode(encoding) + newline.encode())
    return path


def read(path: Path, **options: Any) -> FecSummary:
    return summarise_fec(path, CLASSIFY, **options)


def problems(summary: FecSummary) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.kind, p.message) for p in summary.problems]


# --- a clean file -----------------------------------------------------------------------------------------


def test_a_clean_file_is_summarised_by_category_with_lines_and_dates(tmp_path: Path) -> None:
    path = fec(
        tmp_path,
        row(),
        balancing(),
        row(CompteNum="601000", EcritureDate="20250301", Debit="250,50"),
        row(CompteNum="215400", EcritureDate="20250201", Debit="1000"),
        row(CompteNum="401000", EcritureDate="20250301", Debit="", Credit="1250,50"),
        row(CompteNum="411000", EcritureDate="20251231", Debit="1200,00"),
        row(CompteNum="706000", EcritureDate="20251231", Debit="0,00", Credit="1000,00"),
        row(CompteNum="445710", EcritureDate="20251231", Debit="0,00", Credit="200,00"),
        row(CompteNum="641100", EcritureDate="20250131", Debit="3000,00"),
        row(CompteNum="421000", EcritureDate="20250131", Debit="0,00", Credit="3000,00"),
    )
    summary = read(path)
    assert summary.valid, summary.render()
    assert summary.separator == "tab" and summary.encoding == "utf-8" and summary.lines == 11
    assert list(summary.categories) == ["energy", "machinery", "purchases", "sales"]
    energy = summary.categories["energy"]
    assert (energy.lines, energy.net, energy.first_line, energy.last_line) == (1, Decimal("100.00"), 2, 2)
    purchases = summary.categories["purchases"]
    assert (purchases.net, purchases.first_date, purchases.last_date) == (Decimal("250.50"), dt.date(2025, 3, 1), dt.date(2025, 3, 1))
    assert summary.categories["sales"].net == Decimal("-1000.00")
    assert summary.categories["machinery"].debit == Decimal(1000)
    assert {k: (t.lines, t.net) for k, t in summary.out_of_scope.items()} == {
        "4": (5, Decimal("-3350.50")),
        "6": (1, Decimal("3000.00")),  # 641 payroll: excluded by the mapping, counted here
    }
    assert (summary.totals.lines, summary.totals.debit, summary.totals.credit) == (10, Decimal("5550.50"), Decimal("5550.50"))
    assert (summary.totals.first_date, summary.totals.last_date) == (dt.date(2025, 1, 15), dt.date(2025, 12, 31))
    assert summary.rejected_lines == summary.blank_lines == 0
    assert summary.render().splitlines()[1] == "usable"
    assert "  all lines read: 10 lines, net 0.00 (debit 5550.50, credit 5550.50), lines 2–11, 2025-01-15 … 2025-12-31" in summary.render()


@pytest.mark.parametrize("separator", ["\t", "|"])
def test_tab_and_pipe_files_read_alike(tmp_path: Path, separator: str) -> None:
    lines = [row(separator), row(separator, CompteNum="401000", Debit="0,00", Credit="100,00")]
    summary = read(fec(tmp_path, *lines, header=separator.join(COLUMNS)))
    assert summary.valid
    assert summary.separator == {"\t": "tab", "|": "pipe"}[separator]
    assert summary.categories["energy"].net == Decimal("100.00")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_lf_crlf_and_cr_line_breaks_read_alike(tmp_path: Path, newline: str) -> None:
    summary = read(fec(tmp_path, row(), balancing(), newline=newline))
    assert summary.valid, summary.render()
    assert (summary.lines, summary.categories["energy"].last_line) == (3, 2)


def test_a_last_line_without_line_break_is_read(tmp_path: Path) -> None:
    path = tmp_path / "fec.txt"
    path.write_text("\n".join([HEADER, row(), balancing()]), encoding="utf-8")
    summary = read(path)
    assert summary.valid and summary.lines == 3 and summary.totals.lines == 2


def test_blank_lines_are_counted_not_read(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(), "", "  ", balancing(), ""))
    assert summary.valid
    assert (summary.blank_lines, summary.totals.lines, summary.lines) == (3, 2, 6)


def test_a_file_with_only_its_header_is_valid_and_empty(tmp_path: Path) -> None:
    summary = read(fec(tmp_path))
    assert summary.valid and summary.categories == {} and summary.totals.lines == 0


# --- the header -------------------------------------------------------------------------------------------


def _header(*changes: tuple[int, str | None]) -> str:
    names: list[str | None] = list(COLUMNS)
    for index, name in changes:
        names[index] = name
    return "\t".join(n for n in names if n is not None)


@pytest.mark.parametrize(
    "header",
    [
        HEADER,
        HEADER.lower(),
        _header((16, "MontantDevise"), (17, " Idevise ")),
        "\ufeff" + HEADER,  # a byte-order mark
    ],
)
def test_header_names_are_compared_without_case_spaces_or_bom(tmp_path: Path, header: str) -> None:
    assert read(fec(tmp_path, row(), balancing(), header=header)).valid


@pytest.mark.parametrize(
    ("header", "messages"),
    [
        (_header((17, None)), ["column 'Idevise' is missing (expected as column 18)"]),
        (_header((5, None)), ["column 'CompteLib' is missing (expected as column 6)"]),
        (HEADER + "\tCodeEtablissement", ["column 19 'CodeEtablissement' is not a FEC column"]),
        (HEADER + "\t", ["column 19 has no name (does the line end with a separator?)"]),
        (_header((5, "CompteLibelle")), ["column 6 is named 'CompteLibelle', expected 'CompteLib'"]),
        (
            _header((11, "Credit"), (12, "Debit")),
            [
                "column 12 is 'Credit', expected 'Debit': the order of the columns is fixed",
                "column 13 is 'Debit', expected 'Credit': the order of the columns is fixed",
            ],
        ),
        (
            _header((5, "CompteNum")),
            ["column 5 and column 6 are both named 'CompteNum'", "column 'CompteLib' is missing (expected as column 6)"],
        ),
        (
            _header((11, "Montant"), (12, "Sens")),
            ["the header has Montant and Sens in place of Debit and Credit: that variant is not read; export Debit and Credit columns"],
        ),
        (
            HEADER.replace("\t", ";"),
            ["the header has neither tab nor pipe separators (it is separated by ';'): a FEC separates its columns by one of them"],
        ),
        ("", ["the first line is empty: a FEC starts with a header line naming its 18 columns"]),
    ],
)
def test_a_wrong_header_says_which_column_and_stops_the_reading(tmp_path: Path, header: str, messages: list[str]) -> None:
    summary = read(fec(tmp_path, row(), balancing(), header=header))
    assert not summary.valid
    assert problems(summary) == [(1, "header", m) for m in messages]
    assert summary.totals.lines == 0 and summary.rejected_lines == 0  # data lines are not read by a wrong header
    assert summary.lines == 3


def test_an_empty_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "fec.txt"
    path.write_bytes(b"")
    summary = read(path)
    assert problems(summary) == [(1, "empty", "the file is empty: a FEC starts with a header line naming its 18 columns")]
    assert summary.separator is None and not summary.valid


def test_a_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read(tmp_path / "absent.txt")


# --- line problems ----------------------------------------------------------------------------------------


def test_a_line_with_the_wrong_number_of_columns_is_rejected_with_its_line_number(tmp_path: Path) -> None:
    short = "\t".join(row().split("\t")[:16])
    summary = read(fec(tmp_path, row(), balancing(), short, row() + "\t", row() + "\tX\tY"))
    assert problems(summary) == [
        (4, "columns", "the line has 16 columns, expected 18"),
        (5, "columns", "the line has 19 columns, expected 18 (the line ends with a separator)"),
        (6, "columns", "the line has 20 columns, expected 18"),
    ]
    assert summary.rejected_lines == 3 and summary.totals.lines == 2 and not summary.valid


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234,56", Decimal("1234.56")),
        ("-12,50", Decimal("-12.50")),
        ("+3", Decimal(3)),
        ("0,001", Decimal("0.001")),
        (" 7,5 ", Decimal("7.5")),
        ("", Decimal(0)),
        ("1234", Decimal(1234)),
    ],
)
def test_amounts_are_read_with_a_decimal_comma(tmp_path: Path, text: str, value: Decimal) -> None:
    summary = read(fec(tmp_path, row(Debit=text), row(CompteNum="401000", Debit="", Credit=text)))
    assert summary.valid, summary.render()
    assert summary.categories.get("energy", summary.totals).debit == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12.50", "Debit '12.50' is not an amount: the FEC writes a decimal comma and no thousands separator (1234,56)"),
        ("1.234,56", "Debit '1.234,56' is not an amount: the FEC writes a decimal comma and no thousands separator (1234,56)"),
        ("1 234,56", "Debit '1 234,56' is not an amount: digits, an optional sign and a decimal comma expected (-1234,56)"),
        ("12,", "Debit '12,' is not an amount: digits, an optional sign and a decimal comma expected (-1234,56)"),
        (",5", "Debit ',5' is not an amount: digits, an optional sign and a decimal comma expected (-1234,56)"),
        ("1e3", "Debit '1e3' is not an amount: digits, an optional sign and a decimal comma expected (-1234,56)"),
        ("--1", "Debit '--1' is not an amount: digits, an optional sign and a decimal comma expected (-1234,56)"),
        ("12€", "Debit '12€' is not an amount: digits, an optional sign and a decimal comma expected (-1234,56)"),
    ],
)
def test_a_malformed_amount_is_reported_at_its_line(tmp_path: Path, text: str, message: str) -> None:
    summary = read(fec(tmp_path, row(), balancing(), row(Debit=text)))
    assert problems(summary) == [(4, "amount", message)]
    assert summary.problems[0].column == "Debit"
    assert summary.rejected_lines == 1 and summary.categories["energy"].lines == 1


def test_credit_and_currency_amounts_are_checked_too(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(Debit="0,00", Credit="5.00"), row(Montantdevise="1.08", Idevise="USD")))
    assert [(p.line, p.column) for p in summary.problems] == [(2, "Credit"), (3, "Montantdevise")]


def test_debit_and_credit_both_non_zero_is_a_problem(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(Debit="10,00", Credit="-3,00")))
    assert problems(summary) == [(2, "both_sides", "Debit 10.00 and Credit -3.00 are both non-zero: a line records one side")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"EcritureDate": "20250230"}, "EcritureDate '20250230' is not a day of the calendar"),
        ({"EcritureDate": "20230229"}, "EcritureDate '20230229' is not a day of the calendar"),
        ({"EcritureDate": "2025-01-15"}, "EcritureDate '2025-01-15' is not a date written YYYYMMDD"),
        ({"EcritureDate": "15/01/2025"}, "EcritureDate '15/01/2025' is not a date written YYYYMMDD"),
        ({"EcritureDate": ""}, "EcritureDate '' is not a date written YYYYMMDD"),
        ({"PieceDate": "20251301"}, "PieceDate '20251301' is not a day of the calendar"),
        ({"DateLet": "2025011"}, "DateLet '2025011' is not a date written YYYYMMDD"),
        ({"ValidDate": "20250431"}, "ValidDate '20250431' is not a day of the calendar"),
    ],
)
def test_a_malformed_or_impossible_date_is_reported_at_its_line(tmp_path: Path, fields: dict[str, str], message: str) -> None:
    summary = read(fec(tmp_path, row(), balancing(), row(**fields)))
    assert problems(summary) == [(4, "date", message)]
    assert summary.problems[0].column == next(iter(fields))


def test_optional_dates_may_be_empty(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(PieceDate="", DateLet="", ValidDate=""), balancing()))
    assert summary.valid
    assert summary.categories["energy"].first_date == dt.date(2025, 1, 15)


@pytest.mark.parametrize("account", ["", "F0001", "60", "6O6110"])
def test_an_account_must_start_with_three_digits(tmp_path: Path, account: str) -> None:
    summary = read(fec(tmp_path, row(CompteNum=account)))
    assert problems(summary) == [
        (2, "account", f"CompteNum {account!r} does not start with three digits (Plan comptable général)")
    ]


def test_every_problem_of_a_line_is_reported_and_the_line_rejected_once(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(EcritureDate="20250230", Debit="1.5", CompteNum="X")))
    assert [(p.line, p.kind, p.column) for p in summary.problems] == [
        (2, "account", "CompteNum"),
        (2, "date", "EcritureDate"),
        (2, "amount", "Debit"),
    ]
    assert summary.rejected_lines == 1 and summary.totals.lines == 0


def test_a_long_value_is_shortened_in_the_message(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(Debit="9" * 30 + "x" * 30)))
    assert summary.problems[0].message.startswith("Debit '" + "9" * 30 + "x" * 10 + "…' is not an amount")


def test_an_over_long_line_is_refused_and_the_next_lines_are_read(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(), row(EcritureLib="x" * (MAX_LINE_BYTES + 10)), balancing()))
    assert problems(summary) == [(3, "line_too_long", f"the line is longer than {MAX_LINE_BYTES} bytes")]
    assert summary.totals.lines == 2 and summary.lines == 4


def test_a_file_without_line_breaks_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "fec.txt"
    path.write_bytes(b"x" * (3 << 20))
    summary = read(path)
    assert problems(summary) == [(1, "line_too_long", f"the header is longer than {MAX_LINE_BYTES} bytes: is this a FEC?")]
    assert summary.lines == 1 and summary.size == 3 << 20


def test_unbalanced_lines_are_a_problem_of_the_file(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(), balancing("90,00")))
    assert problems(summary) == [
        (None, "balance", "the lines do not balance: debit 100.00, credit 90.00 (difference 10.00); is the file complete?")
    ]
    assert summary.problems[0].render().startswith("file: the lines do not balance")


def test_balance_is_not_reported_on_top_of_line_problems(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(), balancing("1.00")))
    assert [p.kind for p in summary.problems] == ["amount"]


# --- encodings --------------------------------------------------------------------------------------------


def test_a_windows_1252_file_is_read(tmp_path: Path) -> None:
    path = fec(tmp_path, row(CompteNum="658000", CompteLib="Pénalités – œuvres"), balancing(), encoding="cp1252")
    summary = read(path)
    assert summary.encoding == "cp1252"
    assert summary.unmapped["658000"].label == "Pénalités – œuvres"


def test_a_file_mixing_encodings_is_reported_at_the_first_line_that_differs(tmp_path: Path) -> None:
    path = tmp_path / "fec.txt"
    path.write_bytes(
        "\n".join([HEADER, row(), balancing()]).encode("utf-8")  # row() holds 'Électricité' in UTF-8 (line 2)
        + b"\n"
        + row(CompteLib="Électricité").encode("cp1252")
        + b"\n"
    )
    summary = read(path)
    assert problems(summary) == [(4, "encoding", "the line is cp1252 text, but line 2 is utf-8: a file has one encoding")]


def test_bytes_that_are_neither_utf8_nor_windows_1252_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "fec.txt"
    path.write_bytes(HEADER.encode() + b"\n" + row(CompteLib="X").encode().replace(b"X", b"\x81") + b"\n")
    summary = read(path)
    assert problems(summary) == [(2, "encoding", "byte 0x81 at offset 35 is neither UTF-8 nor Windows-1252 text")]


# --- classification ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "category"),
    [
        ("606110", "energy"),  # 6061 is longer than 60
        ("6061", "energy"),
        ("606400", "purchases"),
        ("60", "purchases"),
        ("641100", None),  # excluded by the mapping inside class 6
        ("215400", "machinery"),
        ("281540", None),
        ("706000", "sales"),
        ("658000", UNMAPPED),  # class 6 is in scope: a mapping must cover it
        ("218200", UNMAPPED),
        ("6", UNMAPPED),
        ("401000", None),  # class 4 is not in scope
        ("512000", None),
    ],
)
def test_prefix_classifier_takes_the_longest_prefix(account: str, category: object) -> None:
    assert CLASSIFY(account) is category if category in (None, UNMAPPED) else CLASSIFY(account) == category


def test_prefix_classifier_without_scope_leaves_every_unknown_account_out() -> None:
    classify = prefix_classifier({"60": "purchases"}, ())
    assert (classify("601"), classify("658"), classify("")) == ("purchases", None, None)


@pytest.mark.parametrize(
    ("mapping", "scope", "message"),
    [
        ({"": "x"}, (), "account prefix '' must be a non-empty string without spaces"),
        ({" 60": "x"}, (), "account prefix ' 60' must be a non-empty string without spaces"),
        ({"60": ""}, (), "the category of prefix '60' must be a non-empty string or None, not ''"),
        ({"60": 3}, (), "the category of prefix '60' must be a non-empty string or None, not 3"),
        ({}, ("",), "in-scope prefix '' must be a non-empty string without spaces"),
    ],
)
def test_prefix_classifier_refuses_a_malformed_mapping(mapping: dict[Any, Any], scope: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        prefix_classifier(mapping, scope)
    assert str(raised.value) == message


def test_unmapped_accounts_are_listed_with_their_first_lines_and_make_the_file_unusable(tmp_path: Path) -> None:
    lines = [row(CompteNum="658000", CompteLib="Charges diverses", Debit="1,00") for _ in range(7)]
    lines += [row(CompteNum="218200", CompteLib="Véhicules", Debit="5,00"), row(CompteNum="401000", Debit="0,00", Credit="12,00")]
    summary = read(fec(tmp_path, *lines))
    assert not summary.valid and not summary.problems
    assert list(summary.unmapped) == ["218200", "658000"]
    various = summary.unmapped["658000"]
    assert (various.label, various.totals.lines, various.totals.net, various.first_lines) == ("Charges diverses", 7, Decimal("7.00"), (2, 3, 4, 5, 6))
    assert summary.unmapped["218200"].first_lines == (9,)
    assert summary.categories == {}
    text = summary.render()
    assert "NOT USABLE: 8 lines on unmapped accounts" in text
    assert "658000 'Charges diverses': 7 lines (lines 2, 3, 4, 5, 6, …), net 7.00" in text


def test_a_classifier_breaking_its_contract_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"classify\('606110'\) returned 5: expected a category name, None or UNMAPPED"):
        summarise_fec(fec(tmp_path, row()), lambda account: 5)  # type: ignore[arg-type,return-value]


def test_a_plain_function_returning_names_or_none_is_a_classifier(tmp_path: Path) -> None:
    summary = summarise_fec(fec(tmp_path, row(), balancing()), lambda account: "all" if account.startswith("6") else None)
    assert summary.valid and summary.categories["all"].lines == 1 and summary.out_of_scope["4"].lines == 1


# --- bounds, reports and digest ---------------------------------------------------------------------------


def test_problems_and_unmapped_accounts_are_capped_and_the_rest_counted(tmp_path: Path) -> None:
    lines = [row(Debit="1.00") for _ in range(250)] + [row(CompteNum=f"65{i:04d}") for i in range(30)]
    summary = read(fec(tmp_path, *lines), max_problems=10)
    assert [p.line for p in summary.problems] == list(range(2, 12))
    assert summary.problems_not_listed == 240
    assert len(summary.unmapped) == 10 and summary.unmapped_lines_not_listed == 20
    assert summary.rejected_lines == 250
    text = summary.render()
    assert "NOT USABLE: 250 problems, 30 lines on unmapped accounts" in text
    assert "… and 240 more problems" in text and "… and 20 lines of other unmapped accounts" in text
    assert summary.to_dict()["problems_not_listed"] == 240


def test_max_problems_zero_lists_nothing_but_still_refuses(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(Debit="x")), max_problems=0)
    assert summary.problems == () and summary.problems_not_listed == 1 and not summary.valid
    with pytest.raises(ValueError):
        read(fec(tmp_path, row()), max_problems=-1)


def test_the_digest_is_the_sha256_of_the_bytes_read(tmp_path: Path) -> None:
    path = fec(tmp_path, row(), balancing())
    first, second = read(path), read(path)
    assert first.sha256 == second.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert first.size == path.stat().st_size
    path.write_bytes(path.read_bytes().replace(b"EDF janvier", b"EDF janvieR"))
    assert read(path).sha256 != first.sha256


def test_the_digest_covers_a_file_larger_than_a_block(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    write_fec(path, 20000, seed=3)
    assert read(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_report_is_json_and_text(tmp_path: Path) -> None:
    summary = read(fec(tmp_path, row(), balancing(), row(Debit="1.0")))
    document = json.loads(json.dumps(summary.to_dict()))
    assert document["valid"] is False
    assert document["problems"] == [
        {
            "line": 4,
            "kind": "amount",
            "column": "Debit",
            "message": "Debit '1.0' is not an amount: the FEC writes a decimal comma and no thousands separator (1234,56)",
        }
    ]
    assert document["categories"] == [
        {
            "category": "energy",
            "accounts": ["606110"],
            "lines": 1,
            "debit": "100.00",
            "credit": "0.00",
            "net": "100.00",
            "first_line": 2,
            "last_line": 2,
            "first_date": "2025-01-15",
            "last_date": "2025-01-15",
        }
    ]
    assert document["out_of_scope"][0]["account_class"] == "4"
    text = summary.render()
    assert text.splitlines()[1] == "NOT USABLE: 1 problem"
    assert "  line 4: Debit '1.0' is not an amount" in text
    assert summary.problems[0].as_problem(str(summary.file)).render().startswith(f"{summary.file}:4: Debit '1.0'")


def _peak(path: Path) -> int:
    tracemalloc.start()
    try:
        summarise_fec(path, prefix_classifier(REPRESENTATIVE_MAPPING, IN_SCOPE))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_bounded_by_categories_not_lines(tmp_path: Path) -> None:
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    write_fec(small, 20_000, seed=1)
    write_fec(large, 200_000, seed=1)
    small_peak, large_peak = _peak(small), _peak(large)
    assert large.stat().st_size > 9 * small.stat().st_size
    assert large_peak < 1.25 * small_peak + 256 * 1024, (small_peak, large_peak)
    assert large_peak < large.stat().st_size / 4


# --- synthetic files --------------------------------------------------------------------------------------


def _independent_totals(lines: list[str]) -> dict[str, tuple[int, Decimal, Decimal, int, int]]:
    """Per category: lines, debit, credit, first and last line — computed without engine/adapters/fec.py."""
    prefixes = sorted(REPRESENTATIVE_MAPPING, key=len, reverse=True)
    totals: dict[str, tuple[int, Decimal, Decimal, int, int]] = {}
    for number, line in enumerate(lines[1:], 2):
        fields = line.split("|")
        prefix = next((p for p in prefixes if fields[4].startswith(p)), None)
        category = REPRESENTATIVE_MAPPING[prefix] if prefix else None
        if category is None:
            continue
        debit, credit = (Decimal(fields[i].replace(",", ".")) for i in (11, 12))
        n, d, c, first, _ = totals.get(category, (0, Decimal(0), Decimal(0), number, 0))
        totals[category] = (n + 1, d + debit, c + credit, first, number)
    return totals


def test_a_clean_synthetic_file_is_valid_and_its_totals_are_the_independent_sums(tmp_path: Path) -> None:
    lines = list(fec_lines(30_000, seed=7, separator="|"))
    path = tmp_path / "fec.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = summarise_fec(path, prefix_classifier(REPRESENTATIVE_MAPPING, IN_SCOPE))
    assert summary.valid, summary.render()
    assert summary.lines == 30_001 and summary.totals.lines == 30_000 and summary.separator == "pipe"
    assert summary.totals.debit == summary.totals.credit
    got = {k: (t.lines, t.debit, t.credit, t.first_line, t.last_line) for k, t in summary.categories.items()}
    assert got == _independent_totals(lines)
    assert {"energy", "sales", "depreciation", "fixed_assets_machinery", "travel"} <= set(got)
    assert summary.out_of_scope["6"].lines > 0  # payroll, excluded by the mapping
    assert summary.totals.first_date == dt.date(2025, 1, 1) and summary.totals.last_date == dt.date(2025, 12, 31)


@pytest.mark.parametrize("count", [0, 2, 3, 4, 5, 39, 40, 41, 1000])
def test_the_generator_writes_exactly_the_lines_asked_balanced(count: int) -> None:
    lines = list(fec_lines(count, seed=count))
    assert len(lines) == count + 1
    debit = sum(Decimal(line.split("\t")[11].replace(",", ".")) for line in lines[1:])
    credit = sum(Decimal(line.split("\t")[12].replace(",", ".")) for line in lines[1:])
    assert debit == credit


def test_the_generator_is_deterministic_for_a_seed() -> None:
    assert list(fec_lines(500, seed=5)) == list(fec_lines(500, seed=5)) != list(fec_lines(500, seed=6))


def test_a_synthetic_file_with_defects_reports_exactly_those_lines(tmp_path: Path) -> None:
    path = tmp_path / "fec.txt"
    write_fec(path, 50_000, seed=11, defects=True)
    summary = summarise_fec(path, prefix_classifier(REPRESENTATIVE_MAPPING, IN_SCOPE))
    defects = defect_lines(50_000)
    assert not summary.valid
    assert sorted((p.line, p.kind) for p in summary.problems) == sorted(
        (line, kind) for line, kind in defects.items() if kind != "unmapped"
    )
    [unmapped_line] = [line for line, kind in defects.items() if kind == "unmapped"]
    assert list(summary.unmapped) == [UNMAPPED_ACCOUNT[0]]
    assert summary.unmapped[UNMAPPED_ACCOUNT[0]].first_lines == (unmapped_line,)
    assert summary.rejected_lines == 3


# --- opening entries and the auditor's second look ------------------------------------------------------


def test_lines_of_a_skipped_journal_are_counted_apart_and_never_classified(tmp_path: Path) -> None:
    opening = dict(JournalCode="AN", EcritureDate="20250101")
    path = fec(
        tmp_path,
        row(**opening, CompteNum="281540", Debit="0,00", Credit="900,00"),
        row(**opening, CompteNum="512000", Debit="900,00"),
        row(),
        balancing(),
    )
    summary = read(path, skip_journals=["AN"])
    assert summary.valid
    assert list(summary.categories) == ["energy"]
    assert summary.skipped_journals["AN"].lines == 2
    assert summary.skipped_journals["AN"].credit == Decimal("900.00")
    assert summary.totals.lines == 4  # skipped lines still count in the file's balance
    assert "journal AN: 2 lines" in summary.render()
    # without the option the same opening balance is read as a movement of the year
    assert read(path).out_of_scope["2"].credit == Decimal("900.00")
    assert not read(path).skipped_journals


def test_a_category_names_its_accounts_and_the_lines_can_be_read_again(tmp_path: Path) -> None:
    path = fec(
        tmp_path,
        row(),
        balancing(),
        row(CompteNum="606120", Debit="40,00", PieceRef="FA2"),
        row(JournalCode="AN", CompteNum="606110", Debit="7,00"),
        balancing("47,00"),
    )
    summary = read(path, skip_journals=["AN"])
    assert summary.category_accounts["energy"] == ("606110", "606120")
    assert file_sha256(path) == summary.sha256
    lines = list(lines_of_accounts(path, summary.category_accounts["energy"], skip_journals=["AN"]))
    assert [(x.number, x.account, x.piece, x.debit) for x in lines] == [
        (2, "606110", DEFAULTS["PieceRef"], Decimal("100.00")),
        (4, "606120", "FA2", Decimal("40.00")),
    ]
    assert sum(x.debit - x.credit for x in lines) == summary.categories["energy"].net
