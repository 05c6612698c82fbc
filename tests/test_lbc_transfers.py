"""Label bas carbone: transfers (`transfer`), retirement (`retirement`) and financing (`financing_declaration`).

Articles 26 to 29 and 32 of the arrêté of 5 September 2025
(shared/seeds/label-bas-carbone-arrete-2025-ch4-verification-credits.txt) and the decisions of
referentials/label-bas-carbone/2025-09-05.yaml:

- art. 26 — only verified credits are transferred, and only those the transferor holds and has not
  retired, kind by kind (exactly the holding may go, one more may not); the contract states the
  sequestration credits and the emission-reduction credits (art. 26 contract); the project holder is
  beneficiary no. 0 and each transferee takes the transferor's rank + 1 (art. 26 chain);
- art. 29 — a contract signed before the first verification shares the risk of fewer credits (a
  contract signed on the day of the verification does not need to); the arrêté attaches no sanction to
  it, so its absence is reported, never a refusal (decision risk-sharing); the transfer is declared within
  three months (decision three-months: the same calendar day, clamped to the month's end; decision
  forward-transfer-contract: from the first verification for a contract signed before it) with an
  attestation signed by both parties and naming them, the intended use (contribution by default) and
  the unit prices, which no value, message or trail premise reproduces (decision unit-prices-confidential);
  a late declaration is recorded with its delay (decision late-declaration);
- art. 27 — a beneficiary retires verified credits it holds and has not retired, for a year not before the
  current one, with a use; the year may be changed until 31 December of the designated year (decisions
  retirement-year, retirement-change); retired credits can no longer be used or transferred;
- art. 28 — the participants in the financing of a project not yet verified (decision
  financing-unverified-project) and their rates (decision participation-rates: at most 100 % together)
  are declared within three months of the first contract;
- art. 32 — every procedure applies from 8 September 2025 (decision retroactivity); a project in the
  registry before that day has until 8 September 2026 at least to meet articles 28 and 29 (decision
  articles-28-29-transition); an event before that day is under the 2018 arrêté, not encoded: refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import ROOT, dossier_document, finding_codes, judge, unlined

from engine import DossierError, Library
from engine.model.canonical import canonical_json

LBC = "label-bas-carbone"
EXAMPLES = ROOT / "examples" / LBC
ANCHOR = "2025-12-15"  # a Haies project labelled under the arrêté
OLD_ANCHOR = "2023-06-12"  # a project labelled under the 2018 arrêté, reached by art. 32
HOLDER = "EARL du Bocage Sèvrien"
DAIRY = "Laiterie Coopérative de Niort"
ARCHITECTS = "Cabinet Morel Architectes"
DISCLOSURE = {"declared_to": "DGEC, on the registry", "published": False, "statistics": "aggregated and anonymised, for market information"}


# --- building dossiers ------------------------------------------------------------------------------------


def lbc(library: Library, procedure: str, facts: dict[str, Any], event: str, anchor: str = ANCHOR, **kwargs: Any) -> dict[str, Any]:
    return judge(library, procedure, facts, anchor, event, scheme=LBC, **kwargs)


def write_lbc(path: Path, procedure: str, facts: dict[str, Any], anchor: str, event: str) -> Path:
    document = dossier_document(procedure, facts, anchor, event, scheme=LBC)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def transferee(name: str, sequestration: float | None, reduction: float | None, **more: Any) -> dict[str, Any]:
    return {"name": name, "sequestration_tco2e": sequestration, "emission_reduction_tco2e": reduction, **more}


TWO = [transferee(DAIRY, 400, 85, intended_use="voluntary_offsetting"), transferee(ARCHITECTS, 240, 0, anonymous=True)]


def transfer_facts(
    *,
    transferees: list[dict[str, Any]] | None = None,
    transferor: str = HOLDER,
    rank: int = 0,
    holding: tuple[float, float] = (640, 85),
    registered: str = "2025-10-06",
    verified: str | None = "2027-03-10",
    signed: str = "2027-04-02",
    risk_sharing: bool | None = None,
    attestation: dict[str, Any] | None | str = "complete",
    prices: list[dict[str, Any]] | None = None,
    to_holder: float | None = None,
) -> dict[str, Any]:
    """A transfer by `transferor` (the holder by default) to the dairy and the architects; `attestation="complete"`
    builds one signed by every party and naming them."""
    transferees = TWO if transferees is None else transferees
    parties = [transferor] + [t["name"] for t in transferees]
    facts: dict[str, Any] = {
        "project": {"holder": HOLDER, "registered_on": registered, "first_verified_on": verified},
        "transferor": {"name": transferor, "rank": rank, "holding": {"sequestration_tco2e": holding[0], "emission_reduction_tco2e": holding[1]}},
        "contract": {"signed_on": signed, "risk_sharing": risk_sharing},
        "transferees": transferees,
        "attestation": {"signed_by": parties, "names": parties} if attestation == "complete" else attestation,
        "unit_prices": prices if prices is not None else [{"beneficiary": t["name"], "unit_price_eur": 41.5} for t in transferees],
    }
    if to_holder is not None:
        facts["unit_price_to_holder_eur"] = to_holder
    return facts


def transfer(library: Library, event: str = "2027-06-28", anchor: str = ANCHOR, runtime: str = "durable-rules", **kwargs: Any) -> dict[str, Any]:
    return lbc(library, "transfer", transfer_facts(**kwargs), event, anchor, runtime=runtime)


def lot(name: str, *, holder: str = DAIRY, tco2e: float = 250, verified: str | None = "2026-11-20",
        retired: tuple[int, str] | None = None, kind: str = "sequestration") -> dict[str, Any]:
    record = {"lot": name, "kind": kind, "tco2e": tco2e, "holder": holder, "verified_on": verified}
    if retired is not None:
        record["retirement"] = {"year": retired[0], "use": retired[1]}
    return record


def retirement_facts(year: int, *, use: str | None = "voluntary_offsetting", kind: str = "retirement",
                     credits: list[dict[str, Any]] | None = None, requester: str = DAIRY) -> dict[str, Any]:
    request: dict[str, Any] = {"kind": kind, "retirement_year": year}
    if use is not None:
        request["use"] = use
    return {"requester": requester, "request": request, "credits": credits if credits is not None else [lot("S-001"), lot("E-001", tco2e=85, kind="emission_reduction")]}


def retire(library: Library, event: str, year: int, runtime: str = "durable-rules", **kwargs: Any) -> dict[str, Any]:
    return lbc(library, "retirement", retirement_facts(year, **kwargs), event, runtime=runtime)


def change_year(library: Library, event: str, year: int, designated: int = 2027, **kwargs: Any) -> dict[str, Any]:
    credits = kwargs.pop("credits", [lot("S-001", retired=(designated, "voluntary_offsetting"))])
    return retire(library, event, year, kind="year_change", use=None, credits=credits, **kwargs)


def participant(name: str, rate: float | None, anonymous: bool = False) -> dict[str, Any]:
    return {"name": name, "rate_percent": rate, "anonymous": anonymous}


PARTICIPANTS = [participant("Conserverie Quercynoise", 60), participant("Fondation Causses Vivants", 15, anonymous=True)]


def financing_facts(*, signed: str = "2026-01-20", registered: str = "2025-09-22", verified: str | None = None,
                    participants: list[dict[str, Any]] | None = None, risk_sharing: bool | None = True) -> dict[str, Any]:
    return {
        "project": {"registered_on": registered, "first_verified_on": verified},
        "contract": {"signed_on": signed, "risk_sharing": risk_sharing},
        "participants": PARTICIPANTS if participants is None else participants,
    }


def finance(library: Library, event: str, anchor: str = "2025-11-03", runtime: str = "durable-rules", **kwargs: Any) -> dict[str, Any]:
    return lbc(library, "financing_declaration", financing_facts(**kwargs), event, anchor, runtime=runtime)


def input_problems(call: Callable[[], Any]) -> list[str]:
    with pytest.raises(DossierError) as caught:
        call()
    return [p.render() for p in caught.value.problems]


def messages(decision: dict[str, Any], code: str) -> list[str]:
    return [f["message"] for f in decision["findings"] if f["code"] == code]


# --- transfer: what may be transferred (art. 26) ------------------------------------------------------------


def test_a_transfer_by_the_holder_declared_in_time_is_valid(library: Library) -> None:
    decision = transfer(library)
    assert decision["outcome"] == "transfer_valid"
    assert decision["findings"] == []
    assert decision["values"] == {
        "refusal_reasons": [],
        "quantities": [
            {"kind": "sequestration", "held_tco2e": 640, "transferred_tco2e": 640},
            {"kind": "emission_reduction", "held_tco2e": 85, "transferred_tco2e": 85},
        ],
        "financed_before_verification": False,
        "risk_sharing": "not_required",
        "beneficiary_ranks": [
            {"beneficiary": HOLDER, "role": "transferor", "rank": 0},
            {"beneficiary": DAIRY, "role": "transferee", "rank": 1},
            {"beneficiary": ARCHITECTS, "role": "transferee", "rank": 1},
        ],
        "intended_uses": [{"beneficiary": DAIRY, "use": "voluntary_offsetting"}, {"beneficiary": ARCHITECTS, "use": "contribution"}],
        "published_beneficiaries": [DAIRY, "anonymous (on request to the DGEC)"],
        "declaration_gaps": [],
        "declaration_starts_on": "2027-04-02",
        "transition_applies": False,
        "declaration_due_by": "2027-07-02",
        "unit_prices_disclosure": DISCLOSURE,
    }
    assert [(v["section"], v["version"], v["mode"]) for v in decision["versions"]] == [
        ("transfer", "2025-09-05", "pinned"), ("registry_transition", "2025-09-05", "pinned"),
    ]


@pytest.mark.parametrize(
    "transferees, outcome, above",
    [
        pytest.param([transferee(DAIRY, 640, 85)], "transfer_valid", [], id="both-kinds-exactly-the-holding"),
        pytest.param([transferee(DAIRY, 641, 85)], "transfer_refused", ["sequestration"], id="one-sequestration-credit-more"),
        pytest.param([transferee(DAIRY, 640, 86)], "transfer_refused", ["emission_reduction"], id="one-reduction-credit-more"),
        pytest.param([transferee(DAIRY, 320, 40), transferee(ARCHITECTS, 321, 45)], "transfer_refused", ["sequestration"], id="two-transferees-together-one-more"),
        pytest.param([transferee(DAIRY, 0, 85.5)], "transfer_refused", ["emission_reduction"], id="half-a-credit-more"),
    ],
)
def test_quantities_are_checked_kind_by_kind_against_the_holding(library: Library, transferees, outcome, above) -> None:
    decision = transfer(library, transferees=transferees)
    assert decision["outcome"] == outcome
    assert decision["values"]["refusal_reasons"] == (["quantity_above_holding"] if above else [])
    assert [f["item"]["kind"] for f in decision["findings"] if f["code"] == "QUANTITY_ABOVE_HOLDING"] == above


def test_the_message_gives_the_quantity_transferred_and_held(library: Library) -> None:
    decision = transfer(library, transferees=[transferee(DAIRY, 640, 86)])
    assert messages(decision, "QUANTITY_ABOVE_HOLDING") == [
        f"86 tCO₂e of emission_reduction credits transferred, but {HOLDER} holds 85 verified and not retired."
    ]
    assert "beneficiary_ranks" not in decision["values"]  # a refused transfer makes no one a beneficiary


def test_credits_of_a_project_not_verified_cannot_be_transferred(library: Library) -> None:
    decision = transfer(library, verified=None, holding=(0, 0), risk_sharing=True)
    assert decision["outcome"] == "transfer_refused"
    assert decision["values"]["refusal_reasons"] == ["credits_not_verified", "quantity_above_holding"]
    assert finding_codes(decision) == ["CREDITS_NOT_VERIFIED", "QUANTITY_ABOVE_HOLDING", "QUANTITY_ABOVE_HOLDING"]


@pytest.mark.parametrize(
    "transferees, lacking",
    [
        pytest.param([transferee(DAIRY, 400, None), transferee(ARCHITECTS, 240, 0)], [DAIRY], id="reductions-not-stated"),
        pytest.param([transferee(DAIRY, 400, 85), transferee(ARCHITECTS, None, 0)], [ARCHITECTS], id="sequestration-not-stated"),
        pytest.param([transferee(DAIRY, None, None), transferee(ARCHITECTS, None, None)], [DAIRY, ARCHITECTS], id="nothing-stated"),
    ],
)
def test_the_contract_must_split_sequestration_and_reductions(library: Library, transferees, lacking) -> None:
    decision = transfer(library, transferees=transferees)
    assert decision["outcome"] == "transfer_refused"
    assert decision["values"]["refusal_reasons"] == ["split_not_stated"]
    assert [f["item"] for f in decision["findings"] if f["code"] == "SPLIT_NOT_STATED"] == lacking
    assert [f["clause"] for f in decision["findings"]] == ["art. 26 contract"] * len(lacking)


def test_a_split_with_a_nil_kind_is_stated(library: Library) -> None:
    decision = transfer(library, transferees=[transferee(DAIRY, 0, 85)])
    assert decision["outcome"] == "transfer_valid"


# --- transfer: the chain of beneficiaries (art. 26 chain) --------------------------------------------------------


def test_a_beneficiary_of_rank_1_makes_its_transferee_rank_2(library: Library) -> None:
    decision = transfer(library, transferor=DAIRY, rank=1, holding=(400, 85), transferees=[transferee("Négoce Agricole Deux-Sèvres", 150, 85)], to_holder=0)
    assert decision["outcome"] == "transfer_valid"
    assert decision["values"]["beneficiary_ranks"] == [
        {"beneficiary": DAIRY, "role": "transferor", "rank": 1},
        {"beneficiary": "Négoce Agricole Deux-Sèvres", "role": "transferee", "rank": 2},
    ]


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        pytest.param(
            {"transferor": DAIRY, "rank": 0, "transferees": [transferee(ARCHITECTS, 1, 0)]}, f"$.facts.transferor.rank: beneficiary no. 0 is the project holder {HOLDER}, not {DAIRY} (art. 26 chain)",
            id="rank-0-is-the-holder",
        ),
        pytest.param(
            {"transferees": [transferee(DAIRY, 1, 0), transferee(DAIRY, 2, 0)], "prices": [{"beneficiary": DAIRY, "unit_price_eur": 40}]},
            f"$.facts.transferees: each transferee is named once, and none is the transferor {HOLDER} (art. 26 chain)", id="a-transferee-twice",
        ),
        pytest.param(
            {"transferees": [transferee(HOLDER, 1, 0)], "attestation": None},
            f"$.facts.transferees: each transferee is named once, and none is the transferor {HOLDER} (art. 26 chain)", id="to-oneself",
        ),
        pytest.param(
            {"transferor": DAIRY, "rank": 1, "holding": (400, 85), "transferees": [transferee(ARCHITECTS, 1, 0)]},
            "$.facts.unit_price_to_holder_eur: a transfer by beneficiary no. 1 declares the unit price passed back to the project holder "
            "(0 if none) (art. 29 declaration)", id="resale-without-the-price-to-the-holder",
        ),
        pytest.param(
            {"verified": None, "holding": (10, 0)}, "$.facts.transferor.holding: a project not verified has no verified credits for anyone to hold (art. 26)",
            id="holding-without-verification",
        ),
        pytest.param(
            {"transferees": [transferee(DAIRY, 1, 0, intended_use="resale")]},
            "$.facts.transferees: an intended use is one of contribution, voluntary_offsetting, mandatory_offsetting (art. 29 declaration)", id="unknown-use",
        ),
        pytest.param(
            {"prices": [{"beneficiary": DAIRY, "unit_price_eur": 41.5}]},
            f"$.facts.unit_prices: the declaration gives one unit price per transferee ({DAIRY}, {ARCHITECTS}) and none for anyone else (art. 29 declaration)",
            id="a-price-missing",
        ),
        pytest.param(
            {"prices": [{"beneficiary": n, "unit_price_eur": 40} for n in (DAIRY, ARCHITECTS, "Someone else")]},
            f"$.facts.unit_prices: the declaration gives one unit price per transferee ({DAIRY}, {ARCHITECTS}) and none for anyone else (art. 29 declaration)",
            id="a-price-for-no-transferee",
        ),
        pytest.param(
            {"signed": "2027-06-29"}, "$.facts.contract.signed_on: the transfer is declared (2027-06-28) before its contract is signed (2027-06-29) (art. 29 declaration)",
            id="contract-after-the-declaration",
        ),
        pytest.param(
            {"verified": "2027-06-29"}, "$.facts.project.first_verified_on: the first verification (2027-06-29) cannot follow the declaration of the transfer (2027-06-28) (art. 26)",
            id="verified-after-the-declaration",
        ),
        pytest.param(
            {"registered": "2027-06-29"}, "$.facts.project.registered_on: the transfer is declared on the registry (2027-06-28) before the project entered it (2027-06-29) (art. 29 declaration)",
            id="declared-before-registration",
        ),
    ],
)
def test_impossible_transfers_are_input_errors(library: Library, kwargs, problem) -> None:
    assert input_problems(lambda: transfer(library, **kwargs)) == [f"test dossier (transfer) {problem}"]


# --- transfer: financing before the first verification (art. 29 risk; decision forward-transfer-contract) ----


@pytest.mark.parametrize(
    "signed, risk_sharing, financed, state, codes",
    [
        pytest.param("2027-03-09", None, True, "not_known", ["RISK_SHARING_NOT_KNOWN"], id="day-before-verification-silent"),
        pytest.param("2027-03-09", False, True, "not_provided", ["RISK_SHARING_NOT_PROVIDED"], id="day-before-verification-no-sharing"),
        pytest.param("2027-03-09", True, True, "provided", [], id="day-before-verification-sharing"),
        pytest.param("2027-03-10", None, False, "not_required", [], id="on-the-verification-day"),
        pytest.param("2027-03-10", False, False, "not_required", [], id="on-the-verification-day-no-sharing"),
        pytest.param("2026-01-20", True, True, "provided", [], id="a-year-before-three-months-from-verification"),
    ],
)
def test_a_contract_before_the_first_verification_shares_the_risk(library: Library, signed, risk_sharing, financed, state, codes) -> None:
    """Art. 29: "les contractants doivent prévoir explicitement les modalités de partage du risque de diminution du
    nombre de crédits carbone" — the arrêté attaches no sanction to it (decision risk-sharing): the transfer stands
    and the omission is reported, a warning when the contract does not share the risk, an information when the dossier
    does not say; a contract signed on the day of the first verification owes nothing."""
    decision = transfer(library, "2027-06-10", signed=signed, risk_sharing=risk_sharing)
    assert decision["outcome"] == "transfer_valid"
    assert decision["values"]["financed_before_verification"] is financed
    assert decision["values"]["risk_sharing"] == state
    assert decision["values"]["declaration_due_by"] == "2027-06-10"
    assert decision["values"]["refusal_reasons"] == []
    assert finding_codes(decision) == codes
    assert {f["severity"] for f in decision["findings"]} <= {"warning", "info"}
    assert [f["clause"] for f in decision["findings"]] == ["art. 29 risk"] * len(codes)


def test_a_forward_contract_is_declared_within_three_months_of_the_verification(library: Library) -> None:
    assert transfer(library, "2027-06-10", signed="2026-01-20", risk_sharing=True)["outcome"] == "transfer_valid"
    late = transfer(library, "2027-06-11", signed="2026-01-20", risk_sharing=True)
    assert late["outcome"] == "declaration_late"
    assert messages(late, "DECLARATION_LATE") == ["The transfer was declared on 2027-06-11; it was due by 2027-06-10."]


# --- transfer: the declaration (art. 29 declaration) ------------------------------------------------------------


@pytest.mark.parametrize(
    "attestation, gaps",
    [
        pytest.param(None, ["the transfer attestation"], id="no-attestation"),
        pytest.param({"signed_by": [HOLDER, DAIRY], "names": [HOLDER, DAIRY, ARCHITECTS]}, [f"the signature of {ARCHITECTS}"], id="a-transferee-did-not-sign"),
        pytest.param({"signed_by": [DAIRY, ARCHITECTS], "names": [HOLDER, DAIRY, ARCHITECTS]}, [f"the signature of {HOLDER}"], id="the-transferor-did-not-sign"),
        pytest.param(
            {"signed_by": [HOLDER, DAIRY, ARCHITECTS], "names": [DAIRY, ARCHITECTS]}, [f"the name of {HOLDER} in the attestation"], id="transferor-not-named",
        ),
        pytest.param(
            {"signed_by": [HOLDER], "names": [HOLDER]},
            [f"the signature of {DAIRY}", f"the signature of {ARCHITECTS}", f"the name of {DAIRY} in the attestation", f"the name of {ARCHITECTS} in the attestation"],
            id="signed-and-naming-the-transferor-only",
        ),
    ],
)
def test_the_attestation_is_signed_by_both_parties_and_names_them(library: Library, attestation, gaps) -> None:
    decision = transfer(library, attestation=attestation)
    assert decision["outcome"] == "declaration_incomplete"
    assert decision["values"]["declaration_gaps"] == gaps
    assert messages(decision, "DECLARATION_INCOMPLETE") == [f"The declaration of the transfer lacks {gap}." for gap in gaps]
    assert "beneficiary_ranks" in decision["values"]  # the transfer itself stands


def test_an_incomplete_transfer_declaration_made_late_is_incomplete_and_reported_late(library: Library) -> None:
    decision = transfer(library, "2027-07-03", attestation=None)
    assert decision["outcome"] == "declaration_incomplete"
    assert finding_codes(decision) == ["DECLARATION_INCOMPLETE", "DECLARATION_LATE"]


def test_a_refused_transfer_is_refused_whatever_its_declaration(library: Library) -> None:
    decision = transfer(library, "2027-09-01", attestation=None, transferees=[transferee(DAIRY, 641, None)])
    assert decision["outcome"] == "transfer_refused"
    assert decision["values"]["refusal_reasons"] == ["quantity_above_holding", "split_not_stated"]
    assert set(finding_codes(decision)) == {"QUANTITY_ABOVE_HOLDING", "SPLIT_NOT_STATED", "DECLARATION_INCOMPLETE", "DECLARATION_LATE"}


def test_credits_are_for_contribution_unless_declared_otherwise(library: Library) -> None:
    transferees = [transferee(DAIRY, 100, 0), transferee(ARCHITECTS, 100, 0, intended_use="mandatory_offsetting")]
    decision = transfer(library, transferees=transferees)
    assert decision["values"]["intended_uses"] == [{"beneficiary": DAIRY, "use": "contribution"}, {"beneficiary": ARCHITECTS, "use": "mandatory_offsetting"}]
    assert decision["values"]["published_beneficiaries"] == [DAIRY, ARCHITECTS]


@pytest.mark.parametrize(
    "signed, event, outcome, due",
    [
        pytest.param("2027-04-02", "2027-07-02", "transfer_valid", "2027-07-02", id="exactly-three-months"),
        pytest.param("2027-04-02", "2027-07-03", "declaration_late", "2027-07-02", id="three-months-and-a-day"),
        pytest.param("2027-11-30", "2028-02-29", "transfer_valid", "2028-02-29", id="clamped-to-29-february"),
        pytest.param("2027-11-30", "2028-03-01", "declaration_late", "2028-02-29", id="day-after-29-february"),
        pytest.param("2028-11-30", "2029-02-28", "transfer_valid", "2029-02-28", id="clamped-to-28-february"),
        pytest.param("2028-11-30", "2029-03-01", "declaration_late", "2029-02-28", id="day-after-28-february"),
        pytest.param("2027-05-31", "2027-08-31", "transfer_valid", "2027-08-31", id="31-to-31"),
    ],
)
def test_the_declaration_is_due_three_calendar_months_after_the_signature(library: Library, signed, event, outcome, due) -> None:
    decision = transfer(library, event, signed=signed)
    assert (decision["outcome"], decision["values"]["declaration_due_by"]) == (outcome, due)
    assert finding_codes(decision) == (["DECLARATION_LATE"] if outcome == "declaration_late" else [])


# --- transfer: the unit prices stay confidential (art. 29 confidentiality) ---------------------------------------


def test_the_unit_prices_appear_nowhere_in_the_decision(library: Library, cli: Callable[..., Any], tmp_path: Path) -> None:
    prices = [{"beneficiary": "Négoce Agricole Deux-Sèvres", "unit_price_eur": 48.137}]
    facts = transfer_facts(transferor=DAIRY, rank=1, holding=(400, 85), transferees=[transferee("Négoce Agricole Deux-Sèvres", 150, 85)],
                           prices=prices, to_holder=12.345)
    for decision in (lbc(library, "transfer", facts, "2027-06-28"), lbc(library, "transfer", facts, "2027-06-28", runtime="python")):
        text = canonical_json(decision)
        assert "48.137" not in text and "12.345" not in text
        assert "unit_price_eur" not in text and "unit_price_to_holder_eur" not in text
        assert decision["values"]["unit_prices_disclosure"] == DISCLOSURE
    result = cli("evaluate", write_lbc(tmp_path / "resale.yaml", "transfer", facts, ANCHOR, "2027-06-28"), "--format", "json")
    assert result.exit_code == 0, result.output
    assert "48.137" not in result.stdout and "12.345" not in result.stdout
    text = cli("evaluate", tmp_path / "resale.yaml")
    assert "48.137" not in text.stdout and "12.345" not in text.stdout


def test_no_rule_reads_the_unit_prices(library: Library) -> None:
    decision = transfer(library)
    read = {p["name"] for entry in decision["trail"] for p in entry.get("premises", []) if p["kind"] == "fact"}
    assert not read & {"unit_prices", "unit_price_to_holder_eur"}
    assert {"transferees", "transferor", "contract", "attestation", "project"} <= read


# --- transfer and financing: projects registered before the arrêté (art. 32 transition) ---------------------------


@pytest.mark.parametrize(
    "registered, signed, event, outcome, transition, due",
    [
        pytest.param("2023-03-20", "2025-07-15", "2026-09-08", "transfer_valid", True, "2026-09-08", id="old-contract-on-the-last-day"),
        pytest.param("2023-03-20", "2025-07-15", "2026-09-09", "declaration_late", True, "2026-09-08", id="old-contract-the-day-after"),
        pytest.param("2025-09-07", "2026-01-10", "2026-09-08", "transfer_valid", True, "2026-09-08", id="registered-the-day-before-new-contract"),
        pytest.param("2023-03-20", "2026-08-01", "2026-11-01", "transfer_valid", True, "2026-11-01", id="three-months-beyond-the-transition"),
        pytest.param("2023-03-20", "2026-08-01", "2026-11-02", "declaration_late", True, "2026-11-01", id="three-months-beyond-the-transition-late"),
        pytest.param("2025-09-08", "2026-01-10", "2026-04-10", "transfer_valid", False, "2026-04-10", id="registered-on-entry-into-force"),
        pytest.param("2025-09-08", "2026-01-10", "2026-04-11", "declaration_late", False, "2026-04-10", id="registered-on-entry-into-force-late"),
    ],
)
def test_a_registered_project_declares_its_transfers_by_8_september_2026_at_the_earliest(library: Library, registered, signed, event, outcome, transition, due) -> None:
    decision = transfer(library, event, anchor=OLD_ANCHOR, registered=registered, verified="2025-05-27", signed=signed)
    assert decision["outcome"] == outcome
    assert (decision["values"]["transition_applies"], decision["values"]["declaration_due_by"]) == (transition, due)


def test_the_transition_cites_article_32_and_its_decision(library: Library) -> None:
    decision = transfer(library, "2026-09-08", anchor=OLD_ANCHOR, registered="2023-03-20", verified="2025-05-27", signed="2025-07-15")
    [entry] = [e for e in decision["trail"] if e.get("name") == "declaration_due_by"]
    assert entry["clause"] == "art. 32 transition"
    assert entry["because"] == (
        "The 3 months end on 2025-10-15; registered before the arrêté: yes, so article 29 reaches the project within the "
        "transition of article 32, ending on 2026-09-08: due by 2026-09-08."
    )
    assert entry["readings"] == ["articles-28-29-transition"]
    params = {p["name"]: (p["value"], p["clause"]) for p in entry["premises"] if p["kind"] == "parameter"}
    assert params == {
        "entry_into_force": ("2025-09-08", "code civil art. 1"), "transition_years": (1, "art. 32 transition"),
        "transfer_declaration_months": (3, "art. 29 declaration"),
    }
    assert {(v["section"], v["mode"]) for v in decision["versions"]} == {("transfer", "retroactive"), ("registry_transition", "retroactive")}


@pytest.mark.parametrize(
    "registered, signed, event, outcome, due",
    [
        pytest.param("2023-11-15", "2025-03-18", "2026-09-08", "declared_in_time", "2026-09-08", id="old-contract-on-the-last-day"),
        pytest.param("2023-11-15", "2025-03-18", "2026-09-09", "declaration_late", "2026-09-08", id="old-contract-the-day-after"),
        pytest.param("2025-09-07", "2025-10-01", "2026-09-08", "declared_in_time", "2026-09-08", id="registered-the-day-before"),
        pytest.param("2023-11-15", "2026-07-15", "2026-10-15", "declared_in_time", "2026-10-15", id="three-months-beyond-the-transition"),
        pytest.param("2025-09-08", "2025-10-01", "2026-01-01", "declared_in_time", "2026-01-01", id="registered-on-entry-into-force"),
        pytest.param("2025-09-08", "2025-10-01", "2026-01-02", "declaration_late", "2026-01-01", id="registered-on-entry-into-force-late"),
    ],
)
def test_a_registered_project_declares_its_financing_by_8_september_2026_at_the_earliest(library: Library, registered, signed, event, outcome, due) -> None:
    decision = finance(library, event, anchor="2024-03-01", registered=registered, signed=signed)
    assert (decision["outcome"], decision["values"]["declaration_due_by"]) == (outcome, due)
    assert decision["values"]["transition_applies"] is (registered < "2025-09-08")


@pytest.mark.parametrize(
    "procedure, facts",
    [
        ("transfer", transfer_facts(registered="2023-03-20", verified="2025-05-27", signed="2025-07-15")),
        ("retirement", retirement_facts(2025, credits=[lot("S-001", verified="2025-05-27")])),
        ("financing_declaration", financing_facts(registered="2023-03-20", signed="2025-07-15")),
    ],
)
def test_an_event_before_the_arrete_is_governed_by_no_version(cli: Callable[..., Any], tmp_path: Path, procedure, facts) -> None:
    """The 2018 arrêté is not encoded: a dossier of 7 September 2025 has no version to be judged under."""
    path = write_lbc(tmp_path / f"{procedure}.yaml", procedure, facts, OLD_ANCHOR, "2025-09-07")
    result = cli("evaluate", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    section = {"financing_declaration": "financing"}.get(procedure, procedure)
    assert unlined(result.stderr).splitlines() == [
        f"invalid dossier: {path}: no version of label-bas-carbone governs section '{section}' of a cycle anchored on {OLD_ANCHOR} on 2025-09-07",
        f"  - {path} $.event_date: version 2025-09-05 applies to running cycles only from 2025-09-08 (retroactive from 2025-09-08)",
    ]
    assert "Traceback" not in unlined(result.output)


@pytest.mark.parametrize(
    "procedure, facts, outcome",
    [
        ("transfer", transfer_facts(registered="2023-03-20", verified="2025-05-27", signed="2025-07-15"), "transfer_valid"),
        ("retirement", retirement_facts(2025, credits=[lot("S-001", verified="2025-05-27")]), "retired"),
        ("financing_declaration", financing_facts(registered="2023-03-20", signed="2025-07-15"), "declared_in_time"),
    ],
)
def test_an_event_on_the_day_of_entry_into_force_is_judged_under_the_arrete(library: Library, procedure, facts, outcome) -> None:
    decision = lbc(library, procedure, facts, "2025-09-08", OLD_ANCHOR)
    assert decision["outcome"] == outcome
    assert {v["mode"] for v in decision["versions"]} == {"retroactive"}


# --- retirement (art. 27) ------------------------------------------------------------------------------------------


def test_verified_credits_held_are_retired_for_the_current_year(library: Library) -> None:
    decision = retire(library, "2027-10-04", 2027)
    assert decision["outcome"] == "retired"
    assert decision["findings"] == []
    assert decision["values"] == {
        "current_year": 2027,
        "quantity_tco2e": 335,
        "refusal_reasons": [],
        "year_changeable_until": "2027-12-31",
        "retirement_effect": {
            "lots": ["S-001", "E-001"], "tco2e": 335, "final_beneficiary": DAIRY, "can_be_used_again": False, "can_be_transferred": False,
        },
    }
    [effect] = [e for e in decision["trail"] if e.get("name") == "retirement_effect"]
    assert effect["clause"] == "art. 27 final"


@pytest.mark.parametrize(
    "event, year, outcome",
    [
        pytest.param("2027-01-01", 2027, "retired", id="current-year-on-1-january"),
        pytest.param("2027-12-31", 2027, "retired", id="current-year-on-31-december"),
        pytest.param("2027-12-31", 2028, "retired", id="next-year"),
        pytest.param("2027-01-01", 2026, "retirement_refused", id="year-before-on-1-january"),
        pytest.param("2027-06-15", 2020, "retirement_refused", id="years-before"),
    ],
)
def test_the_retirement_year_cannot_precede_the_current_year(library: Library, event, year, outcome) -> None:
    decision = retire(library, event, year)
    assert decision["outcome"] == outcome
    if outcome == "retirement_refused":
        assert decision["values"]["refusal_reasons"] == ["year_before_current"]
        assert messages(decision, "RETIREMENT_YEAR_BEFORE_CURRENT") == [f"The retirement year {year} precedes the current year {event[:4]}."]
    else:
        assert decision["values"]["year_changeable_until"] == f"{year}-12-31"


@pytest.mark.parametrize(
    "credits, reasons, codes",
    [
        pytest.param([lot("S-001"), lot("S-002", verified=None)], ["credits_not_verified"], ["CREDITS_NOT_VERIFIED"], id="a-lot-not-verified"),
        pytest.param([lot("S-001", holder=ARCHITECTS)], ["credits_not_held"], ["CREDITS_NOT_HELD"], id="a-lot-held-by-another"),
        pytest.param([lot("S-001"), lot("S-002", retired=(2027, "contribution"))], ["credits_already_retired"], ["CREDITS_ALREADY_RETIRED"], id="a-lot-already-retired"),
        pytest.param(
            [lot("S-001", holder=ARCHITECTS, verified=None), lot("S-002", retired=(2027, "contribution"))],
            ["credits_not_verified", "credits_not_held", "credits_already_retired"],
            ["CREDITS_NOT_VERIFIED", "CREDITS_NOT_HELD", "CREDITS_ALREADY_RETIRED"], id="every-reason",
        ),
    ],
)
def test_only_verified_unretired_credits_held_are_retired(library: Library, credits, reasons, codes) -> None:
    decision = retire(library, "2027-10-04", 2027, credits=credits)
    assert decision["outcome"] == "retirement_refused"
    assert decision["values"]["refusal_reasons"] == reasons
    assert sorted(finding_codes(decision)) == sorted(codes)
    assert "retirement_effect" not in decision["values"]


def test_a_lot_retired_twice_names_its_earlier_retirement(library: Library) -> None:
    decision = retire(library, "2027-10-04", 2027, credits=[lot("S-002", retired=(2027, "contribution"))])
    assert messages(decision, "CREDITS_ALREADY_RETIRED") == ["Lot S-002 was already retired for 2027 (contribution): it can no longer be used."]
    assert [f["clause"] for f in decision["findings"]] == ["art. 27 final"]


@pytest.mark.parametrize(
    "event, year, designated, outcome, reasons",
    [
        pytest.param("2027-06-01", 2028, 2027, "year_changed", [], id="within-the-designated-year"),
        pytest.param("2027-12-31", 2028, 2027, "year_changed", [], id="on-31-december-of-the-designated-year"),
        pytest.param("2028-01-01", 2028, 2027, "retirement_refused", ["designated_year_ended"], id="on-1-january-after"),
        pytest.param("2027-06-01", 2027, 2029, "year_changed", [], id="brought-forward-to-the-current-year"),
        pytest.param("2027-06-01", 2026, 2027, "retirement_refused", ["year_before_current"], id="to-a-year-before-the-current"),
        pytest.param("2029-02-01", 2030, 2027, "retirement_refused", ["designated_year_ended"], id="years-after"),
    ],
)
def test_the_year_may_be_changed_until_the_designated_year_has_ended(library: Library, event, year, designated, outcome, reasons) -> None:
    decision = change_year(library, event, year, designated)
    assert decision["outcome"] == outcome
    assert decision["values"]["refusal_reasons"] == reasons
    assert decision["values"]["previous_years"] == [designated]


def test_a_change_after_the_year_ended_says_when_it_ended(library: Library) -> None:
    decision = change_year(library, "2028-01-01", 2028)
    assert messages(decision, "RETIREMENT_YEAR_ENDED") == [
        "Lot S-001 was retired for 2027, a year that ended on 2027-12-31: its year can no longer be changed."
    ]


def test_a_change_of_year_names_retired_credits(library: Library) -> None:
    decision = change_year(library, "2027-06-01", 2028, credits=[lot("S-001", retired=(2027, "contribution")), lot("S-009")])
    assert decision["outcome"] == "retirement_refused"
    assert decision["values"]["refusal_reasons"] == ["credits_not_retired"]
    assert messages(decision, "CREDITS_NOT_RETIRED") == ["Lot S-009 has not been retired: there is no retirement year to change."]


def test_a_changed_retirement_stays_final(library: Library) -> None:
    decision = change_year(library, "2027-12-31", 2028)
    assert decision["values"]["year_changeable_until"] == "2028-12-31"
    assert decision["values"]["retirement_effect"]["can_be_transferred"] is False


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        pytest.param({"use": None}, "$.facts.request.use: a retirement states its use, one of contribution, voluntary_offsetting, mandatory_offsetting (art. 27 use)", id="no-use"),
        pytest.param({"use": "resale"}, "$.facts.request.use: a retirement states its use, one of contribution, voluntary_offsetting, mandatory_offsetting (art. 27 use)", id="unknown-use"),
        pytest.param(
            {"kind": "year_change", "use": "contribution", "credits": [lot("S-001", retired=(2027, "contribution"))]},
            "$.facts.request.use: a change request changes the retirement year only (decision retirement-change) (art. 27 year)", id="use-in-a-change",
        ),
        pytest.param({"credits": [lot("S-001"), lot("S-001")]}, "$.facts.credits: a lot is named once in a request (art. 27)", id="a-lot-twice"),
        pytest.param({"credits": [lot("S-001", verified="2027-10-05")]}, "$.facts.credits: a lot cannot be verified after the request of 2027-10-04 (art. 27)", id="verified-after"),
        pytest.param(
            {"credits": [lot("S-001", verified=None, retired=(2027, "contribution"))]},
            "$.facts.credits: a lot already retired was verified, and retired for one of contribution, voluntary_offsetting, mandatory_offsetting (art. 27 use)",
            id="retired-unverified",
        ),
    ],
)
def test_impossible_retirement_requests_are_input_errors(library: Library, kwargs, problem) -> None:
    assert input_problems(lambda: retire(library, "2027-10-04", 2027, **kwargs)) == [f"test dossier (retirement) {problem}"]


# --- financing of a project not yet verified (art. 28) ----------------------------------------------------------------


def test_participants_declared_within_three_months(library: Library) -> None:
    decision = finance(library, "2026-04-20")
    assert decision["outcome"] == "declared_in_time"
    assert decision["findings"] == []
    assert decision["values"] == {
        "project_unverified_at_signature": True,
        "risk_sharing": "provided",
        "transition_applies": False,
        "declaration_due_by": "2026-04-20",
        "missing_rates": [],
        "total_rate_percent": 75,
        "published_participants": [
            {"participant": "Conserverie Quercynoise", "rate_percent": 60},
            {"participant": "anonymous (on request to the DGEC)", "rate_percent": 15},
        ],
        "declaration_effect": "declarative, modifiable and non-binding until the project is verified and its credits officially transferred",
    }


@pytest.mark.parametrize(
    "signed, event, outcome, due",
    [
        pytest.param("2026-01-20", "2026-04-20", "declared_in_time", "2026-04-20", id="exactly-three-months"),
        pytest.param("2026-01-20", "2026-04-21", "declaration_late", "2026-04-20", id="three-months-and-a-day"),
        pytest.param("2026-08-31", "2026-11-30", "declared_in_time", "2026-11-30", id="clamped-to-30-november"),
        pytest.param("2026-08-31", "2026-12-01", "declaration_late", "2026-11-30", id="day-after-30-november"),
        pytest.param("2025-11-30", "2026-02-28", "declared_in_time", "2026-02-28", id="clamped-to-28-february"),
        pytest.param("2025-11-30", "2026-03-01", "declaration_late", "2026-02-28", id="day-after-28-february"),
        pytest.param("2026-01-20", "2026-01-20", "declared_in_time", "2026-04-20", id="on-the-day-of-the-contract"),
    ],
)
def test_the_financing_is_declared_three_calendar_months_after_the_first_contract(library: Library, signed, event, outcome, due) -> None:
    decision = finance(library, event, signed=signed)
    assert (decision["outcome"], decision["values"]["declaration_due_by"]) == (outcome, due)
    assert messages(decision, "DECLARATION_LATE") == ([f"The financing was declared on {event}; it was due by {due}."] if outcome == "declaration_late" else [])


def test_a_participant_without_a_rate_makes_the_declaration_incomplete(library: Library) -> None:
    decision = finance(library, "2026-03-02", participants=[participant("Conserverie Quercynoise", 60), participant("Crédit Mutuel de Laval", None)])
    assert decision["outcome"] == "declaration_incomplete"
    assert decision["values"]["missing_rates"] == ["Crédit Mutuel de Laval"]
    assert decision["values"]["total_rate_percent"] == 60
    assert messages(decision, "PARTICIPATION_RATE_MISSING") == ["The declaration gives no participation rate for Crédit Mutuel de Laval."]


def test_an_incomplete_financing_declaration_made_late_is_incomplete_and_reported_late(library: Library) -> None:
    decision = finance(library, "2026-04-21", participants=[participant("Crédit Mutuel de Laval", None)])
    assert decision["outcome"] == "declaration_incomplete"
    assert finding_codes(decision) == ["PARTICIPATION_RATE_MISSING", "DECLARATION_LATE"]


@pytest.mark.parametrize(
    "rates, total",
    [
        pytest.param([100], 100, id="one-at-100"),
        pytest.param([55.5, 44.5], 100, id="together-exactly-100"),
        pytest.param([0, 30], 30, id="a-rate-of-0"),
    ],
)
def test_rates_up_to_100_percent_together_are_lawful(library: Library, rates, total) -> None:
    participants = [participant(f"Participant {i}", r) for i, r in enumerate(rates)]
    decision = finance(library, "2026-03-02", participants=participants)
    assert decision["outcome"] == "declared_in_time"
    assert decision["values"]["total_rate_percent"] == total


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        pytest.param(
            {"participants": [participant("A", 60), participant("B", 40.5)]},
            "$.facts.participants: the participation rates total 100.5 %, more than 100 % (decision participation-rates) (art. 28)", id="together-above-100",
        ),
        pytest.param({"participants": [participant("A", 100.5)]}, "$.facts.participants[0].rate_percent: max value is 100", id="one-above-100"),
        pytest.param({"participants": [participant("A", -1)]}, "$.facts.participants[0].rate_percent: min value is 0", id="a-negative-rate"),
        pytest.param({"participants": [participant("A", 10), participant("A", 20)]}, "$.facts.participants: a participant is named once (art. 28)", id="named-twice"),
        pytest.param(
            {"signed": "2026-03-03"}, "$.facts.contract.signed_on: the financing is declared (2026-03-02) before its first contract is signed (2026-03-03) (art. 28)",
            id="contract-after-the-declaration",
        ),
        pytest.param(
            {"registered": "2026-03-03"}, "$.facts.project.registered_on: the financing is declared on the registry (2026-03-02) before the project entered it (2026-03-03) (art. 28)",
            id="declared-before-registration",
        ),
        pytest.param(
            {"verified": "2026-03-03"}, "$.facts.project.first_verified_on: the first verification (2026-03-03) cannot follow the declaration (2026-03-02) (art. 28)",
            id="verified-after-the-declaration",
        ),
    ],
)
def test_impossible_financing_declarations_are_input_errors(library: Library, kwargs, problem) -> None:
    problems = input_problems(lambda: finance(library, "2026-03-02", **kwargs))
    assert problems == [f"test dossier (financing_declaration) {problem}"]


@pytest.mark.parametrize(
    "verified, outcome",
    [
        pytest.param("2026-01-19", "not_applicable", id="verified-the-day-before-the-contract"),
        pytest.param("2026-01-20", "not_applicable", id="verified-on-the-day-of-the-contract"),
        pytest.param("2026-01-21", "declared_in_time", id="verified-the-day-after-the-contract"),
    ],
)
def test_article_28_concerns_a_project_not_yet_verified_at_the_contract(library: Library, verified, outcome) -> None:
    decision = finance(library, "2026-03-02", verified=verified)
    assert decision["outcome"] == outcome
    if outcome == "not_applicable":
        assert decision["values"] == {"project_unverified_at_signature": False, "risk_sharing": "not_required"}
        assert finding_codes(decision) == ["PROJECT_ALREADY_VERIFIED"]


@pytest.mark.parametrize("risk_sharing, codes", [(True, []), (None, ["RISK_SHARING_NOT_KNOWN"]), (False, ["RISK_SHARING_NOT_PROVIDED"])])
def test_a_financing_without_risk_sharing_is_reported(library: Library, risk_sharing, codes) -> None:
    """The same reading as for a transfer (decision risk-sharing): reported, never refused — "les contractants doivent
    prévoir explicitement les modalités de partage du risque" carries no sanction in the arrêté."""
    decision = finance(library, "2026-03-02", risk_sharing=risk_sharing)
    assert decision["outcome"] == "declared_in_time"
    assert finding_codes(decision) == codes
    assert [f["clause"] for f in decision["findings"]] == ["art. 29 risk"] * len(codes)


def test_an_input_error_exits_1_through_the_cli(cli: Callable[..., Any], tmp_path: Path) -> None:
    facts = financing_facts(participants=[participant("A", 60), participant("B", 50)])
    path = write_lbc(tmp_path / "financing.yaml", "financing_declaration", facts, "2025-11-03", "2026-03-02")
    result = cli("evaluate", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{path} $.facts.participants: the participation rates total 110 %, more than 100 % (decision participation-rates) (art. 28)" in unlined(result.stderr)


# --- both runtimes ------------------------------------------------------------------------------------------------------


CASES = [
    pytest.param("transfer", transfer_facts(), ANCHOR, "2027-06-28", id="transfer-valid"),
    pytest.param("transfer", transfer_facts(transferees=[transferee(DAIRY, 641, None)], attestation=None), ANCHOR, "2027-09-01", id="transfer-refused"),
    pytest.param("transfer", transfer_facts(attestation=None), ANCHOR, "2027-06-28", id="transfer-incomplete"),
    pytest.param("transfer", transfer_facts(registered="2023-03-20", verified="2025-05-27", signed="2025-07-15"), OLD_ANCHOR, "2026-09-09", id="transfer-late-transition"),
    pytest.param("retirement", retirement_facts(2027), ANCHOR, "2027-10-04", id="retired"),
    pytest.param("retirement", retirement_facts(2028, kind="year_change", use=None, credits=[lot("S-001", retired=(2027, "contribution"))]), ANCHOR, "2027-12-31", id="year-changed"),
    pytest.param("retirement", retirement_facts(2026, credits=[lot("S-001", holder=ARCHITECTS)]), ANCHOR, "2027-01-01", id="retirement-refused"),
    pytest.param("financing_declaration", financing_facts(), ANCHOR, "2026-04-21", id="financing-late"),
    pytest.param("financing_declaration", financing_facts(participants=[participant("A", None)]), ANCHOR, "2026-03-02", id="financing-incomplete"),
    pytest.param("financing_declaration", financing_facts(verified="2026-01-20"), ANCHOR, "2026-03-02", id="financing-not-applicable"),
]


@pytest.mark.parametrize("procedure, facts, anchor, event", CASES)
def test_both_runtimes_decide_alike(library: Library, procedure, facts, anchor, event) -> None:
    durable = lbc(library, procedure, facts, event, anchor)
    python = lbc(library, procedure, facts, event, anchor, runtime="python")
    assert canonical_json(python) == canonical_json(durable)
