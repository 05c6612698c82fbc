"""Label bas carbone: a method version judged against the arrêté of 5 September 2025 (`method_review`).

The articles are those of chapter II (shared/seeds/label-bas-carbone-arrete-2025-ch2-methods.txt):
art. 7 — the elements every method comprises (7.1, 7.2, 7.3, 7.4, 7.6) and, when it allows collective
projects, those of 7.5; art. 7.3 — a validity of 30 years at most; art. 7.4 — a list of auditors or
precise selection criteria; art. 10 — minor sources excluded within 5 % each and 10 % together, sources
whose exclusion under-estimates the reductions not counted; art. 13 — a non-permanence discount of at
least 10 %; art. 6 — the concept note, the DGEC's approval of the method project, its motivated refusal;
art. 15 — the scientific and technical group's opinion, at least one public consultation; art. 18 — an
independent rapporteur. Boundaries follow the arrêté's decisions (method-validity-30, non-permanence-10,
minor-sources): exactly 30 years, 10 %, 5 % and 10 % are lawful.

Method versions under review are variants of Haies 2026-03-01 written into a scratch tree as a later
version (2026-09-01) and reviewed on the day it comes into force. `referee validate` accepts such a
version (it is lawful YAML: the review, not validation, judges its content) but rejects one lacking a
value the arrêté's rules read (engine/checks.py, check_companion).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import ROOT, dossier_document, finding_codes, write_version, unlined

from engine import DossierError, Library, load_dossier, read_dossier
from engine.model.canonical import canonical_json
from engine.authoring.checks import validate_paths
from engine.model.documents import load_document

LBC = "label-bas-carbone"
HAIES = "label-bas-carbone-haies"
BOISEMENT = "label-bas-carbone-boisement"
VARIANT = "2026-09-01"  # the id (and the day of review) of the scratch versions of Haies
EXAMPLES = ROOT / "examples" / LBC

# a complete approval path (art. 6, 15, 18)
PATH = {
    "concept_note_on": "2024-01-15",
    "method_project_approved_on": "2024-04-02",
    "rapporteur": {"name": "Claire Vasseur (INRAE)", "independent": True},
    "scientific_group_opinion_on": "2025-06-10",
    "public_consultations": [{"opened_on": "2025-07-01", "closed_on": "2025-07-29"}],
}


# --- building method versions and dossiers ------------------------------------------------------------


def haies_variant(change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Haies 2026-03-01 as a later version VARIANT, changed by `change`."""
    document = copy.deepcopy(load_document(ROOT / "referentials" / HAIES / "2026-03-01.yaml"))
    document.update(id=VARIANT, published_on=VARIANT, in_force_from=VARIANT, supersedes="2026-03-01", changes=[])
    if change:
        change(document)
    return document


def param(section: str, name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["sections"][section]["parameters"][name]["value"] = value
    return change


def unset(section: str, name: str) -> Callable[[dict[str, Any]], None]:
    """A parameter left null, its unit saying it may be (validate checks a value against its unit)."""
    def change(document: dict[str, Any]) -> None:
        parameter = document["sections"][section]["parameters"][name]
        parameter.update(value=None, unit=parameter["unit"].removesuffix(", or null") + ", or null")
    return change


def drop_element(*elements: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        for element in elements:
            del document["sections"]["method"]["tables"]["elements"]["rows"][element]
    return change


def both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        for c in changes:
            c(document)
    return change


def review_document(facts: dict[str, Any], day: str, method: Any) -> dict[str, Any]:
    return dossier_document("method_review", facts, day, day, scheme=LBC, companions={"method": method})


def review(
    library: Library, facts: dict[str, Any] | None = None, *, day: str = VARIANT, method: Any = HAIES, runtime: str = "durable-rules"
) -> dict[str, Any]:
    document = review_document(PATH if facts is None else facts, day, method)
    return library.evaluate(read_dossier(document, "test dossier (method_review)"), runtime=runtime).to_json()


def review_variant(scratch: Path, change: Callable[[dict[str, Any]], None] | None = None, facts: dict[str, Any] | None = None) -> dict[str, Any]:
    write_version(scratch, HAIES, haies_variant(change))
    decision = review(Library.open(scratch), facts)
    assert [(v["section"], v["version"]) for v in decision["versions"][1:]] == [
        ("method", VARIANT), ("method_quantification", VARIANT), ("method_verification", VARIANT)
    ]
    return decision


def findings(decision: dict[str, Any], code: str) -> list[tuple[str, str]]:
    return [(f["message"], f["clause"]) for f in decision["findings"] if f["code"] == code]


# --- the shipped methods --------------------------------------------------------------------------------


def test_boisement_2026_reviewed_on_its_approval_is_approvable(library: Library) -> None:
    decision = library.evaluate(load_dossier(EXAMPLES / "method-review-boisement-2026-approvable.yaml")).to_json()
    assert decision["outcome"] == "approvable"
    assert decision["values"] == {"missing_elements": [], "unlawful_values": [], "missing_steps": [], "refusal_reasons": []}
    assert decision["findings"] == []
    assert [(v["section"], v["referential"], v["version"], v["mode"]) for v in decision["versions"]] == [
        ("methods", LBC, "2025-09-05", "pinned"),
        ("method", BOISEMENT, "2026-01-15", "pinned"),
        ("method_quantification", BOISEMENT, "2026-01-15", "pinned"),
        ("method_verification", BOISEMENT, "2026-01-15", "event_date"),
    ]


def test_boisement_2019_re_examined_under_the_arrete_is_refused_for_want_of_auditors(library: Library) -> None:
    """Approved in 2019 without a list of auditors: the 2025 arrêté (art. 7.4) requires a list or criteria."""
    decision = library.evaluate(load_dossier(EXAMPLES / "method-review-boisement-2019-no-auditor-list-refused.yaml")).to_json()
    assert decision["outcome"] == "refused"
    assert decision["values"] == {"missing_elements": [], "unlawful_values": ["auditors"], "missing_steps": [], "refusal_reasons": []}
    assert findings(decision, "NO_AUDITOR_LIST_OR_CRITERIA") == [
        ("The method gives neither a list of auditors meeting art. 25 nor precise criteria to select them (art. 7.4).", "art. 7.4")
    ]
    assert finding_codes(decision) == ["NO_AUDITOR_LIST_OR_CRITERIA"]  # 2019 is natural on 2025-10-06: no VERSION_FORCED
    assert {v["version"] for v in decision["versions"][1:]} == {"2019-04-01"}
    assert {v["mode"] for v in decision["versions"][1:]} == {"forced"}


@pytest.mark.parametrize("method, version, day", [(HAIES, "2021-06-01", "2025-10-01"), (HAIES, "2026-03-01", "2026-03-01")])
def test_the_haies_versions_are_approvable(library: Library, method: str, version: str, day: str) -> None:
    """Haies 2021 excludes a wood-chip source of 8 % whose exclusion under-estimates reductions: not counted."""
    decision = review(library, day=day, method={"scheme": method, "version": version})
    assert decision["outcome"] == "approvable", decision["findings"]


# --- art. 7: the elements of a method -------------------------------------------------------------------------


def test_every_element_the_arrete_requires_is_an_element_a_title_and_a_clause(library: Library) -> None:
    """A title with a comma in a YAML flow mapping would split into stray keys (it did for `forms`)."""
    [arrete] = [v for v in library.versions(LBC) if v.id == "2025-09-05"]
    parameters = arrete.sections["methods"].parameters
    names = ("required_elements", "collective_elements", "staggered_notification_elements", "ex_ante_elements")
    elements = [e for name in names for e in parameters[name].value]
    assert len(elements) == 23
    assert all(set(e) == {"element", "title", "clause"} for e in elements), elements
    assert {e["clause"] for e in elements} == {
        "art. 7", "art. 7.1", "art. 7.2", "art. 7.3", "art. 7.4", "art. 7.4 guarantees", "art. 7.5", "art. 7.6", "art. 12 guarantee",
        "art. 25.4 template",
    }


@pytest.mark.parametrize(
    "element, title, clause",
    [
        ("scope", "scope and type of projects with a reminder of the regulation in force", "art. 7.1"),
        ("reference_scenario", "the reference scenario (art. 9)", "art. 7.2"),
        ("impacts_cobenefits_grid", "grid of potential impacts and co-benefits", "art. 7.2"),
        ("max_validity", "maximum validity of a project", "art. 7.3"),
        ("verification", "verification modalities", "art. 7.4"),
        ("forms", "application form (FDD), calculator or input spreadsheet, monitoring report template", "art. 7.6"),
        # "La notice explicite également l'articulation avec les méthodes existantes déjà approuvées" (art. 7)
        ("articulation_with_approved_methods",
         "in its notice, how it articulates with the approved methods of the same or a neighbouring scope", "art. 7"),
        # "Ce rapport de vérification doit être fourni, sous forme de modèle, par la méthode." (art. 25.4)
        ("verification_report_template", "the template of the verification report", "art. 25.4 template"),
    ],
)
def test_a_missing_element_refuses_the_method_naming_it_and_its_article(scratch: Path, element: str, title: str, clause: str) -> None:
    decision = review_variant(scratch, drop_element(element))
    assert decision["outcome"] == "refused"
    assert decision["values"]["missing_elements"] == [element]
    assert findings(decision, "METHOD_ELEMENT_MISSING") == [(f"The method lacks {element} — {title} ({clause}).", "art. 7")]


def test_the_collective_elements_are_required_when_collective_projects_are_allowed(scratch: Path) -> None:
    decision = review_variant(scratch, drop_element("collective_audit_date", "collective_verification_dates"))
    assert decision["outcome"] == "refused"
    assert decision["values"]["missing_elements"] == ["collective_audit_date", "collective_verification_dates"]
    assert findings(decision, "METHOD_ELEMENT_MISSING") == [
        ("The method lacks collective_audit_date — how the audit date is set (art. 7.5).", "art. 7"),
        ("The method lacks collective_verification_dates — dates of the verifications, pooled or not (art. 7.5).", "art. 7"),
    ]


def test_the_collective_elements_are_not_required_when_collective_projects_are_not_allowed(scratch: Path) -> None:
    elements = ["collective_validity", "collective_audit_date", "collective_credit_calculation", "collective_pooled_verification",
                "collective_verification_dates", "collective_notification_intervals"]
    decision = review_variant(scratch, both(drop_element(*elements), param("method", "collective_projects_allowed", False)))
    assert decision["outcome"] == "approvable"
    assert decision["values"]["missing_elements"] == []


# --- art. 7.3, 13, 10, 7.4: lawful values ----------------------------------------------------------------------


@pytest.mark.parametrize("years, lawful", [(25, True), (30, True), (31, False)])
def test_a_validity_of_30_years_at_most(scratch: Path, years: int, lawful: bool) -> None:
    decision = review_variant(scratch, param("method", "max_validity_years", years))
    assert decision["outcome"] == ("approvable" if lawful else "refused")
    assert findings(decision, "VALIDITY_ABOVE_MAXIMUM") == (
        [] if lawful else [(f"The method sets a maximum validity of {years} years; at most 30 (art. 7.3).", "art. 7.3")]
    )
    assert decision["values"]["unlawful_values"] == ([] if lawful else ["max_validity_years"])


@pytest.mark.parametrize("discount, percent, lawful", [(0.2, "20", True), (0.10, "10", True), (0.0999, "9.99", False), (0.05, "5", False)])
def test_a_non_permanence_discount_of_at_least_10_percent(scratch: Path, discount: float, percent: str, lawful: bool) -> None:
    decision = review_variant(scratch, param("method_quantification", "non_permanence_discount", discount))
    assert decision["outcome"] == ("approvable" if lawful else "refused")
    assert findings(decision, "NON_PERMANENCE_DISCOUNT_TOO_LOW") == (
        [] if lawful else [(f"The method credits sequestration with a non-permanence discount of {percent} %; it must be at least 10 % (art. 13).", "art. 13")]
    )
    assert decision["values"]["unlawful_values"] == ([] if lawful else ["non_permanence_discount"])


def test_the_non_permanence_floor_binds_only_a_method_crediting_sequestration(scratch: Path) -> None:
    change = both(param("method_quantification", "non_permanence_discount", 0.05), param("method", "covers_sequestration", False))
    assert review_variant(scratch, change)["outcome"] == "approvable"


def sources(*shares: float, underestimating: tuple[float, ...] = ()) -> Callable[[dict[str, Any]], None]:
    value = [{"source": f"source {i}", "share": s, "underestimates_reductions": False} for i, s in enumerate(shares, 1)]
    value += [{"source": f"under {i}", "share": s, "underestimates_reductions": True} for i, s in enumerate(underestimating, 1)]
    return param("method", "excluded_minor_sources", value)


@pytest.mark.parametrize(
    "change, codes, unlawful",
    [
        (sources(0.05, 0.05), [], []),  # exactly 5 % each and 10 % together
        (sources(0.05, 0.03, 0.02), [], []),
        (sources(0.0501), ["MINOR_SOURCE_TOO_LARGE"], ["minor_source_share"]),
        (sources(0.04, 0.04, 0.0201), ["MINOR_SOURCES_TOO_LARGE_TOGETHER"], ["minor_sources_total"]),
        (sources(0.05, 0.0501), ["MINOR_SOURCE_TOO_LARGE", "MINOR_SOURCES_TOO_LARGE_TOGETHER"], ["minor_source_share", "minor_sources_total"]),
        (sources(0.05, 0.05, underestimating=(0.30,)), [], []),  # under-estimating sources are not counted
    ],
    ids=["5-and-10", "10-in-three", "5.01", "10.01", "both", "under-estimating-30"],
)
def test_minor_sources_within_5_percent_each_and_10_percent_together(scratch: Path, change: Any, codes: list[str], unlawful: list[str]) -> None:
    decision = review_variant(scratch, change)
    assert decision["outcome"] == ("refused" if codes else "approvable")
    assert finding_codes(decision) == codes
    assert decision["values"]["unlawful_values"] == unlawful
    assert all(clause == "art. 10 minor sources" for f in decision["findings"] for clause in [f["clause"]])


def test_the_minor_source_findings_name_the_source_and_the_total(scratch: Path) -> None:
    decision = review_variant(scratch, sources(0.05, 0.0501))
    assert findings(decision, "MINOR_SOURCE_TOO_LARGE") == [
        ("The excluded source source 2 is 5.01 % of the expected reductions; each may be at most 5 % (art. 10).", "art. 10 minor sources")
    ]
    assert findings(decision, "MINOR_SOURCES_TOO_LARGE_TOGETHER") == [
        ("The excluded sources represent 10.01 % of the expected reductions together; at most 10 % (art. 10).", "art. 10 minor sources")
    ]


@pytest.mark.parametrize(
    "auditor_list, criteria, lawful",
    [
        (None, {"body_types": ["agri_food_quality_certifier"]}, True),
        (["Agrocert Ouest"], None, True),
        (None, None, False),
        ([], None, False),  # an empty list lists no auditor
    ],
    ids=["criteria", "list", "neither", "empty-list"],
)
def test_a_list_of_auditors_or_precise_criteria(scratch: Path, auditor_list: Any, criteria: Any, lawful: bool) -> None:
    change = both(param("method_verification", "auditor_list", auditor_list), param("method_verification", "auditor_criteria", criteria))
    decision = review_variant(scratch, change)
    assert decision["outcome"] == ("approvable" if lawful else "refused")
    assert finding_codes(decision) == ([] if lawful else ["NO_AUDITOR_LIST_OR_CRITERIA"])


@pytest.mark.parametrize(
    "order, combination",
    [
        (["non_permanence", "non_permanence", "verification_level"], "multiplicative"),  # one discount twice, one missing
        (["non_permanence", "verification_level"], "multiplicative"),
        (["non_permanence", "asymmetric_uncertainty", "verification_level"], "averaged"),
    ],
    ids=["repeated", "incomplete", "unknown-combination"],
)
def test_the_discounts_are_each_ordered_once_and_combined_in_a_known_way(scratch: Path, order: list[str], combination: str) -> None:
    change = both(param("method_quantification", "discount_order", order), param("method_quantification", "discount_combination", combination))
    decision = review_variant(scratch, change)
    assert decision["outcome"] == "refused"
    assert finding_codes(decision) == ["DISCOUNT_ORDER_INCOMPLETE"]
    assert decision["values"]["unlawful_values"] == ["discount_order"]


# --- art. 6, 15, 18: the approval path -------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, step, title, clause",
    [
        ({"concept_note_on": None}, "concept_note", "concept note notified to the DGEC", "art. 6"),
        ({"method_project_approved_on": None}, "method_project_approved", "method project approved by the DGEC", "art. 6"),
        ({"scientific_group_opinion_on": None}, "scientific_group", "opinion of the scientific and technical group", "art. 15"),
        ({"rapporteur": None}, "independent_rapporteur", "an independent rapporteur designated among the group's members", "art. 18"),
        ({"rapporteur": {"name": "Marc Le Goff (Afac-Agroforesteries)", "independent": False}}, "independent_rapporteur",
         "an independent rapporteur designated among the group's members", "art. 18"),
        ({"public_consultations": []}, "public_consultation", "the public consultation of the method project", "art. 15"),
    ],
    ids=["concept-note", "project-approval", "scientific-group", "no-rapporteur", "rapporteur-not-independent", "no-consultation"],
)
def test_each_missing_step_of_the_approval_path_refuses_the_method(library: Library, changes: dict[str, Any], step: str, title: str, clause: str) -> None:
    decision = review(library, {**PATH, **changes}, day="2026-03-01")
    assert decision["outcome"] == "refused"
    assert decision["values"]["missing_steps"] == [step]
    assert findings(decision, "APPROVAL_STEP_MISSING") == [(f"The approval path lacks: {title} ({clause}).", "art. 15")]
    assert finding_codes(decision) == ["APPROVAL_STEP_MISSING"]


def test_the_dgec_refuses_on_its_grounds(library: Library) -> None:
    facts = {**PATH, "dgec_refusal_grounds": ["similar_method_exists", "limited_credit_potential"]}
    decision = review(library, facts, day="2026-03-01")
    assert decision["outcome"] == "refused"
    assert decision["values"]["refusal_reasons"] == ["similar_method_exists", "limited_credit_potential"]
    assert findings(decision, "REFUSED_BY_DGEC") == [
        ("The DGEC refuses the method project on the ground: similar_method_exists (art. 6).", "art. 6 refusal"),
        ("The DGEC refuses the method project on the ground: limited_credit_potential (art. 6).", "art. 6 refusal"),
    ]


def test_an_unknown_refusal_ground_is_an_input_error(library: Library) -> None:
    with pytest.raises(DossierError) as caught:
        review(library, {**PATH, "dgec_refusal_grounds": ["too_many_trees"]}, day="2026-03-01")
    assert [p.path for p in caught.value.problems] == [("facts", "dgec_refusal_grounds", 0)]


def test_every_reason_is_listed_at_once(scratch: Path) -> None:
    change = both(
        drop_element("reference_scenario"),
        param("method_quantification", "non_permanence_discount", 0.05),
        param("method", "max_validity_years", 31),
    )
    facts = {**PATH, "public_consultations": [], "dgec_refusal_grounds": ["biodiversity_degradation"]}
    decision = review_variant(scratch, change, facts)
    assert decision["outcome"] == "refused"
    assert decision["values"] == {
        "missing_elements": ["reference_scenario"],
        "unlawful_values": ["max_validity_years", "non_permanence_discount"],
        "missing_steps": ["public_consultation"],
        "refusal_reasons": ["biodiversity_degradation"],
    }
    assert sorted(finding_codes(decision)) == [
        "APPROVAL_STEP_MISSING", "METHOD_ELEMENT_MISSING", "NON_PERMANENCE_DISCOUNT_TOO_LOW", "REFUSED_BY_DGEC", "VALIDITY_ABOVE_MAXIMUM",
    ]
    outcome = next(e for e in decision["trail"] if e.get("name") == "outcome")
    assert outcome["because"] == (
        "Missing elements: reference_scenario; unlawful values: max_validity_years, non_permanence_discount; missing steps: "
        "public_consultation; DGEC grounds: biodiversity_degradation. The refusal is motivated by these reasons and notified to the promoter."
    )


@pytest.mark.parametrize(
    "facts, path",
    [
        ({**PATH, "concept_note_on": "2024-04-03"}, ("facts", "method_project_approved_on")),
        ({**PATH, "public_consultations": [{"opened_on": "2026-08-20", "closed_on": "2026-09-02"}]}, ("facts", "public_consultations")),
    ],
    ids=["approved-before-concept-note", "consultation-after-review"],
)
def test_an_impossible_approval_path_is_an_input_error(library: Library, facts: dict[str, Any], path: tuple[str, ...]) -> None:
    with pytest.raises(DossierError) as caught:
        review(library, facts, day="2026-09-01")
    assert [p.path for p in caught.value.problems] == [path]


# --- referee validate on method versions ------------------------------------------------------------------


def repeal(document: dict[str, Any], day: str) -> None:
    """A repealed method version names art. 17, by which it labels no new project, among its provisions."""
    document["repealed_on"] = day
    document["repeal_clause"] = "art. 17"
    [arrete] = [s for s in document["sources"] if s["id"] == "arrete-2025"]
    arrete["provisions"].append({"id": "art. 17", "title": "A repealed method labels no new project", "status": "encoded"})


def logged(change: Callable[[dict[str, Any]], None], *entries: dict[str, str]) -> Callable[[dict[str, Any]], None]:
    """A change of a variant, and the entries of its change log that state it: validate checks the log."""
    def change_and_log(document: dict[str, Any]) -> None:
        change(document)
        document["changes"] += entries
    return change_and_log


UNLAWFUL_BUT_VALID = {
    "non-permanence-5": logged(param("method_quantification", "non_permanence_discount", 0.05), {"where": "non_permanence_discount", "change": "5 %"}),
    "no-reference-scenario": logged(drop_element("reference_scenario"), {"where": "elements.reference_scenario", "change": "element removed"}),
    "repealed": logged(
        lambda d: repeal(d, "2027-06-01"),
        {"where": "repealed_on", "change": "repealed on 2027-06-01"}, {"where": "art. 17", "change": "the repeal cites art. 17"},
    ),
}


@pytest.mark.parametrize("change", UNLAWFUL_BUT_VALID.values(), ids=UNLAWFUL_BUT_VALID.keys())
def test_validate_accepts_a_lawful_yaml_method_version_the_review_may_refuse(scratch: Path, cli: Callable[..., Any], change: Any) -> None:
    path = write_version(scratch, HAIES, haies_variant(change))
    [report] = validate_paths(Library.open(scratch), [path])
    assert report.valid and report.problems == []
    result = cli("validate", path, root=scratch)
    assert result.exit_code == 0, result.output
    assert f"{path}: valid" in result.stdout


def test_the_review_refuses_the_5_percent_version_validate_accepted(scratch: Path) -> None:
    decision = review_variant(scratch, UNLAWFUL_BUT_VALID["non-permanence-5"])
    assert decision["outcome"] == "refused"
    assert finding_codes(decision) == ["NON_PERMANENCE_DISCOUNT_TOO_LOW"]


def test_validate_rejects_a_method_version_lacking_a_parameter_the_rules_read(scratch: Path, cli: Callable[..., Any]) -> None:
    lacking = logged(lambda d: d["sections"]["method_quantification"]["parameters"].pop("non_permanence_discount"), {"where": "non_permanence_discount", "change": "removed"})
    path = write_version(scratch, HAIES, haies_variant(lacking))
    [report] = validate_paths(Library.open(scratch), [path])
    assert not report.valid
    where = f"{path} $.sections: lacks params.non_permanence_discount, which rule"
    assert [unlined(p.render()) for p in report.problems] == [
        f"{where} method.non-permanence of procedure method_review of label-bas-carbone 2025-09-05 reads",
        f"{where} method.non-permanence-finding of procedure method_review of label-bas-carbone 2025-09-05 reads",
        f"{where} method.discount-order of procedure method_review of label-bas-carbone 2025-09-05 reads",
        f"{where} credits.rates of procedure project_credits of label-bas-carbone 2025-09-05 reads",
    ]
    result = cli("validate", path, root=scratch)
    assert result.exit_code == 1
    assert "lacks params.non_permanence_discount, which rule credits.rates of procedure project_credits" in unlined(result.output)


def test_validate_rejects_a_method_version_lacking_its_verification_section(scratch: Path) -> None:
    path = write_version(scratch, HAIES, haies_variant(lambda d: d["sections"].pop("method_verification")))
    [report] = validate_paths(Library.open(scratch), [path])
    assert not report.valid
    assert any("reads section(s) method_verification of a method, which this version lacks" in p.render() for p in report.problems)


# --- runtimes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("facts", [PATH, {**PATH, "rapporteur": None, "dgec_refusal_grounds": ["excessive_cost"]}], ids=["approvable", "refused"])
def test_both_runtimes_review_alike(library: Library, facts: dict[str, Any]) -> None:
    durable = review(library, facts, day="2026-03-01")
    python = review(library, facts, day="2026-03-01", runtime="python")
    assert canonical_json(durable) == canonical_json(python)
