"""Label Transmission: the carbon account of a year and the content of an invoice, from invoices.

The worked logic of the tutorial (shared/seeds/label-transmission-product-carbon-content.txt) and
of DOMAIN.md: the supplier's content when given, else amount or quantity × public factor × 1.2; the
gap A − B carried into the next year; a reseller's margin factor; 60,000 € with 2.5 t → 41.7 g/€ and
600 € → 25 kg. Each figure is checked by hand-computed values, not by re-running the rules' formula.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, finding_codes, judge, unwrapped, write_version

from engine import DossierError, Library, load_dossier
from engine.model.documents import load_document

LT = "label-transmission"
COMPANIONS = {"factors": "label-transmission-factors"}  # the mapping is named only with a ledger
EXAMPLES = ROOT / "examples" / LT


def account(library: Library, *, anchor: str = "2024-01-01", end: str = "2024-12-31", event: str = "2025-02-15",
            companions: dict[str, Any] | None = None, **facts: Any) -> dict[str, Any]:
    """A production account of a consulting firm, with the given facts changed."""
    base: dict[str, Any] = {
        "activity": {"name": "Dupont Conseil", "nace": "M70", "kind": "production"},
        "financial_year_end": end,
        "direct_emissions": {"kgco2e": 0},
        "settings": {"other_invoices_factor": "business_services_eur"},
        "purchases": [],
        "sales": [{"ref": "V1", "amount_eur": 10000}],
    }
    return judge(library, "carbon_account", {**base, **facts}, anchor, event, scheme=LT, companions=companions or COMPANIONS)


def invoice(library: Library, event: str = "2025-03-10", *, kind: str = "production", next_closed: str | None = None,
            closed_on: str = "2025-02-15", **fields: Any) -> dict[str, Any]:
    facts = {
        "activity": {"name": "Dupont Conseil", "kind": kind},
        "account": {"financial_year_end": "2024-12-31", "closed_on": closed_on, "factor_kgco2e_per_eur": 0.041667},
        "next_account_closed_on": next_closed,
        "invoice": {"ref": "VE1", "amount_eur": 600, **fields},
    }
    return judge(library, "invoice_content", facts, "2025-01-01", event, scheme=LT)


def example(library: Library, name: str) -> dict[str, Any]:
    return library.evaluate(load_dossier(EXAMPLES / name)).to_json()


def group(decision: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [g for g in decision["values"]["groups"] if g["group"] == name]
    return found


# --- the worked example of DOMAIN.md ---------------------------------------------------------------------


def test_60000_euros_of_sales_with_2_5_tonnes_give_41_7_grams_per_euro(library: Library) -> None:
    decision = example(library, "account-2024-first-year-closed.yaml")
    assert decision["outcome"] == "closed"
    assert decision["values"]["production_carbon"]["total_kgco2e"] == 2500.0
    assert decision["values"]["sales_eur"] == 60000.0
    factor = decision["values"]["factor"]
    assert (factor["kgco2e_per_eur"], factor["g_per_eur"], factor["base"]) == (0.041667, 41.7, "sales")


def test_a_600_euro_invoice_carries_25_kilograms(library: Library) -> None:
    decision = example(library, "invoice-600-eur-content-computed.yaml")
    assert decision["values"]["carbon_content_kgco2e"] == 25.0
    assert decision["values"]["factor_g_per_eur"] == 41.7
    assert decision["values"]["mention"].startswith("Contenu carbone : 25,000 kgCO2e (41,7 g/€, compte carbone de l’exercice clos le 31/12/2024). ")
    assert "label Transmission" in decision["values"]["mention"]


# --- supplier content or public factor × 1.2 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("purchase", "group_name", "kgco2e"),
    [
        # 10,000 € × 0.11 kgCO2e/€ × 1.2
        ({"category": "other_invoices", "amount_eur": 10000}, "other_invoices × business_services_eur × prudence margin", 1320.0),
        ({"category": "other_invoices", "amount_eur": 10000, "supplier_kgco2e": 640}, "other_invoices × supplier content", 640.0),
        # a supplier that declares nothing still declares: 0 is its content, not a missing one
        ({"category": "other_invoices", "amount_eur": 10000, "supplier_kgco2e": 0}, "other_invoices × supplier content", 0.0),
        # 5,000 kWh × 0.052 × 1.2; the euros do not count for energy
        ({"category": "electricity", "amount_eur": 1100, "quantity": 5000}, "electricity × electricity_kwh × prudence margin", 312.0),
        # 3,000 km by train × 0.010 × 1.2
        ({"category": "passenger_transport", "mode": "train", "amount_eur": 900, "quantity": 3000}, "passenger_transport × train_km × prudence margin", 36.0),
        ({"category": "passenger_transport", "mode": "air", "amount_eur": 900, "quantity": 3000}, "passenger_transport × air_km × prudence margin", 828.0),
        # a fixed asset counts through the year's depreciation: 500 of 1,500 € × 0.40 × 1.2
        ({"category": "fixed_assets_machinery", "amount_eur": 1500, "depreciation_eur": 500}, "fixed_assets_machinery × machinery_eur × prudence margin", 240.0),
        # and its supplier's content in the same proportion: 600 × 500 / 1,500
        ({"category": "fixed_assets_machinery", "amount_eur": 1500, "depreciation_eur": 500, "supplier_kgco2e": 600}, "fixed_assets_machinery × supplier content", 200.0),
        ({"category": "fixed_assets_buildings", "amount_eur": 90000, "depreciation_eur": 3000}, "fixed_assets_buildings × buildings_works_eur × prudence margin", 1260.0),
        ({"category": "fixed_assets_vehicles", "amount_eur": 30000, "depreciation_eur": 6000}, "fixed_assets_vehicles × vehicles_eur × prudence margin", 3240.0),
        ({"category": "fixed_assets_services", "amount_eur": 12000, "depreciation_eur": 4000}, "fixed_assets_services × software_services_eur × prudence margin", 576.0),
        ({"category": "diesel_oil", "amount_eur": 1700, "quantity": 1000}, "diesel_oil × diesel_litre × prudence margin", 3792.0),
        ({"category": "petrol", "amount_eur": 1900, "quantity": 1000}, "petrol × petrol_litre × prudence margin", 3360.0),
        ({"category": "gas", "amount_eur": 1000, "quantity": 10000}, "gas × gas_kwh × prudence margin", 2724.0),
        ({"category": "coal", "amount_eur": 500, "quantity": 1000}, "coal × coal_kg × prudence margin", 3480.0),
    ],
)
def test_a_purchase_counts_its_supplier_content_or_the_public_factor_with_the_margin(library, purchase, group_name, kgco2e):
    decision = account(library, purchases=[{"ref": "F1", **purchase}])
    assert decision["outcome"] == "closed"
    found = group(decision, group_name)
    assert found["kgco2e"] == kgco2e
    assert found["invoices"] == ["F1"]
    assert decision["values"]["production_carbon"]["total_kgco2e"] == kgco2e
    if "supplier_kgco2e" in purchase:
        assert (found["basis"], found["factor"], found["prudence_margin"]) == ("supplier", None, None)
        assert "SUPPLIER_CONTENT" in finding_codes(decision)
    else:
        assert (found["basis"], found["prudence_margin"]) == ("public", 0.2)


def test_the_margin_is_a_parameter_of_the_method(library: Library, scratch: Path) -> None:
    document = load_document(ROOT / "referentials" / LT / "2024-01-01.yaml")
    document["sections"]["method"]["parameters"]["prudence_margin"]["value"] = 0.25
    write_version(scratch, LT, document)
    decision = account(Library.open(scratch), purchases=[{"ref": "F1", "category": "other_invoices", "amount_eur": 10000}])
    assert decision["values"]["production_carbon"]["total_kgco2e"] == 1375.0  # 10,000 × 0.11 × 1.25


def test_invoices_sharing_category_factor_and_basis_form_one_group(library: Library) -> None:
    decision = account(library, purchases=[
        {"ref": "F1", "category": "other_invoices", "amount_eur": 6000},
        {"ref": "F2", "category": "other_invoices", "amount_eur": 4000},
        {"ref": "F3", "category": "other_invoices", "amount_eur": 1000, "supplier_kgco2e": 50},
    ])
    public = group(decision, "other_invoices × business_services_eur × prudence margin")
    assert (public["eur"], public["kgco2e"], public["invoices"]) == (10000.0, 1320.0, ["F1", "F2"])
    assert public["computation"] == "10000 EUR × 0.11 kgCO2e/EUR × (1 + 0.2)"  # = 1,320: the line an auditor checks
    assert group(decision, "other_invoices × supplier content")["invoices"] == ["F3"]


def test_branch_categories_take_the_factor_the_company_set(library: Library) -> None:
    settings = {"other_invoices_factor": "business_services_eur",
                "branch_categories": [{"id": "branch_specific_1", "title": "Denrées", "factor": "food_products_eur"}]}
    decision = account(library, settings=settings, purchases=[{"ref": "F1", "category": "branch_specific_1", "amount_eur": 1000}])
    assert group(decision, "branch_specific_1 × food_products_eur × prudence margin")["kgco2e"] == 1080.0  # 1,000 × 0.90 × 1.2


def test_direct_emissions_are_the_experts_estimate(library: Library) -> None:
    decision = account(library, direct_emissions={"kgco2e": 1500, "estimated_by": "Cabinet Agro-Expertise"})
    assert decision["values"]["production_carbon"]["direct_kgco2e"] == 1500.0
    assert decision["values"]["production_carbon"]["total_kgco2e"] == 1500.0
    assert "DIRECT_EMISSIONS" in finding_codes(decision)


# --- B, the carry-over and the factor ----------------------------------------------------------------------


def test_a_first_account_transmitted_nothing_and_carries_nothing_over(library: Library) -> None:
    decision = example(library, "account-2024-first-year-closed.yaml")
    values = decision["values"]
    assert (values["sales_carbon_kgco2e"], values["gap_kgco2e"], values["carry_over_to_next_kgco2e"]) == (0.0, 2500.0, 0.0)
    assert "FIRST_ACCOUNT" in finding_codes(decision)


def test_the_second_year_transmits_with_the_first_years_factor_and_carries_the_gap(library: Library) -> None:
    """§B: « Somme des Contenus Carbone Produit transmis sur les factures de vente de l’exercice » — the
    January invoice was issued before the 2024 account was closed (15 February 2025) and carried nothing."""
    values = example(library, "account-2025-second-year-carry-over-closed.yaml")["values"]
    # A: 12,000 € × 0.11 × 1.2 + 6,000 kWh × 0.045 × 1.2 + 500 € × 0.40 × 1.2 + 700 (supplier) = 2,848
    assert values["production_carbon"]["total_kgco2e"] == 2848.0
    assert values["sales_carbon_kgco2e"] == 2750.022  # 6,000 € × nothing + 11 × (6,000 € × 0.041667 = 250.002)
    assert values["gap_kgco2e"] == values["carry_over_to_next_kgco2e"] == 97.978  # under-transmitted
    assert values["factor"]["kgco2e_per_eur"] == 0.039556  # 2,848 / 72,000


def test_the_gap_of_year_n_enters_the_production_carbon_of_year_n_plus_1(library: Library) -> None:
    values = example(library, "account-2026-third-year-carried-gap-closed.yaml")["values"]
    assert values["production_carbon"]["carried_over_kgco2e"] == 97.978
    # 12,000 × 0.11 × 1.2 + 6,000 kWh × 0.042 (release 2026.1) × 1.2 + 500 × 0.40 × 1.2 + 4,000 km × 0.010 × 1.2 + 700 + 97.978
    assert values["production_carbon"]["total_kgco2e"] == 2972.378
    # January (5,000 €) still carried the 2024 factor: 208.335; then 10 × 6,000 € and 5,000 € at 0.039556: 2,571.14
    assert values["sales_carbon_kgco2e"] == 2779.475
    assert values["factor"]["kgco2e_per_eur"] == 0.042463  # 2,972.378 / 70,000


def test_each_examples_previous_account_is_the_account_of_the_year_before(library: Library) -> None:
    """The chain of the bundled years: what a year reads of its predecessors is what they decided, and when."""
    chain = ["account-2024-first-year-closed.yaml", "account-2025-second-year-carry-over-closed.yaml",
             "account-2026-third-year-carried-gap-closed.yaml"]
    accounts = []  # each year's account as a later dossier names it
    for before, after in zip(chain, chain[1:]):
        decided = example(library, before)
        facts = yaml.safe_load((EXAMPLES / after).read_text(encoding="utf-8"))["facts"]
        previous = facts["previous_account"]
        assert previous["factor_kgco2e_per_eur"] == decided["values"]["factor"]["kgco2e_per_eur"]
        assert previous["carry_over_kgco2e"] == decided["values"]["carry_over_to_next_kgco2e"]
        assert str(previous["closed_on"]) == decided["values"]["factor"]["applies_from"] == decided["event_date"]
        assert previous["financial_year_end"] == yaml.safe_load((EXAMPLES / before).read_text(encoding="utf-8"))["facts"]["financial_year_end"]
        assert facts.get("earlier_accounts", []) == [{k: v for k, v in a.items() if k != "carry_over_kgco2e"} for a in accounts]
        accounts.append(previous)


def test_an_estimated_factor_is_transmitted_with_its_justification(library: Library) -> None:
    estimate = {"kgco2e_per_eur": 0.03, "justification": "a heat pump installed in January halves the gas bought"}
    decision = account(library, purchases=[{"ref": "F1", "category": "other_invoices", "amount_eur": 10000}], estimated_factor=estimate)
    factor = decision["values"]["factor"]
    assert (factor["computed_kgco2e_per_eur"], factor["kgco2e_per_eur"], factor["g_per_eur"], factor["estimated"]) == (0.132, 0.03, 30.0, True)
    [finding] = [f for f in decision["findings"] if f["code"] == "ESTIMATED_FACTOR"]
    assert estimate["justification"] in finding["message"] and finding["clause"] == "§B estimated factor"


@pytest.mark.parametrize("sales", [[], [{"ref": "V1", "amount_eur": 500}, {"ref": "AV1", "amount_eur": -500}]])
def test_without_sales_no_factor_can_be_given(library: Library, sales: list[Any]) -> None:
    decision = account(library, sales=sales)
    assert decision["outcome"] == "incomplete"
    assert decision["values"]["blocking"] == ["no sales in the year (0 €): no factor per euro can be given"]
    assert "factor" not in decision["values"]


def test_one_euro_of_sales_gives_a_factor(library: Library) -> None:
    decision = account(library, sales=[{"ref": "V1", "amount_eur": 1}], purchases=[{"ref": "F1", "category": "other_invoices", "amount_eur": 100}])
    assert decision["outcome"] == "closed"
    assert decision["values"]["factor"]["kgco2e_per_eur"] == 13.2


def test_deviations_are_listed_for_the_trusted_third_party(library: Library) -> None:
    deviation = {"description": "the canteen is left out", "justification": "run by the works council, not the company"}
    decision = account(library, deviations=[deviation])
    [finding] = [f for f in decision["findings"] if f["code"] == "DEVIATION"]
    assert finding["message"] == "the canteen is left out — justification: run by the works council, not the company"


# --- a resale activity -------------------------------------------------------------------------------------


def test_a_reseller_leaves_the_goods_out_and_gives_the_factor_of_its_margin(library: Library) -> None:
    values = example(library, "account-resale-bottles-2024-closed.yaml")["values"]
    # own purchases only: 2,000 € × 0.11 × 1.2 + 1,500 kWh × 0.052 × 1.2 = 357.6
    assert values["production_carbon"]["total_kgco2e"] == 357.6
    assert values["resale"] == {"resold_goods_eur": 12000.0, "margin_eur": 8000.0, "passed_on_kgco2e": 1200.0}
    assert (values["factor"]["base"], values["factor"]["kgco2e_per_eur"], values["factor"]["g_per_eur"]) == ("resale_margin", 0.0447, 44.7)
    assert all(g["category"] != "goods_for_resale" for g in values["groups"])


def test_a_resold_bottle_carries_the_margins_content_and_its_suppliers(library: Library) -> None:
    values = example(library, "invoice-resale-bottles-content-computed.yaml")["values"]
    assert values["carbon_content_kgco2e"] == 20.682  # (150 − 90) × 0.0447 + 18
    assert "de marge" in values["mention"]


def test_a_resold_good_without_supplier_content_passes_on_nothing_but_the_margin(library: Library) -> None:
    decision = invoice(library, kind="resale", amount_eur=150, cost_of_goods_eur=90)
    assert decision["values"]["carbon_content_kgco2e"] == 2.5  # 60 × 0.041667
    assert "not passed on" in next(e for e in decision["trail"] if e.get("name") == "carbon_content_kgco2e")["because"]


def test_goods_resold_in_a_production_account_count_as_other_invoices_with_a_warning(library: Library) -> None:
    decision = account(library, purchases=[{"ref": "F1", "category": "goods_for_resale", "amount_eur": 1000}])
    assert group(decision, "goods_for_resale × business_services_eur × prudence margin")["kgco2e"] == 132.0
    assert "RESALE_IN_PRODUCTION_ACCOUNT" in finding_codes(decision)


# --- the invoice -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("closed_on", "outcome"), [("2025-03-10", "content_computed"), ("2025-03-09", "content_computed")])
def test_an_account_closed_on_the_invoice_day_or_before_gives_the_factor(library, closed_on, outcome):
    assert invoice(library, closed_on=closed_on)["outcome"] == outcome


def test_an_account_closed_after_the_invoice_is_not_its_factor(library: Library) -> None:
    with pytest.raises(DossierError) as raised:
        invoice(library, closed_on="2025-03-11")
    assert "the factor of the last account closed before the invoice applies" in raised.value.problems[0].message


@pytest.mark.parametrize(("next_closed", "outcome"), [("2025-03-10", "account_superseded"), ("2025-03-11", "content_computed"), (None, "content_computed")])
def test_the_factor_applies_until_the_next_account_is_closed(library, next_closed, outcome):
    assert invoice(library, next_closed=next_closed)["outcome"] == outcome


def test_the_mention_is_the_one_in_force_on_the_invoice_date(library: Library, scratch: Path) -> None:
    """A version published mid-year changes the mention of the invoices issued after it, not the account."""
    document = load_document(ROOT / "referentials" / LT / "2024-01-01.yaml")
    document.update(id="2025-06-01", published_on="2025-05-15", in_force_from="2025-06-01", supersedes="2024-01-01")
    document["sections"]["invoice"]["parameters"]["invoice_mention"]["value"] = "Nouvelle mention."
    write_version(scratch, LT, document)
    revised = Library.open(scratch)
    assert invoice(revised, "2025-05-31")["values"]["mention"].endswith("Vous pouvez participer aussi.")
    after = invoice(revised, "2025-06-01")
    assert after["values"]["mention"].endswith("). Nouvelle mention.")
    assert {v["section"]: (v["version"], v["mode"]) for v in after["versions"]} == {"invoice": ("2025-06-01", "event_date")}


# --- releases of the factor table --------------------------------------------------------------------------


def test_each_year_records_the_release_it_used(library: Library) -> None:
    first = example(library, "account-2024-first-year-closed.yaml")
    second = example(library, "account-2025-second-year-carry-over-closed.yaml")
    third = example(library, "account-2026-third-year-carried-gap-closed.yaml")  # release 2026 was imported from CSV
    assert first["values"]["factor_release"] == {"release": "sample 2024.1", "version": "2024-01-01"}
    assert second["values"]["factor_release"] == {"release": "sample 2025.1", "version": "2025-01-01"}
    assert third["values"]["factor_release"] == {"release": "sample 2026.1", "version": "2026-01-01"}
    electricity = "electricity × electricity_kwh × prudence margin"
    assert [group(d, electricity)["factor_value"] for d in (first, second, third)] == [0.052, 0.045, 0.042]
    assert {(v["referential"], v["version"]) for v in second["versions"] if v["section"] == "factors"} == {("label-transmission-factors", "2025-01-01")}
    assert second["digests"]["referentials"]["label-transmission-factors 2025-01-01"].startswith("sha256:")


def test_a_release_published_mid_year_waits_for_the_next_year(library: Library, scratch: Path) -> None:
    document = load_document(ROOT / "referentials" / "label-transmission-factors" / "2025-01-01.yaml")
    document.update(id="2025-07-01", published_on="2025-06-15", in_force_from="2025-07-01", supersedes="2025-01-01")
    document["sections"]["factors"]["parameters"]["factor_release"]["value"] = "sample 2025.2"
    document["sections"]["factors"]["tables"]["emission_factors"]["rows"]["business_services_eur"]["value"] = 0.2
    write_version(scratch, "label-transmission-factors", document)
    following = load_document(ROOT / "referentials" / "label-transmission-factors" / "2026-01-01.yaml")
    write_version(scratch, "label-transmission-factors", {**following, "supersedes": "2025-07-01"})  # one chain of releases
    purchases = [{"ref": "F1", "category": "other_invoices", "amount_eur": 10000}]
    mid = Library.open(scratch)
    under_way = account(mid, anchor="2025-01-01", end="2025-12-31", event="2026-02-01", purchases=purchases)
    assert under_way["values"]["factor_release"]["release"] == "sample 2025.1"
    assert under_way["values"]["production_carbon"]["total_kgco2e"] == 1320.0
    later = account(mid, anchor="2025-07-01", end="2026-06-30", event="2026-08-01", purchases=purchases)
    assert later["values"]["factor_release"]["release"] == "sample 2025.2"
    assert later["values"]["production_carbon"]["total_kgco2e"] == 2400.0


def test_a_row_added_by_a_release_serves_from_that_release_on(library: Library) -> None:
    settings = {"other_invoices_factor": "catering_services_eur"}  # added by release 2026.1
    purchases = [{"ref": "F1", "category": "other_invoices", "amount_eur": 1000}]
    decision = account(library, anchor="2026-01-01", end="2026-12-31", event="2027-02-01", settings=settings, purchases=purchases)
    assert decision["values"]["production_carbon"]["total_kgco2e"] == 300.0  # 1,000 × 0.25 × 1.2
    with pytest.raises(DossierError) as raised:
        account(library, anchor="2025-01-01", end="2025-12-31", event="2026-02-01", settings=settings, purchases=purchases)
    assert raised.value.problems[0].message.startswith("factor catering_services_eur is not a per-euro row of factor release sample 2025.1")


def test_a_factor_no_longer_valid_during_the_year_leaves_the_account_incomplete(library: Library) -> None:
    decision = example(library, "account-release-2024-forced-on-2025-incomplete.yaml")
    assert decision["outcome"] == "incomplete"
    assert decision["values"]["blocking"] == [
        "factor electricity_kwh of release sample 2024.1 is valid from 2022-01-01 until 2024-12-31, not during the year 2025-01-01 – 2025-12-31"
    ]
    assert "VERSION_FORCED" in finding_codes(decision)
    assert "groups" not in decision["values"] and "production_carbon" not in decision["values"]


@pytest.mark.parametrize(("anchor", "end", "outcome"), [
    ("2024-12-31", "2025-12-30", "closed"),  # the row's last valid day is the year's first
    ("2025-01-01", "2025-12-31", "incomplete"),
])
def test_a_factor_is_usable_when_its_validity_overlaps_the_year(library, anchor, end, outcome):
    purchases = [{"ref": "F1", "category": "electricity", "amount_eur": 100, "quantity": 500}]
    pinned = {"factors": {"scheme": "label-transmission-factors", "version": "2024-01-01"}}
    decision = account(library, anchor=anchor, end=end, event="2026-02-01", purchases=purchases, companions=pinned)
    assert decision["outcome"] == outcome


# --- inputs that cannot make an account ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        ({"purchases": [{"ref": "F1", "category": "electricity", "amount_eur": 100}]}, ("facts", "purchases"), "count by physical quantity: give their quantity"),
        ({"purchases": [{"ref": "F1", "category": "passenger_transport", "amount_eur": 100, "quantity": 10}]}, ("facts", "purchases"), "passenger transport, and it only, gives its mode"),
        ({"purchases": [{"ref": "F1", "category": "other_invoices", "amount_eur": 100, "mode": "car"}]}, ("facts", "purchases"), "passenger transport, and it only, gives its mode"),
        ({"purchases": [{"ref": "F1", "category": "fixed_assets_vehicles", "amount_eur": 100}]}, ("facts", "purchases"), "fixed assets, and they only, give the year's depreciation"),
        ({"purchases": [{"ref": "F1", "category": "fixed_assets_vehicles", "amount_eur": 100, "depreciation_eur": 100.01}]}, ("facts", "purchases"), "a year's depreciation exceeds its asset's invoice"),
        ({"purchases": [{"ref": "F1", "category": "branch_specific_2", "amount_eur": 100}]}, ("facts", "purchases"), "use a branch category the settings do not define"),
        ({"purchases": [{"ref": "F1", "category": "other_invoices", "amount_eur": 1}, {"ref": "F1", "category": "other_invoices", "amount_eur": 2}]}, ("facts", "purchases"), "each invoice is counted once"),
        ({"settings": {"other_invoices_factor": "electricity_kwh"}}, ("facts", "settings", "other_invoices_factor"), "is not a per-euro row of factor release sample 2024.1"),
        ({"settings": {"other_invoices_factor": "no_such_row"}}, ("facts", "settings", "other_invoices_factor"), "is not a per-euro row"),
        ({"direct_emissions": {"kgco2e": 10}}, ("facts", "direct_emissions", "estimated_by"), "need the expert who estimated them"),
        ({"financial_year_end": "2023-12-31"}, ("facts", "financial_year_end"), "must end after it starts"),
        ({"financial_year_end": "2026-01-01", "event": "2026-02-01"}, ("facts", "financial_year_end"), "last at most 24 months"),
        ({"previous_account": {"financial_year_end": "2023-06-30", "closed_on": "2023-08-01", "factor_kgco2e_per_eur": 0.04, "carry_over_kgco2e": 0},
          "sales": [{"ref": "V1", "date": "2024-06-30", "amount_eur": 10000}]},
         ("facts", "previous_account", "financial_year_end"), "the previous account is that of the year before, which ends on 2023-12-31"),
        ({"sales": [{"ref": "V1", "amount_eur": 100, "cost_of_goods_eur": 50}]}, ("facts", "sales"), "only a resale account gives the cost of goods"),
        ({"activity": {"name": "Cave", "nace": "G47", "kind": "resale"}}, ("facts", "sales"), "needs the cost of the goods resold"),
    ],
)
def test_inputs_that_cannot_make_an_account_are_refused_with_their_path(library, changes, where, message):
    changes = dict(changes)
    with pytest.raises(DossierError) as raised:
        account(library, event=changes.pop("event", "2025-02-15"), **changes)
    [problem] = raised.value.problems
    assert problem.path == where
    assert message in problem.message


def test_a_24_month_first_year_is_accepted(library: Library) -> None:
    assert account(library, end="2025-12-31", event="2026-01-01")["outcome"] == "closed"


@pytest.mark.parametrize(("event", "accepted"), [("2024-12-31", False), ("2025-01-01", True)])
def test_an_account_is_closed_after_its_year_ends(library, event, accepted):
    if accepted:
        assert account(library, event=event)["outcome"] == "closed"
    else:
        with pytest.raises(DossierError, match="inconsistent"):
            account(library, event=event)


def test_an_account_of_a_year_before_the_method_has_no_version(library: Library) -> None:
    with pytest.raises(DossierError, match="2023-01-01"):
        account(library, anchor="2023-01-01", end="2023-12-31", event="2024-02-01")


def test_invoices_given_as_json_make_the_same_account(library: Library, tmp_path: Path) -> None:
    document = yaml.safe_load((EXAMPLES / "account-2024-first-year-closed.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "account.json"
    path.write_text(json.dumps(document, default=str), encoding="utf-8")
    from_json = library.evaluate(load_dossier(path)).to_json()
    from_yaml = example(library, "account-2024-first-year-closed.yaml")
    assert from_json["values"] == from_yaml["values"]
    assert from_json["digests"]["dossier"] == from_yaml["digests"]["dossier"]  # the same document, whatever its syntax


def test_explain_derives_a_shared_conclusion_once(tmp_path: Path, cli: Any) -> None:
    """blocking guards every figure of an account: the tree shows its derivation once, then refers to it."""
    decision_file = tmp_path / "decision.json"
    assert cli("evaluate", EXAMPLES / "account-2025-second-year-carry-over-closed.yaml", "-o", decision_file).exit_code == 0
    text = unwrapped(cli("explain", decision_file, "--fact", "gap_kgco2e").output)
    blocking = [line for line in text.splitlines() if "blocking = none" in line]
    assert len(blocking) > 1
    assert [line.endswith("(derived above)") for line in blocking] == [False] + [True] * (len(blocking) - 1)
    as_json = json.loads(cli("explain", decision_file, "--fact", "gap_kgco2e", "--format", "json").output)
    assert json.dumps(as_json).count('"name": "blocking", "value"') == len(blocking)  # the data keeps every branch whole


def test_an_account_from_invoices_reads_no_account_mapping(library: Library) -> None:
    decision = account(library)
    assert "mapping" not in {v["section"] for v in decision["versions"]}
    named = account(library, companions={"factors": "label-transmission-factors", "mapping": "label-transmission-pcg"})
    assert named["values"] == decision["values"]  # naming it anyway changes no figure


def test_the_text_view_shows_one_group_per_line(cli: Any) -> None:
    """Each group is one item of its own (`- `), wrapped within the page's width."""
    text = cli("evaluate", EXAMPLES / "account-2024-first-year-closed.yaml").output
    block = text[text.index("\n  groups\n"):text.index("\n  production_carbon")]
    groups = [" ".join(item.split()) for item in block.split("\n    - ")[1:]]
    assert [line.split(", ")[2] for line in groups] == [
        "computation: 10000 EUR × 0.11 kgCO2e/EUR × (1 + 0.2)",
        "computation: 5000 kWh × 0.052 kgCO2e/kWh × (1 + 0.2)",
        "computation: 500 EUR × 0.4 kgCO2e/EUR × (1 + 0.2)",
        "computation: the suppliers' own content: 628 kgCO2e",
    ]
    assert all(group.startswith("basis: ") for group in groups)
