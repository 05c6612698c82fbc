"""Label Transmission from a FEC: the ledger read through the versioned account mapping.

A FEC that cannot be read whole (unmapped account, malformed amount, wrong columns) gives a report
with line numbers and no account; a usable one gives totals per category, and the account cites the
file by its digest so that `referee explain --lines` can show the lines behind a figure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, draft, rule_folder, write_version
from test_fec import HEADER, row

from fec_synth import UNMAPPED_ACCOUNT, defect_lines, write_fec
from engine import DossierError, Library, load_dossier
from engine.authoring.checks import validate_paths
from engine.model.documents import load_document
from engine.adapters.fec import file_sha256

LT = "label-transmission"
EXAMPLE = ROOT / "examples" / LT / "account-ledger-2025-closed.yaml"


def dossier(folder: Path, fec: str | None, purchases: list[dict[str, Any]] | None = None, **facts: Any) -> Path:
    """A 2025 account of a manufacturer whose ledger is `fec` (a file in `folder`)."""
    document: dict[str, Any] = {
        "scheme": LT,
        "procedure": "carbon_account",
        "dossier_id": "ledger-test",
        "cycle": {"anchor": "2025-01-01"},
        "event_date": "2026-03-02",
        "companions": {"factors": "label-transmission-factors", "mapping": "label-transmission-pcg"},
        "facts": {
            "activity": {"name": "Usinage", "nace": "C25", "kind": "production"},
            "financial_year_end": "2025-12-31",
            "direct_emissions": {"kgco2e": 0},
            "settings": {"other_invoices_factor": "manufactured_goods_eur"},
            "purchases": purchases or [],
            **facts,
        },
    }
    if fec is not None:
        document["ledger"] = fec
    path = folder / "dossier.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def fec(folder: Path, *lines: str, name: str = "fec.txt") -> str:
    (folder / name).write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return name


def judge(library: Library, path: Path) -> dict[str, Any]:
    return library.evaluate(load_dossier(path)).to_json()


def group(decision: dict[str, Any], category: str) -> list[dict[str, Any]]:
    return [g for g in decision["values"]["groups"] if g["category"] == category]


def sale(amount: str) -> list[str]:
    return [row(JournalCode="VT", CompteNum="706000", Debit="0,00", Credit=amount),
            row(JournalCode="VT", CompteNum="411000", Debit=amount, Credit="0,00")]


def purchase(account: str, amount: str, piece: str = "FA1") -> list[str]:
    return [row(CompteNum=account, Debit=amount, PieceRef=piece),
            row(CompteNum="401000", Debit="0,00", Credit=amount, PieceRef=piece)]


# --- a usable ledger ---------------------------------------------------------------------------------------


def test_an_account_from_a_ledger_values_each_category_and_cites_the_file(library: Library, tmp_path: Path) -> None:
    name = fec(tmp_path, *purchase("601000", "1000,00"), *purchase("622600", "500,00", "FA2"), *sale("15000,00"))
    decision = judge(library, dossier(tmp_path, name))
    assert decision["outcome"] == "closed"
    [other] = group(decision, "other_invoices")
    # 1,500 € × 0.50 kgCO2e/€ × 1.2
    assert (other["eur"], other["kgco2e"], other["invoices"]) == (1500.0, 900.0, ["FEC other_invoices (2 lines on 601000, 622600)"])
    assert decision["values"]["sales_eur"] == 15000.0
    assert decision["digests"]["ledger"] == {"file": name, "sha256": file_sha256(tmp_path / name), "lines": 7, "skip_journals": ["AN", "ANO", "RAN"]}
    paths = {p.get("path") for e in decision["trail"] for p in e.get("premises", ()) if p.get("name") == "ledger"}
    assert paths == {"$.ledger"}


def test_listed_invoices_detail_the_ledger_and_the_rest_takes_the_public_factor(library: Library, tmp_path: Path) -> None:
    name = fec(tmp_path, *purchase("601000", "1000,00"), *purchase("622600", "500,00", "FA2"), *sale("15000,00"))
    detail = [{"ref": "FA2", "category": "other_invoices", "amount_eur": 500, "supplier_kgco2e": 40}]
    decision = judge(library, dossier(tmp_path, name, detail))
    [public] = [g for g in group(decision, "other_invoices") if g["basis"] == "public"]
    [supplier] = [g for g in group(decision, "other_invoices") if g["basis"] == "supplier"]
    assert (public["eur"], public["kgco2e"]) == (1000.0, 600.0)
    assert (supplier["eur"], supplier["kgco2e"], supplier["invoices"]) == (500.0, 40.0, ["FA2"])
    assert decision["values"]["production_carbon"]["total_kgco2e"] == 640.0


@pytest.mark.parametrize(("listed", "outcome"), [(200.00, "closed"), (199.99, "incomplete"), (200.01, "incomplete")])
def test_energy_from_a_ledger_needs_its_quantity_to_the_cent(library, tmp_path, listed, outcome):
    name = fec(tmp_path, *purchase("606110", "200,00"), *sale("1000,00"))
    detail = [{"ref": "EDF 2025", "category": "electricity", "amount_eur": listed, "quantity": 1000}]
    decision = judge(library, dossier(tmp_path, name, detail))
    assert decision["outcome"] == outcome
    if outcome == "closed":
        assert group(decision, "electricity")[0]["kgco2e"] == 54.0  # 1,000 kWh × 0.045 × 1.2
    else:
        [blocking] = decision["values"]["blocking"]
        assert blocking.startswith(f"the invoices listed for electricity add up to {listed} €, the ledger has 200 € on 606110")


def test_energy_in_a_ledger_without_quantity_leaves_the_account_incomplete(library: Library) -> None:
    decision = library.evaluate(load_dossier(ROOT / "examples" / LT / "account-ledger-2025-no-quantities-incomplete.yaml")).to_json()
    assert decision["outcome"] == "incomplete"
    assert sorted(b.split(" add up")[0] for b in decision["values"]["blocking"]) == [
        f"the invoices listed for {c}" for c in ("diesel_oil", "electricity", "gas", "passenger_transport")
    ]


def test_a_listed_invoice_beyond_the_ledger_total_is_not_an_addition(library: Library, tmp_path: Path) -> None:
    name = fec(tmp_path, *purchase("601000", "100,00"), *sale("1000,00"))
    detail = [{"ref": "FA9", "category": "other_invoices", "amount_eur": 150, "supplier_kgco2e": 5}]
    decision = judge(library, dossier(tmp_path, name, detail))
    assert decision["outcome"] == "incomplete"
    assert decision["values"]["blocking"] == ["the invoices listed for other_invoices add up to 150 €, the ledger has 100 € on 601000"]


def test_depreciation_is_read_from_the_28_accounts_and_opening_balances_are_skipped(library: Library, tmp_path: Path) -> None:
    opening = dict(JournalCode="AN", EcritureDate="20250101")
    name = fec(
        tmp_path,
        row(**opening, CompteNum="281540", Debit="0,00", Credit="9000,00"),  # depreciation of earlier years
        row(**opening, CompteNum="215400", Debit="9000,00"),
        row(JournalCode="AC", CompteNum="215400", Debit="12000,00"),  # bought this year: counts through depreciation only
        row(JournalCode="AC", CompteNum="404000", Debit="0,00", Credit="12000,00"),
        row(JournalCode="OD", EcritureDate="20251231", CompteNum="681120", Debit="2000,00"),
        row(JournalCode="OD", EcritureDate="20251231", CompteNum="281540", Debit="0,00", Credit="2000,00"),
        *sale("10000,00"),
    )
    decision = judge(library, dossier(tmp_path, name))
    [machinery] = group(decision, "fixed_assets_machinery")
    assert (machinery["eur"], machinery["kgco2e"]) == (2000.0, 960.0)  # 2,000 × 0.40 × 1.2
    assert decision["values"]["production_carbon"]["total_kgco2e"] == 960.0


def test_a_resale_account_from_a_ledger_gives_its_margin_factor(library: Library, tmp_path: Path) -> None:
    name = fec(
        tmp_path,
        *purchase("607000", "6000,00"),  # goods resold: out of the calculator
        *purchase("603700", "500,00", "ST1"),  # their stock fell by 500: cost of goods sold 6,500
        *purchase("613200", "1000,00", "FA2"),  # the shop's rent: the reseller's own purchase
        row(JournalCode="VT", CompteNum="707000", Debit="0,00", Credit="9000,00"),
        row(JournalCode="VT", CompteNum="411000", Debit="9000,00", Credit="0,00"),
    )
    detail = [{"ref": "FA1", "category": "goods_for_resale", "amount_eur": 6000, "supplier_kgco2e": 700}]
    decision = judge(library, dossier(tmp_path, name, detail, activity={"name": "Cave", "nace": "G47", "kind": "resale"}))
    values = decision["values"]
    assert values["resale"] == {"resold_goods_eur": 6500.0, "margin_eur": 2500.0, "passed_on_kgco2e": 700.0}
    # own purchases only: 1,000 € × 0.50 × 1.2 = 600 kg over a margin of 2,500 €
    assert values["production_carbon"]["total_kgco2e"] == 600.0
    assert (values["factor"]["base"], values["factor"]["kgco2e_per_eur"]) == ("resale_margin", 0.24)


def test_the_bundled_ledger_example_adds_up_to_its_file(library: Library) -> None:
    decision = library.evaluate(load_dossier(EXAMPLE)).to_json()
    assert decision["outcome"] == "closed"
    fec_file = EXAMPLE.parent / "ledgers" / "fec-2025-usinage.txt"
    assert decision["digests"]["ledger"]["sha256"] == file_sha256(fec_file)
    groups = decision["values"]["groups"]
    purchases = sum(g["eur"] for g in groups if not g["category"].startswith("fixed_assets"))
    ledger = decision["inputs"]["ledger"]  # what the FEC gave the rules, held once
    in_ledger = sum(c["net"] for name, c in ledger["categories"].items() if name not in ("sales", "resale_sales") and not name.startswith("fixed_assets"))
    assert round(purchases, 2) == round(in_ledger, 2)


def test_the_decision_does_not_grow_with_the_ledger(library: Library, tmp_path: Path) -> None:
    """Totals per category reach the rules, never lines: ten times the lines, the same decision size (± digits)."""
    sizes = []
    for lines in (2_000, 20_000):
        folder = tmp_path / str(lines)
        folder.mkdir()
        write_fec(folder / "fec.txt", lines, seed=5, year=2025)
        decision = library.evaluate(load_dossier(dossier(folder, "fec.txt"))).to_json()
        assert decision["outcome"] == "incomplete"  # energy not detailed: the figures do not matter here
        sizes.append(len(json.dumps(decision)))
    assert sizes[1] < sizes[0] * 1.02


# --- a ledger that cannot be used ------------------------------------------------------------------------


def test_a_ledger_with_defects_gives_every_line_and_no_account(library: Library, tmp_path: Path, cli: Any) -> None:
    write_fec(tmp_path / "fec.txt", 3000, seed=2, year=2025, defects=True)
    path = dossier(tmp_path, "fec.txt")
    with pytest.raises(DossierError) as raised:
        library.evaluate(load_dossier(path)).to_json()
    assert "cannot be used" in raised.value.message and "no account is computed" in raised.value.message
    lines = [p.line for p in raised.value.problems]
    assert set(defect_lines(3000)) <= set(lines)
    assert lines == sorted(lines)  # in file order, unmapped accounts among the others
    unmapped = [p for p in raised.value.problems if UNMAPPED_ACCOUNT[0] in p.message]
    assert unmapped and "table account_categories gives it no category" in unmapped[0].message
    result = cli("evaluate", path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for line in defect_lines(3000):
        assert f"fec.txt:{line}" in result.output


def test_the_bundled_unusable_ledger_is_reported_line_by_line(cli: Any) -> None:
    result = cli("evaluate", ROOT / "examples" / LT / "unusable" / "ledger-unmapped-account-and-bad-amount.yaml")
    assert result.exit_code == 1
    assert "fec-2025-atelier.txt:6: account 658800 'Charges diverses de gestion' is in scope but table account_categories gives it no category: 1 line (line 6)" in result.output
    assert "fec-2025-atelier.txt:8: Debit '1.200,00' is not an amount" in result.output
    assert "no account is computed from part of a ledger" in result.output and "Traceback" not in result.output


def test_an_unmapped_account_names_its_lines(library: Library, tmp_path: Path) -> None:
    name = fec(tmp_path, *purchase("658800", "10,00"), *purchase("658800", "5,00", "FA2"), *sale("100,00"))
    with pytest.raises(DossierError) as raised:
        judge(library, dossier(tmp_path, name))
    [problem] = raised.value.problems
    assert problem.line == 2
    assert problem.message == (
        "account 658800 'Électricité' is in scope but table account_categories gives it no category: 2 lines (lines 2, 4), net 15.00"
    )


def test_a_malformed_amount_is_reported_with_its_line(library: Library, tmp_path: Path) -> None:
    name = fec(tmp_path, *purchase("601000", "1.000,00"), *sale("100,00"))
    with pytest.raises(DossierError) as raised:
        judge(library, dossier(tmp_path, name))
    assert [(p.line, p.message.split(" is not")[0]) for p in raised.value.problems] == [(2, "Debit '1.000,00'"), (3, "Credit '1.000,00'")]


def test_a_wrong_column_set_is_reported_on_the_header(library: Library, tmp_path: Path) -> None:
    (tmp_path / "fec.txt").write_text(HEADER.replace("PieceRef", "Piece") + "\n" + "\n".join(sale("1,00")) + "\n", encoding="utf-8")
    with pytest.raises(DossierError) as raised:
        judge(library, dossier(tmp_path, "fec.txt"))
    assert [(p.line, p.message) for p in raised.value.problems] == [(1, "column 9 is named 'Piece', expected 'PieceRef'")]


def test_a_missing_ledger_file_is_named(library: Library, tmp_path: Path) -> None:
    with pytest.raises(DossierError) as raised:
        judge(library, dossier(tmp_path, "absent.txt"))
    assert raised.value.problems[0].path == ("ledger",)
    assert "absent.txt" in raised.value.problems[0].message


def test_the_ledger_fact_is_read_from_a_file_never_written(library: Library, tmp_path: Path) -> None:
    with pytest.raises(DossierError) as raised:
        judge(library, dossier(tmp_path, None, ledger={"categories": {}}))
    assert raised.value.problems[0].path == ("facts", "ledger")


def test_a_procedure_without_ledger_refuses_one(library: Library, tmp_path: Path) -> None:
    document = yaml.safe_load((ROOT / "examples" / LT / "invoice-600-eur-content-computed.yaml").read_text(encoding="utf-8"))
    document["ledger"] = fec(tmp_path, *sale("1,00"))
    path = tmp_path / "invoice.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DossierError, match="reads no ledger"):
        judge(library, path)


def test_a_ledger_needs_its_account_mapping_named(library: Library, tmp_path: Path) -> None:
    path = dossier(tmp_path, fec(tmp_path, *sale("100,00")))
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["companions"].pop("mapping")
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DossierError) as raised:
        judge(library, path)
    assert raised.value.message.endswith("procedure 'carbon_account' reads a mapping to read the ledger: name it under companions.mapping")
    assert raised.value.problems[0].path == ("companions", "mapping")


def test_validate_finds_a_rule_reading_what_only_the_ledger_role_gives(scratch: Path) -> None:
    draft(scratch, LT, "2024-01-01")
    rules = rule_folder(scratch, LT, "2024-01-01") / "carbon_account.yaml"
    document = load_document(rules)
    document["rules"][0]["because"] += " Opening journals: {params.opening_journals}."
    rules.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    problems = [p.message for r in validate_paths(Library.open(scratch), [scratch / "referentials" / LT / "2024-01-01.yaml"]) for p in r.problems]
    assert problems == [
        "rule account.factor-release reads params.opening_journals, which only the ledger's companion role 'mapping' defines: a dossier without ledger lacks it"
    ]


@pytest.mark.parametrize(("listed", "outcome"), [(100.00, "closed"), (99.99, "incomplete")])
def test_sales_invoices_beside_a_ledger_detail_its_sales_to_the_cent(library, tmp_path, listed, outcome):
    """Decision quantities-from-a-ledger: a sales invoice listed beside a FEC details its sales, never adds to them."""
    name = fec(tmp_path, *purchase("601000", "10,00"), *sale("100,00"))
    decision = judge(library, dossier(tmp_path, name, sales=[{"ref": "V1", "date": "2025-06-30", "amount_eur": listed}]))
    assert decision["outcome"] == outcome
    assert decision["values"]["sales_eur"] == 100.0  # the ledger's, whatever is listed
    if outcome == "incomplete":
        assert decision["values"]["blocking"] == [
            "the sales invoices listed add up to 99.99 €, the sales accounts of the ledger to 100 €: listed sales detail the ledger and add up to it to the cent"
        ]


# --- the auditor's second look -----------------------------------------------------------------------------


def test_explain_lists_the_ledger_lines_behind_a_category(tmp_path: Path, cli: Any) -> None:
    decision_file = tmp_path / "decision.json"
    assert cli("evaluate", EXAMPLE, "-o", decision_file).exit_code == 0
    decision = json.loads(decision_file.read_text(encoding="utf-8"))
    fec_file = EXAMPLE.parent / "ledgers" / "fec-2025-usinage.txt"
    result = cli("explain", decision_file, "--lines", "other_invoices", "--ledger", fec_file, "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    ledger = decision["inputs"]["ledger"]  # what the FEC gave the rules, held once
    assert found["total"]["lines"] == ledger["categories"]["other_invoices"]["lines"] == len(found["lines"])
    assert float(found["total"]["net"]) == ledger["categories"]["other_invoices"]["net"]
    assert {x["account"] for x in found["lines"]} == set(ledger["categories"]["other_invoices"]["accounts"])
    # the Geodis invoice listed with its supplier content is among them, with its line numbers
    assert [x["line"] for x in found["lines"] if x["piece"] == "FA25-0000019" and x["account"].startswith("62")] == [55, 56]
    text = cli("explain", decision_file, "--lines", "other_invoices", "--ledger", fec_file)
    assert "line 55  20250125  AC  FA25-0000019  624100" in text.output


def test_explain_refuses_a_ledger_that_is_not_the_one_read(tmp_path: Path, cli: Any) -> None:
    decision_file = tmp_path / "decision.json"
    assert cli("evaluate", EXAMPLE, "-o", decision_file).exit_code == 0
    altered = tmp_path / "fec.txt"
    altered.write_bytes((EXAMPLE.parent / "ledgers" / "fec-2025-usinage.txt").read_bytes().replace(b"46226,81", b"46226,80"))
    result = cli("explain", decision_file, "--lines", "fixed_assets_machinery", "--ledger", altered)
    assert result.exit_code == 1
    assert "is not the ledger this decision read" in result.output
    missing = cli("explain", decision_file, "--lines", "fixed_assets_machinery")  # its recorded name, beside the decision
    assert missing.exit_code == 1 and "--ledger" in missing.output


def test_explain_lines_needs_a_decision_that_read_a_ledger(tmp_path: Path, cli: Any) -> None:
    decision_file = tmp_path / "decision.json"
    assert cli("evaluate", ROOT / "examples" / LT / "account-2024-first-year-closed.yaml", "-o", decision_file).exit_code == 0
    result = cli("explain", decision_file, "--lines", "other_invoices")
    assert result.exit_code == 1 and "this decision read no ledger" in result.output


# --- validate checks a ledger block --------------------------------------------------------------------


def _method(scratch: Path, change: Any) -> list[str]:
    """The problems validate finds once `change` edited the method version in the scratch tree."""
    path = scratch / "referentials" / LT / "2024-01-01.yaml"
    document = load_document(path)
    change(document["sections"]["carbon_account"]["procedures"]["carbon_account"], document)
    write_version(scratch, LT, document)
    return [p.message for r in validate_paths(Library.open(scratch), [path]) for p in r.problems]


def _mapping(scratch: Path, change: Any) -> dict[str, list[str]]:
    """The problems validate finds, per file of this scheme and its companions, once `change` edited the PCG mapping in the scratch tree."""
    path = scratch / "referentials" / "label-transmission-pcg" / "2024-01-01.yaml"
    document = load_document(path)
    change(document["sections"]["mapping"])
    write_version(scratch, "label-transmission-pcg", document)
    reports = validate_paths(Library.open(scratch), [scratch / "referentials"])
    return {Path(r.file).parent.name: [p.message for p in r.problems] for r in reports if r.problems and Path(r.file).parent.name.startswith(LT)}


def test_validate_finds_a_ledger_block_naming_what_does_not_exist(scratch: Path) -> None:
    problems = _method(scratch, lambda procedure, _: procedure["ledger"].update(accounts="no_such_table", skip_journals="no_such_param"))
    assert "the ledger of procedure carbon_account reads table 'no_such_table', which no section of the procedure defines" in problems
    assert "the ledger of procedure carbon_account reads parameter 'no_such_param', which no section of the procedure defines" in problems


def test_validate_finds_a_ledger_fact_the_input_does_not_declare(scratch: Path) -> None:
    problems = _method(scratch, lambda procedure, _: procedure["input"].pop("ledger"))
    assert "the ledger of procedure carbon_account fills input 'ledger', which the input must declare, nullable" in problems


def test_validate_finds_a_mapping_that_is_not_one(scratch: Path) -> None:
    def spoil(section: dict[str, Any]) -> None:
        section["tables"]["account_categories"]["rows"]["601"] = {"category": 5}
        section["parameters"]["opening_journals"]["value"] = "AN"
    problems = _mapping(scratch, spoil)
    assert list(problems) == ["label-transmission-pcg"]  # reported on the file that holds the values
    messages = problems["label-transmission-pcg"]
    assert "column category holds a number here and a text in the other rows" in messages  # validate's own checks of values
    assert "'AN' is not a list, as its unit 'journal codes' says" in messages
    [table, parameter] = [m for m in messages if m.startswith("the ledger of ")]
    assert table.startswith("the ledger of procedure carbon_account of label-transmission 2024-01-01: table 'account_categories' is not an account mapping: the category of prefix '601'")
    assert parameter == "the ledger of procedure carbon_account of label-transmission 2024-01-01: parameter 'opening_journals' must be a list of texts"
