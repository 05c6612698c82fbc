"""Objectif CO₂: the cost of the audit and its funding (procedure annex 3).

Covered, from annex 3 of the labelling procedure of 24 May 2017
(shared/seeds/objectif-co2-labelling-procedure-2017-05-24.txt) and the decisions of
referentials/objectif-co2/2017-05-24.yaml and 2016-06-10.yaml:

- annex 3 table and category: the headcount rows (< 10, < 50, < 250, ≥ 250) and the revenue
  rows (≤ 2, ≤ 10, ≤ 50, > 50 M€), the higher of the two criteria deciding either way, with
  the text's two worked examples (decision audit-category);
- annex 3 invoices: the company's invoice (its contribution, never more than the cost) and the
  manager's (the rest, within the maximum aid), the part no invoice covers (decision invoices);
- §II.1 step 2 manager opinion: after a negative opinion the manager's share is due only if
  the audit is favourable;
- annex 3 VAT: the amounts are excluding VAT in 2017, their basis is not stated in 2016
  (decision amounts-vat), with the same amounts;
- every bundled example of the procedure, through the CLI; parity of the two runtimes.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import finding_codes, judge

ANCHOR = "2018-03-12"
EVENT = "2018-05-30"
ANCHOR_2016 = "2016-09-01"
EVENT_2016 = "2016-11-08"

ROWS = {  # annex 3 table: contribution, maximum aid, maximum cost, estimated days
    "micro": (400, 2300, 2700, 2),
    "small": (800, 1900, 2700, 3),
    "medium": (1600, 1100, 2700, 3),
    "large": (3200, 400, 3600, 4),
}


def cost(
    library: Any,
    headcount: int = 5,
    revenue: float = 1_000_000,
    audit_cost: float | None = None,
    *,
    unfavourable_opinion: bool | None = None,
    audit_favourable: bool | None = None,
    anchor: str = ANCHOR,
    event: str = EVENT,
    **kw: Any,
) -> dict[str, Any]:
    """Judge the audit cost of a company; optional inputs are left out unless given."""
    facts: dict[str, Any] = {"headcount": headcount, "revenue_eur": revenue}
    if audit_cost is not None:
        facts["audit_cost_eur"] = audit_cost
    if unfavourable_opinion is not None:
        facts["manager_opinion_unfavourable"] = unfavourable_opinion
    if audit_favourable is not None:
        facts["audit_favourable"] = audit_favourable
    return judge(library, "audit_cost", facts, anchor, event, **kw)


def invoices(decision: dict[str, Any]) -> tuple[Any, Any, Any]:
    v = decision["values"]
    return v["company_invoice"], v["manager_invoice"], v["uncovered_cost"]


# --- the text's worked examples ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headcount, revenue, by_headcount, by_revenue",
    [
        pytest.param(47, 30_000_000, "small", "medium", id="47-employees-30M-revenue-decides"),
        pytest.param(193, 8_000_000, "medium", "small", id="193-employees-8M-headcount-decides"),
    ],
)
def test_worked_examples_of_annex_3(library, headcount, revenue, by_headcount, by_revenue):
    decision = cost(library, headcount, revenue)
    assert decision["outcome"] == "medium"
    values = decision["values"]
    assert (values["headcount_category"], values["revenue_category"], values["category"]) == (by_headcount, by_revenue, "medium")
    assert values["company_contribution"] == 1600
    assert (values["max_aid"], values["max_cost"], values["estimated_days"]) == (1100, 2700, 3)
    assert values["amounts_basis"] == "excluding VAT"
    # no audit cost yet: no invoice
    assert not {"company_invoice", "manager_invoice", "uncovered_cost"} & set(values)
    assert decision["findings"] == []


@pytest.mark.parametrize("category", list(ROWS))
def test_each_row_of_the_table(library, category):
    headcount = {"micro": 3, "small": 20, "medium": 100, "large": 400}[category]
    revenue = {"micro": 500_000, "small": 5_000_000, "medium": 20_000_000, "large": 80_000_000}[category]
    decision = cost(library, headcount, revenue)
    assert decision["outcome"] == category
    v = decision["values"]
    assert (v["company_contribution"], v["max_aid"], v["max_cost"], v["estimated_days"]) == ROWS[category]


# --- boundaries of the two criteria ------------------------------------------------------------------


@pytest.mark.parametrize(
    "headcount, row",
    [
        pytest.param(0, "micro", id="0"),
        pytest.param(9, "micro", id="9-below-10"),
        pytest.param(10, "small", id="10"),
        pytest.param(49, "small", id="49-below-50"),
        pytest.param(50, "medium", id="50"),
        pytest.param(249, "medium", id="249-below-250"),
        pytest.param(250, "large", id="250-at-least-250"),
    ],
)
def test_headcount_boundaries(library, headcount, row):
    decision = cost(library, headcount, 0)
    assert decision["values"]["headcount_category"] == row
    assert decision["values"]["revenue_category"] == "micro"
    assert decision["outcome"] == row


@pytest.mark.parametrize(
    "revenue, row",
    [
        pytest.param(0, "micro", id="0"),
        pytest.param(2_000_000, "micro", id="exactly-2M-micro"),
        pytest.param(2_000_000.01, "small", id="2M+1ct-small"),
        pytest.param(10_000_000, "small", id="exactly-10M-small"),
        pytest.param(10_000_000.01, "medium", id="10M+1ct-medium"),
        pytest.param(50_000_000, "medium", id="exactly-50M-medium"),
        pytest.param(50_000_000.01, "large", id="50M+1ct-large"),
    ],
)
def test_revenue_boundaries(library, revenue, row):
    decision = cost(library, 0, revenue)
    assert decision["values"]["revenue_category"] == row
    assert decision["values"]["headcount_category"] == "micro"
    assert decision["outcome"] == row


@pytest.mark.parametrize(
    "headcount, revenue, row",
    [
        pytest.param(300, 1_000_000, "large", id="headcount-large-revenue-micro"),
        pytest.param(5, 60_000_000, "large", id="headcount-micro-revenue-large"),
        pytest.param(49, 10_000_000.01, "medium", id="headcount-small-revenue-medium"),
        pytest.param(50, 10_000_000, "medium", id="headcount-medium-revenue-small"),
        pytest.param(9, 2_000_000.01, "small", id="headcount-micro-revenue-small"),
        pytest.param(10, 2_000_000, "small", id="headcount-small-revenue-micro"),
    ],
)
def test_the_higher_criterion_decides_both_ways(library, headcount, revenue, row):
    decision = cost(library, headcount, revenue)
    assert decision["outcome"] == decision["values"]["category"] == row
    assert decision["values"]["company_contribution"] == ROWS[row][0]


# --- the two invoices (annex 3 invoices, decision invoices) ---------------------------------------------


@pytest.mark.parametrize(
    "headcount, revenue, audit_cost, company, manager, uncovered",
    [
        pytest.param(5, 1_000_000, 300, 300, 0, 0, id="micro-cost-below-contribution"),
        pytest.param(5, 1_000_000, 400, 400, 0, 0, id="micro-cost-equal-to-contribution"),
        pytest.param(5, 1_000_000, 1850.5, 400, 1450.5, 0, id="micro-cost-between"),
        pytest.param(5, 1_000_000, 2700, 400, 2300, 0, id="micro-cost-at-max-cost"),
        pytest.param(5, 1_000_000, 2700.01, 400, 2300, 0.01, id="micro-1ct-above-max-cost"),
        pytest.param(20, 5_000_000, 2700, 800, 1900, 0, id="small-at-max-cost"),
        pytest.param(47, 30_000_000, 2450, 1600, 850, 0, id="medium-between"),
        pytest.param(47, 30_000_000, 2700, 1600, 1100, 0, id="medium-at-max-cost"),
        pytest.param(47, 30_000_000, 3000, 1600, 1100, 300, id="medium-above-max-cost"),
        pytest.param(300, 64_000_000, 3600, 3200, 400, 0, id="large-at-max-cost"),
        pytest.param(300, 64_000_000, 3950, 3200, 400, 350, id="large-above-max-cost"),
        pytest.param(300, 64_000_000, 0, 0, 0, 0, id="large-no-cost"),
    ],
)
def test_invoices(library, headcount, revenue, audit_cost, company, manager, uncovered):
    decision = cost(library, headcount, revenue, audit_cost)
    assert invoices(decision) == (company, manager, uncovered)
    assert decision["values"]["manager_aid_status"] == "due"
    if uncovered:
        [f] = decision["findings"]
        assert (f["code"], f["severity"], f["clause"]) == ("COST_NOT_COVERED", "warning", "annex 3 invoices")
    else:
        assert decision["findings"] == []


def test_cost_above_the_maximum_names_the_uncovered_part(library):
    decision = cost(library, 300, 64_000_000, 3950)
    [f] = decision["findings"]
    assert f["message"] == (
        "350 € of the audit cost (3950 €, maximum 3600 €; manager's share due) is covered by neither invoice; "
        "the text does not say who bears it."
    )


# --- the programme manager's negative opinion (§II.1 step 2 manager opinion) --------------------------


@pytest.mark.parametrize(
    "opinion_unfavourable, audit_favourable, status, manager, codes",
    [
        pytest.param(None, None, "due", 1100, [], id="no-negative-opinion"),
        pytest.param(False, False, "due", 1100, [], id="no-negative-opinion-audit-unfavourable"),
        pytest.param(True, True, "due", 1100, [], id="negative-opinion-audit-favourable"),
        pytest.param(True, False, "not_due", 0, ["AID_NOT_DUE", "COST_NOT_COVERED"], id="negative-opinion-audit-unfavourable"),
        pytest.param(True, None, "conditional", 1100, ["AID_CONDITIONAL_ON_FAVOURABLE_AUDIT"], id="negative-opinion-audit-unknown"),
    ],
)
def test_manager_share_after_a_negative_opinion(library, opinion_unfavourable, audit_favourable, status, manager, codes):
    decision = cost(library, 47, 30_000_000, 2700, unfavourable_opinion=opinion_unfavourable, audit_favourable=audit_favourable)
    values = decision["values"]
    assert values["manager_aid_status"] == status
    assert values["company_invoice"] == 1600
    assert values["manager_invoice"] == manager
    assert values["uncovered_cost"] == 2700 - 1600 - manager
    assert finding_codes(decision) == codes
    for f in decision["findings"]:
        clause = "annex 3 invoices" if f["code"] == "COST_NOT_COVERED" else "§II.1 step 2 manager opinion"
        assert f["clause"] == clause


def test_conditional_aid_warns(library):
    decision = cost(library, 20, 2_000_000.01, 2500, unfavourable_opinion=True)
    assert decision["outcome"] == "small"
    [f] = decision["findings"]
    assert (f["code"], f["severity"]) == ("AID_CONDITIONAL_ON_FAVOURABLE_AUDIT", "warning")
    assert f["message"] == (
        "The programme manager gave a negative opinion; its share of the audit cost is due only if the audit is favourable to the label."
    )
    assert invoices(decision) == (800, 1700, 0)


def test_aid_not_due_leaves_the_rest_uncovered(library):
    """The text says the manager's share is not effective; it does not say who bears it instead."""
    decision = cost(library, 47, 30_000_000, 2700, unfavourable_opinion=True, audit_favourable=False)
    [not_due, uncovered] = decision["findings"]
    assert (not_due["code"], not_due["severity"]) == ("AID_NOT_DUE", "info")
    assert uncovered["message"] == (
        "1100 € of the audit cost (2700 €, maximum 2700 €; manager's share not_due) is covered by neither invoice; "
        "the text does not say who bears it."
    )


def test_aid_status_without_an_audit_cost(library):
    decision = cost(library, 47, 30_000_000, unfavourable_opinion=True)
    assert decision["values"]["manager_aid_status"] == "conditional"
    assert "manager_invoice" not in decision["values"]
    assert finding_codes(decision) == ["AID_CONDITIONAL_ON_FAVOURABLE_AUDIT"]


# --- the two versions: same amounts, VAT basis stated only from 2017 ---------------------------------


@pytest.mark.parametrize(
    "anchor, event, version, basis",
    [
        pytest.param(ANCHOR, EVENT, "2017-05-24", "excluding VAT", id="2017"),
        pytest.param(ANCHOR_2016, EVENT_2016, "2016-06-10", "not stated (the 2016 text does not say whether VAT is included)", id="2016"),
        pytest.param(ANCHOR_2016, "2017-09-01", "2016-06-10", "not stated (the 2016 text does not say whether VAT is included)", id="2016-cycle-costed-after-2017-05-24"),
    ],
)
def test_amounts_basis_by_version(library, anchor, event, version, basis):
    decision = cost(library, 47, 30_000_000, 3000, anchor=anchor, event=event)
    [entry] = decision["versions"]
    assert (entry["section"], entry["version"], entry["mode"]) == ("audit_cost", version, "pinned")
    values = decision["values"]
    assert values["amounts_basis"] == basis
    assert decision["outcome"] == "medium"
    assert (values["company_contribution"], values["max_aid"], values["max_cost"]) == (1600, 1100, 2700)
    assert invoices(decision) == (1600, 1100, 300)
    assert finding_codes(decision) == ["COST_NOT_COVERED"]


@pytest.mark.parametrize(
    "anchor, event, basis, other",
    [
        pytest.param(ANCHOR, EVENT, "excluding VAT", "not stated", id="2017"),
        pytest.param(ANCHOR_2016, EVENT_2016, "not stated (the 2016 text does not say whether VAT is included)", "excl", id="2016"),
    ],
)
def test_every_sentence_giving_an_amount_names_the_basis_of_its_version(library, anchor, event, basis, other):
    """Annex 3 of 2017: « Les montants sont indiqués en Hors Taxes (H.T.) », a precision annex 4 records as new in
    2017: the 2016 reconstruction's sentences must not say « excl. VAT » (decision amounts-vat), nor the 2017 ones
    say « not stated »."""
    decision = cost(library, 47, 30_000_000, 2450, anchor=anchor, event=event)
    amounts = [e for e in decision["trail"] if e.get("name") in ("company_contribution", "max_aid", "max_cost", "company_invoice", "manager_invoice")]
    assert len(amounts) == 5
    for entry in amounts:
        assert entry["because"].endswith(f" €, tax basis: {basis}."), entry["because"]
        assert other not in entry["because"].lower()
        assert "amounts-vat" in entry["readings"]
    assert all("excl. VAT" not in e.get("because", "") for e in decision["trail"]) or anchor == ANCHOR


@pytest.mark.parametrize("headcount, revenue", [(9, 2_000_000), (10, 2_000_000.01), (250, 50_000_000), (49, 50_000_000.01)])
def test_2016_scale_has_the_same_boundaries(library, headcount, revenue):
    new = cost(library, headcount, revenue)
    old = cost(library, headcount, revenue, anchor=ANCHOR_2016, event=EVENT_2016)
    assert old["outcome"] == new["outcome"]
    assert {k: v for k, v in old["values"].items() if k != "amounts_basis"} == {k: v for k, v in new["values"].items() if k != "amounts_basis"}


# --- runtimes -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, kwargs",
    [
        pytest.param((47, 30_000_000, 2450), {}, id="medium-between"),
        pytest.param((300, 64_000_000, 3950), {}, id="large-uncovered"),
        pytest.param((5, 2_000_000, 2700), {"unfavourable_opinion": True}, id="micro-conditional"),
        pytest.param((5, 2_000_000, 2700), {"unfavourable_opinion": True, "audit_favourable": False}, id="micro-not-due"),
    ],
)
def test_runtimes_agree(library, args, kwargs):
    durable = cost(library, *args, **kwargs)
    python = cost(library, *args, **kwargs, runtime="python")
    assert (python["outcome"], python["values"], python["findings"]) == (durable["outcome"], durable["values"], durable["findings"])
