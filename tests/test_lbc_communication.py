"""Label bas carbone: pilot projects, communication on credits, and controls by the prefect.

The cases follow the arrêté of 5 September 2025 (shared/seeds/label-bas-carbone-arrete-2025-ch2-methods.txt,
art. 14; shared/seeds/label-bas-carbone-arrete-2025-ch4-verification-credits.txt, art. 25.6, 30, 31) and the
decisions of referentials/label-bas-carbone/2025-09-05.yaml: pilot-ceiling, pilot-before-approval,
pilot-review, communication-mention, mandatory-sentences, financed-credits, communication-claims,
communication-transparency, ex-ante-future, control-validity, control-adversarial, data-retention and
control-data-retention. Every section applies retroactively from 8 September 2025 (art. 32, decision
retroactivity): an event before that day finds no version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, dossier_document, finding_codes, judge

from engine import DossierError
from engine.model.canonical import canonical_json
from engine.model.documents import load_document
from engine.errors import format_path
from engine.compilation.expressions import Expression, Scope

LBC = "label-bas-carbone"
VERSION = "2025-09-05"
EXAMPLES = ROOT / "examples" / LBC
ARRETE = load_document(ROOT / "referentials" / LBC / f"{VERSION}.yaml")
COMMUNICATION = ARRETE["sections"]["communication"]["parameters"]

VERIFICATION_SENTENCE = (
    "La valeur définitive de l'estimation ne sera établie qu'après vérification du projet par un auditeur "
    "indépendant et la signature d'une décision administrative de vérification."
)
RETIREMENT_SENTENCE = "l'usage définitif des crédits carbone ne sera établi qu'après le retrait des crédits."


def lbc(library: Any, procedure: str, facts: dict[str, Any], anchor: str, event: str, **options: Any) -> dict[str, Any]:
    return judge(library, procedure, facts, anchor, event, scheme=LBC, **options)


def write_lbc(folder: Path, procedure: str, facts: dict[str, Any], anchor: str, event: str) -> Path:
    path = folder / f"{procedure}.yaml"
    document = dossier_document(procedure, facts, anchor, event, scheme=LBC)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def findings(decision: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in decision["findings"] if f["code"] == code]


def refused(result: Any) -> str:
    """The output of a command that must fail cleanly with exit status 1."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result.output


# --- pilot projects (art. 14) ---------------------------------------------------------------------------------

CONSULTATION = "2025-09-22"
NOTIFIED = "2025-11-03"


def pilot(
    library: Any,
    *,
    potential: float = 3500,
    others: tuple[float, ...] = (4200, 2300),
    consultation: str | None = CONSULTATION,
    approved: str | None = None,
    notified: str = NOTIFIED,
    event: str = "2025-11-17",
    reviewed: float | None = None,
    runtime: str = "durable-rules",
) -> dict[str, Any]:
    facts = {
        "method": {"name": "Biochar", "consultation_opened_on": consultation, "approved_on": approved},
        "pilot": {"id": "pilote-a", "notified_on": notified, "potential_credits": potential, "reviewed_potential_credits": reviewed},
        "other_pilots": [{"id": f"pilote-{i}", "potential_credits": c} for i, c in enumerate(others)],
    }
    return lbc(library, "pilot_project", facts, notified, event, runtime=runtime)


@pytest.mark.parametrize(
    ("potential", "others", "outcome"),
    [
        (3500, (4200, 2300), "pilot_allowed"),  # exactly 10,000 together
        (3501, (4200, 2300), "pilot_refused"),  # 10,001
        (10000, (), "pilot_allowed"),
        (10001, (), "pilot_refused"),
        (3499.5, (4200, 2300.5), "pilot_allowed"),
        (3500.5, (4200, 2300), "pilot_refused"),
    ],
)
def test_the_pilots_of_a_method_generate_at_most_10000_potential_credits(library, potential, others, outcome):
    decision = pilot(library, potential=potential, others=others)
    assert decision["outcome"] == outcome
    assert decision["values"]["pilots_potential_credits"] == pytest.approx(potential + sum(others))
    assert ("PILOT_CEILING_EXCEEDED" in finding_codes(decision)) == (outcome == "pilot_refused")


def test_the_ceiling_finding_gives_the_total_and_what_was_left(library):
    decision = pilot(library, potential=3501)
    assert decision["values"]["refusal_reasons"] == ["ceiling_exceeded"]
    assert decision["values"]["ceiling_headroom"] == 3500
    [finding] = findings(decision, "PILOT_CEILING_EXCEEDED")
    assert finding["clause"] == "art. 14"
    assert "10001 potential credits together, more than 10000; 3500 are left" in finding["message"]


def test_the_ceiling_is_a_parameter_of_art_14(library):
    decision = pilot(library)
    [total] = [t for t in decision["trail"] if t.get("name") == "refusal_reasons"]
    [param] = [p for p in total["premises"] if p["kind"] == "parameter"]
    assert (param["name"], param["value"], param["clause"], param["section"]) == ("max_pilot_potential_credits", 10000, "art. 14", "pilots")


@pytest.mark.parametrize(
    ("notified", "outcome"),
    [("2025-09-21", "pilot_refused"), (CONSULTATION, "pilot_refused"), ("2025-09-23", "pilot_allowed")],
)
def test_a_pilot_is_notified_only_after_the_day_the_consultation_opened(library, notified, outcome):
    decision = pilot(library, notified=notified, event="2025-11-17")
    assert decision["outcome"] == outcome
    if outcome == "pilot_refused":
        [finding] = findings(decision, "NOTIFIED_BEFORE_CONSULTATION")
        assert "the earliest notification is 2025-09-23" in finding["message"]


def test_no_pilot_before_the_draft_goes_to_consultation(library):
    decision = pilot(library, consultation=None)
    assert decision["outcome"] == "pilot_refused"
    assert decision["values"]["refusal_reasons"] == ["consultation_not_opened"]
    assert finding_codes(decision) == ["CONSULTATION_NOT_OPENED"]


@pytest.mark.parametrize(
    ("approved", "outcome"),
    [("2025-11-04", "pilot_allowed"), (NOTIFIED, "pilot_refused"), ("2025-10-30", "pilot_refused")],
)
def test_a_project_notified_once_the_method_is_approved_is_no_pilot(library, approved, outcome):
    decision = pilot(library, approved=approved, event="2025-11-17")
    assert decision["outcome"] == outcome
    assert ("METHOD_ALREADY_APPROVED" in finding_codes(decision)) == (outcome == "pilot_refused")


def test_every_reason_of_a_refusal_is_reported(library):
    decision = pilot(library, potential=9000, notified=CONSULTATION, approved="2025-09-23", event="2025-11-17")
    assert decision["values"]["refusal_reasons"] == ["notified_before_consultation", "ceiling_exceeded"]
    assert sorted(finding_codes(decision)) == ["NOTIFIED_BEFORE_CONSULTATION", "PILOT_CEILING_EXCEEDED"]


def test_no_review_before_the_method_is_approved(library):
    decision = pilot(library, approved="2026-03-30", event="2026-03-29")
    assert decision["outcome"] == "pilot_allowed"
    assert "carbon_balance_review" not in decision["values"]  # a null value is not reported
    assert decision["findings"] == []


def test_the_carbon_balance_is_due_for_review_from_the_day_of_approval(library):
    decision = pilot(library, approved="2026-03-30", event="2026-03-30")
    assert decision["outcome"] == "pilot_allowed"
    assert decision["values"]["carbon_balance_review"] == {
        "due_from": "2026-03-30", "potential_credits": 3500, "reviewed_potential_credits": None, "status": "due",
    }
    [finding] = findings(decision, "CARBON_BALANCE_REVIEW_DUE")
    assert (finding["severity"], finding["clause"]) == ("warning", "art. 14 review")


def test_a_reviewed_carbon_balance_is_reported(library):
    decision = pilot(library, approved="2026-03-30", event="2026-05-04", reviewed=3120.5)
    assert decision["values"]["carbon_balance_review"]["status"] == "done"
    [finding] = findings(decision, "CARBON_BALANCE_REVIEWED")
    assert finding["severity"] == "info" and "3120.5 potential credits (notified with 3500)" in finding["message"]


def test_no_review_is_reported_for_a_refused_pilot(library):
    decision = pilot(library, potential=3501, approved="2026-03-30", event="2026-04-20")
    assert decision["outcome"] == "pilot_refused"
    assert finding_codes(decision) == ["PILOT_CEILING_EXCEEDED"]


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        ({"anchor": "2025-11-04"}, "$.facts.pilot.notified_on", "a pilot's cycle starts at its notification"),
        ({"approved_on": "2025-09-22"}, "$.facts.method.approved_on", "after its draft's public consultation"),
        ({"consultation_opened_on": None, "approved_on": "2026-01-05"}, "$.facts.method.consultation_opened_on", "give the day its draft went to public consultation"),
        ({"other_id": "pilote-a"}, "$.facts.other_pilots", "each pilot is counted once"),
        ({"reviewed_potential_credits": 3000}, "$.facts.pilot.reviewed_potential_credits", "the method is not approved by 2025-11-17"),
    ],
)
def test_pilot_inputs_that_contradict_each_other_are_refused(library, changes, where, message):
    facts = {
        "method": {"name": "Biochar", "consultation_opened_on": changes.get("consultation_opened_on", CONSULTATION), "approved_on": changes.get("approved_on")},
        "pilot": {"id": "pilote-a", "notified_on": NOTIFIED, "potential_credits": 100, "reviewed_potential_credits": changes.get("reviewed_potential_credits")},
        "other_pilots": [{"id": changes.get("other_id", "pilote-b"), "potential_credits": 100}],
    }
    with pytest.raises(DossierError) as raised:
        lbc(library, "pilot_project", facts, changes.get("anchor", NOTIFIED), "2025-11-17")
    [problem] = raised.value.problems
    assert format_path(problem.path) == where and message in problem.message


# --- communication (art. 30) ------------------------------------------------------------------------------------

LABELLED = "2024-03-12"
EVENT = "2025-10-06"
PROJECT = "Boisement des Hauts de Sèvre"


def review(
    library: Any,
    text: str,
    *,
    author: str = "project_holder",
    verified: bool = False,
    retired: bool = False,
    ex_ante: bool = False,
    names: tuple[str, ...] = (PROJECT, "LBC-2024-0212"),
    prior_actions: bool = True,
    runtime: str = "durable-rules",
) -> dict[str, Any]:
    facts = {
        "text": text,
        "author": author,
        "credits_verified": verified,
        "credits_retired": retired,
        "ex_ante_verified": ex_ante,
        "project_names": list(names),
        "prior_actions_described": prior_actions,
    }
    return lbc(library, "communication_review", facts, LABELLED, EVENT, runtime=runtime)


def holder_text(sentence: str) -> str:
    """A project holder's text before verification: `sentence`, then the mandatory sentence."""
    return f"Le projet « {PROJECT} » est labellisé depuis mars 2024. {sentence} {VERIFICATION_SENTENCE}"


# -- hedging the quantity before verification

@pytest.mark.parametrize(
    "sentence",
    [
        "Le projet générera des crédits carbone estimés à 12 000 tCO2e.",
        "Les crédits carbone sont estimées à 12 000 tonnes de CO2 sur trente ans.",
        "Le projet générera des crédits carbone ESTIMÉS À 12 000 tCO2e.",
        "Le projet générera 12 000 crédits carbone potentiels.",
        "Le projet générera une quantité potentielle de 12 000 crédits carbone.",
        "Le projet générera potentiellement 12 000 crédits carbone.",
        "Le projet générera 12 000 crédits carbone conditionnels.",
        "Le projet générera, de façon conditionnelle, 12 000 crédits carbone.",
        "Le projet générera environ 12 000 crédits carbone.",
        "Le projet générera ENVIRON 12 000 CRÉDITS CARBONE.",
        "Le projet générera env. 12 000 crédits carbone.",
        "Le projet générera 12 000 crédits carbone prévisionnels.",
        "Selon notre estimation, le projet générera 12 000 crédits carbone.",
    ],
)
def test_each_hedge_term_states_the_forecast_character(library, sentence):
    decision = review(library, holder_text(sentence))
    assert decision["outcome"] == "compliant", decision["findings"]
    assert decision["values"]["unhedged_sentences"] == []
    assert sentence in decision["values"]["credit_sentences"]


def test_every_hedge_term_of_the_referential_is_tested():
    """The words of art. 30 are given "à titre d'exemple"; the others are tested in test_lbc_communication_corpus.py."""
    tested = {"estimés à", "potentiels", "conditionnels", "environ", "prévisionnels", "estimation", "près de", "attendus", "devrait"}
    assert {h["term"] for h in COMMUNICATION["hedge_terms"]["value"]} == tested


@pytest.mark.parametrize(
    "sentence",
    [
        "Le projet générera 12 000 crédits carbone.",
        "Le projet générera 1,2 million de crédits carbone.",
        "Le projet générera 12\u202f000 crédits carbone.",  # a narrow no-break space between thousands
        "Le projet générera 12\u00a0000\u00a0tCO2e.",
        "Le projet séquestrera 4 800 tonnes de CO2 en trente ans.",
        "Le projet séquestrera 4 800 tCO₂e en trente ans.",
        "Ces 500 crédits bas-carbone seront générés en 2030.",
        "Le projet générera des crédits carbone estimes a 12 000 tCO2e.",  # no accents: not « estimés à »
        "Le projet près de Lyon générera 12 000 crédits carbone.",  # « près de » a place, not a number
    ],
)
def test_an_unhedged_quantity_before_verification_is_quoted(library, sentence):
    decision = review(library, holder_text(sentence))
    assert decision["outcome"] == "non_compliant"
    sentence = " ".join(sentence.split())  # sentences() writes every run of white space as one space
    assert decision["values"]["unhedged_sentences"] == [sentence]
    assert decision["values"]["breaches"] == ["credits_not_hedged"]
    [finding] = findings(decision, "CREDITS_NOT_HEDGED")
    assert finding["message"].startswith(f"« {sentence} » announces a quantity of credits not yet verified")
    assert finding["clause"] == "art. 30 before verification"


def test_the_hedge_belongs_to_the_sentence_announcing_the_quantity(library):
    text = holder_text("Le projet générera 12 000 crédits carbone. Ce chiffre est une valeur potentielle.")
    decision = review(library, text)
    assert decision["values"]["unhedged_sentences"] == ["Le projet générera 12 000 crédits carbone."]


def test_a_mention_of_credits_without_a_quantity_needs_no_hedge_but_the_sentence(library):
    sentence = "Le projet, labellisé en 2024, générera des crédits carbone."
    assert review(library, holder_text(sentence))["outcome"] == "compliant"
    decision = review(library, sentence)
    assert decision["values"]["unhedged_sentences"] == []
    assert decision["values"]["breaches"] == ["missing_sentence:before_verification"]


def test_the_beneficiarys_own_reductions_are_no_mention_of_credits(library):
    decision = review(library, "Nous avons réduit nos émissions de 2 000 tonnes de CO2 depuis 2019.")
    assert decision["values"]["credit_sentences"] == []
    assert decision["outcome"] == "compliant"
    assert finding_codes(decision) == ["NO_CREDIT_MENTION"]


def test_after_verification_no_hedge_and_no_verification_sentence_are_required(library):
    decision = review(library, "Le projet a généré 12 000 crédits carbone.", verified=True)
    assert decision["outcome"] == "compliant"
    assert decision["values"]["missing_sentences"] == []


# -- the sentences article 30 quotes

@pytest.mark.parametrize(
    "written",
    [
        VERIFICATION_SENTENCE,
        VERIFICATION_SENTENCE.replace("'", "’"),
        VERIFICATION_SENTENCE.replace(" un auditeur ", " un auditeur\n"),
        VERIFICATION_SENTENCE.replace("de vérification.", "de\u00a0vérification."),
        f"« {VERIFICATION_SENTENCE} »",
        "l" + VERIFICATION_SENTENCE[1:],
    ],
)
def test_the_verification_sentence_is_recognised_word_for_word(library, written):
    decision = review(library, f"Le projet générera environ 12 000 crédits carbone. {written}")
    assert decision["outcome"] == "compliant", decision["findings"]


@pytest.mark.parametrize(
    "typo",
    [
        VERIFICATION_SENTENCE.replace("indépendant", "independant"),
        VERIFICATION_SENTENCE.replace("après vérification", "après la vérification"),
        VERIFICATION_SENTENCE.replace("définitive", "definitive"),
        VERIFICATION_SENTENCE.replace("administrative ", ""),
        VERIFICATION_SENTENCE.replace("établie", "établi"),
        VERIFICATION_SENTENCE[:-1],  # no final full stop
        VERIFICATION_SENTENCE.replace("La valeur", "La  valeur finale"),
    ],
)
def test_a_verification_sentence_with_a_typo_is_missing(library, typo):
    decision = review(library, f"Le projet générera environ 12 000 crédits carbone. {typo}")
    assert decision["outcome"] == "non_compliant"
    assert decision["values"]["breaches"] == ["missing_sentence:before_verification"]
    [finding] = findings(decision, "VERIFICATION_SENTENCE_MISSING")
    assert finding["message"].endswith(f"« {VERIFICATION_SENTENCE} »")
    assert finding["clause"] == "art. 30 before verification"


def beneficiary_text(extra: str = "") -> str:
    return f"Nous avons acquis 500 crédits carbone du projet « {PROJECT} », soit 500 tCO2e vérifiées. {extra}".strip()


@pytest.mark.parametrize(
    "written",
    [RETIREMENT_SENTENCE, "L" + RETIREMENT_SENTENCE[1:], ("L" + RETIREMENT_SENTENCE[1:]).replace("'", "’"), "Nous rappelons que " + RETIREMENT_SENTENCE],
)
def test_the_retirement_sentence_is_recognised(library, written):
    decision = review(library, beneficiary_text(written), author="beneficiary", verified=True)
    assert decision["outcome"] == "compliant", decision["findings"]


@pytest.mark.parametrize(
    "typo",
    [
        RETIREMENT_SENTENCE.replace("définitif", "definitif"),
        RETIREMENT_SENTENCE.replace("après le retrait", "après retrait"),
        RETIREMENT_SENTENCE.replace("crédits carbone", "crédits"),
        RETIREMENT_SENTENCE.replace("établi", "établie"),
        RETIREMENT_SENTENCE[:-1],
    ],
)
def test_a_retirement_sentence_with_a_typo_is_missing(library, typo):
    decision = review(library, beneficiary_text("L" + typo[1:]), author="beneficiary", verified=True)
    assert decision["outcome"] == "non_compliant"
    assert decision["values"]["breaches"] == ["missing_sentence:before_retirement"]
    [finding] = findings(decision, "RETIREMENT_SENTENCE_MISSING")
    assert finding["message"].endswith(f"« {RETIREMENT_SENTENCE} »")
    assert finding["clause"] == "art. 30 before retirement"


def test_retired_credits_need_no_retirement_sentence(library):
    assert review(library, beneficiary_text(), author="beneficiary", verified=True, retired=True)["outcome"] == "compliant"


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("Le projet générera environ 12 000 crédits carbone.", ["before_verification"]),
        ("Le projet générera environ 12 000 crédits carbone, financés par la Biscuiterie Léonard.", ["before_verification", "before_retirement"]),
        ("Nos partenaires soutiennent le projet. Il générera environ 12 000 crédits carbone.", ["before_verification", "before_retirement"]),
        ("Le projet générera environ 12 000 crédits carbone, vendus à la Mutuelle du Poitou.", ["before_verification", "before_retirement"]),
        ("Vendredi, le projet a été présenté : il générera environ 12 000 crédits carbone.", ["before_verification"]),
    ],
)
def test_a_holder_mentions_financed_credits_when_it_names_their_financing(library, text, required):
    decision = review(library, text)
    assert [m["id"] for m in decision["values"]["missing_sentences"]] == required


def test_both_sentences_before_verification_of_financed_credits(library):
    text = f"Le projet générera environ 12 000 crédits carbone, financés par nos partenaires. {VERIFICATION_SENTENCE} L{RETIREMENT_SENTENCE[1:]}"
    assert review(library, text)["outcome"] == "compliant"
    decision = review(library, "Le projet générera environ 12 000 crédits carbone, financés par nos partenaires.")
    assert sorted(finding_codes(decision)) == ["RETIREMENT_SENTENCE_MISSING", "VERIFICATION_SENTENCE_MISSING"]


def test_the_sentence_patterns_accept_the_sentences_they_stand_for():
    mandatory = {m["id"]: m for m in COMMUNICATION["mandatory_sentences"]["value"]}
    assert (mandatory["before_verification"]["sentence"], mandatory["before_retirement"]["sentence"]) == (VERIFICATION_SENTENCE, RETIREMENT_SENTENCE)
    for m in mandatory.values():
        assert Expression.compile("facts.s.matches(facts.p)").evaluate(Scope({}, {"s": m["sentence"], "p": m["pattern"]})), m["id"]


# -- forbidden claims

CLAIMS = [
    ("carbon_neutral", "Notre entreprise est désormais neutre en carbone."),
    ("carbon_neutral", "Nos livraisons sont neutres en CO2."),
    ("carbon_neutral", "Une marque carboneutre depuis 2024."),
    ("carbon_neutral", "Un événement carbone neutre."),
    ("carbon_neutral", "Une entreprise climatiquement neutre."),
    ("carbon_neutral", "Nous avons atteint la neutralité carbone."),
    ("carbon_neutral", "Notre neutralité carbone est garantie par ces crédits."),
    ("carbon_neutral", "Nous sommes désormais net zéro."),
    ("full_offsetting", "Notre entreprise compense intégralement ses émissions."),
    ("full_offsetting", "Nos émissions sont 100 % compensées."),
    ("full_offsetting", "Une compensation totale de nos déplacements."),
    ("carbon_assessment", "L'achat de ces crédits atteste de la réalisation d'un bilan carbone."),
    ("carbon_assessment", "Notre bilan carbone est certifié par le Label bas-carbone."),
    ("carbon_assessment", "Ces crédits valent bilan carbone."),
    ("reduction_effort", "Grâce à l'achat de crédits carbone, nous réduisons nos émissions."),
    ("reduction_effort", "Nous réduisons nos émissions en achetant des crédits carbone."),
    ("reduction_effort", "En finançant 500 crédits carbone, nous diminuons notre empreinte."),
    ("labelled_product", "Découvrez notre service labellisé."),
    ("labelled_product", "Nos produits labellisés bas-carbone sont en rayon."),
    ("labelled_product", "Une offre de voyages labellisée."),
    ("label_on_product", "Nos cafés de la gamme Origine sont certifiés Label bas-carbone."),
    ("label_on_product", "Le Label bas carbone sur nos emballages."),
    ("label_on_product", "Nos produits « Label bas-carbone »."),
    ("label_on_product", "Cette offre bénéficie du Label bas-carbone."),
]
PRODUCT_CLAIMS = {"labelled_product", "label_on_product"}


@pytest.mark.parametrize(("claim", "sentence"), CLAIMS)
def test_each_forbidden_claim_is_quoted(library, claim, sentence):
    text = f"Nous finançons le projet « {PROJECT} ». {sentence} Merci à tous."
    decision = review(library, text, author="beneficiary", verified=True, retired=True)
    assert decision["outcome"] == "non_compliant"
    [found] = decision["values"]["claims_found"]
    assert (found["id"], found["passages"]) == (claim, [sentence])
    code, clause = ("PRODUCT_LABEL_CLAIM", "art. 30 labelled project") if claim in PRODUCT_CLAIMS else ("FORBIDDEN_CLAIM", "art. 30 claims")
    [finding] = findings(decision, code)
    assert finding["message"].startswith(f"« {sentence} » suggests ")
    assert finding["clause"] == clause


@pytest.mark.parametrize(("claim", "sentence"), CLAIMS)
def test_claims_are_found_whatever_the_case(library, claim, sentence):
    decision = review(library, sentence.upper(), verified=True, retired=True)
    assert [c["id"] for c in decision["values"]["claims_found"]] == [claim]


def test_every_claim_pattern_is_tested_and_cites_its_clause():
    claims = COMMUNICATION["forbidden_claims"]["value"]
    assert {p["id"] for p in claims} == {c for c, _ in CLAIMS}
    assert {p["id"]: p["clause"] for p in claims if p["clause"] != "art. 30 claims"} == {
        "labelled_product": "art. 30 labelled project", "label_on_product": "art. 30 labelled project",
    }
    patterns = COMMUNICATION["claim_patterns"]["value"]
    assert all(p.startswith("(?i)") for p in patterns.values())
    named = {n for c in claims for f in c["forms"] for n in f["match"] + f["unless"]}
    assert named == set(patterns)  # every pattern is used, and every name a form uses is a pattern


@pytest.mark.parametrize(
    "sentence",
    [
        "Nous contribuons à l'objectif national de neutralité carbone en 2050.",
        "La France vise à atteindre la neutralité carbone en 2050.",
        "Nous suivons une trajectoire net zéro.",
        "Après avoir réduit nos émissions de 35 %, nous allons plus loin en finançant 500 crédits carbone.",
        "En finançant des crédits carbone, nous complétons les efforts qui ont réduit nos émissions de 35 %.",
        "Nous avons réalisé notre bilan carbone en 2023 et validé un plan de réduction.",
        "Le projet « Boisement des Hauts de Sèvre » est labellisé Label bas-carbone.",
        "Ce projet bénéficie du Label bas-carbone.",
        "Nous compensons une partie de nos émissions résiduelles.",
    ],
)
def test_what_is_not_a_forbidden_claim(library, sentence):
    decision = review(library, f"{sentence} {VERIFICATION_SENTENCE} {RETIREMENT_SENTENCE}", verified=True, retired=True)
    assert decision["values"]["claims_found"] == []


def test_claims_are_checked_in_a_holders_text_and_a_text_without_credits(library):
    decision = review(library, "Achetez nos crédits et devenez neutres en carbone !")
    assert decision["values"]["credit_sentences"] == []
    assert sorted(finding_codes(decision)) == ["FORBIDDEN_CLAIM", "NO_CREDIT_MENTION"]
    assert decision["outcome"] == "non_compliant"


def test_a_sentence_with_two_claims_is_quoted_for_each(library):
    sentence = "Nos produits labellisés sont neutres en carbone."
    decision = review(library, sentence, verified=True, retired=True)
    assert [c["id"] for c in decision["values"]["claims_found"]] == ["carbon_neutral", "labelled_product"]
    assert sorted(finding_codes(decision)) == ["FORBIDDEN_CLAIM", "NO_CREDIT_MENTION", "PRODUCT_LABEL_CLAIM"]


# -- transparency and ex-ante credits

def test_a_beneficiary_names_the_project_of_its_credits(library):
    text = "Nous avons acquis 500 crédits carbone vérifiés dans notre région."
    decision = review(library, text, author="beneficiary", verified=True, retired=True)
    assert decision["values"]["breaches"] == ["project_not_named"]
    [finding] = findings(decision, "PROJECT_NOT_NAMED")
    assert finding["clause"] == "art. 30 transparency"
    assert f"« {PROJECT} », « LBC-2024-0212 »" in finding["message"]
    named = review(library, text.replace("dans notre région", "du projet LBC-2024-0212"), author="beneficiary", verified=True, retired=True)
    assert named["outcome"] == "compliant"


def test_a_beneficiary_communicates_its_prior_reduction_actions(library):
    decision = review(library, beneficiary_text(), author="beneficiary", verified=True, retired=True, prior_actions=False)
    assert decision["values"]["breaches"] == ["prior_actions_missing"]
    assert finding_codes(decision) == ["PRIOR_ACTIONS_MISSING"]


def test_transparency_is_asked_of_beneficiaries_only(library):
    decision = review(library, "Le projet a généré 500 crédits carbone.", verified=True, retired=True, names=(), prior_actions=False)
    assert decision["outcome"] == "compliant"


@pytest.mark.parametrize(
    "future",
    [
        "Ces crédits ex-ante correspondent à du carbone",
        "Ces crédits sont futurs : le carbone",
        "Le carbone de ces crédits sera capté dans les années à venir :",
        "Ces crédits correspondent à du carbone qui sera séquestré d'ici 2055 ;",
        "Le carbone sera stocké au cours des 30 prochaines années ;",
    ],
)
def test_verified_ex_ante_credits_are_said_to_be_future(library, future):
    text = beneficiary_text(f"{future} que les arbres absorberont en grandissant.")
    assert review(library, text, author="beneficiary", verified=True, retired=True, ex_ante=True)["outcome"] == "compliant"


def test_verified_ex_ante_credits_without_their_future_character(library):
    decision = review(library, beneficiary_text(), author="beneficiary", verified=True, retired=True, ex_ante=True)
    assert decision["values"]["breaches"] == ["future_character_missing"]
    [finding] = findings(decision, "FUTURE_CHARACTER_MISSING")
    assert (finding["clause"], finding["severity"]) == ("art. 30 ex-ante", "error")
    assert f"« Nous avons acquis 500 crédits carbone du projet « {PROJECT} », soit 500 tCO2e vérifiées. »" in finding["message"]


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"credits_retired": True}, "credits_retired"),
        ({"ex_ante_verified": True}, "ex_ante_verified"),
        ({"author": "beneficiary", "project_names": []}, "project_names"),
    ],
)
def test_communication_inputs_that_contradict_each_other_are_refused(library, changes, where):
    facts = {"text": "Un texte.", "author": "project_holder", "credits_verified": False, "credits_retired": False, **changes}
    with pytest.raises(DossierError) as raised:
        lbc(library, "communication_review", facts, LABELLED, EVENT)
    [problem] = raised.value.problems
    assert format_path(problem.path) == f"$.facts.{where}"


# --- controls (art. 31, 25.6) -----------------------------------------------------------------------------------

CONTROL_LABELLED = "2021-05-10"


def control(
    library: Any,
    *,
    control_on: str = "2025-11-04",
    valid: tuple[str, str] = ("2021-05-10", "2051-05-09"),
    last_verification: str | None = "2023-02-27",
    grounds: list[dict[str, Any]] | None = None,
    procedure: dict[str, Any] | None = None,
    collective: bool = False,
    members: tuple[str, ...] = (),
    event: str = "2026-03-02",
    runtime: str = "durable-rules",
) -> dict[str, Any]:
    facts = {
        "control_on": control_on,
        "project": {"valid_from": valid[0], "valid_until": valid[1], "collective": collective, "members": list(members)},
        "last_verification_on": last_verification,
        "grounds": grounds or [],
        "adversarial_procedure": procedure,
    }
    return lbc(library, "control", facts, CONTROL_LABELLED, event, runtime=runtime)


FRAUD = {"kind": "fraud", "description": "haies déclarées mais absentes"}
DATA_REFUSAL = {"kind": "refusal_of_control", "description": "relevés 2021 non produits", "data_only": True}
HEARD = {"opened_on": "2025-12-01", "closed_on": "2026-01-15"}


def test_a_control_without_breach(library):
    decision = control(library)
    assert decision["outcome"] == "no_breach"
    assert decision["findings"] == []


@pytest.mark.parametrize("kind", ["fraud", "major_inaccuracy", "refusal_of_control"])
def test_each_ground_withdraws_the_label_after_the_adversarial_procedure(library, kind):
    decision = control(library, grounds=[{"kind": kind, "description": "constaté sur place"}], procedure=HEARD)
    assert decision["outcome"] == "label_withdrawn"
    [finding] = findings(decision, "WITHDRAWAL_GROUND")
    assert finding["clause"] == "art. 31 withdrawal"
    assert decision["values"]["withdrawal_scope"] == {"individual_projects": [], "whole_collective_project": False}


@pytest.mark.parametrize(
    ("procedure", "code"),
    [(None, "ADVERSARIAL_PROCEDURE_NOT_OPENED"), ({"opened_on": "2025-12-01", "closed_on": None}, "ADVERSARIAL_PROCEDURE_UNDER_WAY")],
)
def test_no_withdrawal_before_the_adversarial_procedure_is_over(library, procedure, code):
    decision = control(library, grounds=[FRAUD], procedure=procedure)
    assert decision["outcome"] == "adversarial_procedure_required"
    assert code in finding_codes(decision)
    assert "COLLECTIVE_PROJECT_WITHDRAWN" not in finding_codes(decision)


def test_the_adversarial_procedure_may_close_on_the_day_of_the_decision(library):
    decision = control(library, grounds=[FRAUD], procedure={"opened_on": "2025-11-04", "closed_on": "2026-03-02"})
    assert decision["outcome"] == "label_withdrawn"


def test_a_collective_project_loses_its_label_as_a_whole(library):
    members = ("earl-des-landes", "gaec-de-la-fontaine", "ferme-du-haut-bois")
    ground = {**FRAUD, "member": "gaec-de-la-fontaine"}
    decision = control(library, grounds=[ground], procedure=HEARD, collective=True, members=members)
    assert decision["outcome"] == "label_withdrawn"
    assert decision["values"]["withdrawal_scope"] == {"individual_projects": list(members), "whole_collective_project": True}
    [finding] = findings(decision, "COLLECTIVE_PROJECT_WITHDRAWN")
    assert "all its individual projects (earl-des-landes, gaec-de-la-fontaine, ferme-du-haut-bois)" in finding["message"]
    assert "(gaec-de-la-fontaine)" in finding["message"]


@pytest.mark.parametrize(
    ("control_on", "outcome"),
    [
        ("2021-05-09", "outside_validity"),
        ("2021-05-10", "label_withdrawn"),
        ("2026-01-31", "label_withdrawn"),
        ("2026-02-01", "outside_validity"),
    ],
)
def test_a_control_takes_place_during_the_validity_both_days_included(library, control_on, outcome):
    decision = control(
        library, control_on=control_on, valid=("2021-05-10", "2026-01-31"), last_verification=None,
        grounds=[FRAUD], procedure={"opened_on": "2026-02-10", "closed_on": "2026-02-20"},
    )
    assert decision["outcome"] == outcome
    if outcome == "outside_validity":
        assert finding_codes(decision) == ["CONTROL_OUTSIDE_VALIDITY"]


@pytest.mark.parametrize(
    ("last_verification", "control_on", "kept_until", "outcome"),
    [
        ("2022-11-04", "2025-11-04", "2025-11-04", "label_withdrawn"),  # exactly three years: still required
        ("2022-11-04", "2025-11-05", "2025-11-04", "no_breach"),  # one day more: no longer
        ("2024-02-29", "2027-02-28", "2027-02-28", "label_withdrawn"),
        ("2024-02-29", "2027-03-01", "2027-02-28", "no_breach"),
    ],
)
def test_data_are_kept_three_years_from_the_last_verification(library, last_verification, control_on, kept_until, outcome):
    decision = control(
        library, control_on=control_on, last_verification=last_verification, grounds=[DATA_REFUSAL],
        procedure={"opened_on": control_on, "closed_on": control_on}, event="2027-06-01",
    )
    assert decision["outcome"] == outcome
    assert decision["values"]["data_kept_until"] == kept_until
    assert decision["values"]["data_required"] == (outcome == "label_withdrawn")
    if outcome == "no_breach":
        assert decision["values"]["set_aside_grounds"] == [{**DATA_REFUSAL, "member": None}]
        [finding] = findings(decision, "DATA_NO_LONGER_REQUIRED")
        assert finding["clause"] == "art. 25.6" and f"kept until {kept_until}" in finding["message"]
    else:
        assert "DATA_NOT_PRODUCED" in finding_codes(decision)


def test_the_retention_period_is_the_parameter_of_art_25_6(library):
    decision = control(library, last_verification="2022-11-04")
    [kept] = [t for t in decision["trail"] if t.get("name") == "data_kept_until"]
    [param] = [p for p in kept["premises"] if p["kind"] == "parameter"]
    assert (param["name"], param["value"], param["clause"], param["section"]) == ("data_retention_years", 3, "art. 25.6", "verification")


def test_a_project_never_verified_keeps_its_data(library):
    decision = control(library, last_verification=None, grounds=[DATA_REFUSAL], procedure=HEARD)
    assert decision["outcome"] == "label_withdrawn"
    assert "data_kept_until" not in decision["values"] and decision["values"]["data_required"] is True


def test_only_a_data_refusal_is_set_aside_with_the_retention(library):
    refusal = {"kind": "refusal_of_control", "description": "visite refusée"}
    decision = control(library, control_on="2026-03-01", last_verification="2022-11-04", grounds=[DATA_REFUSAL, refusal], procedure=None)
    assert decision["outcome"] == "adversarial_procedure_required"
    assert [g["description"] for g in decision["values"]["upheld_grounds"]] == ["visite refusée"]
    assert [g["description"] for g in decision["values"]["set_aside_grounds"]] == ["relevés 2021 non produits"]


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"control_on": "2026-03-03"}, "control_on"),
        ({"last_verification_on": "2025-11-05"}, "last_verification_on"),
        ({"grounds": [{**FRAUD, "data_only": True}]}, "grounds"),
        ({"grounds": [{**FRAUD, "member": "ferme-x"}]}, "grounds"),
        ({"project": {"valid_from": "2021-05-10", "valid_until": "2051-05-09", "collective": True, "members": ["seule", "seule"]}}, "project.members"),
        ({"project": {"valid_from": "2021-05-10", "valid_until": "2051-05-09", "members": ["seule"]}}, "project.members"),
        ({"project": {"valid_from": "2021-05-10", "valid_until": "2021-05-09"}}, "project.valid_until"),
        ({"adversarial_procedure": {"opened_on": "2025-11-03"}}, "adversarial_procedure"),
        ({"adversarial_procedure": {"opened_on": "2025-12-01", "closed_on": "2026-03-03"}}, "adversarial_procedure"),
    ],
)
def test_control_inputs_that_contradict_each_other_are_refused(library, changes, where):
    facts = {"control_on": "2025-11-04", "project": {"valid_from": "2021-05-10", "valid_until": "2051-05-09"}, **changes}
    with pytest.raises(DossierError) as raised:
        lbc(library, "control", facts, CONTROL_LABELLED, "2026-03-02")
    [problem] = raised.value.problems
    assert format_path(problem.path) == f"$.facts.{where}"


# --- the three procedures together: runtimes, time, examples, coverage -------------------------------------------

RUNS = {
    "pilot": lambda library, runtime: pilot(library, potential=3501, approved="2026-03-30", event="2026-04-20", runtime=runtime),
    "pilot-review": lambda library, runtime: pilot(library, approved="2026-03-30", event="2026-04-20", runtime=runtime),
    "communication": lambda library, runtime: review(
        library, "Nos produits labellisés sont neutres en carbone. Le projet générera 12 000 crédits carbone.",
        author="beneficiary", names=("X",), prior_actions=False, ex_ante=False, runtime=runtime),
    "control": lambda library, runtime: control(
        library, grounds=[{**FRAUD, "member": "b"}, DATA_REFUSAL], procedure=HEARD, collective=True, members=("a", "b"),
        last_verification="2022-11-03", runtime=runtime),
}


@pytest.mark.parametrize("case", sorted(RUNS))
def test_both_runtimes_decide_alike(library, case):
    durable, python = RUNS[case](library, "durable-rules"), RUNS[case](library, "python")
    assert canonical_json(durable) == canonical_json(python)


DOSSIERS = {
    "pilot_project": (
        {"method": {"name": "Biochar", "consultation_opened_on": "2025-06-02"}, "pilot": {"id": "p", "notified_on": "2025-07-01", "potential_credits": 10}},
        "2025-07-01",
    ),
    "communication_review": ({"text": "Le projet générera environ 100 crédits carbone.", "author": "project_holder", "credits_verified": False, "credits_retired": False}, "2024-03-12"),
    "control": ({"control_on": "2025-09-01", "project": {"valid_from": "2021-05-10", "valid_until": "2051-05-09"}}, "2021-05-10"),
}


@pytest.mark.parametrize("procedure", sorted(DOSSIERS))
def test_an_event_before_the_arrete_is_refused(cli, tmp_path, procedure):
    facts, anchor = DOSSIERS[procedure]
    path = write_lbc(tmp_path, procedure, facts, anchor, "2025-09-07")
    output = refused(cli("evaluate", path))
    assert "applies to running cycles only from 2025-09-08" in output
    path = write_lbc(tmp_path, procedure, facts, anchor, "2025-09-08")
    assert cli("evaluate", path).exit_code == 0


def test_the_examples_quote_what_they_find(cli):
    result = cli("evaluate", EXAMPLES / "communication-neutrality-claim-non-compliant.yaml", "--format", "json")
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["message"].startswith("« Transports Mercier est fier d'annoncer que notre entreprise est désormais neutre en carbone ! »")


MINE = [
    "art. 14", "art. 14 review", "art. 30 transparency", "art. 30 claims", "art. 30 labelled project",
    "art. 30 before verification", "art. 30 before retirement", "art. 30 ex-ante", "art. 31", "art. 31 withdrawal",
]


def test_the_provisions_of_these_procedures_are_cited(cli):
    result = cli("validate", ROOT / "referentials" / LBC / f"{VERSION}.yaml", "--format", "json")
    [report] = json.loads(result.stdout)
    assert report["valid"], report["problems"]
    uncited = [w for w in report["warnings"] if any(f"'{p}'" in str(w) for p in MINE)]
    assert uncited == []
