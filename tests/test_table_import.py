"""Importing a table supplied as CSV as the next version of a referential (engine/table_import.py, `referee import-table`).

The sample is the 2026 release of the Label Transmission factors. The tree ships
it already imported (referentials/label-transmission-factors/2026-01-01.yaml);
these tests import it again over a copy of the tree as it was before
(the fixtures `library`, `scratch` and `cli` below), with 2025-01-01 as template.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import ROOT, draft, unlined

from engine import Library
from engine.authoring.checks import check_version
from engine.errors import RefereeError, ReferentialError, UsageError
from engine.selection.versions import in_force_on
from engine.authoring.table_import import TableImportError, import_table

SCHEME = "label-transmission-factors"
SAMPLE = ROOT / "examples" / SCHEME / "release-2026.csv"
NEW_CLAUSE = "release 2026.1"
OLD_CLAUSE = "release 2025.1"
OPTIONS = ("--scheme", SCHEME, "--table", "emission_factors", "--id", "2026-01-01", "--published-on", "2025-12-15")


SHIPPED = ROOT / "referentials" / SCHEME / "2026-01-01.yaml"


@pytest.fixture(scope="module")
def before_2026(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tree without the shipped 2026 release: the state in which it was imported."""
    root = tmp_path_factory.mktemp("before-2026")
    shutil.copytree(ROOT / "referentials", root / "referentials")
    shutil.copytree(ROOT / "rules", root / "rules")
    (root / "referentials" / SCHEME / SHIPPED.name).unlink()
    return root


@pytest.fixture(scope="module")
def library(before_2026: Path) -> Library:
    return Library.open(before_2026)


@pytest.fixture
def scratch(scratch: Path) -> Path:
    (scratch / "referentials" / SCHEME / SHIPPED.name).unlink()
    draft(scratch, SCHEME, SHIPPED.stem)  # its lock goes with it: the import writes a new 2026-01-01
    return scratch


@pytest.fixture
def cli(cli: Callable[..., Any], before_2026: Path) -> Callable[..., Any]:
    return lambda *args, root=before_2026: cli(*args, root=root)


def run_import(library: Library, csv_path: Path = SAMPLE, **options: Any) -> tuple[str, Any]:
    arguments: dict[str, Any] = {"scheme": SCHEME, "table": "emission_factors", "version_id": "2026-01-01", "published_on": "2025-12-15"}
    return import_table(library, csv_path, **(arguments | options))


def sample_records() -> list[list[str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def edited_sample(
    tmp_path: Path, edit: Callable[[list[list[str]]], Any] = lambda records: None, *, delimiter: str = ",", bom: bool = False
) -> Path:
    """The sample CSV after `edit` changed its records in place (records[0] is the header, line 1)."""
    records = sample_records()
    edit(records)
    path = tmp_path / "release.csv"
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\n").writerows(records)
    return path


def set_cell(records: list[list[str]], line: int, column: str, value: str) -> None:
    records[line - 1][records[0].index(column)] = value


def problems_of(error: RefereeError) -> list[str]:
    return [p.render() for p in error.problems]


def refused_import(library: Library, csv_path: Path, **options: Any) -> list[str]:
    with pytest.raises(TableImportError) as caught:
        run_import(library, csv_path, **options)
    return problems_of(caught.value)


# --- the sample -------------------------------------------------------------------------------------------------


def imported_into(scratch: Path, **options: Any) -> Path:
    """Import the sample into the scratch tree, as the file where the library finds it."""
    text, _ = run_import(Library.open(scratch), clause=NEW_CLAUSE, settings={"factor_release": "sample 2026.1"}, **options)
    path = scratch / "referentials" / SCHEME / "2026-01-01.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_sample_becomes_a_version_that_validates_and_governs_2026(scratch: Path) -> None:
    path = imported_into(scratch)
    library = Library.open(scratch)
    version = library.load_version(path)
    template = next(v for v in library.versions(SCHEME) if v.id == "2025-01-01")
    assert [p.message for p in check_version(library, version).problems] == [p.message for p in check_version(library, template).problems]
    assert in_force_on(library.versions(SCHEME), dt.date(2026, 3, 1)).id == "2026-01-01"
    assert in_force_on(library.versions(SCHEME), dt.date(2025, 12, 31)).id == "2025-01-01"
    assert (version.supersedes, str(version.published_on), str(version.in_force_from)) == ("2025-01-01", "2025-12-15", "2026-01-01")


def test_the_shipped_2026_release_is_the_import_of_the_sample(scratch: Path) -> None:
    path = imported_into(scratch, title="Sample public emission factors for Label Transmission accounts, release 2026 (illustrative)")
    assert path.read_text(encoding="utf-8") == SHIPPED.read_text(encoding="utf-8")


def test_the_version_keeps_the_style_of_the_template(scratch: Path) -> None:
    text = imported_into(scratch).read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../referential.schema.json\n")
    assert "in_force_from: '2026-01-01'\n" in text
    assert "          electricity_kwh: {title: 'Electricity, mainland France average mix', per: kWh" in text


def test_rows_are_typed_like_the_template(scratch: Path) -> None:
    document = yaml.safe_load(imported_into(scratch).read_text(encoding="utf-8"))
    row = document["sections"]["factors"]["tables"]["emission_factors"]["rows"]["catering_services_eur"]
    assert row == {
        "title": "Accommodation and food services (other invoices of a restaurant, hotel)",
        "per": "EUR",
        "unit": "kgCO2e/EUR",
        "value": 0.25,
        "source": "INSEE carbon accounts base 2020, GES.501 — hébergement et restauration (order of magnitude)",
        "valid_from": "2026-01-01",
        "valid_until": None,
        "illustrative": True,
    }


def test_the_changes_are_computed_and_logged(library: Library) -> None:
    text, changes = run_import(library, settings={"factor_release": "sample 2026.1"})
    assert changes.added == ("catering_services_eur",)
    assert changes.removed == ()
    assert changes.changed == {"electricity_kwh": {"value": (0.045, 0.042), "valid_from": ("2025-01-01", "2026-01-01")}}
    assert yaml.safe_load(text)["changes"] == [
        {"where": "factor_release", "section": "factors", "change": 'value "sample 2025.1" → "sample 2026.1"'},
        {"where": "emission_factors.electricity_kwh", "section": "factors", "change": 'value 0.045 → 0.042; valid_from "2025-01-01" → "2026-01-01"'},
        {"where": "emission_factors.catering_services_eur", "section": "factors", "change": "row added"},
    ]


def test_a_row_left_out_is_logged_as_removed(library: Library, tmp_path: Path) -> None:
    path = edited_sample(tmp_path, lambda records: records.pop(2))  # diesel_litre, line 3
    _, changes = run_import(library, path)
    assert changes.removed == ("diesel_litre",)
    assert "  removed: diesel_litre" in changes.summary()


def test_the_clause_is_renamed_everywhere(library: Library) -> None:
    text, _ = run_import(library, clause=NEW_CLAUSE)
    assert OLD_CLAUSE not in text
    document = yaml.safe_load(text)
    factors = document["sections"]["factors"]
    assert document["sources"][0]["provisions"][0]["id"] == NEW_CLAUSE
    assert document["sources"][0]["title"] == "Sample factor table, release 2026.1 (illustrative values)"
    assert document["sources"][0]["reference"].startswith(f"referentials/{SCHEME}/2026-01-01.yaml;")
    assert document["decisions"][0]["clause"] == NEW_CLAUSE
    assert factors["time_policy"]["clause"] == NEW_CLAUSE
    assert factors["parameters"]["factor_release"]["clause"] == NEW_CLAUSE
    assert factors["tables"]["emission_factors"]["clause"] == NEW_CLAUSE


def test_without_a_clause_the_version_cites_the_template_provision(library: Library) -> None:
    document = yaml.safe_load(run_import(library)[0])
    assert document["sections"]["factors"]["tables"]["emission_factors"]["clause"] == OLD_CLAUSE
    assert document["sections"]["factors"]["parameters"]["factor_release"]["value"] == "sample 2025.1"


def test_semicolons_decimal_commas_and_a_bom_are_read(library: Library, tmp_path: Path) -> None:
    path = edited_sample(tmp_path, lambda records: set_cell(records, 6, "value", "0,042"), delimiter=";", bom=True)
    _, changes = run_import(library, path)
    assert changes.changed["electricity_kwh"]["value"] == (0.045, 0.042)


def test_new_columns_are_added_when_allowed(library: Library, tmp_path: Path) -> None:
    def add_column(records: list[list[str]]) -> None:
        for i, record in enumerate(records):
            record.append("uncertainty" if i == 0 else "")
        set_cell(records, 2, "uncertainty", "10%")

    text, changes = run_import(library, edited_sample(tmp_path, add_column), allow_new_columns=True)
    assert yaml.safe_load(text)["sections"]["factors"]["tables"]["emission_factors"]["rows"]["gas_kwh"]["uncertainty"] == "10%"
    assert changes.changed["gas_kwh"] == {"uncertainty": (None, "10%")}


def test_a_template_named_with_from_must_not_fork_the_chain(library: Library) -> None:
    with pytest.raises(ReferentialError) as caught:
        run_import(library, template_id="2024-01-01", version_id="2025-06-01", published_on=None)
    assert problems_of(caught.value) == [
        f"{library.referentials_dir / SCHEME / '2024-01-01.yaml'} $.supersedes: 2024-01-01 is superseded by several versions: 2025-01-01, 2025-06-01"
    ]


@pytest.mark.parametrize(
    ("line", "column", "cell", "message"),
    [
        # any cell written YYYY-MM-DD must be a real date, whatever its column
        (9, "valid_until", "2026-13-01", "'2026-13-01' is not a date (expected YYYY-MM-DD)"),
        (7, "valid_from", "2025-02-30", "'2025-02-30' is not a date (expected YYYY-MM-DD)"),
        (4, "factor", "gas_kwh", "duplicate key 'gas_kwh' (first on line 2)"),
        (5, "factor", " ", "the key is missing"),
        (6, "value", "1,234.5", "'1,234.5' is not a number (decimal point or comma, no thousands separator)"),
        (8, "illustrative", "yes", "'yes' is not true or false"),
    ],
)
def test_a_bad_cell_is_named_by_line_and_column(library: Library, tmp_path: Path, line: int, column: str, cell: str, message: str) -> None:
    path = edited_sample(tmp_path, lambda records: set_cell(records, line, column, cell))
    assert refused_import(library, path) == [f"{path}:{line}: column '{column}': {message}"]


# --- bad CSV: every problem with its line and column ----------------------------------------------------------------


def test_missing_columns_are_named(library: Library, tmp_path: Path) -> None:
    def drop(records: list[list[str]]) -> None:
        for record in records:
            del record[2:4]  # per, unit

    assert refused_import(library, edited_sample(tmp_path, drop)) == [
        f"{tmp_path / 'release.csv'}:1: columns missing: per, unit (the template's rows have them)"
    ]


def test_an_extra_column_is_refused_unless_allowed(library: Library, tmp_path: Path) -> None:
    path = edited_sample(tmp_path, lambda records: [record.append("x") for record in records])
    assert refused_import(library, path) == [f"{path}:1: columns not in the template: x (--allow-new-columns adds them)"]


def test_a_csv_without_the_key_column_is_refused(library: Library, tmp_path: Path) -> None:
    path = edited_sample(tmp_path, lambda records: records[0].__setitem__(0, "id"))
    assert refused_import(library, path) == [
        f"{path}:1: no column 'factor': the table's key (factor) names each row",
        f"{path}:1: columns not in the template: id (--allow-new-columns adds them)",
    ]


def test_a_record_with_too_few_cells_is_refused(library: Library, tmp_path: Path) -> None:
    path = edited_sample(tmp_path, lambda records: records[3].pop())
    assert refused_import(library, path) == [f"{path}:4: 8 cells, where the header names 9 columns"]


def test_every_problem_is_reported_at_once(library: Library, tmp_path: Path) -> None:
    def spoil(records: list[list[str]]) -> None:
        set_cell(records, 3, "value", "n/a")
        set_cell(records, 9, "valid_until", "2026-13-01")
        set_cell(records, 10, "factor", "car_km")

    path = edited_sample(tmp_path, spoil)
    problems = refused_import(library, path)
    assert [p.split(": ")[0] for p in problems] == [f"{path}:3", f"{path}:9", f"{path}:10"]


def test_an_empty_file_is_refused(library: Library, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(TableImportError, match="has no header"):
        run_import(library, path)


def test_a_file_with_only_a_header_is_refused(library: Library, tmp_path: Path) -> None:
    path = edited_sample(tmp_path, lambda records: records.__delitem__(slice(1, None)))
    assert refused_import(library, path) == [f"{path}:1: no rows below the header"]


# --- bad options and a version that would be invalid ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"table": "factors"}, "label-transmission-factors 2025-01-01 has no table 'factors'"),
        ({"template_id": "2023-01-01"}, "unknown version '2023-01-01' of label-transmission-factors"),
        ({"version_id": "2025-01-01"}, "label-transmission-factors has a version '2025-01-01' already"),
        ({"version_id": "../2026"}, "'../2026' cannot be a version id"),
        ({"version_id": "release-2026"}, "in force from (by default the version id): 'release-2026' is not a date (YYYY-MM-DD)"),
        ({"settings": {"release": "x"}}, "cannot set the parameters"),
    ],
)
def test_bad_options_are_usage_errors(library: Library, options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        run_import(library, **options)
    assert caught.value.message == message


def test_a_table_in_two_sections_is_ambiguous(scratch: Path) -> None:
    draft(scratch, SCHEME, "2025-01-01")
    path = scratch / "referentials" / SCHEME / "2025-01-01.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["sections"]["copy"] = document["sections"]["factors"]
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(UsageError, match="table 'emission_factors' of label-transmission-factors 2025-01-01 is in several sections: factors, copy"):
        run_import(Library.open(scratch))


def test_a_version_that_would_break_the_chain_is_refused(library: Library) -> None:
    with pytest.raises(ReferentialError) as caught:
        run_import(library, published_on="2026-02-01")
    assert caught.value.message == "the imported version would be invalid"
    assert problems_of(caught.value) == [
        (
            f"{library.referentials_dir / SCHEME / '2026-01-01.yaml'} $.in_force_from: "
            "in force from 2026-01-01, before its publication on 2026-02-01; use a retroactive time policy"
        )
    ]


# --- the command ------------------------------------------------------------------------------------------------


def test_the_command_writes_the_version_and_summarises_the_changes(cli: Callable[..., Any], scratch: Path) -> None:
    target = scratch / "referentials" / SCHEME / "2026-01-01.yaml"
    result = cli("import-table", SAMPLE, *OPTIONS, "--clause", NEW_CLAUSE, "--set", "factor_release=sample 2026.1", "-o", target, root=scratch)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[:3] == [
        "emission_factors: 1 row(s) added, 0 removed, 1 changed",
        "  added: catering_services_eur",
        '  changed: electricity_kwh: value 0.045 → 0.042; valid_from "2025-01-01" → "2026-01-01"',
    ]
    assert cli("versions", SCHEME, "--as-of", "2026-03-01", root=scratch).exit_code == 0
    assert Library.open(scratch).load_version(target).id == "2026-01-01"


def test_the_command_prints_the_version_without_output_file(cli: Callable[..., Any]) -> None:
    result = cli("import-table", SAMPLE, *OPTIONS)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["id"] == "2026-01-01"


def test_the_command_does_not_overwrite_a_file_unless_forced(cli: Callable[..., Any], tmp_path: Path) -> None:
    target = tmp_path / "2026-01-01.yaml"
    target.write_text("kept\n", encoding="utf-8")
    result = cli("import-table", SAMPLE, *OPTIONS, "-o", target)
    assert result.exit_code == 2
    assert f"usage error: {target} exists already: give --force to overwrite it" in unlined(result.stderr)
    assert target.read_text(encoding="utf-8") == "kept\n"
    assert cli("import-table", SAMPLE, *OPTIONS, "-o", target, "--force").exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("# yaml-language-server")


def test_the_command_names_each_bad_line_without_traceback(cli: Callable[..., Any], tmp_path: Path) -> None:
    def spoil(records: list[list[str]]) -> None:
        set_cell(records, 3, "value", "n/a")
        set_cell(records, 7, "valid_from", "2025-02-30")

    path = edited_sample(tmp_path, spoil)
    target = tmp_path / "2026-01-01.yaml"
    result = cli("import-table", path, *OPTIONS, "-o", target)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"invalid table: {path} cannot become table emission_factors of {SCHEME}",
        f"  - {path}:3: column 'value': 'n/a' is not a number (decimal point or comma, no thousands separator)",
        f"  - {path}:7: column 'valid_from': '2025-02-30' is not a date (expected YYYY-MM-DD)",
    ]
    assert "Traceback" not in unlined(result.output)
    assert not target.exists()


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (("--scheme", "no-such-scheme"), 2, "usage error: unknown scheme 'no-such-scheme'"),
        (("--set", "factor_release"), 2, "'factor_release' is not NAME=VALUE"),
        (("--set", "unknown=1"), 2, "no parameter 'unknown' in section factors; its parameters: factor_release"),
        (("--in-force-from", "2026-02-30"), 2, "'2026-02-30' is not a date (YYYY-MM-DD)"),
    ],
)
def test_the_command_refuses_bad_options(cli: Callable[..., Any], arguments: tuple[str, ...], code: int, message: str) -> None:
    result = cli("import-table", SAMPLE, *OPTIONS, *arguments)
    assert result.exit_code == code
    assert message in unlined(result.output)
    assert "Traceback" not in unlined(result.output)
    assert "internal error" not in unlined(result.output)


def test_a_missing_csv_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("import-table", tmp_path / "absent.csv", *OPTIONS)
    assert result.exit_code == 1
    assert f"invalid table: no such file: {tmp_path / 'absent.csv'}" in unlined(result.stderr)


def test_an_output_in_a_missing_folder_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("import-table", SAMPLE, *OPTIONS, "-o", tmp_path / "absent" / "2026-01-01.yaml")
    assert result.exit_code == 2
    assert f"usage error: cannot write {tmp_path / 'absent' / '2026-01-01.yaml'}: there is no folder {tmp_path / 'absent'}" in unlined(result.stderr)
