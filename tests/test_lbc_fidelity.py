"""Label bas carbone: every provision read right, every reading cited, every sentence true (issue 11).

One test (or one parametrised test) per item of the issue, each quoting the passage of the arrêté of
5 September 2025 it applies (shared/seeds/label-bas-carbone-arrete-2025-ch2-methods.txt and
-ch4-verification-credits.txt), on realistic dossiers and at the boundaries; the readings are the
`decisions:` of referentials/label-bas-carbone/2025-09-05.yaml. The communication corpus of art. 30 is in
test_lbc_communication_corpus.py.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, dossier_document, finding_codes, judge, write_version, unlined
from test_lbc_methods import HAIES, VARIANT, both, drop_element, haies_variant, param, review, review_variant, unset

from engine import DossierError, Library
from engine.authoring.checks import validate_paths
from engine.model.documents import load_document

LBC = "label-bas-carbone"
BOISEMENT = "label-bas-carbone-boisement"
EXAMPLES = ROOT / "examples" / LBC
RULES = ROOT / "rules" / LBC / "2025-09-05"
ARRETE = load_document(ROOT / "referentials" / LBC / "2025-09-05.yaml")


def lbc(library: Library, procedure: str, facts: dict[str, Any], anchor: str, event: str, method: Any = None, **kwargs: Any) -> dict[str, Any]:
    companions = None if method is None else {"method": method}
    return judge(library, procedure, facts, anchor, event, scheme=LBC, companions=companions, **kwargs)


def codes_of(decision: dict[str, Any]) -> list[str]:
    return finding_codes(decision)


def messages(decision: dict[str, Any], code: str) -> list[str]:
    return [f["message"] for f in decision["findings"] if f["code"] == code]


def because(decision: dict[str, Any], name: str) -> str:
    [entry] = [e for e in decision["trail"] if e.get("name") == name]
    return entry["because"]


def entry(decision: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [e for e in decision["trail"] if e.get("name") == name]
    return found


# --- art. 7: the notice's articulation with the approved methods ------------------------------------------------


def test_a_method_whose_notice_omits_its_articulation_with_the_approved_methods_is_refused(scratch: Path) -> None:
    """Art. 7: "La notice explicite également l'articulation avec les méthodes existantes déjà approuvées portant sur le
    même périmètre ou des périmètres voisins." — an element every method comprises, not a quotation only."""
    decision = review_variant(scratch, drop_element("articulation_with_approved_methods"))
    assert decision["outcome"] == "refused"
    assert decision["values"]["missing_elements"] == ["articulation_with_approved_methods"]
    assert messages(decision, "METHOD_ELEMENT_MISSING") == [
        "The method lacks articulation_with_approved_methods — in its notice, how it articulates with the approved methods "
        "of the same or a neighbouring scope (art. 7)."
    ]


def test_a_method_with_its_articulation_is_approvable(library: Library) -> None:
    decision = review(library, day="2026-03-01", method={"scheme": HAIES, "version": "2026-03-01"})
    assert decision["outcome"] == "approvable"
    assert decision["values"]["missing_elements"] == []


# --- art. 25.4: the verification report is a template of the method ----------------------------------------------


def test_a_method_without_a_verification_report_template_is_refused(scratch: Path) -> None:
    """Art. 25.4: "Ce rapport de vérification doit être fourni, sous forme de modèle, par la méthode." """
    decision = review_variant(scratch, drop_element("verification_report_template"))
    assert decision["outcome"] == "refused"
    assert [f["message"] for f in decision["findings"]] == [
        "The method lacks verification_report_template — the template of the verification report (art. 25.4 template)."
    ]


# --- art. 7.5: the collective elements ------------------------------------------------------------------------------


def test_a_collective_method_states_whether_the_agent_may_request_a_pooled_verification(scratch: Path) -> None:
    """Art. 7.5: "Lorsque la méthode autorise le dépôt de projets collectifs, elle prévoit : [...] - la possibilité pour le
    mandataire de solliciter une vérification mutualisée des crédits carbone résultant de l'ensemble des projets
    individuels composant le projet collectif"."""
    decision = review_variant(scratch, drop_element("collective_pooled_verification"))
    assert decision["outcome"] == "refused"
    assert decision["values"]["missing_elements"] == ["collective_pooled_verification"]


@pytest.mark.parametrize("staggered, outcome", [(True, "refused"), (False, "approvable")])
def test_the_notification_intervals_are_required_only_when_notifications_may_be_staggered(scratch: Path, staggered: bool, outcome: str) -> None:
    """Art. 7.5: "dans le cas où elle permet les notifications individuelles échelonnées, l'intervalle maximal entre la
    première et la dernière notification des projets individuels [...]" (decision collective-elements)."""
    change = both(drop_element("collective_notification_intervals"), param("method", "staggered_notifications_allowed", staggered))
    decision = review_variant(scratch, change)
    assert decision["outcome"] == outcome
    assert decision["values"]["missing_elements"] == (["collective_notification_intervals"] if staggered else [])


# --- art. 7.2: "les éventuels rabais" --------------------------------------------------------------------------------


REDUCTIONS_ONLY = both(
    param("method", "covers_sequestration", False),
    unset("method_quantification", "non_permanence_discount"),
    param("method_quantification", "discount_order", ["asymmetric_uncertainty", "verification_level"]),
)


def test_a_method_crediting_no_sequestration_orders_no_non_permanence_discount(scratch: Path) -> None:
    """Art. 7.2: "les éventuels rabais à appliquer et la façon dont ils s'articulent entre eux" — a method crediting
    only emission reductions has no non-permanence discount (art. 13 concerns "les activités de séquestration") and
    orders the two others (decision discounts-order)."""
    decision = review_variant(scratch, REDUCTIONS_ONLY)
    assert decision["outcome"] == "approvable", decision["findings"]
    assert entry(decision, "expected_discounts")["value"] == ["asymmetric_uncertainty", "verification_level"]


def test_its_projects_are_quantified_with_the_discounts_it_sets(scratch: Path) -> None:
    """Haies 2026's rates, multiplied: 200 × (1 − 0.10) × (1 − 0.10) = 162 tCO₂e of emission reductions."""
    write_version(scratch, HAIES, haies_variant(REDUCTIONS_ONLY))
    facts = {"notified_on": "2026-08-20", "credit_type": "ex_post", "verification_level": "documentary",
             "actions": [{"id": "broyage-sur-place", "started_on": "2026-09-02", "kind": "emission_reduction", "gain_tco2e": 200}]}
    decision = lbc(Library.open(scratch), "project_credits", facts, VARIANT, "2026-10-01", method=HAIES)
    assert decision["outcome"] == "quantified"
    assert decision["values"]["discount_steps"]["emission_reduction"] == [
        {"discount": "asymmetric_uncertainty", "rate": 0.1}, {"discount": "verification_level", "rate": 0.1},
    ]
    assert decision["values"]["credits_tco2e"] == {"sequestration": 0.0, "emission_reduction": 162.0}


@pytest.mark.parametrize(
    "change, codes",
    [
        # a method crediting sequestration must order its non-permanence discount
        (param("method_quantification", "discount_order", ["asymmetric_uncertainty", "verification_level"]), ["DISCOUNT_ORDER_INCOMPLETE"]),
        # a discount ordered without a rate
        (both(param("method", "covers_sequestration", False), unset("method_quantification", "non_permanence_discount")),
         ["DISCOUNT_ORDER_INCOMPLETE"]),
        # a method crediting sequestration without a non-permanence discount
        (unset("method_quantification", "non_permanence_discount"), ["NON_PERMANENCE_DISCOUNT_TOO_LOW", "DISCOUNT_ORDER_INCOMPLETE"]),
    ],
    ids=["sequestration-without-non-permanence-in-order", "ordered-without-rate", "sequestration-without-rate"],
)
def test_the_discounts_a_method_applies_are_ordered_each_once_with_a_rate(scratch: Path, change: Any, codes: list[str]) -> None:
    decision = review_variant(scratch, change)
    assert decision["outcome"] == "refused"
    assert codes_of(decision) == codes


# --- art. 7.4: light and random verifications, in the method -----------------------------------------------------


@pytest.mark.parametrize(
    "light, lawful",
    [(None, True), ({"below_tco2e": 150, "waived_checks": ["on_site"]}, True), ({"below_tco2e": None, "waived_checks": ["on_site"]}, False),
     ({"below_tco2e": 0, "waived_checks": ["on_site"]}, False)],
    ids=["none", "threshold", "no-threshold", "zero-threshold"],
)
def test_a_light_verification_states_its_threshold(scratch: Path, light: Any, lawful: bool) -> None:
    """Art. 7.4: "la méthode prévoit le cas échéant : - des seuils en-dessous desquels les vérifications sont allégées pour
    des petits projets" (decision light-verification)."""
    decision = review_variant(scratch, param("method_verification", "light_verification", light))
    assert decision["outcome"] == ("approvable" if lawful else "refused")
    assert codes_of(decision) == ([] if lawful else ["LIGHT_VERIFICATION_THRESHOLD_MISSING"])


@pytest.mark.parametrize(
    "rate, lawful",
    [(0.1, True), (1, True), (None, False), (0, False), (1.01, False)],
)
def test_random_verifications_state_their_sampling_rate(scratch: Path, rate: Any, lawful: bool) -> None:
    """Art. 7.4: "des vérifications supplémentaires à celles prévues à l'article 25 et déclenchées de façon aléatoire : la
    méthode précise alors le taux d'échantillonnage" — a share of the verifications, more than none and at most all."""
    decision = review_variant(scratch, param("method_verification", "random_verification", {"sampling_rate": rate, "delay_months": None}))
    assert decision["outcome"] == ("approvable" if lawful else "refused")
    assert codes_of(decision) == ([] if lawful else ["RANDOM_SAMPLING_RATE_MISSING"])
    assert decision["values"]["unlawful_values"] == ([] if lawful else ["random_verification"])


# --- art. 12 and 7.4: ex-ante credits -----------------------------------------------------------------------------


def test_a_method_allowing_ex_ante_credits_states_the_guarantees(scratch: Path) -> None:
    """Art. 12: "La méthode précise les conditions à remplir pour atteindre une garantie suffisante." Art. 7.4: "le cas
    échéant, le type de garanties à apporter sur la réalité des crédits carbone potentiels" (decision ex-ante-elements)."""
    decision = review_variant(scratch, param("method_quantification", "ex_ante_allowed", True))
    assert decision["outcome"] == "refused"
    assert decision["values"]["missing_elements"] == ["irreversibility_guarantee", "reality_guarantees"]
    assert review_variant(scratch, param("method_quantification", "ex_ante_allowed", False))["outcome"] == "approvable"


REQUEST = {"monitoring_report": True, "verification_report": True, "auditor_evidence": True}
SYLVA = {"name": "Sylva Vérification", "body_type": "pefc_fsc_vcs_certifier", "accredited_sectors": ["forestry"]}
AGROCERT = {"name": "Agrocert Ouest", "body_type": "agri_food_quality_certifier", "accredited_sectors": ["agriculture"]}


def boisement_verification(**changes: Any) -> dict[str, Any]:
    facts = {"request": dict(REQUEST), "project": {"sector": "forestry", "estimated_tco2e": 3120}, "auditor": dict(SYLVA),
             "auditor_checks": ["on_site"], "audit_on": "2026-09-22", "requested_tco2e": 3000, "auditor_tco2e": 2980.4}
    facts.update(changes)
    return facts


@pytest.mark.parametrize(
    "credit_type, guarantee, outcome",
    [
        ("ex_ante", True, "verified"),
        ("ex_ante", None, "irreversibility_not_guaranteed"),
        ("ex_ante", False, "irreversibility_not_guaranteed"),
        ("ex_post", None, "verified"),
    ],
)
def test_ex_ante_credits_are_verified_after_a_sufficient_guarantee_of_irreversibility(
    library: Library, credit_type: str, guarantee: bool | None, outcome: str
) -> None:
    """Art. 12: "La vérification par l'autorité compétente des crédits carbone ex-ante intervient après vérification d'une
    garantie suffisante sur l'irréversibilité du projet." (decision ex-ante-guarantee)"""
    facts = boisement_verification(credit_type=credit_type, irreversibility_guarantee=guarantee)
    decision = lbc(library, "verification", facts, "2024-10-07", "2026-10-19", method=BOISEMENT)
    assert decision["outcome"] == outcome
    if outcome == "verified":
        assert decision["values"]["verified_tco2e"] == 2980.4
        assert "IRREVERSIBILITY_NOT_GUARANTEED" not in codes_of(decision)
    else:
        assert "verified_tco2e" not in decision["values"]
        [message] = messages(decision, "IRREVERSIBILITY_NOT_GUARANTEED")
        assert message.endswith("which has not been examined." if guarantee is None else "which the project does not meet.")


def test_a_guarantee_for_ex_post_credits_is_an_input_error(library: Library) -> None:
    with pytest.raises(DossierError) as caught:
        lbc(library, "verification", boisement_verification(irreversibility_guarantee=True), "2024-10-07", "2026-10-19", method=BOISEMENT)
    assert [p.path for p in caught.value.problems] == [("facts", "irreversibility_guarantee")]


def test_ex_ante_reductions_are_ex_ante_credits(library: Library) -> None:
    """Art. 12: "Les projets qui génèrent les crédits carbone ex-ante peuvent être des projets de séquestration" — an
    example: an ex-ante emission reduction is not turned into ex-post (decision ex-ante-scope)."""
    facts = {"notified_on": "2023-11-15", "credit_type": "ex_ante", "verification_level": "standard",
             "actions": [{"id": "debardage-cheval", "started_on": "2024-01-10", "kind": "emission_reduction", "gain_tco2e": 80}]}
    decision = lbc(library, "project_credits", facts, "2024-03-01", "2026-02-10", method=BOISEMENT)
    assert decision["values"]["credit_types"] == {"sequestration": "ex_ante", "emission_reduction": "ex_ante"}
    assert codes_of(decision) == []


# --- art. 25.3, 7.4 and 16: the checks on site, light verification ---------------------------------------------------


def haies_verification(estimated: float | None, checks: list[str], **changes: Any) -> dict[str, Any]:
    facts = {"request": dict(REQUEST), "project": {"sector": "agriculture", "estimated_tco2e": estimated}, "auditor": dict(AGROCERT),
             "auditor_checks": checks, "audit_on": "2026-02-10", "requested_tco2e": 247.5, "auditor_tco2e": 240.1}
    facts.update(changes)
    return facts


@pytest.mark.parametrize(
    "event, checks, outcome, version",
    [
        ("2026-02-28", [], "verified", "2021-06-01"),  # the day before the revision: Haies 2021 requires no check on site
        ("2026-03-01", [], "verification_checks_missing", "2026-03-01"),  # on the day: Haies 2026 does
        ("2026-03-02", [], "verification_checks_missing", "2026-03-01"),
        ("2026-03-01", ["on_site"], "verified", "2026-03-01"),
    ],
)
def test_the_method_s_on_site_verification_decides(library: Library, event: str, checks: list[str], outcome: str, version: str) -> None:
    """Art. 25.3: "Si la méthode le prévoit, l'auditeur effectue également une vérification sur place" — and art. 16: the
    credits of a labelled project "sont vérifiés puis reconnus selon les modalités de vérification et de contrôle prévues
    par la méthode révisée" (decision on-site-verification)."""
    decision = lbc(library, "verification", haies_verification(612, checks), "2022-05-16", event, method=HAIES)
    assert decision["values"]["verification_method_version"] == version
    assert decision["outcome"] == outcome
    if outcome == "verification_checks_missing":
        assert decision["values"]["missing_checks"] == ["on_site"]
        assert messages(decision, "AUDITOR_CHECK_MISSING") == [
            "Method version 2026-03-01 provides for a verification on site, which the auditor's report does not record."
        ]


@pytest.mark.parametrize(
    "estimated, light, outcome",
    [(149.999, True, "verified"), (150, False, "verification_checks_missing"), (151, False, "verification_checks_missing"),
     (None, False, "verification_checks_missing")],
)
def test_below_the_method_s_threshold_a_small_project_is_verified_lightly(library: Library, estimated: float | None, light: bool, outcome: str) -> None:
    """Art. 7.4: "des seuils en-dessous desquels les vérifications sont allégées pour des petits projets" — Haies 2026
    waives the check on site below 150 tCO₂e estimated at the project's start; exactly 150 is not below (decision
    light-verification)."""
    decision = lbc(library, "verification", haies_verification(estimated, []), "2022-05-16", "2026-03-10", method=HAIES)
    assert decision["values"]["light_verification"] is light
    assert decision["values"]["required_checks"] == ([] if light else ["on_site"])
    assert decision["outcome"] == outcome


# --- art. 7.4: random verifications ---------------------------------------------------------------------------------


@pytest.mark.parametrize("done_on, status", [(None, "pending"), ("2026-08-03", "done")])
def test_a_verification_drawn_at_random_is_decided_but_its_credits_wait(library: Library, done_on: str | None, status: str) -> None:
    """Art. 7.4: "En cas de vérification supplémentaire aléatoire, la cession des crédits carbone intervient une fois que
    la vérification a été effectuée. Lorsqu'un délai est nécessaire pour fiabiliser la vérification, ce délai est précisé
    dans la méthode." — Boisement 2026 draws at 10 % and needs 12 months (decision random-verification)."""
    facts = boisement_verification(random_verification={"drawn_on": "2026-06-30", "done_on": done_on}, audit_on="2026-06-02",
                                   requested_tco2e=1560, auditor_tco2e=1560)
    decision = lbc(library, "verification", facts, "2024-07-01", "2026-08-10", method=BOISEMENT)
    assert decision["outcome"] == "verified"
    assert decision["values"]["random_verification_status"] == status
    assert messages(decision, "RANDOM_VERIFICATION_PENDING") == ([] if done_on else [
        "The verification was drawn on 2026-06-30 for an additional random verification: the credits can be transferred only "
        "once it is done, 12 months after the verification as method version 2026-01-15 provides."
    ])


def test_no_verification_is_drawn_under_a_method_without_random_verification(cli: Callable[..., Any], tmp_path: Path) -> None:
    facts = boisement_verification(random_verification={"drawn_on": "2025-12-01"}, audit_on="2025-11-20",
                                   auditor_proposal={"sent_on": "2025-08-04", "opinion_on": "2025-09-29", "opinion_favourable": True})
    path = tmp_path / "drawn.yaml"
    document = dossier_document("verification", facts, "2023-05-10", "2025-12-15", scheme=LBC, companions={"method": BOISEMENT})
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = cli("evaluate", path)
    assert result.exit_code == 1
    assert (f"{path} $.facts.random_verification: method version 2019-04-01 provides no additional random verification: none can be "
            "drawn (art. 7.4 random verification)") in unlined(result.stderr)


HOLDER = "Groupement forestier du Haut-Bugey"
BUYER = "Coopérative laitière de l'Ain"


def transfer_facts(*, signed: str, verified: str = "2026-06-30", random: dict[str, Any] | None = None, risk_sharing: bool | None = None) -> dict[str, Any]:
    parties = [HOLDER, BUYER]
    return {
        "project": {"holder": HOLDER, "registered_on": "2024-05-06", "first_verified_on": verified, "random_verification": random},
        "transferor": {"name": HOLDER, "rank": 0, "holding": {"sequestration_tco2e": 1560, "emission_reduction_tco2e": 0}},
        "contract": {"signed_on": signed, "risk_sharing": risk_sharing},
        "transferees": [{"name": BUYER, "sequestration_tco2e": 500, "emission_reduction_tco2e": 0}],
        "attestation": {"signed_by": parties, "names": parties},
        "unit_prices": [{"beneficiary": BUYER, "unit_price_eur": 41}],
    }


@pytest.mark.parametrize(
    "done_on, event, outcome, due",
    [
        (None, "2026-09-21", "transfer_refused", None),
        ("2027-07-01", "2027-07-01", "transfer_valid", "2027-10-01"),  # done on the day of the declaration
        ("2027-07-01", "2027-10-01", "transfer_valid", "2027-10-01"),  # three months after the random verification
        ("2027-07-01", "2027-10-02", "declaration_late", "2027-10-01"),
    ],
)
def test_credits_drawn_for_a_random_verification_are_transferred_once_it_is_done(
    library: Library, done_on: str | None, event: str, outcome: str, due: str | None
) -> None:
    """Art. 7.4: "la cession des crédits carbone intervient une fois que la vérification a été effectuée" — before it, the
    transfer cannot be recorded; after it, its three months run from that verification (decision random-verification)."""
    facts = transfer_facts(signed="2026-09-01", random={"drawn_on": "2026-07-15", "done_on": done_on})
    decision = lbc(library, "transfer", facts, "2024-07-01", event)
    assert decision["outcome"] == outcome
    if outcome == "transfer_refused":
        assert decision["values"]["refusal_reasons"] == ["random_verification_pending"]
        assert messages(decision, "RANDOM_VERIFICATION_PENDING") == [
            "The verification of the credits was drawn on 2026-07-15 for an additional random verification, not carried out "
            "yet: the credits cannot be transferred before it is."
        ]
    else:
        assert decision["values"]["declaration_starts_on"] == done_on
        assert decision["values"]["declaration_due_by"] == due


# --- transfer.late-finding: the sentence says from what the time limit ran ---------------------------------------


@pytest.mark.parametrize(
    "signed, random, event, start",
    [
        ("2026-07-10", None, "2026-10-11", "the signature of the contract"),
        ("2026-01-20", None, "2026-10-01", "the first verification, the contract having been signed before it"),
        ("2026-07-10", {"drawn_on": "2026-07-01", "done_on": "2026-08-14"}, "2026-11-15", "the random verification, once which the credits are transferred"),
    ],
    ids=["from-the-signature", "from-the-first-verification", "from-the-random-verification"],
)
def test_the_late_declaration_sentence_says_from_what_the_time_limit_ran(library: Library, signed: str, random: Any, event: str, start: str) -> None:
    """Art. 29: "dans un délai de trois mois après la signature du contrat de cession" — and, for a contract signed before
    the first verification, from that verification (decision forward-transfer-contract): the sentence no longer says "of
    the contract's signature" when the time limit ran from something else."""
    decision = lbc(library, "transfer", transfer_facts(signed=signed, random=random, risk_sharing=True), "2024-07-01", event)
    assert decision["outcome"] == "declaration_late"
    [late] = [e for e in decision["trail"] if e.get("name") == "DECLARATION_LATE"]
    assert late["because"].startswith(f"The transfer is declared on the registry within 3 months of {start} (")
    assert late["readings"] == ["late-declaration", "forward-transfer-contract", "articles-28-29-transition"]


# --- art. 29: risk sharing alike in a transfer and a financing ---------------------------------------------------


@pytest.mark.parametrize("risk_sharing, codes", [(True, []), (None, ["RISK_SHARING_NOT_KNOWN"]), (False, ["RISK_SHARING_NOT_PROVIDED"])])
def test_risk_sharing_is_judged_alike_in_a_transfer_and_a_financing(library: Library, risk_sharing: bool | None, codes: list[str]) -> None:
    """Art. 29: "les contractants doivent prévoir explicitement les modalités de partage du risque de diminution du nombre
    de crédits carbone" — no sanction is attached: the same contract is reported the same way in both procedures, and
    neither the transfer nor the declaration is refused for it (decision risk-sharing)."""
    transfer = lbc(library, "transfer", transfer_facts(signed="2026-01-20", risk_sharing=risk_sharing), "2024-07-01", "2026-09-21")
    financing = lbc(library, "financing_declaration", {
        "project": {"registered_on": "2024-05-06"}, "contract": {"signed_on": "2026-01-20", "risk_sharing": risk_sharing},
        "participants": [{"name": BUYER, "rate_percent": 40}],
    }, "2024-07-01", "2026-03-02")
    assert (transfer["outcome"], financing["outcome"]) == ("transfer_valid", "declared_in_time")
    assert codes_of(transfer) == codes_of(financing) == codes
    assert [(f["severity"], f["clause"]) for f in transfer["findings"]] == [(f["severity"], f["clause"]) for f in financing["findings"]]


# --- art. 16: the verification-level discount follows the revised method; "à défaut de dispositions spécifiques" ---


QUANTIFY = {"notified_on": "2023-11-15", "credit_type": "ex_post", "verification_level": "standard",
            "actions": [{"id": "plantation", "started_on": "2024-01-10", "kind": "sequestration", "gain_tco2e": 1000}]}


@pytest.mark.parametrize(
    "event, rate, credits",
    [("2026-01-14", 0.1, 769.5), ("2026-01-15", 0.08, 786.6)],  # 1000 × 0.90 × 0.95 × (1 − rate)
)
def test_the_discount_by_verification_level_is_the_revised_method_s(library: Library, event: str, rate: float, credits: float) -> None:
    """Art. 7.4 sets the discount among "Les modalités de vérification [...] spécifiques à la méthode" ("En fonction du
    niveau d'exigence retenu, la méthode applique un rabais"); art. 16: credits are verified "selon les modalités de
    vérification et de contrôle prévues par la méthode révisée" (decision verification-discount-follows-verification).
    The non-permanence discount stays the labelling version's 10 %, not the revision's 15 %."""
    decision = lbc(library, "project_credits", QUANTIFY, "2024-03-01", event, method=BOISEMENT)
    assert decision["values"]["method_version"] == "2019-04-01"
    assert decision["values"]["verification_method_version"] == ("2019-04-01" if rate == 0.1 else "2026-01-15")
    assert decision["values"]["discount_steps"]["sequestration"] == [
        {"discount": "non_permanence", "rate": 0.1}, {"discount": "asymmetric_uncertainty", "rate": 0.05},
        {"discount": "verification_level", "rate": rate},
    ]
    assert decision["values"]["credits_tco2e"]["sequestration"] == credits


def revision_with_specific_provisions(root: Path) -> None:
    """A Boisement revision of 2026-06-01 whose notice applies its quantification to projects labelled before it."""
    document = copy.deepcopy(load_document(root / "referentials" / BOISEMENT / "2026-01-15.yaml"))
    document.update(id="2026-06-01", published_on="2026-06-01", in_force_from="2026-06-01", supersedes="2026-01-15", changes=[])
    quantification = document["sections"]["method_quantification"]
    quantification["time_policy"] = {"mode": "retroactive", "from": "2026-06-01", "clause": "boisement 2026 notice",
                                     "note": "the revision provides that its quantification applies to projects labelled before it"}
    quantification["parameters"]["non_permanence_discount"]["value"] = 0.2
    write_version(root, BOISEMENT, document)


@pytest.mark.parametrize("event, version, mode, credits", [("2026-05-31", "2019-04-01", "pinned", 786.6), ("2026-06-01", "2026-06-01", "retroactive", 699.2)])
def test_a_revised_method_may_provide_otherwise(scratch: Path, event: str, version: str, mode: str, credits: float) -> None:
    """Art. 16: "A défaut de dispositions spécifiques prévues par la méthode révisée : - l'évaluation de la quantité de
    crédits carbone [...] est maintenue dans les conditions de la méthode en vigueur au moment de la labellisation" —
    a revision that provides otherwise reaches the project from its date (decision revision-specific-provisions), and the
    sentence no longer says "whatever revision came later"."""
    revision_with_specific_provisions(scratch)
    decision = lbc(Library.open(scratch), "project_credits", QUANTIFY, "2024-03-01", event, method=BOISEMENT)
    [selected] = [(v["version"], v["mode"]) for v in decision["versions"] if v["section"] == "method_quantification"]
    assert selected == (version, mode)
    assert decision["values"]["method_version"] == version
    assert decision["values"]["credits_tco2e"]["sequestration"] == credits  # 1000 × (1 − np) × 0.95 × 0.92
    sentence = because(decision, "method_version")
    assert "failing specific provisions of a revised method" in sentence and "whatever revision came later" not in sentence
    assert entry(decision, "method_version")["readings"] == ["method-versions", "revision-specific-provisions"]


# --- art. 7.4 and 31: controls at the initiative of the DGEC or the prefect ----------------------------------------


@pytest.mark.parametrize("initiative, mandated", [("dgec", "Office national des forêts"), ("regional_prefect", None), ("dgec", None)])
def test_a_control_at_the_initiative_of_the_dgec_or_the_prefect(library: Library, initiative: str, mandated: str | None) -> None:
    """Art. 7.4: "Le projet est en outre susceptible de faire l'objet de contrôles à l'initiative du directeur général de
    l'énergie et du climat ou du préfet de région compétent, ou de tout agent ou organisme dûment missionné par eux";
    art. 31: "le préfet de région compétent retire au projet son label" (decision control-initiative)."""
    facts = {
        "control_on": "2025-11-04", "initiative": initiative, "mandated_body": mandated,
        "project": {"valid_from": "2021-05-10", "valid_until": "2051-05-09"},
        "last_verification_on": "2023-02-27",
        "grounds": [{"kind": "fraud", "description": "haies déclarées mais absentes"}],
        "adversarial_procedure": {"opened_on": "2025-12-01", "closed_on": "2026-01-15"},
    }
    decision = lbc(library, "control", facts, "2021-05-10", "2026-03-02")
    assert decision["outcome"] == "label_withdrawn"
    assert decision["values"]["control_authority"] == {
        "initiative": initiative, "conducted_by": mandated or "own_services", "withdrawal_by": "regional_prefect",
    }
    assert "the regional prefect withdraws the label from the project" in because(decision, "outcome")


def test_a_collective_project_of_one_listed_member_is_controlled(library: Library) -> None:
    """Art. 31: "Dans le cas d'un projet collectif, le retrait de la labellisation concerne l'ensemble du projet collectif"
    — the article says nothing of how many projects a collective project groups (the former "at least two" was invented)."""
    facts = {"control_on": "2025-11-04", "project": {"valid_from": "2021-05-10", "valid_until": "2051-05-09", "collective": True,
                                                      "members": ["gaec-de-la-fontaine"]}}
    decision = lbc(library, "control", facts, "2021-05-10", "2026-03-02")
    assert decision["outcome"] == "no_breach"
    assert decision["values"]["withdrawal_scope"] == {"whole_collective_project": True, "individual_projects": ["gaec-de-la-fontaine"]}


# --- the sentences, the readings, the coverage -------------------------------------------------------------------


def test_no_sentence_of_the_examples_renders_a_placeholder_as_not_given(library: Library) -> None:
    """`referee validate` renders the sentences of the bundled examples: none of this scheme gives "not given", a count
    disagreeing with its noun, or names another outcome than the one concluded."""
    from engine.authoring.sentences import rendered_problems

    assert [p.render() for p in rendered_problems(library, ROOT / "examples", {LBC})] == []


def test_the_arrete_and_its_methods_are_valid_without_warnings(library: Library) -> None:
    paths = [ROOT / "referentials" / LBC / "2025-09-05.yaml"] + sorted((ROOT / "referentials").glob("label-bas-carbone-*/*.yaml"))
    for report in validate_paths(library, paths):
        assert report.problems == [] and report.warnings == [], (report.file, [p.render() for p in report.problems + report.warnings])


RULE_FILES = sorted(RULES.glob("*.yaml"))


def test_every_reading_is_cited_by_the_rules_that_apply_it() -> None:
    """A reading is cited in the rule's `readings`, not in its prose; the two readings no rule applies are applied by the
    rules of time (the sections' retroactive time policy, and a repealed method version's refusal)."""
    decisions = {d["id"] for d in ARRETE["decisions"]}
    cited: set[str] = set()
    for path in RULE_FILES:
        for rule in load_document(path)["rules"]:
            cited.update(rule.get("readings", []))
            assert "(decision " not in rule["because"], (path.name, rule["id"])
            assert "(decision " not in rule["then"].get("finding", {}).get("message", ""), (path.name, rule["id"])
    assert cited <= decisions
    assert decisions - cited == {"retroactivity", "method-repeal"}


def test_every_article_of_the_chapters_is_listed_and_every_exclusion_says_why() -> None:
    provisions = [p for source in ARRETE["sources"] for p in source["provisions"]]
    articles = {p["id"].split()[1] for p in provisions if p["id"].startswith("art. ")}
    assert {a.split(".")[0] for a in articles} >= {str(n) for n in [*range(6, 19), *range(25, 35)]}
    for provision in provisions:
        if provision["status"] == "out_of_scope":
            assert provision.get("reason") and "not built" not in provision["reason"], provision["id"]
        if provision["status"] == "encoded" and provision["id"].startswith("art. "):
            assert provision.get("text"), provision["id"]


# --- hostile inputs: bounds of every count, amount, rate, share and year ------------------------------------------


BOUNDS = {
    "credits-negative-gain": ("credits-boisement-labelled-2024-quantified.yaml", ("actions", 0, "gain_tco2e"), -1),
    "credits-absurd-gain": ("credits-boisement-labelled-2024-quantified.yaml", ("actions", 0, "gain_tco2e"), 100_000_001),
    "verification-negative-request": ("verification-boisement-revised-method-verified.yaml", ("requested_tco2e",), -0.5),
    "verification-estimate-above-bound": ("verification-haies-collective-criteria-verified.yaml", ("project", "estimated_tco2e"), 1e9),
    "transfer-negative-holding": ("transfer-holder-to-two-companies-transfer-valid.yaml", ("transferor", "holding", "sequestration_tco2e"), -10),
    "transfer-rank-below-zero": ("transfer-holder-to-two-companies-transfer-valid.yaml", ("transferor", "rank"), -1),
    "transfer-price-above-bound": ("transfer-holder-to-two-companies-transfer-valid.yaml", ("unit_prices", 0, "unit_price_eur"), 1_000_000),
    "retirement-year-1980": ("retirement-voluntary-offsetting-retired.yaml", ("request", "retirement_year"), 1980),
    "retirement-year-2101": ("retirement-voluntary-offsetting-retired.yaml", ("request", "retirement_year"), 2101),
    "retirement-negative-lot": ("retirement-voluntary-offsetting-retired.yaml", ("credits", 0, "tco2e"), -5),
    "financing-rate-above-100": ("financing-two-participants-declared-in-time.yaml", ("participants", 0, "rate_percent"), 100.5),
    "pilot-negative-potential": ("pilot-ceiling-reached-exactly-pilot-allowed.yaml", ("pilot", "potential_credits"), -1),
}


def set_in(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = document["facts"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


@pytest.mark.parametrize("example, path, value", BOUNDS.values(), ids=BOUNDS.keys())
def test_an_out_of_range_value_is_refused_naming_its_path(cli: Callable[..., Any], tmp_path: Path, example: str, path: tuple[Any, ...], value: Any) -> None:
    document = load_document(EXAMPLES / example)
    set_in(document, path, value)
    dossier = tmp_path / example
    dossier.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = cli("evaluate", dossier)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    where = "$.facts" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    assert f"{dossier} {where}: " in unlined(result.stderr)
    assert ("min value is" in result.stderr) or ("max value is" in result.stderr)


@pytest.mark.parametrize("valid_from, refused", [("1989-12-31", True), ("1990-01-01", False)])
def test_a_date_before_1990_is_refused(cli: Callable[..., Any], tmp_path: Path, valid_from: str, refused: bool) -> None:
    """Every date of the procedures' inputs lies within 1990-01-01 – 2100-12-31 (the label dates from 2018)."""
    document = load_document(EXAMPLES / "control-after-validity-outside-validity.yaml")
    document["facts"]["project"]["valid_from"] = valid_from
    dossier = tmp_path / "control.yaml"
    dossier.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = cli("evaluate", dossier)
    assert result.exit_code == (1 if refused else 0), result.output
    assert (f"{dossier} $.facts.project.valid_from: " in unlined(result.stderr)) is refused


def test_a_date_after_2100_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    document = load_document(EXAMPLES / "transfer-holder-to-two-companies-transfer-valid.yaml")
    document["facts"]["contract"]["signed_on"] = "2101-01-01"
    dossier = tmp_path / "transfer.yaml"
    dossier.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = cli("evaluate", dossier)
    assert result.exit_code == 1
    assert f"{dossier} $.facts.contract.signed_on: " in unlined(result.stderr)
