"""Label Transmission read provision by provision (issue 11): each test quotes the passage it applies.

The source is the tutorial « mesurer le contenu carbone de ses produits »
(shared/seeds/label-transmission-product-carbon-content.txt). The figures are computed by hand in
the comments, never by re-running the rules' formula.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, finding_codes, judge, write_version, unlined
from test_transmission_account import EXAMPLES, LT, account, example
from test_transmission_ledger import dossier as ledger_dossier
from test_transmission_ledger import fec, purchase, sale

from engine.compilation.sugar import core_rules
from engine import DossierError, Library, load_dossier
from engine.authoring.checks import validate_paths
from engine.model.documents import load_document

METHOD = ROOT / "referentials" / LT / "2024-01-01.yaml"
PREVIOUS_2024 = {"financial_year_end": "2024-12-31", "closed_on": "2025-02-15", "factor_kgco2e_per_eur": 0.041667, "carry_over_kgco2e": 0}
OFFICE = [{"ref": "F1", "category": "other_invoices", "amount_eur": 10000}]  # 10,000 € × 0.11 × 1.2 = 1,320 kg


def year_2025(library: Library, **facts: Any) -> dict[str, Any]:
    """A 2025 account of the consulting firm, closed on 13 February 2026."""
    return account(library, anchor="2025-01-01", end="2025-12-31", event="2026-02-13", **{"purchases": OFFICE, **facts})


def content(library: Library, event: str, facts: dict[str, Any]) -> dict[str, Any]:
    return judge(library, "invoice_content", facts, event[:4] + "-01-01", event, scheme=LT)


def refused(call: Any, *args: Any, **kwargs: Any) -> list[tuple[tuple, str]]:
    """The problems for which a dossier is refused: the path and the message of each."""
    with pytest.raises(DossierError) as raised:
        call(*args, **kwargs)
    return [(p.path, re.sub(r" \(§[^()]*\)$", "", p.message)) for p in raised.value.problems]  # without the clause cited


# --- §B: the sales carbon is what the year's invoices carried, each at its date ---------------------------


@pytest.mark.parametrize(("day", "kgco2e"), [
    ("2025-02-14", 0.0),  # the day before the 2024 account was closed: no account closed yet
    ("2025-02-15", 250.002),  # the day it was closed: its factor applies (6,000 € × 0.041667)
    ("2025-02-16", 250.002),
])
def test_an_invoice_counts_the_factor_of_the_last_account_closed_on_or_before_its_date(library, day, kgco2e):
    """§B: « Somme des Contenus Carbone Produit transmis sur les factures de vente de l’exercice. Est transmis :
    le montant de la facture multiplié par le Facteur d’émission monétaire du dernier Compte Carbone Produit
    clôturé correspondant » — and §2.5: the factor is transmitted « jusqu’à clôture du compte carbone de
    l’exercice suivant »."""
    decision = year_2025(library, previous_account=PREVIOUS_2024, sales=[{"ref": "V1", "date": day, "amount_eur": 6000}])
    assert decision["outcome"] == "closed"
    assert decision["values"]["sales_carbon_kgco2e"] == kgco2e
    [line] = decision["values"]["sales_carbon_by_account"]
    assert line["account"] == (None if kgco2e == 0.0 else "2024-12-31")
    assert ("NOTHING_TRANSMITTED" in finding_codes(decision)) == (kgco2e == 0.0)


@pytest.mark.parametrize(("day", "kgco2e"), [
    ("2026-01-01", 41.667),  # the 2025 account is not closed yet: the 2024 factor is still printed (1,000 € × 0.041667)
    ("2026-02-12", 41.667),
    ("2026-02-13", 39.556),  # the 2025 account is closed that day (1,000 € × 0.039556)
])
def test_an_invoice_issued_before_the_previous_account_closed_carried_the_account_before_it(library, day, kgco2e):
    """§B: « … du dernier Compte Carbone Produit clôturé »: until the 2025 account is closed, the last closed is 2024's."""
    decision = account(library, anchor="2026-01-01", end="2026-12-31", event="2027-02-12", purchases=OFFICE,
                       previous_account={"financial_year_end": "2025-12-31", "closed_on": "2026-02-13", "factor_kgco2e_per_eur": 0.039556, "carry_over_kgco2e": 0},
                       earlier_accounts=[{"financial_year_end": "2024-12-31", "closed_on": "2025-02-15", "factor_kgco2e_per_eur": 0.041667}],
                       sales=[{"ref": "V1", "date": day, "amount_eur": 1000}])
    assert decision["values"]["sales_carbon_kgco2e"] == kgco2e


def test_the_sales_carbon_is_the_sum_of_what_invoice_content_printed(library: Library) -> None:
    """B « Somme des Contenus Carbone Produit transmis sur les factures de vente »: each invoice of the 2025
    example, judged by invoice_content on its date with the account then last closed, carried what the
    account counts for it; their sum is B."""
    document = yaml.safe_load((EXAMPLES / "account-2025-second-year-carry-over-closed.yaml").read_text(encoding="utf-8"))
    previous = document["facts"]["previous_account"]
    printed = []
    for sold in document["facts"]["sales"]:
        day = str(sold["date"])
        closed = {"financial_year_end": str(previous["financial_year_end"]), "closed_on": str(previous["closed_on"]),
                  "factor_kgco2e_per_eur": previous["factor_kgco2e_per_eur"]}
        decision = content(library, day, {
            "activity": {"name": "Dupont Conseil", "kind": "production"},
            "account": closed if day >= closed["closed_on"] else None,
            "next_account_closed_on": str(document["event_date"]) if day >= closed["closed_on"] else None,
            "invoice": {"ref": sold["ref"], "amount_eur": sold["amount_eur"]},
        })
        printed.append(decision["values"].get("carbon_content_kgco2e", 0.0))
        assert decision["outcome"] == ("content_computed" if day >= closed["closed_on"] else "nothing_transmitted")
    assert printed[:2] == [0.0, 250.002]  # January: no account closed yet; February: the 2024 factor
    account_decision = example(library, "account-2025-second-year-carry-over-closed.yaml")
    assert account_decision["values"]["sales_carbon_kgco2e"] == round(sum(printed), 3) == 2750.022


def test_a_credit_note_carries_back_at_the_factor_of_its_date(library: Library) -> None:
    """§B: what is transmitted is the invoice amount × the factor; a credit note of −600 € after the closing takes back 25 kg."""
    sales = [{"ref": "V1", "date": "2025-03-10", "amount_eur": 6000}, {"ref": "AV1", "date": "2025-04-02", "amount_eur": -600}]
    decision = year_2025(library, previous_account=PREVIOUS_2024, sales=sales)
    assert decision["values"]["sales_carbon_kgco2e"] == 225.002  # 250.002 − 25.000


def test_a_reseller_counts_the_content_of_its_margin_not_the_suppliers_it_passes_on(library: Library) -> None:
    """§2.5: « l’entreprise ne transmet le contenu carbone du produit revendu en l’état que si son fournisseur lui a
    transmis son propre contenu carbone, qu’elle ajoute au contenu carbone de la marge commerciale » — the goods are
    out of A (§2.4), so the suppliers' contents are out of B too (decision resale-sales-carbon)."""
    decision = account(library, anchor="2025-01-01", end="2025-12-31", event="2026-03-02",
                       activity={"name": "Bistrot des Halles — vente de bouteilles", "nace": "G47", "kind": "resale"},
                       previous_account={"financial_year_end": "2024-12-31", "closed_on": "2025-03-03", "factor_kgco2e_per_eur": 0.0447, "carry_over_kgco2e": 0},
                       purchases=[{"ref": "F0", "category": "goods_for_resale", "amount_eur": 90, "supplier_kgco2e": 18}, *OFFICE],
                       sales=[{"ref": "VB1", "date": "2025-04-02", "amount_eur": 150, "cost_of_goods_eur": 90}])
    assert decision["values"]["sales_carbon_kgco2e"] == 2.682  # margin 60 € × 0.0447; the 18 kg passed on are not in B
    assert decision["values"]["resale"]["passed_on_kgco2e"] == 18.0


def test_each_sales_invoice_needs_its_date_once_an_account_was_closed(library: Library) -> None:
    """What an invoice carried depends on its date (§B); a first account's invoices all carried nothing."""
    problems = refused(year_2025, library, previous_account=PREVIOUS_2024, sales=[{"ref": "V1", "amount_eur": 6000}])
    assert problems == [(("facts", "sales"), "what a sales invoice carried depends on its date, since an account was closed before this one: give the date of V1")]
    assert account(library, sales=[{"ref": "V1", "amount_eur": 6000}])["outcome"] == "closed"  # a first account


@pytest.mark.parametrize(("day", "accepted"), [("2023-12-31", False), ("2024-01-01", True), ("2025-02-15", True), ("2025-02-16", False)])
def test_a_sales_invoice_of_the_year_is_dated_between_its_first_day_and_the_closing(library, day, accepted):
    """§2.3: the invoices « rattachées par le comptable à l’exercice »: issued from its first day, and at the latest
    when its account is closed (here 2024, closed on 2025-02-15)."""
    sales = [{"ref": "V1", "date": day, "amount_eur": 6000}]
    if accepted:
        assert account(library, sales=sales)["outcome"] == "closed"
    else:
        [(path, message)] = refused(account, library, sales=sales)
        assert path == ("facts", "sales") and message.startswith("a sales invoice of the year is dated from its first day (2024-01-01) to the closing of its account (2025-02-15)")


@pytest.mark.parametrize(("year_end", "accepted"), [("2024-12-31", True), ("2024-12-30", False), ("2025-01-01", False)])
def test_the_previous_account_is_the_account_of_the_year_just_before(library, year_end, accepted):
    """§1.3: the gap « est reporté dans le carbone de production de l’exercice suivant » (decision carry-over)."""
    previous = {**PREVIOUS_2024, "financial_year_end": year_end}
    sales = [{"ref": "V1", "date": "2025-06-30", "amount_eur": 6000}]
    if accepted:
        assert year_2025(library, previous_account=previous, sales=sales)["outcome"] == "closed"
    else:
        problems = refused(year_2025, library, previous_account=previous, sales=sales)
        assert (("facts", "previous_account", "financial_year_end"),
                f"the previous account is that of the year before, which ends on 2024-12-31, the day before this year starts; not one ending on {year_end}") in problems


@pytest.mark.parametrize(("closed_on", "accepted"), [("2024-12-31", False), ("2025-01-01", True), ("2026-02-13", True), ("2026-02-14", False)])
def test_the_previous_account_closes_after_its_year_and_before_this_one(library, closed_on, accepted):
    """§2.5: the factor is transmitted « jusqu’à clôture du compte carbone de l’exercice suivant »: accounts close in turn."""
    previous = {**PREVIOUS_2024, "closed_on": closed_on}
    sales = [{"ref": "V1", "date": "2025-06-30", "amount_eur": 6000}]
    if accepted:
        assert year_2025(library, previous_account=previous, sales=sales)["outcome"] == "closed"
    else:
        [(path, _)] = refused(year_2025, library, previous_account=previous, sales=sales)
        assert path == ("facts", "previous_account", "closed_on")


def test_an_earlier_account_is_one_whose_factor_was_still_printed_during_the_year(library: Library) -> None:
    """§B « dernier … clôturé »: an account superseded before the year started carried nothing of it."""
    early = {"financial_year_end": "2023-12-31", "closed_on": "2024-02-10", "factor_kgco2e_per_eur": 0.05}
    sales = [{"ref": "V1", "date": "2025-06-30", "amount_eur": 6000}]
    needed = year_2025(library, previous_account=PREVIOUS_2024, earlier_accounts=[early], sales=sales)
    assert needed["outcome"] == "closed"  # the 2024 account closed on 2025-02-15: the 2023 one served until then
    on_the_first_day = {**PREVIOUS_2024, "closed_on": "2025-01-01"}
    [(path, message)] = refused(year_2025, library, previous_account=on_the_first_day, earlier_accounts=[early], sales=sales)
    assert path == ("facts", "earlier_accounts") and "so it is not" in message
    [(path, _)] = refused(year_2025, library, earlier_accounts=[early], sales=sales)  # no previous account
    assert path == ("facts", "earlier_accounts")


# --- §B with a FEC: totals without dates ---------------------------------------------------------------------


def _ledger_2025(library: Library, folder: Path, closed_on: str, sales: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A 2025 account from a FEC with 15,000 € of sales, after a 2024 account closed on `closed_on`."""
    name = fec(folder, *purchase("601000", "1000,00"), *sale("15000,00"))
    facts: dict[str, Any] = {"previous_account": {**PREVIOUS_2024, "closed_on": closed_on}}
    if sales is not None:
        facts["sales"] = sales
    return library.evaluate(load_dossier(ledger_dossier(folder, name, **facts))).to_json()


@pytest.mark.parametrize(("closed_on", "outcome"), [("2025-01-01", "closed"), ("2025-01-02", "incomplete")])
def test_a_ledger_s_sales_carry_one_factor_only_if_no_account_was_closed_during_the_year(library, tmp_path, closed_on, outcome):
    """A FEC gives the year's sales without dates (decision sales-carbon-at-invoice-date): when the 2024 account
    was closed on the first day of 2025, every sale carried its factor; a day later, the January 1 sales did not."""
    decision = _ledger_2025(library, tmp_path, closed_on)
    assert decision["outcome"] == outcome
    if outcome == "closed":
        assert decision["values"]["sales_carbon_kgco2e"] == 625.005  # 15,000 € × 0.041667
    else:
        assert decision["values"]["blocking"] == [
            "the factor printed on sales invoices changed on 2025-01-02, when the account of the year ended 2024-12-31 was closed, "
            "and a ledger does not date its sales: list the sales invoices of the year with their dates under sales"
        ]


def test_sales_listed_beside_a_ledger_give_their_dates(library: Library, tmp_path: Path) -> None:
    """§B « transmis sur les factures de vente de l’exercice »: listed beside the FEC, the sales invoices give the dates it lacks."""
    sales = [{"ref": "V1", "date": "2025-01-31", "amount_eur": 6000}, {"ref": "V2", "date": "2025-03-31", "amount_eur": 9000}]
    decision = _ledger_2025(library, tmp_path, "2025-02-15", sales)
    assert decision["outcome"] == "closed"
    assert decision["values"]["sales_eur"] == 15000.0
    assert decision["values"]["sales_carbon_kgco2e"] == 375.003  # January nothing; 9,000 € × 0.041667


# --- §B physical factor ------------------------------------------------------------------------------------------


def test_a_quarry_keeps_its_account_in_tonnes(library: Library) -> None:
    """§B: « Un Facteur physique est possible : si le Compte carbone est tenu dans cette unité et si la quantité
    figure sur toutes les factures de l’activité. »"""
    decision = example(library, "account-quarry-2025-per-tonne-closed.yaml")
    values = decision["values"]
    # 60,000 L × 3.10 × 1.2 + 900,000 kWh × 0.045 × 1.2 + 150,000 € × 0.40 × 1.2 + 200,000 € × 0.50 × 1.2
    assert values["production_carbon"]["total_kgco2e"] == 463800.0
    factor = values["factor"]
    assert (factor["base"], factor["per"], factor["base_quantity"], factor["kgco2e_per_unit"]) == ("quantity", "t", 150000.0, 3.092)
    assert "kgco2e_per_eur" not in factor
    delivery = example(library, "invoice-quarry-28-tonnes-content-computed.yaml")
    assert delivery["values"]["carbon_content_kgco2e"] == 86.576  # 28 t × 3.092
    assert delivery["values"]["mention"].startswith("Contenu carbone : 86,576 kgCO2e (3,092 kgCO2e/t, compte carbone de l’exercice clos le 31/12/2025). ")
    assert "factor_g_per_eur" not in delivery["values"]


def tonnes_2026(library: Library, sales: list[dict[str, Any]], **facts: Any) -> dict[str, Any]:
    previous = {"financial_year_end": "2025-12-31", "closed_on": "2026-03-20", "unit": "t", "factor_kgco2e_per_unit": 3.092, "carry_over_kgco2e": 0}
    return account(library, anchor="2026-01-01", end="2026-12-31", event="2027-03-19", purchases=OFFICE,
                   activity={"name": "Carrière du Val", "nace": "B08", "kind": "production"},
                   **{"account_unit": "t", "previous_account": previous, "sales": sales, **facts})


def test_an_account_in_tonnes_transmits_the_quantity_times_the_factor_per_tonne(library: Library) -> None:
    """§B « Un Facteur physique est possible : si le Compte carbone est tenu dans cette unité »: B is then the quantities
    × the factor per tonne of the account closed on or before each invoice."""
    sales = [{"ref": "V1", "date": "2026-03-19", "amount_eur": 12000, "quantity": 1000},  # the day before the 2025 account closed
             {"ref": "V2", "date": "2026-03-20", "amount_eur": 24000, "quantity": 2000}]
    decision = tonnes_2026(library, sales)
    assert decision["values"]["sales_carbon_kgco2e"] == 6184.0  # 2,000 t × 3.092; the first 1,000 t carried nothing
    assert decision["values"]["factor"]["kgco2e_per_unit"] == 0.44  # 1,320 kg ÷ 3,000 t


def test_every_sales_invoice_of_an_account_in_tonnes_gives_its_quantity(library: Library) -> None:
    """« … si la quantité figure sur toutes les factures de l’activité »: otherwise the physical factor is not possible."""
    sales = [{"ref": "V1", "date": "2026-04-01", "amount_eur": 12000, "quantity": 1000}, {"ref": "V2", "date": "2026-05-01", "amount_eur": 600}]
    assert refused(tonnes_2026, library, sales) == [(("facts", "sales"), "the quantity figures on every sales invoice of an account kept in a unit, and of the year in which such a factor was printed: missing on V2")]


def test_an_activity_may_change_from_euros_to_tonnes(library: Library) -> None:
    """The invoices of 2025 carried the factor per euro of 2024 (§B « Facteur d’émission monétaire »); 2025 is kept in tonnes."""
    decision = year_2025(library, account_unit="t", previous_account=PREVIOUS_2024,
                         sales=[{"ref": "V1", "date": "2025-03-01", "amount_eur": 6000, "quantity": 500}])
    assert decision["values"]["sales_carbon_kgco2e"] == 250.002  # 6,000 € × 0.041667, the factor printed then
    assert decision["values"]["factor"]["kgco2e_per_unit"] == 2.64  # 1,320 kg ÷ 500 t


@pytest.mark.parametrize(("facts", "path"), [
    ({"activity": {"name": "Cave", "nace": "G47", "kind": "resale"}, "sales": [{"ref": "V1", "amount_eur": 100, "quantity": 1, "cost_of_goods_eur": 50}]}, ("facts", "account_unit")),
    ({"account_unit": "EUR", "sales": [{"ref": "V1", "amount_eur": 100, "quantity": 1}]}, ("facts", "account_unit")),
])
def test_a_physical_unit_is_a_production_account_s_and_not_the_euro(library, facts, path):
    """Decision physical-factor: a resale account keeps « un facteur d’émission de sa marge de revente » (§2.4)."""
    assert path in [p for p, _ in refused(account, library, **{"account_unit": "t", **facts})]


def test_one_activity_keeps_one_physical_unit(library: Library) -> None:
    """« … si le Compte carbone est tenu dans cette unité »: the quantities of one activity's invoices are in one unit (decision physical-factor)."""
    previous = {"financial_year_end": "2025-12-31", "closed_on": "2026-03-20", "unit": "m3", "factor_kgco2e_per_unit": 5.0, "carry_over_kgco2e": 0}
    problems = refused(tonnes_2026, library, [{"ref": "V1", "date": "2026-04-01", "amount_eur": 1, "quantity": 1}], previous_account=previous)
    assert (("facts", "account_unit"), "one activity keeps its account in one physical unit: m3, t") in problems


def test_an_estimated_factor_of_an_account_in_tonnes_is_per_tonne(library: Library) -> None:
    """§B: « L’organisation peut estimer son Facteur d’émission en justifiant qu’elle estime réduire l’écart »."""
    sales = [{"ref": "V1", "date": "2026-04-01", "amount_eur": 36000, "quantity": 3000}]
    estimate = {"kgco2e_per_unit": 0.4, "justification": "the new electric loader replaces a diesel one in January"}
    factor = tonnes_2026(library, sales, estimated_factor=estimate)["values"]["factor"]
    assert (factor["computed_kgco2e_per_unit"], factor["kgco2e_per_unit"], factor["estimated"]) == (0.44, 0.4, True)
    [(path, _)] = refused(tonnes_2026, library, sales, estimated_factor={"kgco2e_per_eur": 0.01, "justification": "x"})
    assert path == ("facts", "estimated_factor")


def test_an_account_in_tonnes_from_a_ledger_lists_its_sales(library: Library, tmp_path: Path) -> None:
    """A FEC gives no quantities: the tonnes sold are read on the sales invoices."""
    name = fec(tmp_path, *purchase("601000", "1000,00"), *sale("15000,00"))
    problems = refused(library.evaluate, load_dossier(ledger_dossier(tmp_path, name, account_unit="t")))
    assert problems == [(("facts", "sales"), "an account kept in t reads the quantity sold on the sales invoices, which a ledger does not give: list them")]


@pytest.mark.parametrize(("quantity", "accepted"), [(28, True), (None, False)])
def test_an_invoice_of_an_account_in_tonnes_needs_its_tonnage(library, quantity, accepted):
    """« … si la quantité figure sur toutes les factures de l’activité »."""
    facts = {"activity": {"name": "Carrière du Val", "kind": "production"},
             "account": {"financial_year_end": "2025-12-31", "closed_on": "2026-03-20", "unit": "t", "factor_kgco2e_per_unit": 3.092},
             "invoice": {"ref": "VG1", "amount_eur": 336, "quantity": quantity}}
    if accepted:
        assert content(library, "2026-04-14", facts)["values"]["factor_kgco2e_per_unit"] == {"per": "t", "kgco2e": 3.092}
    else:
        assert refused(content, library, "2026-04-14", facts) == [(("facts", "invoice", "quantity"), "the account is kept in t: the quantity figures on every invoice of the activity")]


# --- §2.5 budget, §1.1 public service --------------------------------------------------------------------------


def test_a_public_water_service_computes_its_account_on_its_budget(library: Library) -> None:
    """§2.5: « (L’entreprise peut faire le calcul sur son budget de l’année, elle perd ce report automatique.) »;
    §1.1: « Pour un producteur de service public, la transmission se fait sur tous les documents publics indiquant
    le coût des services rendus »."""
    decision = example(library, "account-water-service-2026-budget-budgeted.yaml")
    assert decision["outcome"] == "budgeted"
    values = decision["values"]
    # 1,200,000 kWh × 0.042 × 1.2 + 150,000 € × 0.50 × 1.2 + 12,000 L × 3.10 × 1.2 + 400,000 € × 0.35 × 1.2 + 300,000 € × 0.11 × 1.2
    assert values["production_carbon"] == {"carried_over_kgco2e": 0.0, "direct_kgco2e": 0.0, "public_factors_kgco2e": 402720.0,
                                           "supplier_content_kgco2e": 0.0, "total_kgco2e": 402720.0}
    factor = values["factor"]
    assert (factor["base"], factor["base_eur"], factor["kgco2e_per_eur"], factor["g_per_eur"], factor["applies_from"]) == (
        "services_cost", 3000000.0, 0.13424, 134.2, "2026-03-02")
    assert values["carry_over_to_next_kgco2e"] == 0.0
    assert "sales_carbon_kgco2e" not in values and "gap_kgco2e" not in values  # no invoice is issued yet
    [lost] = [f for f in decision["findings"] if f["code"] == "CARRY_OVER_LOST"]
    assert lost["severity"] == "warning" and "1250.4 kgCO2e" in lost["message"]
    bill = example(library, "invoice-water-bill-content-computed.yaml")
    assert bill["values"]["carbon_content_kgco2e"] == 56.381  # 420 € × 0.13424
    assert bill["values"]["mention"].startswith(
        "Contenu carbone : 56,381 kgCO2e (134,2 g/€ de coût du service, budget carbone de l’exercice se terminant le 31/12/2026). ")


def budget_2026(library: Library, event: str, **facts: Any) -> dict[str, Any]:
    return account(library, anchor="2026-01-01", end="2026-12-31", event=event, purchases=OFFICE, basis="budget",
                   activity={"name": "Régie des eaux", "nace": "E36", "kind": "production", "producer": "public_service"},
                   sales=[{"ref": "BR26", "amount_eur": 100000}], **facts)


@pytest.mark.parametrize(("event", "accepted"), [("2026-01-01", True), ("2026-12-31", True), ("2027-01-01", False)])
def test_a_budget_account_is_computed_during_the_year_it_budgets(library, event, accepted):
    """« son budget de l’année » (decision budget): computed from the year's first day to its last."""
    if accepted:
        decision = budget_2026(library, event)
        assert decision["outcome"] == "budgeted" and decision["values"]["factor"]["kgco2e_per_eur"] == 0.0132  # 1,320 kg ÷ 100,000 €
    else:
        [(path, message)] = refused(budget_2026, library, event)
        assert path == ("facts", "financial_year_end")
        assert message == "an account computed on the budget is computed during the year it budgets, which ends on 2026-12-31, not on 2027-01-01 (event_date)"


def test_a_budget_reads_no_ledger(library: Library, tmp_path: Path) -> None:
    """« le calcul sur son budget de l’année »: a budget's lines are not the entries of a ledger (decision budget)."""
    name = fec(tmp_path, *purchase("601000", "1000,00"), *sale("15000,00"))
    problems = refused(library.evaluate, load_dossier(ledger_dossier(tmp_path, name, basis="budget")))
    assert (("facts", "basis"), "an account computed on the budget reads no ledger: its purchases and sales are the lines of the budget") in problems


def test_the_year_after_a_budget_counts_the_budget_s_factor(library: Library) -> None:
    """A budget account's factor is transmitted from its computation, « jusqu’à clôture du compte carbone de l’exercice suivant »."""
    budget = {"financial_year_end": "2026-12-31", "closed_on": "2026-03-02", "basis": "budget", "factor_kgco2e_per_eur": 0.13424, "carry_over_kgco2e": 0}
    decision = account(library, anchor="2027-01-01", end="2027-12-31", event="2028-02-20", purchases=OFFICE, previous_account=budget,
                       activity={"name": "Régie des eaux", "nace": "E36", "kind": "production", "producer": "public_service"},
                       sales=[{"ref": "F1", "date": "2027-01-15", "amount_eur": 420}])
    assert decision["values"]["sales_carbon_kgco2e"] == 56.381  # 420 € × 0.13424
    after_its_year = {**budget, "closed_on": "2027-01-05"}
    [(path, _)] = refused(account, library, anchor="2027-01-01", end="2027-12-31", event="2028-02-20", previous_account=after_its_year,
                          sales=[{"ref": "F1", "date": "2027-01-15", "amount_eur": 420}])
    assert path == ("facts", "previous_account", "closed_on")


@pytest.mark.parametrize(("closed_on", "accepted"), [("2026-12-31", True), ("2027-01-01", False)])
def test_an_invoice_of_a_budget_account_takes_its_factor_from_its_computation(library, closed_on, accepted):
    """« son budget de l’année »: a budget account is computed within the year it budgets, not after it (decision budget)."""
    facts = {"activity": {"name": "Régie des eaux", "kind": "production", "producer": "public_service"},
             "account": {"financial_year_end": "2026-12-31", "closed_on": closed_on, "basis": "budget", "factor_kgco2e_per_eur": 0.13424},
             "invoice": {"ref": "F1", "amount_eur": 420}}
    if accepted:
        assert content(library, "2027-01-02", facts)["values"]["carbon_content_kgco2e"] == 56.381
    else:
        [(path, _)] = refused(content, library, "2027-01-02", facts)
        assert path == ("facts", "account", "closed_on")


def test_a_public_service_gives_its_factor_per_euro_of_the_cost_of_its_services(library: Library) -> None:
    """§1.1 public service (decision public-service): the public documents « indiquant le coût des services rendus »."""
    decision = account(library, activity={"name": "Médiathèque de Valmont", "nace": "R91", "kind": "production", "producer": "public_service"},
                       purchases=OFFICE, sales=[{"ref": "Coût du service 2024", "amount_eur": 400000}])
    assert (decision["values"]["factor"]["base"], decision["values"]["factor"]["g_per_eur"]) == ("services_cost", 3.3)  # 1,320 kg ÷ 400,000 €
    [(path, _)] = refused(account, library, activity={"name": "Régie", "nace": "E36", "kind": "resale", "producer": "public_service"},
                          sales=[{"ref": "V1", "amount_eur": 1, "cost_of_goods_eur": 0}])
    assert path == ("facts", "activity", "kind")


# --- §1.1 individual, and documents that carry nothing -----------------------------------------------------------


def test_an_individual_keeps_no_account(cli: Any, tmp_path: Path) -> None:
    """§1.1: « Pour un particulier, seule la valorisation de la transmission s’applique »."""
    document = yaml.safe_load((EXAMPLES / "account-2024-first-year-closed.yaml").read_text(encoding="utf-8"))
    document["facts"]["activity"]["producer"] = "individual"
    path = tmp_path / "individual.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, default_flow_style=False), encoding="utf-8")
    result = cli("evaluate", path)
    assert result.exit_code == 1
    assert "$.facts.activity.producer: an individual keeps no product carbon account" in unlined(result.output)


def test_a_document_an_individual_issues_carries_nothing(library: Library) -> None:
    """§1.1: « Pour un particulier, seule la valorisation de la transmission s’applique »: no account, no content."""
    decision = example(library, "invoice-individual-nothing-transmitted.yaml")
    assert decision["outcome"] == "nothing_transmitted"
    assert finding_codes(decision) == ["ISSUER_IS_AN_INDIVIDUAL"]
    assert decision["values"] == {}
    facts = {"activity": {"name": "Claire Moreau", "kind": "production", "producer": "individual"},
             "account": {"financial_year_end": "2025-12-31", "closed_on": "2026-02-01", "factor_kgco2e_per_eur": 0.1},
             "invoice": {"ref": "R1", "amount_eur": 240}}
    assert refused(content, library, "2026-10-03", facts) == [(("facts", "account"), "an individual keeps no product carbon account: write account null")]


def test_a_document_issued_before_any_account_was_closed_carries_nothing(library: Library) -> None:
    """§B « dernier Compte Carbone Produit clôturé »: before the first closing there is none."""
    decision = example(library, "invoice-before-first-account-closed-nothing-transmitted.yaml")
    assert (decision["outcome"], finding_codes(decision)) == ("nothing_transmitted", ["NO_ACCOUNT_CLOSED"])
    facts = {"activity": {"name": "Dupont Conseil", "kind": "production"}, "account": None, "next_account_closed_on": "2025-02-15",
             "invoice": {"ref": "VE25-001", "amount_eur": 6000}}
    assert refused(content, library, "2025-01-31", facts) == [(("facts", "next_account_closed_on"), "with no account closed, there is no next one")]


# --- §3: the invoice extract ---------------------------------------------------------------------------------

EXTRACT = (
    "Le contenu carbone du produit ou service est le total des émissions de gaz à effet de serre nécessaires à sa "
    "production, selon une mesure rigoureuse et comparable. Nous participons à l’initiative internationale label "
    "Transmission autour d’une bonne pratique : la transmission à son client du contenu carbone de ce qu’il achète, "
    "pour l’aider à piloter sa propre émission. En rendant carbone-efficaces les organisations qui participent, elle "
    "réduit le coût de leur transition et de LA transition. Vous pouvez participer aussi."
)


def test_the_invoice_extract_is_printed_in_full_after_a_line_marked_as_referee_s_own(library: Library) -> None:
    """§3 « Exemple de transmission du Contenu carbone produit à un client — Extrait de facture »: its two
    paragraphs, the last two sentences included, are printed as they are; the line with the figures is not in the
    source (decision mention), so its words are an illustrative parameter."""
    document = load_document(METHOD)
    parameters = document["sections"]["invoice"]["parameters"]
    assert parameters["invoice_mention"]["value"] == EXTRACT
    assert parameters["content_line"]["illustrative"] is True and "decision mention" in parameters["content_line"]["note"].lower()
    mention = example(library, "invoice-600-eur-content-computed.yaml")["values"]["mention"]
    assert mention == "Contenu carbone : 25,000 kgCO2e (41,7 g/€, compte carbone de l’exercice clos le 31/12/2024). " + EXTRACT
    [provision] = [p for s in document["sources"] for p in s["provisions"] if p["id"] == "§3 mention"]
    assert EXTRACT.split(". Nous")[0] in provision["text"] and "Vous pouvez participer aussi." in provision["text"]


def test_the_words_of_the_line_with_the_figures_are_a_parameter(library: Library, scratch: Path) -> None:
    """The line before the extract is not in §3 (decision mention): its words are data an organisation may change."""
    document = load_document(METHOD)
    document["sections"]["invoice"]["parameters"]["content_line"]["value"]["label"] = "Empreinte carbone transmise"
    write_version(scratch, LT, document)
    facts = {"activity": {"name": "Dupont Conseil", "kind": "production"},
             "account": {"financial_year_end": "2024-12-31", "closed_on": "2025-02-15", "factor_kgco2e_per_eur": 0.041667},
             "invoice": {"ref": "VE1", "amount_eur": 600}}
    assert content(Library.open(scratch), "2025-03-10", facts)["values"]["mention"].startswith("Empreinte carbone transmise : 25,000 kgCO2e")


# --- §2.3 « l’exercice annuel » ---------------------------------------------------------------------------------


def test_the_longest_financial_year_is_an_illustrative_parameter(library: Library, scratch: Path) -> None:
    """§2.3 « les factures d’achats et ventes de l’exercice annuel »: no limit is given for a first year (decision
    financial-year); the bound is a parameter marked illustrative, and the message names its value."""
    document = load_document(METHOD)
    parameter = document["sections"]["carbon_account"]["parameters"]["max_financial_year_months"]
    assert (parameter["value"], parameter["illustrative"]) == (24, True)
    parameter["value"] = 12
    write_version(scratch, LT, document)
    twelve = Library.open(scratch)
    assert account(twelve, end="2024-12-31")["outcome"] == "closed"
    [(path, message)] = refused(account, twelve, end="2025-01-01", event="2025-02-15")
    assert path == ("facts", "financial_year_end") and message.endswith("last at most 12 months")


# --- readings and coverage --------------------------------------------------------------------------------------


def test_every_rule_cites_the_readings_it_applies(library: Library) -> None:
    """A rule whose sentence names « (decision X) » lists X among its readings, and every reading it lists is recorded."""
    decisions = {d["id"] for d in load_document(METHOD)["decisions"]}
    for file in sorted((ROOT / "rules" / LT / "2024-01-01").glob("*.yaml")):
        for rule in (core.body for core in core_rules(load_document(file))):
            texts = json.dumps([rule.get("because", ""), rule["then"].get("finding", {}).get("message", "")], ensure_ascii=False)
            named = {d for d in decisions if f"decision {d})" in texts or f"decision {d};" in texts or f"decision {d}," in texts}
            assert named <= set(rule.get("readings", [])), (rule["id"], named)
            assert set(rule.get("readings", [])) <= decisions, rule["id"]


def test_coverage_lists_who_transmits_and_builds_every_option_of_the_text(library: Library) -> None:
    [report] = validate_paths(library, [METHOD])
    assert report.problems == []
    provisions = {p["id"]: p for s in load_document(METHOD)["sources"] for p in s["provisions"]}
    for built in ("§1.1 public service", "§1.1 individual", "§B physical factor", "§2.5 budget", "§3 mention"):
        assert provisions[built]["status"] == "encoded", built
    assert not [p["id"] for p in provisions.values() if "not built" in p.get("reason", "")]
    assert all(p.get("text") for p in provisions.values())


# --- bounds on what a dossier may say ------------------------------------------------------------------------


@pytest.mark.parametrize(("example_name", "change", "path"), [
    ("account-2024-first-year-closed.yaml", lambda f: f["direct_emissions"].update(kgco2e=1.0e14, estimated_by="x"), "$.facts.direct_emissions.kgco2e"),
    ("account-2024-first-year-closed.yaml", lambda f: f["purchases"][0].update(amount_eur=-1), "$.facts.purchases[0].amount_eur"),
    ("account-2024-first-year-closed.yaml", lambda f: f["purchases"][1].update(quantity=-5000), "$.facts.purchases[1].quantity"),
    ("account-2025-second-year-carry-over-closed.yaml", lambda f: f["previous_account"].update(factor_kgco2e_per_eur=-0.04), "$.facts.previous_account.factor_kgco2e_per_eur"),
    ("account-2024-first-year-closed.yaml", lambda f: f["purchases"][0].update(date="1989-12-31"), "$.facts.purchases"),
    ("invoice-600-eur-content-computed.yaml", lambda f: f["account"].update(factor_kgco2e_per_eur=101), "$.facts.account.factor_kgco2e_per_eur"),
    ("invoice-600-eur-content-computed.yaml", lambda f: f["invoice"].update(amount_eur=1.0e13), "$.facts.invoice.amount_eur"),
    ("invoice-after-next-account-closed-account-superseded.yaml", lambda f: f.update(next_account_closed_on="2101-01-01"), "$.facts.next_account_closed_on"),
    ("account-2026-third-year-carried-gap-closed.yaml", lambda f: f["earlier_accounts"][0].update(financial_year_end="1989-12-31"), "$.facts.earlier_accounts"),
])
def test_an_out_of_range_value_is_refused_naming_its_path(cli: Any, tmp_path: Path, example_name: str, change: Any, path: str) -> None:
    """No negative purchase (« Montant (ou quantité) de la facture entrante »), no factor above 100 kgCO2e/€, no amount
    beyond 10¹² €, dates in a plausible range: refused with exit 1, on the path of the value."""
    document = yaml.safe_load((EXAMPLES / example_name).read_text(encoding="utf-8"))
    change(document["facts"])
    dossier_file = tmp_path / "dossier.yaml"
    dossier_file.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = cli("evaluate", dossier_file)
    assert result.exit_code == 1
    assert f"{dossier_file} {path}: " in unlined(result.output)
    assert "Traceback" not in unlined(result.output)


@pytest.mark.parametrize(("day", "accepted"), [("1989-12-31", False), ("1990-01-01", True), ("2025-02-15", True), ("2025-02-16", False)])
def test_a_purchase_is_dated_in_a_plausible_range(library, day, accepted):
    """§1.3 « Toutes les factures du Grand livre … par exercice »: a purchase counted in an account is dated before its
    closing (here 2025-02-15), and after 1990 (a fixed asset may be years old)."""
    purchases = [{"ref": "F1", "category": "other_invoices", "amount_eur": 100, "date": day}]
    if accepted:
        assert account(library, purchases=purchases)["outcome"] == "closed"
    else:
        [(path, _)] = refused(account, library, purchases=purchases)
        assert path == ("facts", "purchases")

