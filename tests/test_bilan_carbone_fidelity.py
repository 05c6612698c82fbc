"""Bilan Carbone® tool compliance, issue 11: every provision read right, every reading cited, every sentence true.

One group of tests per item of the issue: the fee of the one-month route, the self-assessment, the
criteria the sources do not say are mandatory, the identity and dates of the first version, the second
version (the later public statement), and the bounds of the inputs. Each test quotes the passage it
applies. The dossiers are built with the helpers of test_bilan_carbone.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import BC, ROOT, unlined
from test_bilan_carbone import EXAMPLES, GRID, REQUIRED, V1, V2, audit, codes, criteria_scoring, findings, review, version_of

from engine import DossierError, Library, read_dossier
from engine.compilation.sugar import core_rules
from engine.model.documents import load_document

VERSIONS = (V1, V2)


def document(version: str) -> dict[str, Any]:
    return load_document(ROOT / "referentials" / BC / f"{version}.yaml")


def decisions_of(version: str) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in document(version)["decisions"]}


def provisions_of(version: str) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for source in document(version)["sources"] for p in source["provisions"]}


def step(decision: dict[str, Any], rule: str) -> dict[str, Any]:
    [entry] = [e for e in decision["trail"] if e.get("rule") == rule]
    return entry


def outcome_step(decision: dict[str, Any]) -> dict[str, Any]:
    [entry] = [e for e in decision["trail"] if e.get("kind") == "fact" and e["name"] == "outcome"]
    return entry


def in_2026(**changes: Any) -> dict[str, Any]:
    """Dates of a cycle governed by version 2025-12-01."""
    return {"anchor": "2026-01-12", "event": "2026-03-24", **changes}


# --- the fee: announced at the audit as due only if the tool reaches 60, charged when it does ---------------


FEE_PASSAGE = (
    "Given that the additional verification is more substantial compared to a tool achieving a minimum score of "
    "60/100 at the time of the audit, the organization carrying the candidate tool will be required to pay a fee "
    "of €1,000 excl. VAT to cover the validation of the improvements."
)


def test_the_fee_reading_quotes_section_8_and_the_statement():
    """§8: "If, at the end of this month, the organization presents improvements enabling the candidate tool to
    achieve a score of 60/100, then a period of up to 6 months is granted [...] the organization carrying the
    candidate tool will be required to pay a fee of €1,000 excl. VAT to cover the validation of the improvements"."""
    for version in VERSIONS:
        provision = provisions_of(version)["process §8.fee"]
        assert provision["status"] == "encoded" and provision["text"] == FEE_PASSAGE
        reading = decisions_of(version)["fee-with-six-months"]
        assert reading["clause"] == "process §8.fee"
        assert "one month to get above 60, then the 6-month period, with a fee of 1,000 € excl. VAT" in reading["decision"]
        assert "a tool refused at the end of the month pays none" in reading["decision"]
        assert document(version)["sections"]["assessment"]["parameters"]["improvement_validation_fee"]["clause"] == "process §8.fee"


@pytest.mark.parametrize("version, dates", [(V1, {}), (V2, in_2026())], ids=VERSIONS)
def test_the_audit_announces_the_fee_as_due_only_if_the_longer_band_is_reached(library, version, dates):
    """The audit grants "a maximum period of one month [...] in order to achieve a score of 60/100": the fee
    belongs to the step after it, so the audit announces it conditionally and charges nothing."""
    decision = library.evaluate(audit(55, **dates)).to_json()
    assert version_of(decision)["version"] == version
    assert decision["outcome"] == "improvement_1_month"
    assert decision["values"]["conditional_fee_eur_excl_vat"] == 1000
    assert "fee_eur_excl_vat" not in decision["values"]
    announced = step(decision, "audit.fee-announced")
    assert announced["readings"] == ["fee-with-six-months"]
    assert f"If the improvements presented by {decision['values']['deadline']} bring the score into the band" in announced["because"]
    assert announced["because"].endswith("a tool that does not get there is refused and pays no fee.")
    assert "fee" not in decision["outcome_meaning"].split(";")[0]  # the period is granted; the fee only if it is reached


@pytest.mark.parametrize(
    "score, outcome, fee",
    [
        pytest.param("59.99", "refused", None, id="59.99-short-of-60-refused-no-fee"),
        pytest.param("60", "improvement_6_months", 1000, id="exactly-60-six-months-and-fee"),
        pytest.param("75", "improvement_6_months", 1000, id="75-six-months-and-fee-once"),
    ],
)
def test_the_review_of_the_month_charges_the_fee_only_when_the_longer_period_is_granted(library, score, outcome, fee):
    """"to achieve a score of 60/100, then a period of up to 6 months is granted [...] will be required to pay a
    fee of €1,000 excl. VAT to cover the validation of the improvements"; a tool that does not reach 60 is
    refused ("still unmet at the deadline → refused") and has no improvements to validate."""
    decision = library.evaluate(review("one_month", score, started="2024-01-31", event="2024-02-29")).to_json()
    assert decision["outcome"] == outcome
    assert decision["values"].get("fee_eur_excl_vat") == fee
    assert "conditional_fee_eur_excl_vat" not in decision["values"]
    if fee is None:
        missed = outcome_step(decision)
        assert missed["rule"] == "review.one-month-missed"
        assert "fee-with-six-months" in missed["readings"]
        assert missed["because"].endswith("compliance is refused, and no fee for validating improvements is due.")
    else:
        charged = step(decision, "review.fee")
        assert charged["readings"] == ["fee-with-six-months"] and charged["clause"] == "process §8.fee"


def test_a_month_review_the_day_after_the_month_is_refused_without_fee(library):
    """The month granted on 31 January ends on 29 February 2024; on 1 March it is over: refused, no fee."""
    on_time = library.evaluate(review("one_month", 62, started="2024-01-31", event="2024-02-29")).to_json()
    late = library.evaluate(review("one_month", 62, started="2024-01-31", event="2024-03-01")).to_json()
    assert (on_time["outcome"], on_time["values"]["fee_eur_excl_vat"]) == ("improvement_6_months", 1000)
    assert late["outcome"] == "refused" and "fee_eur_excl_vat" not in late["values"]
    assert codes(late) == ["PERIOD_EXPIRED"]


def test_the_six_months_review_charges_no_second_fee(library):
    decision = library.evaluate(review("six_months", 74, started="2024-04-25", event="2024-10-14")).to_json()
    assert decision["outcome"] == "compliant"
    assert "fee_eur_excl_vat" not in decision["values"] and "conditional_fee_eur_excl_vat" not in decision["values"]


def test_a_tool_at_60_at_the_audit_pays_no_fee(library):
    """"more substantial compared to a tool achieving a minimum score of 60/100 at the time of the audit"."""
    decision = library.evaluate(audit(60)).to_json()
    assert decision["outcome"] == "improvement_6_months"
    assert "fee_eur_excl_vat" not in decision["values"] and "conditional_fee_eur_excl_vat" not in decision["values"]


# --- the self-assessment: "must carry out", so an audit without it cannot proceed ---------------------------------


SELF_ASSESSMENT = "Following the technical review, the candidate tool's owner must carry out a compliance self-assessment of their tool."


def test_the_self_assessment_is_encoded_and_quoted():
    for version in VERSIONS:
        provision = provisions_of(version)["process §2"]
        assert provision["status"] == "encoded" and provision["text"].startswith(SELF_ASSESSMENT)
        reading = decisions_of(version)["self-assessment-required"]
        assert reading["clause"] == "process §2" and SELF_ASSESSMENT in reading["question"]
        assert '"must be provided to the auditors"' in reading["decision"]


@pytest.mark.parametrize("version, dates", [(V1, {}), (V2, in_2026())], ids=VERSIONS)
def test_without_the_self_assessment_the_audit_cannot_proceed(library, version, dates):
    """§2: "the candidate tool's owner must carry out a compliance self-assessment of their tool" — a step
    leading to compliance, like the resources that "must be provided" (§5): without it, incomplete."""
    decision = library.evaluate(audit(82, self_assessment=False, **dates)).to_json()
    assert version_of(decision)["version"] == version
    assert decision["outcome"] == "incomplete"
    [missing] = findings(decision, "SELF_ASSESSMENT_MISSING")
    assert (missing["severity"], missing["clause"]) == ("error", "process §2")
    entry = outcome_step(decision)
    assert entry["rule"] == "audit.incomplete-self-assessment" and entry["readings"] == ["self-assessment-required"]
    assert "has not carried out the compliance self-assessment" in entry["because"]
    assert "valid_until" not in decision["values"] and "grants" not in decision["values"]


def test_the_same_tool_with_its_self_assessment_is_compliant(library):
    assert library.evaluate(audit(82, self_assessment=True)).to_json()["outcome"] == "compliant"


def test_resources_and_self_assessment_missing_are_both_reported(library):
    decision = library.evaluate(audit(None, tool_type="internal", provided=["tool_access"], self_assessment=False)).to_json()
    assert decision["outcome"] == "incomplete"
    assert sorted(set(codes(decision))) == ["RESOURCE_MISSING", "SELF_ASSESSMENT_MISSING"]
    because = outcome_step(decision)["because"]
    assert "missing: test_cases, documentation, mobilisation_materials" in because
    assert because.endswith("nor has the owner carried out the self-assessment.")


def test_an_audit_dossier_must_say_whether_the_self_assessment_was_done(library):
    facts = {"tool_type": "internal", "resources_provided": REQUIRED["internal"], "criteria": criteria_scoring(82)}
    dossier = read_dossier({"scheme": BC, "procedure": "audit", "dossier_id": "T", "cycle": {"anchor": "2024-03-04"},
                            "event_date": "2024-05-21", "facts": facts}, "no self-assessment fact")
    with pytest.raises(DossierError) as raised:
        library.evaluate(dossier)
    assert [(p.path, p.message) for p in raised.value.problems] == [(("facts", "self_assessment_done"), "required field")]


def test_the_self_assessment_example(cli):
    result = cli("evaluate", EXAMPLES / "self-assessment-missing-incomplete.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["outcome"] == "incomplete" and decision["values"]["missing_resources"] == []
    assert codes(decision) == ["SELF_ASSESSMENT_MISSING"]


# --- mandatory criteria: what the sources do not say is marked -----------------------------------------------------


UNSAID = ["A.6", "A.10", "B", "C", "D.other", "E"]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_criteria_the_sources_do_not_call_mandatory_say_so(version):
    """The statement: "A.1 calculation rules (mandatory), A.2 scope of the tool (mandatory), A.3 basic
    greenhouse gases (mandatory), A.4 other greenhouse gases (optional), A.5 use of monetary ratios
    (mandatory), A.6 Net Zero Initiative principles, A.10 [...]. D.1 transparency of methodology (mandatory,
    yes/no)": six criteria of the grid are marked neither way."""
    grid = document(version)["sections"]["assessment"]["criteria"]
    unsaid = [k for k, c in grid.items() if "the sources do not say whether" in c.get("note", "")]
    assert unsaid == UNSAID
    for key in UNSAID:
        assert grid[key]["mandatory"] is False and grid[key]["illustrative"] is True
        assert "decision unlisted-criteria-not-mandatory" in grid[key]["note"]
    assert [k for k, c in grid.items() if c["mandatory"]] == ["A.1", "A.2", "A.3", "A.5", "D.1"]
    assert all(grid[k]["note"].startswith("mandatory") for k in ["A.1", "A.2", "A.3", "A.5", "D.1"])
    assert grid["A.4"]["note"].startswith("optional (the statement)")
    reading = decisions_of(version)["unlisted-criteria-not-mandatory"]
    assert reading["clause"] == "abc-site criteria" and '"(mandatory)"' in reading["question"]


@pytest.mark.parametrize("version, dates", [(V1, {}), (V2, in_2026())], ids=VERSIONS)
def test_the_list_of_mandatory_criteria_not_validated_cites_the_reading(library, version, dates):
    decision = library.evaluate(audit(78, ["A.5"], **dates)).to_json()
    assert version_of(decision)["version"] == version
    failed = step(decision, "mandatory.failed")
    assert "unlisted-criteria-not-mandatory" in failed["readings"]
    assert failed["value"] == ["A.5"]


def test_a_criterion_not_known_to_be_mandatory_does_not_block_compliance(library):
    """A.6 "Net Zero Initiative principles" is not marked mandatory: an assessor's `validated: false` on it
    weighs nothing beyond its points."""
    criteria = criteria_scoring(82)
    criteria["A.6"]["validated"] = False
    facts = {"tool_type": "internal", "resources_provided": REQUIRED["internal"], "self_assessment_done": True, "criteria": criteria}
    dossier = read_dossier({"scheme": BC, "procedure": "audit", "dossier_id": "T", "cycle": {"anchor": "2024-03-04"},
                            "event_date": "2024-05-21", "facts": facts}, "A.6 not validated")
    decision = library.evaluate(dossier).to_json()
    assert decision["outcome"] == "compliant" and decision["values"]["failed_mandatory"] == []


# --- the first version's identity: Version 1 of 19 May 2014, judged with a later grid ---------------------------------


def test_the_first_version_says_what_it_is_and_what_it_lacks():
    """'First framework: "Version 1 du 19 mai 2014".' — and the grid names "A.6 Net Zero Initiative
    principles", which postdates that day."""
    v1 = document(V1)
    assert (str(v1["published_on"]), str(v1["in_force_from"])) == (V1, V1)
    assert "Net Zero Initiative" in v1["note"] and "do not date the words encoded" in v1["note"]
    identity = decisions_of(V1)["version-identity"]
    assert identity["clause"] == "abc-site first-framework"
    assert 'First framework: "Version 1 du 19 mai 2014"' in identity["decision"]
    assert "they do not date the words encoded" in identity["decision"]
    assert "A.6 Net Zero Initiative principles" in identity["question"]
    provisions = provisions_of(V1)
    assert provisions["abc-site first-framework"]["text"] == 'First framework: "Version 1 du 19 mai 2014".'
    lost = provisions["framework-v1 grid"]
    assert lost["status"] == "not_recoverable" and "Net Zero" in lost["reason"]
    grid = v1["sections"]["assessment"]["criteria"]
    assert "decision grid-source" in grid["A.6"]["note"]


def test_the_first_version_governs_from_19_may_2014(library):
    """The day before the first framework no version governs; on the day, 2014-05-19 does."""
    with pytest.raises(DossierError) as raised:
        library.evaluate(audit(82, anchor="2014-05-18", event="2014-07-01"))
    assert [p.path for p in raised.value.problems] == [("cycle", "anchor")]
    decision = library.evaluate(audit(82, anchor="2014-05-19", event="2014-07-01")).to_json()
    assert version_of(decision)["version"] == V1 and decision["outcome"] == "compliant"


@pytest.mark.parametrize("version, dates, readings", [
    (V1, {}, ["grid-source", "criterion-points", "score-rounding"]),
    (V2, in_2026(), ["criterion-points", "score-rounding"]),
], ids=VERSIONS)
def test_the_score_cites_the_grid_it_is_judged_with(library, version, dates, readings):
    decision = library.evaluate(audit(82, **dates)).to_json()
    assert version_of(decision)["version"] == version
    assert step(decision, "score.total")["readings"] == readings


# --- the second version: the public statement, "greater than or equal to 70/100" --------------------------------------


def test_the_second_version_is_bundled_published_and_dated_with_its_reason(cli):
    """'A new version of the framework was launched in December 2025 (trial of at least 6 months).'"""
    v2 = document(V2)
    assert (v2["supersedes"], str(v2["published_on"]), str(v2["in_force_from"])) == (V1, V2, V2)
    assert v2.get("illustrative", False) is False
    date = decisions_of(V2)["version-date"]
    assert date["clause"] == "abc-site new-framework"
    assert "A new version of the framework was launched in December 2025" in date["question"]
    assert "The statement may be older" in date["decision"]
    assert provisions_of(V2)["abc-site compliant"]["status"] == "encoded"
    assert provisions_of(V1)["abc-site compliant"]["status"] == "out_of_scope"
    assert "score-above-70" not in decisions_of(V2) and "statement-over-process" in decisions_of(V2)
    assert [c["where"] for c in v2["changes"]] == ["abc-site compliant", "decisions", "sources"]
    for version in VERSIONS:
        lock = json.loads((ROOT / "referentials" / BC / f"{version}.lock.json").read_text(encoding="utf-8"))
        assert lock["version"] == version
    listed = cli("versions", BC, "--as-of", "2026-01-01", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert [v["id"] for v in json.loads(listed.stdout)["versions"]] == [V1, V2]


@pytest.mark.parametrize(
    "anchor, version, outcome",
    [
        pytest.param("2025-11-30", V1, "improvement_6_months", id="anchored-30-nov-2025-70-is-not-above-70"),
        pytest.param("2025-12-01", V2, "compliant", id="anchored-1-dec-2025-70-is-greater-than-or-equal-to-70"),
        pytest.param("2025-12-02", V2, "compliant", id="anchored-2-dec-2025"),
    ],
)
def test_a_score_of_70_around_the_second_version(library, anchor, version, outcome):
    """Process §8: "a score above 70/100"; the statement: "a score greater than or equal to 70/100"."""
    decision = library.evaluate(audit(70, anchor=anchor, event="2026-01-15")).to_json()
    assert version_of(decision)["version"] == version
    assert decision["outcome"] == outcome
    band = step(decision, "score.band")
    assert band["readings"] == (["score-above-70", "band-60", "band-50"] if version == V1 else ["statement-over-process", "band-60", "band-50"])


def test_the_review_of_a_cycle_of_the_second_version_is_compliant_at_70(library):
    decision = library.evaluate(review("six_months", 70, started="2026-02-16", event="2026-08-10", anchor="2025-12-08")).to_json()
    assert (version_of(decision)["version"], decision["outcome"]) == (V2, "compliant")
    assert decision["values"]["valid_until"] == "2029-08-10"


def test_the_second_version_keeps_the_rest_of_the_process(library):
    """Only 70 moved: 60 still opens the 6-month band, 50 the one-month band, the fee and the periods stay."""
    for score, outcome in [("49.99", "refused"), ("50", "improvement_1_month"), ("60", "improvement_6_months"), ("69.99", "improvement_6_months")]:
        decision = library.evaluate(audit(score, **in_2026())).to_json()
        assert (version_of(decision)["version"], decision["outcome"]) == (V2, outcome), score
    one_month = library.evaluate(audit(55, **in_2026())).to_json()
    assert (one_month["values"]["deadline"], one_month["values"]["conditional_fee_eur_excl_vat"]) == ("2026-04-24", 1000)


# --- what every rule and sentence of the scheme must hold ------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_reading_a_rule_applies_is_recorded_and_every_reading_is_applied_or_about_the_version(library, version):
    recorded = decisions_of(version)
    applied = {r for rule_file in (ROOT / "rules" / BC / version).glob("*.yaml") for rule in core_rules(load_document(rule_file)) for r in rule.body.get("readings", ())}
    assert applied <= set(recorded)
    about_the_version = {"version-identity", "version-date", "framework-in-force"}  # read by the rules of time, not by a rule
    assert set(recorded) - applied == about_the_version & set(recorded)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_provision_is_quoted(version):
    for pid, provision in provisions_of(version).items():
        assert provision.get("text") or provision["status"] == "not_recoverable", pid


@pytest.mark.parametrize("version", VERSIONS)
def test_outcome_meanings_restate_no_number(version):
    for procedure in document(version)["sections"]["assessment"]["procedures"].values():
        for outcome, meaning in procedure["outcomes"].items():
            assert not re.search(r"\d", meaning), (outcome, meaning)


def test_a_high_score_missing_a_mandatory_criterion_is_not_said_to_be_in_the_compliant_band(library):
    """The sentence of an improvement_6_months outcome must not name the compliant band as its own."""
    decision = library.evaluate(audit(78, ["A.5"])).to_json()
    because = outcome_step(decision)["because"]
    assert "band compliant" not in because
    assert because == "The score 78/100 would be enough for compliance, but mandatory criteria are not validated: A.5; up to 6 months are granted to validate them."
    unmet = library.evaluate(review("six_months", 80, ["A.5"], started="2024-09-17", event="2025-03-10")).to_json()
    assert unmet["outcome"] == "refused" and "band compliant" not in outcome_step(unmet)["because"]


def test_validate_finds_nothing_in_the_scheme(cli):
    result = cli("validate", ROOT / "referentials" / BC, "--format", "json")
    assert result.exit_code == 0, result.output
    reports = json.loads(result.stdout)
    assert [(Path(r["file"]).name, r["valid"], r["problems"], r["warnings"]) for r in reports] == [
        (f"{V1}.yaml", True, [], []), (f"{V2}.yaml", True, [], [])]


# --- bounds of the inputs ---------------------------------------------------------------------------------------------


def test_points_out_of_their_range_are_refused_naming_the_fact(cli, tmp_path):
    """Every criterion's points lie in [0, max_points] (process §6: "the score awarded")."""
    text = (EXAMPLES / "compliant.yaml").read_text(encoding="utf-8")
    path = tmp_path / "negative.yaml"
    path.write_text(text.replace("A.4: {points: 1,", "A.4: {points: -1,"), encoding="utf-8")
    result = cli("evaluate", path)
    assert result.exit_code == 1
    assert f'{path} $.facts.criteria["A.4"].points: min value is 0' in unlined(result.output)


@pytest.mark.parametrize(
    "started, event, words",
    [
        pytest.param("2024-01-07", "2024-02-01", "before the process began on 2024-01-08", id="the-day-before-the-kick-off"),
        pytest.param("2024-02-02", "2024-02-01", "after the review on 2024-02-01", id="the-day-after-the-review"),
    ],
)
def test_a_period_start_out_of_its_range_is_refused_naming_the_fact(cli, tmp_path, started, event, words):
    """The period starts within the process ("The compliance process begins with a kick-off meeting") and
    before the review of its improvements."""
    text = (EXAMPLES / "review-one-month-reached-improvement-6-months.yaml").read_text(encoding="utf-8")
    text = text.replace("anchor: 2023-11-20", "anchor: 2024-01-08").replace("event_date: 2024-02-27", f"event_date: {event}")
    path = tmp_path / "period.yaml"
    path.write_text(text.replace("period_started_on: 2024-01-31", f"period_started_on: {started}"), encoding="utf-8")
    result = cli("evaluate", path)
    assert result.exit_code == 1
    assert f"{path} $.facts.period_started_on: the period cannot start on {started}, {words}" in unlined(result.output)


def test_a_period_started_on_the_kick_off_and_reviewed_that_day_is_accepted(library):
    decision = library.evaluate(review("one_month", 62, started="2024-01-08", event="2024-01-08", anchor="2024-01-08")).to_json()
    assert decision["outcome"] == "improvement_6_months"
    assert dt.date.fromisoformat(decision["values"]["period_end"]) == dt.date(2024, 2, 8)


def test_the_scheme_has_its_two_versions_in_order(library: Library):
    assert [v.id for v in library.versions(BC)] == [V1, V2]
    assert all(k in GRID for k in UNSAID)
