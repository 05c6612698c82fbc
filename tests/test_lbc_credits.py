"""Label bas carbone: a project's credits (`project_credits`), their verification (`verification`), and time.

Articles of the arrêté of 5 September 2025 (shared/seeds/label-bas-carbone-arrete-2025-ch2-methods.txt,
-ch4-verification-credits.txt) and its decisions (referentials/label-bas-carbone/2025-09-05.yaml):

- art. 8 — only actions undertaken *after* the notification earn credits (an action started on the day of
  the notification does not: "postérieurement"); no credit for continuing an existing practice unless the
  method provides for the derogation and its cost is very significant (Haies does, Boisement does not);
- art. 13 and decision non-permanence-scope — the non-permanence discount bears on sequestration only;
  art. 7.2 and decision discounts-order — discounts applied in the method's order, one after the other
  (multiplicative: Boisement, Haies 2026) or summed (additive: Haies 2021); decision credit-precision —
  three decimals; art. 12 and decision ex-ante-scope — ex-ante credits where the method allows them, of
  reductions and sequestration alike; art. 7.4 — the verification level is one the method knows, and its
  discount is the verification modalities' (decision verification-discount-follows-verification);
- art. 25 — a complete request (25.1); an auditor competent by the method's list, by its criteria (a
  body of 25.2 whose accreditation covers the sector), or, for a method approved before the arrêté with
  neither, by a proposal sent at least three months before the audit and accepted by the authority,
  whose opinion is due within two months (decisions auditor-proposal, auditor-proposal-scope); an
  independent auditor (25.2); the checks on site the method requires (25.3); a decided quantity at most the
  auditor's, a collective project credited
  as a whole (25.5); data kept three years (25.6, decision data-retention);
- time — art. 16: a labelled project's credits are quantified under the method version of its labelling
  and verified under the version in force on the verification; art. 17: a repealed method labels no new
  project, labelled ones keep it; art. 32: the arrêté reaches back to projects labelled before it, from
  8 September 2025 (decisions retroactivity, method-repeal); a method version forced through the
  dossier's companions is warned about when the rules of time give another.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import judge, ROOT, dossier_document, finding_codes, flat, unwrapped, write_version, unlined

from engine import DossierError, Library, load_dossier
from engine.model.canonical import canonical_json
from engine.model.documents import load_document

LBC = "label-bas-carbone"
BOISEMENT = "label-bas-carbone-boisement"
HAIES = "label-bas-carbone-haies"
EXAMPLES = ROOT / "examples" / LBC
LABELLED = "2024-03-01"  # a Boisement project labelled under the 2019 version
PINNED_TO_2019 = (
    "version 2019-04-01 was in force on the cycle anchor 2024-03-01 (from 2019-04-01); section 'method_quantification' "
    "is pinned to the cycle; version 2026-01-15 (in force from 2026-01-15) applies from the next cycle (its art. 16 quantification)"
)


# --- building dossiers ------------------------------------------------------------------------------------


def lbc(
    library: Library,
    procedure: str,
    facts: dict[str, Any],
    anchor: str,
    event: str,
    *,
    method: str = BOISEMENT,
    version: str | None = None,
    runtime: str = "durable-rules",
) -> dict[str, Any]:
    return judge(library, procedure, facts, anchor, event, scheme=LBC, runtime=runtime, companions=method_of(method, version))


def method_of(method: str, version: str | None = None) -> dict[str, Any]:
    return {"method": method if version is None else {"scheme": method, "version": version}}


def lbc_document(procedure: str, facts: dict[str, Any], anchor: str, event: str, method: str = BOISEMENT, version: str | None = None) -> dict[str, Any]:
    return dossier_document(procedure, facts, anchor, event, scheme=LBC, companions=method_of(method, version))


def write_lbc(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def action(id: str, started_on: str, kind: str = "sequestration", gain: float = 100.0, **more: Any) -> dict[str, Any]:
    return {"id": id, "started_on": started_on, "kind": kind, "gain_tco2e": gain, **more}


def credits(actions: list[dict[str, Any]], *, notified: str = "2023-11-15", credit_type: str = "ex_post", level: str = "standard") -> dict[str, Any]:
    return {"notified_on": notified, "credit_type": credit_type, "verification_level": level, "actions": actions}


REQUEST = {"monitoring_report": True, "verification_report": True, "auditor_evidence": True}
SYLVA = {"name": "Sylva Vérification", "body_type": "pefc_fsc_vcs_certifier", "accredited_sectors": ["forestry"]}
AGROCERT = {"name": "Agrocert Ouest", "body_type": "agri_food_quality_certifier", "accredited_sectors": ["agriculture"]}


def verification(**changes: Any) -> dict[str, Any]:
    facts = {
        "request": dict(REQUEST),
        "project": {"sector": "forestry"},
        "auditor": dict(SYLVA),
        "auditor_checks": ["on_site"],  # Boisement verifies on site (art. 25.3)
        "audit_on": "2026-04-14",
        "requested_tco2e": 1000,
        "auditor_tco2e": 1000,
    }
    facts.update(changes)
    return facts


def verify(library: Library, facts: dict[str, Any], event: str = "2026-05-18", anchor: str = LABELLED, **kwargs: Any) -> dict[str, Any]:
    return lbc(library, "verification", facts, anchor, event, **kwargs)


def haies_verification(**changes: Any) -> dict[str, Any]:
    return verification(**{"project": {"sector": "agriculture"}, "auditor": dict(AGROCERT), "audit_on": "2026-03-17", **changes})


def proposal(sent_on: str, opinion_on: str | None = None, favourable: bool | None = None) -> dict[str, Any]:
    return {"sent_on": sent_on, "opinion_on": opinion_on, "opinion_favourable": favourable}


def versions_of(decision: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {v["section"]: (v["version"], v["mode"]) for v in decision["versions"]}


def reason(decision: dict[str, Any], section: str) -> str:
    return next(v["reason"] for v in decision["versions"] if v["section"] == section)


def messages(decision: dict[str, Any], code: str) -> list[str]:
    return [f["message"] for f in decision["findings"] if f["code"] == code]


# --- project_credits: which actions earn credits (art. 8) ----------------------------------------------------


@pytest.mark.parametrize("started_on, eligible", [("2023-11-14", False), ("2023-11-15", False), ("2023-11-16", True)])
def test_only_actions_started_after_the_notification_earn_credits(library: Library, started_on: str, eligible: bool) -> None:
    facts = credits([action("plantation", started_on), action("regarnis", "2024-01-10")])
    decision = lbc(library, "project_credits", facts, LABELLED, "2026-02-10")
    assert decision["values"]["eligible_actions"] == (["plantation", "regarnis"] if eligible else ["regarnis"])
    assert decision["values"]["excluded_actions"] == ([] if eligible else [{"action": "plantation", "reason": "started_before_notification"}])
    assert messages(decision, "ACTION_BEFORE_NOTIFICATION") == (
        [] if eligible else [f"Action plantation started on {started_on}, not after the notification of 2023-11-15: it earns no credit."]
    )


@pytest.mark.parametrize(
    "method, anchor, cost_very_significant, credited",
    [
        (HAIES, "2022-04-01", True, True),  # Haies provides for the derogation
        (HAIES, "2022-04-01", False, False),
        (BOISEMENT, LABELLED, True, False),  # Boisement does not
        (BOISEMENT, LABELLED, False, False),
    ],
)
def test_continuing_an_existing_practice_needs_the_method_s_derogation_and_a_very_significant_cost(
    library: Library, method: str, anchor: str, cost_very_significant: bool, credited: bool
) -> None:
    level = "documentary" if method == HAIES else "standard"
    facts = credits(
        [action("entretien", "2022-01-10", continuation_of_existing_practice=True, continuation_cost_very_significant=cost_very_significant),
         action("plantation", "2022-01-10")],
        notified="2021-11-15", level=level,
    )
    decision = lbc(library, "project_credits", facts, anchor, "2026-02-10", method=method)
    assert decision["values"]["eligible_actions"] == (["entretien", "plantation"] if credited else ["plantation"])
    if credited:
        assert messages(decision, "CONTINUATION_DEROGATION") == [
            "Action entretien continues an existing practice at a very significant cost; method version 2021-06-01 provides for the derogation: it earns credits."
        ]
        assert "CONTINUATION_NOT_CREDITED" not in finding_codes(decision)
    else:
        assert decision["values"]["excluded_actions"] == [{"action": "entretien", "reason": "continuation_of_existing_practice"}]
        derogation = "yes" if method == HAIES else "no"
        assert messages(decision, "CONTINUATION_NOT_CREDITED") == [
            (f"Action entretien continues an existing practice; the method allows the derogation: {derogation}; "
            f"its cost is very significant: {'yes' if cost_very_significant else 'no'}.")
        ]


def test_nothing_to_credit_when_no_action_earns_credits(library: Library) -> None:
    facts = credits([action("coupe", "2023-10-01"), action("plantation", "2023-11-15"),
                     action("entretien", "2024-01-10", continuation_of_existing_practice=True, continuation_cost_very_significant=True)])
    decision = lbc(library, "project_credits", facts, LABELLED, "2026-02-10")
    assert decision["outcome"] == "nothing_to_credit"
    assert decision["values"]["eligible_actions"] == []
    assert decision["values"]["total_credits_tco2e"] == 0.0
    assert decision["values"]["excluded_actions"] == [
        {"action": "coupe", "reason": "started_before_notification"},
        {"action": "plantation", "reason": "started_before_notification"},
        {"action": "entretien", "reason": "continuation_of_existing_practice"},
    ]


# --- project_credits: discounts (art. 7.2, 13) -------------------------------------------------------------------


MIXED = [action("plantation", "2024-01-10", gain=1000), action("broyage-local", "2024-01-10", kind="emission_reduction", gain=200)]


@pytest.mark.parametrize(
    "method, anchor, level, order, combination, sequestration, reduction",
    [
        # Boisement 2019, quantified before the revision: 1000 × 0.90 × 0.95 × 0.90 = 769.5; 200 × 0.95 × 0.90 = 171
        (BOISEMENT, LABELLED, "standard", ["non_permanence", "asymmetric_uncertainty", "verification_level"], "multiplicative", 769.5, 171.0),
        # Boisement 2019, quantified after the revision: its own non-permanence and asymmetric discounts, but the standard
        # verification level's discount of the revised method (8 %, art. 7.4 and 16): 1000 × 0.90 × 0.95 × 0.92 = 786.6;
        # 200 × 0.95 × 0.92 = 174.8
        (BOISEMENT, LABELLED, "standard", ["non_permanence", "asymmetric_uncertainty", "verification_level"], "multiplicative", 786.6, 174.8),
        # Boisement 2026: 1000 × 0.85 × 0.95 × 0.92 = 742.9; 200 × 0.95 × 0.92 = 174.8
        (BOISEMENT, "2026-02-02", "standard", ["non_permanence", "asymmetric_uncertainty", "verification_level"], "multiplicative", 742.9, 174.8),
        # Haies 2021, additive in its own order: 1000 × (1 − 0.10 − 0.20 − 0.10) = 600; 200 × (1 − 0.10 − 0.10) = 160
        (HAIES, "2024-03-01", "documentary", ["asymmetric_uncertainty", "non_permanence", "verification_level"], "additive", 600.0, 160.0),
        # Haies 2026, the same rates multiplied: 1000 × 0.80 × 0.90 × 0.90 = 648; 200 × 0.90 × 0.90 = 162
        (HAIES, "2026-03-02", "documentary", ["non_permanence", "asymmetric_uncertainty", "verification_level"], "multiplicative", 648.0, 162.0),
        # Haies 2021 on-site checks of every hedge: 1000 × (1 − 0.10 − 0.20 − 0) = 700; 200 × (1 − 0.10) = 180
        (HAIES, "2024-03-01", "on_site_all", ["asymmetric_uncertainty", "non_permanence", "verification_level"], "additive", 700.0, 180.0),
    ],
    ids=["boisement-2019", "boisement-2019-after-revision", "boisement-2026", "haies-2021-additive", "haies-2026-multiplicative",
         "haies-2021-on-site-all"],
)
def test_the_discounts_apply_in_the_method_s_order_and_way(
    request: pytest.FixtureRequest, library: Library, method: str, anchor: str, level: str, order: list[str], combination: str,
    sequestration: float, reduction: float
) -> None:
    facts = credits(MIXED, notified="2023-11-15", level=level)
    event = "2025-12-01" if request.node.callspec.id == "boisement-2019" else "2026-04-01"  # before Boisement's revision of 2026-01-15
    decision = lbc(library, "project_credits", facts, anchor, event, method=method)
    assert decision["outcome"] == "quantified"
    values = decision["values"]
    assert values["gains_tco2e"] == {"sequestration": 1000.0, "emission_reduction": 200.0}
    assert [s["discount"] for s in values["discount_steps"]["sequestration"]] == order
    # the non-permanence discount bears on sequestration only (art. 13)
    assert [s["discount"] for s in values["discount_steps"]["emission_reduction"]] == [d for d in order if d != "non_permanence"]
    assert values["credits_tco2e"] == {"sequestration": sequestration, "emission_reduction": reduction}
    assert values["total_credits_tco2e"] == round(sequestration + reduction, 3)
    amounts = next(e for e in decision["trail"] if e.get("name") == "credits_tco2e")
    assert f"({combination})" in amounts["because"]


def test_credits_are_computed_to_the_kilogram(library: Library) -> None:
    """2800.5 × 0.90 × 0.95 × 0.92 = 2202.87330 → 2202.873 (decision credit-precision): the 8 % of the revised
    method's standard verification level (art. 16, decision verification-discount-follows-verification)."""
    decision = library.evaluate(load_dossier(EXAMPLES / "credits-boisement-labelled-2024-quantified.yaml")).to_json()
    assert decision["values"]["credits_tco2e"] == {"sequestration": 2202.873, "emission_reduction": 0.0}
    assert decision["values"]["total_credits_tco2e"] == 2202.873


def test_a_nil_verification_discount_is_a_step_like_any_other(library: Library) -> None:
    """Boisement's reinforced verification sets 0 %: 1275.4 × 0.90 × 0.95 × 1 = 1090.467."""
    decision = library.evaluate(load_dossier(EXAMPLES / "credits-boisement-labelled-2020-retroactive-quantified.yaml")).to_json()
    assert decision["values"]["discount_steps"]["sequestration"][-1] == {"discount": "verification_level", "rate": 0.0}
    assert decision["values"]["credits_tco2e"]["sequestration"] == 1090.467


# --- project_credits: credit types (art. 12) and inputs ------------------------------------------------------------


def test_ex_ante_credits_of_reductions_and_sequestration_where_the_method_allows_them(library: Library) -> None:
    """Art. 12: "Les projets qui génèrent les crédits carbone ex-ante peuvent être des projets de séquestration" — an
    example, not a restriction (decision ex-ante-scope): the emission reductions are ex-ante too."""
    decision = lbc(library, "project_credits", credits(MIXED, credit_type="ex_ante"), LABELLED, "2026-02-10")
    assert decision["values"]["credit_types"] == {"sequestration": "ex_ante", "emission_reduction": "ex_ante"}
    assert finding_codes(decision) == []


def test_ex_ante_credits_refused_by_a_method_that_does_not_allow_them(library: Library) -> None:
    facts = credits(MIXED, credit_type="ex_ante", level="documentary")
    decision = lbc(library, "project_credits", facts, "2024-03-01", "2026-02-10", method=HAIES)
    assert decision["outcome"] == "quantified"
    assert decision["values"]["credit_types"] == {"sequestration": "ex_post", "emission_reduction": "ex_post"}
    assert messages(decision, "EX_ANTE_NOT_ALLOWED") == ["The method version 2021-06-01 does not allow ex-ante credits: the credits are ex-post."]
    assert decision["values"]["credits_tco2e"] == {"sequestration": 600.0, "emission_reduction": 160.0}  # ex-ante or not, the same discounts


def test_an_unknown_verification_level_is_an_input_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    """Boisement knows `standard` and `reinforced`; `on_site_all` is a level of Haies. The levels are those of the version
    governing the verification modalities on the event date (art. 16, decision verification-discount-follows-verification)."""
    path = write_lbc(tmp_path / "credits.yaml", lbc_document("project_credits", credits(MIXED, level="on_site_all"), LABELLED, "2026-02-10"))
    result = cli("evaluate", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "the inputs of procedure 'project_credits' are inconsistent" in unlined(result.stderr)
    assert (f"{path} $.facts.verification_level: the method version 2026-01-15, which governs the verification modalities, "
            "knows no verification level 'on_site_all' (art. 7.4 verification discount)") in unlined(result.stderr)


def test_a_project_cannot_be_labelled_before_its_notification(library: Library) -> None:
    with pytest.raises(DossierError) as caught:
        lbc(library, "project_credits", credits(MIXED, notified="2024-03-02"), LABELLED, "2026-02-10")
    assert [p.render() for p in caught.value.problems] == [
        ("test dossier (project_credits) $.facts.notified_on: the project is labelled (cycle anchor 2024-03-01) before its "
        "notification (2024-03-02) (art. 8 notification)")
    ]


# --- verification: the request and the auditor's independence (art. 25.1, 25.2) -------------------------------


@pytest.mark.parametrize(
    "request_, missing",
    [
        ({"monitoring_report": False}, ["monitoring_report"]),
        ({"verification_report": False}, ["verification_report"]),
        ({"auditor_evidence": False}, ["auditor_independence_impartiality_competence_evidence"]),
        ({"monitoring_report": False, "verification_report": False, "auditor_evidence": False},
         ["monitoring_report", "verification_report", "auditor_independence_impartiality_competence_evidence"]),
    ],
    ids=["monitoring-report", "verification-report", "auditor-evidence", "all"],
)
def test_an_incomplete_request(library: Library, request_: dict[str, bool], missing: list[str]) -> None:
    # an incomplete request is decided as such before the auditor is judged (here not independent either)
    auditor = {**SYLVA, "contractual_ties": ["verification_contract", "consulting"]}
    decision = verify(library, verification(request={**REQUEST, **request_}, auditor=auditor))
    assert decision["outcome"] == "request_incomplete"
    assert decision["values"]["missing_documents"] == missing
    assert messages(decision, "REQUEST_DOCUMENT_MISSING") == [f"The verification request lacks: {m}." for m in missing]
    assert "verified_tco2e" not in decision["values"] and "data_kept_until" not in decision["values"]


@pytest.mark.parametrize(
    "ties, independent",
    [
        (["verification_contract"], True),
        (["verification_contract", "other_independent_verification"], True),
        (["verification_contract", "consulting"], False),
        (["other"], False),
    ],
)
def test_an_auditor_tied_only_by_verifications_is_independent(library: Library, ties: list[str], independent: bool) -> None:
    decision = verify(library, verification(auditor={**SYLVA, "contractual_ties": ties}))
    assert decision["outcome"] == ("verified" if independent else "auditor_not_independent")
    if not independent:
        others = ", ".join(t for t in ties if t not in ("verification_contract", "other_independent_verification"))
        assert messages(decision, "AUDITOR_NOT_INDEPENDENT") == [
            f"Sylva Vérification has contracts with the project holder or agent other than verifications: {others}."
        ]


def test_independence_is_judged_before_competence(library: Library) -> None:
    auditor = {"name": "Cabinet Dupuis Conseil", "body_type": "other", "contractual_ties": ["consulting"]}
    assert verify(library, verification(auditor=auditor))["outcome"] == "auditor_not_independent"


# --- verification: competence (art. 25.2) ---------------------------------------------------------------------


@pytest.mark.parametrize("name, competent", [("Sylva Vérification", True), ("Forêt Audit Certification", True), ("Bureau Veritas Forêt", False)])
def test_competence_by_the_method_s_list(library: Library, name: str, competent: bool) -> None:
    """Boisement 2026-01-15 lists its auditors; the verification of 2026-05-18 follows it (art. 16)."""
    decision = verify(library, verification(auditor={**SYLVA, "name": name}))
    assert decision["outcome"] == ("verified" if competent else "auditor_not_competent")
    assert decision["values"]["competence_basis"] == ("method_list" if competent else "none")
    if not competent:
        assert messages(decision, "AUDITOR_NOT_IN_METHOD_LIST") == [
            "Bureau Veritas Forêt is not in the list of auditors of method version 2026-01-15: Sylva Vérification, Forêt Audit Certification."
        ]


@pytest.mark.parametrize(
    "body_type, sectors, competent",
    [
        ("agri_food_quality_certifier", ["agriculture"], True),
        ("cofrac_or_ea_eu_ets_verifier", ["energy", "agriculture"], True),
        ("agri_food_quality_certifier", ["viticulture"], False),  # accreditation not covering the sector
        ("pefc_fsc_vcs_certifier", ["agriculture"], False),  # a competent body, not one the method's criteria name
        ("other", ["agriculture"], False),
    ],
)
@pytest.mark.parametrize("event", ["2025-11-20", "2026-04-20"], ids=["haies-2021", "haies-2026"])
def test_competence_by_the_method_s_criteria(library: Library, body_type: str, sectors: list[str], competent: bool, event: str) -> None:
    facts = haies_verification(auditor={**AGROCERT, "body_type": body_type, "accredited_sectors": sectors}, audit_on="2025-11-03")
    decision = verify(library, facts, event=event, anchor="2022-04-01", method=HAIES)
    assert decision["values"]["verification_method_version"] == ("2021-06-01" if event < "2026-03-01" else "2026-03-01")
    assert decision["outcome"] == ("verified" if competent else "auditor_not_competent")
    assert decision["values"]["competence_basis"] == ("method_criteria" if competent else "none")
    # Haies 2021 was approved before the arrêté without a list: an auditor outside its criteria may still be proposed
    # (art. 25.2, decision auditor-proposal-scope); Haies 2026, approved under the arrêté, applies its criteria only
    pre_decree = event < "2026-03-01"
    assert finding_codes(decision) == ([] if competent else ["AUDITOR_NOT_MEETING_CRITERIA"] + (["AUDITOR_PROPOSAL_MISSING"] if pre_decree else []))


@pytest.mark.parametrize("sent_on, outcome", [("2025-08-03", "verified"), ("2025-08-04", "auditor_not_competent")])
def test_a_pre_decree_method_with_criteria_but_no_list_opens_the_proposal(library: Library, sent_on: str, outcome: str) -> None:
    """Art. 25.2: "Dans le cas où une méthode approuvée avant l'entrée en vigueur du présent arrêté ne comporte pas de
    liste d'auditeurs, le demandeur peut proposer [...] l'auditeur chargé de la vérification de son choix" — the only
    condition is the absence of a list. Haies 2021 has criteria but no list: an auditor outside the criteria, proposed at
    least three months before the audit and accepted, is competent (decision auditor-proposal-scope); a day later, not."""
    facts = haies_verification(
        auditor={**AGROCERT, "accredited_sectors": ["viticulture"]}, audit_on="2025-11-03",
        auditor_proposal=proposal(sent_on, "2025-09-15", True),
    )
    decision = verify(library, facts, event="2025-11-20", anchor="2022-04-01", method=HAIES)
    assert decision["values"]["verification_method_version"] == "2021-06-01"
    assert decision["outcome"] == outcome
    if outcome == "verified":
        assert decision["values"]["competence_basis"] == "proposal_accepted"
        assert finding_codes(decision) == []
    else:
        assert finding_codes(decision) == ["AUDITOR_NOT_MEETING_CRITERIA", "PROPOSAL_TOO_LATE"]
        assert messages(decision, "AUDITOR_NOT_MEETING_CRITERIA") == [
            ("Agrocert Ouest (agri_food_quality_certifier) does not meet the criteria of method version 2021-06-01 "
            "or its accreditation does not cover the sector agriculture.")
        ]


# the proposal path: Boisement 2019 has neither list nor criteria; a verification before 2026-01-15 follows it
BEFORE_REVISION = "2025-12-15"
LABELLED_2023 = "2023-05-10"


@pytest.mark.parametrize(
    "sent_on, audit_on, on_time",
    [
        ("2025-08-04", "2025-11-04", True),  # exactly three months
        ("2025-08-04", "2025-11-03", False),  # a day earlier
        ("2025-08-31", "2025-11-30", True),  # three months after 31 August: 30 November (the month's end)
        ("2025-08-31", "2025-11-29", False),
    ],
)
def test_a_proposed_auditor_audits_three_months_at_least_after_the_proposal(library: Library, sent_on: str, audit_on: str, on_time: bool) -> None:
    facts = verification(auditor_proposal=proposal(sent_on, "2025-10-01", True), audit_on=audit_on)
    decision = verify(library, facts, event=BEFORE_REVISION, anchor=LABELLED_2023)
    assert decision["values"]["verification_method_version"] == "2019-04-01"
    assert decision["outcome"] == ("verified" if on_time else "auditor_not_competent")
    assert decision["values"]["competence_basis"] == ("proposal_accepted" if on_time else "none")
    earliest = {"2025-08-04": "2025-11-04", "2025-08-31": "2025-11-30"}[sent_on]
    assert decision["values"]["earliest_audit_on"] == earliest
    assert messages(decision, "PROPOSAL_TOO_LATE") == (
        [] if on_time else [f"The proposal was sent on {sent_on}; the audit of {audit_on} is before {earliest}."]
    )


def test_without_a_proposal_a_pre_decree_method_without_list_has_no_competent_auditor(library: Library) -> None:
    decision = verify(library, verification(audit_on="2025-11-04"), event=BEFORE_REVISION, anchor=LABELLED_2023)
    assert decision["outcome"] == "auditor_not_competent"
    assert messages(decision, "AUDITOR_PROPOSAL_MISSING") == [
        "Method version 2019-04-01 has no auditor list: the applicant must propose its auditor to the authority at least 3 months before the audit."
    ]


def test_an_unfavourable_opinion_refuses_the_proposed_auditor(library: Library) -> None:
    facts = verification(auditor_proposal=proposal("2025-08-04", "2025-09-26", False), audit_on="2025-11-04")
    decision = verify(library, facts, event=BEFORE_REVISION, anchor=LABELLED_2023)
    assert decision["outcome"] == "auditor_not_competent"
    assert messages(decision, "PROPOSAL_REFUSED") == ["The authority's opinion of 2025-09-26 on Sylva Vérification is unfavourable."]


def test_a_pending_opinion_awaits_the_authority(library: Library) -> None:
    facts = verification(auditor_proposal=proposal("2025-08-04"), audit_on="2025-11-04")
    decision = verify(library, facts, event=BEFORE_REVISION, anchor=LABELLED_2023)
    assert decision["outcome"] == "awaiting_authority_opinion"
    assert decision["values"]["opinion_due_by"] == "2025-10-04"
    assert "verified_tco2e" not in decision["values"]
    assert messages(decision, "AUTHORITY_OPINION_OVERDUE") == [
        "The authority's opinion was due by 2025-10-04; the text gives its silence no meaning."
    ]


@pytest.mark.parametrize("event, overdue", [("2025-11-22", False), ("2025-11-23", True)])
def test_the_authority_s_opinion_is_due_two_months_after_the_proposal(library: Library, event: str, overdue: bool) -> None:
    """Sent on 22 September, the opinion is due on 22 November; silent on the 23rd, it is overdue."""
    facts = verification(auditor_proposal=proposal("2025-09-22"), audit_on="2025-11-21")
    decision = verify(library, facts, event=event, anchor=LABELLED_2023)
    assert decision["values"]["opinion_due_by"] == "2025-11-22"
    assert ("AUTHORITY_OPINION_OVERDUE" in finding_codes(decision)) is overdue
    # the audit of 21 November came before 22 December, three months after the proposal
    assert decision["outcome"] == "auditor_not_competent"
    assert "PROPOSAL_TOO_LATE" in finding_codes(decision)


def test_a_proposal_plays_no_part_under_a_method_with_a_list(library: Library) -> None:
    """After 2026-01-15 Boisement lists its auditors: a late proposal is neither needed nor held against the applicant."""
    decision = verify(library, verification(auditor_proposal=proposal("2026-03-01")))
    assert decision["outcome"] == "verified"
    assert decision["values"]["competence_basis"] == "method_list"
    assert finding_codes(decision) == []
    assert "earliest_audit_on" not in decision["values"] and "opinion_due_by" not in decision["values"]


@pytest.mark.parametrize(
    "facts_proposal",
    [
        {"sent_on": "2025-08-04", "opinion_favourable": True},  # a sense without a date
        {"sent_on": "2025-08-04", "opinion_on": "2025-07-30", "opinion_favourable": True},  # before the proposal
        {"sent_on": "2025-08-04", "opinion_on": "2025-12-16", "opinion_favourable": True},  # after the decision
    ],
    ids=["no-date", "before-proposal", "after-decision"],
)
def test_an_impossible_opinion_is_an_input_error(library: Library, facts_proposal: dict[str, Any]) -> None:
    with pytest.raises(DossierError) as caught:
        verify(library, verification(auditor_proposal=facts_proposal, audit_on="2025-11-04"), event=BEFORE_REVISION, anchor=LABELLED_2023)
    assert [p.path for p in caught.value.problems] == [("facts", "auditor_proposal")]


def boisement_variant(approved_before_decree: bool) -> dict[str, Any]:
    """A later Boisement version (2026-06-01) without list nor criteria."""
    document = copy.deepcopy(load_document(ROOT / "referentials" / BOISEMENT / "2026-01-15.yaml"))
    document.update(id="2026-06-01", published_on="2026-06-01", in_force_from="2026-06-01", supersedes="2026-01-15", changes=[])
    parameters = document["sections"]["method_verification"]["parameters"]
    parameters["auditor_list"]["value"] = None
    parameters["approved_before_decree"]["value"] = approved_before_decree
    return document


@pytest.mark.parametrize("approved_before_decree", [True, False])
def test_only_a_method_approved_before_the_arrete_opens_the_proposal(scratch: Path, approved_before_decree: bool) -> None:
    write_version(scratch, BOISEMENT, boisement_variant(approved_before_decree))
    facts = verification(auditor_proposal=proposal("2026-02-02", "2026-03-30", True), audit_on="2026-05-04")
    decision = verify(Library.open(scratch), facts, event="2026-07-01")
    assert decision["values"]["verification_method_version"] == "2026-06-01"
    if approved_before_decree:
        assert decision["outcome"] == "verified"
        assert decision["values"]["competence_basis"] == "proposal_accepted"
    else:
        assert decision["outcome"] == "auditor_not_competent"
        assert messages(decision, "METHOD_WITHOUT_AUDITORS") == [
            ("Method version 2026-06-01, approved under the arrêté, gives neither a list of auditors nor selection criteria; "
            "only a method approved before the arrêté opens the proposal of art. 25.2.")
        ]


# --- verification: the decision (art. 25.5, 25.6) -----------------------------------------------------------------


@pytest.mark.parametrize(
    "decided, outcome, verified",
    [
        (None, "verified", 940.0),  # no quantity decided yet: the auditor's (below the request)
        (900.0, "verified", 900.0),
        (940.0, "verified", 940.0),  # exactly the auditor's
        (940.001, "quantity_above_auditor", None),
    ],
)
def test_the_decided_quantity_is_at_most_the_auditor_s(library: Library, decided: float | None, outcome: str, verified: float | None) -> None:
    decision = verify(library, verification(requested_tco2e=1000, auditor_tco2e=940, decided_tco2e=decided))
    assert decision["outcome"] == outcome
    assert decision["values"].get("verified_tco2e") == verified
    assert messages(decision, "AUDITOR_PROPOSES_LESS") == [
        "The auditor proposes 940 tCO₂e of the 1000 requested, after the non-conformities of its report."
    ]
    if outcome == "quantity_above_auditor":
        assert "data_kept_until" not in decision["values"]
        assert next(e for e in decision["trail"] if e.get("name") == "outcome")["because"] == "Decided 940.001 tCO₂e, more than the auditor's 940."


def test_a_collective_project_is_credited_as_a_whole(library: Library) -> None:
    decision = library.evaluate(load_dossier(EXAMPLES / "verification-haies-collective-criteria-verified.yaml")).to_json()
    assert decision["outcome"] == "verified"
    assert decision["values"]["credited_to"] == (
        "the collective project as a whole (GAEC de la Haute Lande, EARL Rocher, Ferme du Vieux Chêne, GAEC des Landelles)"
    )
    assert decision["values"]["verified_tco2e"] == 815.4


def test_no_number_of_members_is_invented_for_a_collective_project(library: Library) -> None:
    """"Dans le cas d'un projet collectif, les crédits carbone sont attribués pour l'ensemble du projet" (art. 25.5) —
    neither art. 25.5 nor art. 31 says how many individual projects a collective project groups (that is art. 23, not
    among the sources: decision collective-elements): a collective project listing one member is judged, not refused."""
    facts = haies_verification(project={"sector": "agriculture", "collective": True, "members": ["GAEC de la Haute Lande"]})
    decision = verify(library, facts, event="2026-04-20", anchor="2022-04-01", method=HAIES)
    assert decision["outcome"] == "verified"
    assert decision["values"]["credited_to"] == "the collective project as a whole (GAEC de la Haute Lande)"


@pytest.mark.parametrize("event, kept_until", [("2026-05-18", "2029-05-18"), ("2028-02-29", "2031-02-28")])
def test_the_data_are_kept_three_years_from_the_verification(library: Library, event: str, kept_until: str) -> None:
    decision = verify(library, verification(), event=event)
    assert decision["values"]["data_kept_until"] == kept_until


# --- time: art. 16 — quantified under the labelling version, verified under the current one ------------------


def test_a_project_labelled_under_boisement_2019_keeps_its_quantification_after_the_revision(library: Library) -> None:
    decision = library.evaluate(load_dossier(EXAMPLES / "credits-boisement-labelled-2024-quantified.yaml")).to_json()
    assert versions_of(decision) == {
        "credits": ("2025-09-05", "retroactive"), "method_quantification": ("2019-04-01", "pinned"),
        "method_verification": ("2026-01-15", "event_date"),
    }
    assert reason(decision, "method_quantification") == PINNED_TO_2019
    assert decision["values"]["method_version"] == "2019-04-01"
    assert decision["values"]["discount_steps"]["sequestration"][0] == {"discount": "non_permanence", "rate": 0.1}  # not 2026's 15 %


def test_the_same_project_is_verified_under_boisement_2026(library: Library) -> None:
    decision = library.evaluate(load_dossier(EXAMPLES / "verification-boisement-revised-method-verified.yaml")).to_json()
    assert versions_of(decision) == {
        "verification": ("2025-09-05", "retroactive"),
        "method_verification": ("2026-01-15", "event_date"),
        "method_quantification": ("2019-04-01", "pinned"),
    }
    assert reason(decision, "method_verification") == (
        "version 2026-01-15 (in force from 2026-01-15) declares that section 'method_verification' follows the event date; "
        "it is in force on the event date 2026-05-18"
    )
    assert reason(decision, "method_quantification") == PINNED_TO_2019
    assert decision["values"]["verification_method_version"] == "2026-01-15"
    assert decision["values"]["quantification_method_version"] == "2019-04-01"
    assert decision["values"]["competence_basis"] == "method_list"


@pytest.mark.parametrize("event, version", [("2025-12-15", "2019-04-01"), ("2026-01-14", "2019-04-01"), ("2026-01-15", "2026-01-15")])
def test_before_the_revision_the_same_project_is_verified_under_boisement_2019(library: Library, event: str, version: str) -> None:
    facts = verification(auditor_proposal=proposal("2025-08-04", "2025-09-29", True), audit_on="2025-11-04")
    decision = verify(library, facts, event=event)
    assert versions_of(decision)["method_verification"] == (version, "event_date")
    assert decision["values"]["competence_basis"] == ("proposal_accepted" if version == "2019-04-01" else "method_list")
    if version == "2019-04-01":
        assert reason(decision, "method_verification") == (
            "section 'method_verification' follows the event date; version 2019-04-01 (in force from 2019-04-01) is the latest "
            f"version defining it in force on the event date {event}"
        )


def explain_text(cli: Callable[..., Any], tmp_path: Path, path: Path) -> str:
    result = cli("evaluate", path, "--format", "json")
    assert result.exit_code == 0, result.output
    decision = tmp_path / f"{path.stem}.json"
    decision.write_text(result.stdout, encoding="utf-8")
    explained = cli("explain", decision)
    assert explained.exit_code == 0, explained.output
    return unwrapped(explained.stdout)


def applied(text: str, section: str) -> str:
    """The line of explain's "Versions applied" that gives a section's version."""
    [line] = [l for l in text.split("\n\nWhy")[0].splitlines() if l.startswith(f"  {section}: ")]
    return line


def test_explain_shows_both_method_versions_and_why(cli: Callable[..., Any], tmp_path: Path) -> None:
    text = explain_text(cli, tmp_path, EXAMPLES / "verification-boisement-revised-method-verified.yaml")
    assert applied(text, "method_verification").endswith(
        "2026-01-15 (event_date) — version 2026-01-15 (in force from 2026-01-15) declares that section "
        "'method_verification' follows the event date; it is in force on the event date 2026-05-18"
    )
    assert applied(text, "method_quantification").endswith(f"2019-04-01 (pinned) — {PINNED_TO_2019}")
    assert "under the verification modalities of method version 2026-01-15 (credits quantified under version 2019-04-01" in text
    credits_text = explain_text(cli, tmp_path, EXAMPLES / "credits-boisement-labelled-2024-quantified.yaml")
    assert applied(credits_text, "method_quantification").endswith(f"2019-04-01 (pinned) — {PINNED_TO_2019}")
    assert flat("versions.method_quantification = 2019-04-01   [art. 16 quantification · version selection of section method_quantification]") in flat(credits_text)


# --- time: art. 17 — a repealed method labels no new project --------------------------------------------------


REPEALED_ON = "2026-09-01"
REFUSAL = (
    "version 2026-03-01 of label-bas-carbone-haies was repealed on 2026-09-01 and no version replaces it: it governs no cycle "
    "anchored on {anchor}; cycles anchored before the repeal keep it"
)


@pytest.fixture
def repealed(scratch: Path) -> Library:
    """A scratch tree where Haies 2026-03-01 is repealed on 2026-09-01."""
    document = load_document(scratch / "referentials" / HAIES / "2026-03-01.yaml")
    document["repealed_on"] = REPEALED_ON
    document["repeal_clause"] = "art. 17"  # "Après l'abrogation, plus aucun projet ne peut être labellisé" (art. 17)
    [arrete] = [s for s in document["sources"] if s["id"] == "arrete-2025"]
    arrete["provisions"].append({"id": "art. 17", "title": "A repealed method labels no new project", "status": "encoded"})
    write_version(scratch, HAIES, document)
    return Library.open(scratch)


HEDGES = credits([action("plantation", "2026-07-06", gain=250), action("fertilisation", "2026-07-06", kind="emission_reduction", gain=50)],
                 notified="2026-06-15", level="on_site_sample")


@pytest.mark.parametrize("anchor", ["2026-09-01", "2026-10-15"])
def test_a_project_labelled_on_or_after_the_repeal_is_refused(repealed: Library, anchor: str) -> None:
    decision = lbc(repealed, "project_credits", HEDGES, anchor, "2026-11-02", method=HAIES)
    assert decision["outcome"] == "version_repealed"
    assert decision["findings"] == [
        {"code": "VERSION_REPEALED", "severity": "error", "message": REFUSAL.format(anchor=anchor), "clause": "art. 17", "rule": None}
    ]
    assert decision["values"] == {}


def test_a_project_labelled_the_day_before_the_repeal_keeps_the_method(repealed: Library) -> None:
    # 250 × 0.80 × 0.90 × 0.95 = 171; 50 × 0.90 × 0.95 = 42.75
    decision = lbc(repealed, "project_credits", HEDGES, "2026-08-31", "2026-11-02", method=HAIES)
    assert decision["outcome"] == "quantified"
    assert versions_of(decision)["method_quantification"] == ("2026-03-01", "pinned")
    assert decision["values"]["credits_tco2e"] == {"sequestration": 171.0, "emission_reduction": 42.75}


@pytest.mark.parametrize("anchor, version", [("2026-08-31", "2026-03-01"), ("2022-04-01", "2026-03-01")])
def test_credits_of_projects_labelled_before_the_repeal_are_still_verified_under_the_method(repealed: Library, anchor: str, version: str) -> None:
    facts = haies_verification(audit_on="2027-02-10")
    decision = verify(repealed, facts, event="2027-03-15", anchor=anchor, method=HAIES)
    assert decision["outcome"] == "verified"
    assert versions_of(decision)["method_verification"] == (version, "event_date")
    assert decision["values"]["competence_basis"] == "method_criteria"


def test_a_verification_of_a_project_labelled_after_the_repeal_is_refused(repealed: Library) -> None:
    decision = verify(repealed, haies_verification(audit_on="2027-02-10"), event="2027-03-15", anchor="2026-09-01", method=HAIES)
    assert decision["outcome"] == "version_repealed"


def test_the_repeal_does_not_touch_a_project_labelled_under_haies_2021(repealed: Library) -> None:
    facts = credits(MIXED, notified="2023-11-15", level="documentary")
    decision = lbc(repealed, "project_credits", facts, "2024-03-01", "2026-11-02", method=HAIES)
    assert decision["outcome"] == "quantified"
    assert versions_of(decision)["method_quantification"] == ("2021-06-01", "pinned")


# --- time: art. 32 — the arrêté reaches back from 8 September 2025 ---------------------------------------------


LABELLED_2020 = "2020-10-05"
FACTS_2020 = {
    "project_credits": credits([action("reboisement", "2020-11-16", gain=1275.4)], notified="2020-03-09", level="reinforced"),
    "verification": verification(auditor_proposal=proposal("2025-06-02", "2025-07-28", True), audit_on="2025-09-02"),
}


@pytest.mark.parametrize("procedure, section", [("project_credits", "credits"), ("verification", "verification")])
@pytest.mark.parametrize("event", ["2025-09-08", "2025-11-12"])
def test_a_project_labelled_in_2020_is_judged_under_the_arrete_from_8_september_2025(library: Library, procedure: str, section: str, event: str) -> None:
    decision = lbc(library, procedure, FACTS_2020[procedure], LABELLED_2020, event)
    assert versions_of(decision)[section] == ("2025-09-05", "retroactive")
    assert reason(decision, section) == (
        f"version 2025-09-05 applies section '{section}' to running cycles from 2025-09-08; the event date {event} is on or after 2025-09-08"
    )
    assert decision["versions"][0]["clause"] == "art. 32"
    assert decision["outcome"] in ("quantified", "verified")


@pytest.mark.parametrize("procedure", ["project_credits", "verification"])
def test_an_event_before_8_september_2025_is_refused(cli: Callable[..., Any], tmp_path: Path, procedure: str) -> None:
    path = write_lbc(tmp_path / f"{procedure}.yaml", lbc_document(procedure, FACTS_2020[procedure], LABELLED_2020, "2025-09-07"))
    result = cli("evaluate", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    section = {"project_credits": "credits", "verification": "verification"}[procedure]
    assert f"invalid dossier: {path}: no version of label-bas-carbone governs section '{section}' of a cycle anchored on 2020-10-05 on 2025-09-07" in unlined(result.stderr)
    assert f"{path} $.event_date: version 2025-09-05 applies to running cycles only from 2025-09-08" in unlined(result.stderr)
    assert "Traceback" not in unlined(result.output)


# --- forcing a method version through the dossier's companions --------------------------------------------------


def test_forcing_another_method_version_is_warned(library: Library) -> None:
    """A project labelled in February 2026 falls under Boisement 2026; forcing 2019 is possible but warned."""
    decision = lbc(library, "project_credits", credits(MIXED), "2026-02-02", "2026-04-01", version="2019-04-01")
    assert versions_of(decision)["method_quantification"] == ("2019-04-01", "forced")
    [warning, verification_warning] = messages(decision, "VERSION_FORCED")
    assert "version 2019-04-01 was forced for section 'method_verification', which the rules of time give to version 2026-01-15" in verification_warning
    assert warning.endswith(
        "version 2019-04-01 was forced for section 'method_quantification', which the rules of time give to version 2026-01-15: "
        "version 2026-01-15 was in force on the cycle anchor 2026-02-02 (from 2026-01-15); section 'method_quantification' is pinned to the cycle"
    )
    assert decision["values"]["credits_tco2e"] == {"sequestration": 769.5, "emission_reduction": 171.0}  # 2019's discounts


def test_forcing_the_natural_method_version_is_not_warned(library: Library) -> None:
    decision = lbc(library, "project_credits", credits(MIXED), LABELLED, "2025-12-01", version="2019-04-01")
    assert "VERSION_FORCED" not in finding_codes(decision)
    assert decision["values"]["credits_tco2e"] == {"sequestration": 769.5, "emission_reduction": 171.0}


def test_forcing_the_old_version_on_a_verification_warns_for_its_verification_section_only(library: Library) -> None:
    decision = verify(library, verification(), version="2019-04-01")
    [warning] = messages(decision, "VERSION_FORCED")
    assert "version 2019-04-01 was forced for section 'method_verification', which the rules of time give to version 2026-01-15" in warning
    # Boisement 2019 has no list: without a proposal, Sylva Vérification is not competent
    assert decision["outcome"] == "auditor_not_competent"


# --- runtimes ---------------------------------------------------------------------------------------------------


PARITY = {
    "credits-haies-additive": ("project_credits", credits(MIXED, level="documentary", credit_type="ex_ante"), "2024-03-01", "2026-02-10", HAIES),
    "credits-nothing": ("project_credits", credits([action("coupe", "2023-10-01")]), LABELLED, "2026-02-10", BOISEMENT),
    "verification-awaiting": ("verification", verification(auditor_proposal=proposal("2025-08-04"), audit_on="2025-11-04"),
                              LABELLED_2023, BEFORE_REVISION, BOISEMENT),
    "verification-above": ("verification", verification(auditor_tco2e=900, decided_tco2e=950), LABELLED, "2026-05-18", BOISEMENT),
}


@pytest.mark.parametrize("case", PARITY.values(), ids=PARITY.keys())
def test_both_runtimes_decide_alike(library: Library, case: tuple[str, dict[str, Any], str, str, str]) -> None:
    procedure, facts, anchor, event, method = case
    durable = lbc(library, procedure, facts, anchor, event, method=method)
    python = lbc(library, procedure, facts, anchor, event, method=method, runtime="python")
    assert canonical_json(durable) == canonical_json(python)


# --- explain on the art. 17 and art. 32 decisions ------------------------------------------------------------


def test_explain_shows_why_the_arrete_reaches_back(cli: Callable[..., Any], tmp_path: Path) -> None:
    text = explain_text(cli, tmp_path, EXAMPLES / "credits-boisement-labelled-2020-retroactive-quantified.yaml")
    assert applied(text, "credits").endswith(
        "2025-09-05 (retroactive) — version 2025-09-05 applies section 'credits' to running cycles from 2025-09-08; "
        "the event date 2025-11-12 is on or after 2025-09-08"
    )
    assert "2019-04-01 (pinned) — version 2019-04-01 was in force on the cycle anchor 2020-10-05" in applied(text, "method_quantification")


def test_explain_shows_why_a_repealed_method_refuses(repealed: Library, cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write_lbc(tmp_path / "late.yaml", lbc_document("project_credits", HEDGES, "2026-09-01", "2026-11-02", HAIES))
    result = cli("evaluate", path, "--format", "json", root=repealed.root)
    assert result.exit_code == 0, result.output
    decision = tmp_path / "late.json"
    decision.write_text(result.stdout, encoding="utf-8")
    explained = cli("explain", decision, root=repealed.root)
    assert explained.exit_code == 0, explained.output
    assert f"(all): label-bas-carbone-haies 2026-03-01 (repealed) — {REFUSAL.format(anchor='2026-09-01')}" in flat(explained.stdout)
    assert flat("outcome = version_repealed   [rule version selection · art. 17 · version 2026-03-01]") in flat(explained.stdout)
