"""Bilan Carbone® tool compliance: the audit and the review of an improvement period.

The cases follow the process text (shared/seeds/bilan-carbone-tool-compliance-process.md)
and the decisions of referentials/bilan-carbone-compliance/2014-05-19.yaml. The second
bundled version, 2025-12-01, is the later public statement (DOMAIN.md: compliant at a score
"greater than or equal to 70/100"): the two readings of 70 live in two versions, and a
version published mid-cycle only governs the next cycle. The items of issue 11 (the fee, the
self-assessment, the mandatory criteria, the version's identity) are tested in
test_bilan_carbone_fidelity.py.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Iterable

import pytest
import yaml
from conftest import BC, ROOT, bc_document, flat

from engine import DossierError, read_dossier

V1 = "2014-05-19"
V2 = "2025-12-01"
EXAMPLES = ROOT / "examples" / BC
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))

GRID = bc_document()["sections"]["assessment"]["criteria"]
MANDATORY = [k for k, c in GRID.items() if c["mandatory"]]
ALL_RESOURCES = ["tool_access", "test_cases", "user_journeys", "documentation", "mobilisation_materials"]
REQUIRED = {
    "internal": ["tool_access", "test_cases", "documentation", "mobilisation_materials"],
    "commercial_sector_specific": ["tool_access", "test_cases", "user_journeys", "documentation", "mobilisation_materials"],
    "commercial_general_purpose": ["tool_access", "user_journeys", "documentation", "mobilisation_materials"],
}


# --- building dossiers ------------------------------------------------------------------------


def criteria_scoring(score: float | str, failed: Iterable[str] = ()) -> dict[str, Any]:
    """An assessment of every criterion of the grid whose points add up to `score`.

    Points go to the criteria in grid order, each up to its max_points; the criteria in
    `failed` (mandatory ones not validated) are filled last, so they keep few or no points.
    """
    failed = list(failed)
    assert all(k in GRID for k in failed), failed
    remaining = Decimal(str(score))
    assert Decimal(0) <= remaining <= Decimal(100)
    points: dict[str, Decimal] = {}
    for key in [k for k in GRID if k not in failed] + failed:
        given = min(Decimal(str(GRID[key]["max_points"])), remaining)
        points[key] = given
        remaining -= given
    assert remaining == 0, f"cannot reach {score} with {failed} failed"
    out: dict[str, Any] = {}
    for key, criterion in GRID.items():
        given = points[key]
        entry: dict[str, Any] = {
            "points": int(given) if given == given.to_integral_value() else float(given),
            "justification": f"{criterion['title']}: {given} of {criterion['max_points']} points, evidence reviewed",
        }
        if criterion["mandatory"]:
            entry["validated"] = key not in failed
        out[key] = entry
    return out


def audit(
    score: float | str | None = 82,
    failed: Iterable[str] = (),
    *,
    tool_type: str = "internal",
    provided: Iterable[str] | None = None,
    anchor: str = "2024-03-04",
    event: str = "2024-05-21",
    version: str | None = None,
    self_assessment: bool = True,
) -> Any:
    """An audit dossier; `score=None` leaves the criteria out."""
    facts: dict[str, Any] = {
        "tool_type": tool_type,
        "resources_provided": list(REQUIRED[tool_type] if provided is None else provided),
        "self_assessment_done": self_assessment,
    }
    if score is not None:
        facts["criteria"] = criteria_scoring(score, failed)
    document = {
        "scheme": BC,
        "procedure": "audit",
        "dossier_id": f"T-AUDIT-{score}",
        "cycle": {"anchor": anchor},
        "event_date": event,
        "facts": facts,
    }
    if version is not None:
        document["version"] = version
    return read_dossier(document, f"audit scoring {score}")


def review(
    period: str,
    score: float | str,
    failed: Iterable[str] = (),
    *,
    started: str,
    event: str,
    anchor: str = "2024-01-08",
) -> Any:
    document = {
        "scheme": BC,
        "procedure": "improvement_review",
        "dossier_id": f"T-REVIEW-{period}-{score}",
        "cycle": {"anchor": anchor},
        "event_date": event,
        "facts": {"period": period, "period_started_on": started, "criteria": criteria_scoring(score, failed)},
    }
    return read_dossier(document, f"{period} review scoring {score}")


def _envelope(procedure: str) -> dict[str, Any]:
    return {"scheme": BC, "procedure": procedure, "dossier_id": "T-1", "cycle": {"anchor": "2024-03-04"}, "event_date": "2024-05-21"}


def _audit_facts() -> dict[str, Any]:
    return {"tool_type": "internal", "resources_provided": REQUIRED["internal"], "self_assessment_done": True}


def codes(decision: dict[str, Any]) -> list[str]:
    return [f["code"] for f in decision["findings"]]


def findings(decision: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in decision["findings"] if f["code"] == code]


def trail_fact(decision: dict[str, Any], name: str) -> Any:
    [entry] = [e for e in decision["trail"] if e.get("kind") == "fact" and e["name"] == name]
    return entry["value"]


def version_of(decision: dict[str, Any], section: str = "assessment") -> dict[str, Any]:
    [entry] = [v for v in decision["versions"] if v["section"] == section]
    return entry


# --- every outcome of the audit ------------------------------------------------------------------


def test_compliant_above_70_with_every_mandatory_criterion(library):
    decision = library.evaluate(audit(82, event="2024-05-21")).to_json()
    assert decision["outcome"] == "compliant"
    values = decision["values"]
    assert values["score"] == 82
    assert values["score_band"] == "compliant"
    assert values["failed_mandatory"] == []
    assert values["valid_until"] == "2027-05-21"  # compliance valid 3 years
    assert len(values["grants"]) == 3 and "certificate" in values["grants"][1]
    assert "deadline" not in values and "fee_eur_excl_vat" not in values
    assert decision["findings"] == []


def test_compliance_granted_on_29_february_ends_on_28_february(library):
    decision = library.evaluate(audit(90, anchor="2024-01-08", event="2024-02-29")).to_json()
    assert decision["values"]["valid_until"] == "2027-02-28"


def test_between_60_and_70_up_to_6_months(library):
    decision = library.evaluate(audit(64.5, event="2024-04-25")).to_json()
    assert decision["outcome"] == "improvement_6_months"
    assert decision["values"]["score_band"] == "improvement_6_months"
    assert decision["values"]["deadline"] == "2024-10-25"
    assert "fee_eur_excl_vat" not in decision["values"] and "valid_until" not in decision["values"]


def test_six_months_deadline_clamps_to_month_end(library):
    decision = library.evaluate(audit(65, anchor="2024-06-03", event="2024-08-31")).to_json()
    assert decision["values"]["deadline"] == "2025-02-28"


def test_between_50_and_60_one_month_and_the_fee_announced(library):
    decision = library.evaluate(audit(55, event="2024-04-15")).to_json()
    assert decision["outcome"] == "improvement_1_month"
    assert decision["values"]["deadline"] == "2024-05-15"
    assert decision["values"]["conditional_fee_eur_excl_vat"] == 1000  # due only if the 6-month band is reached
    assert "fee_eur_excl_vat" not in decision["values"]


@pytest.mark.parametrize(
    "event, deadline",
    [
        pytest.param("2024-01-31", "2024-02-29", id="31-jan-2024+1-month=29-feb-leap-year"),
        pytest.param("2023-01-31", "2023-02-28", id="31-jan-2023+1-month=28-feb"),
        pytest.param("2024-03-31", "2024-04-30", id="31-mar+1-month=30-apr"),
        pytest.param("2024-12-15", "2025-01-15", id="over-the-year-end"),
    ],
)
def test_one_month_deadline_clamps_to_month_end(library, event, deadline):
    decision = library.evaluate(audit(52, anchor="2022-11-07", event=event)).to_json()
    assert decision["outcome"] == "improvement_1_month"
    assert decision["values"]["deadline"] == deadline


def test_below_50_refused_and_may_resubmit(library):
    decision = library.evaluate(audit(42)).to_json()
    assert decision["outcome"] == "refused"
    assert decision["values"]["may_resubmit"] is True
    for absent in ("deadline", "fee_eur_excl_vat", "conditional_fee_eur_excl_vat", "valid_until", "grants"):
        assert absent not in decision["values"]


def test_incomplete_lists_every_missing_resource(library):
    dossier = audit(None, tool_type="commercial_general_purpose", provided=["tool_access"])
    decision = library.evaluate(dossier).to_json()
    assert decision["outcome"] == "incomplete"
    missing = ["user_journeys", "documentation", "mobilisation_materials"]
    assert decision["values"]["missing_resources"] == missing
    assert [f["item"] for f in findings(decision, "RESOURCE_MISSING")] == missing
    assert all(f["severity"] == "error" and f["clause"] == "process §5" for f in decision["findings"])


# --- band boundaries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score, band",
    [
        pytest.param("0", "refused", id="0-refused"),
        pytest.param("49.99", "refused", id="49.99-below-50"),
        pytest.param("50", "improvement_1_month", id="50-is-not-below-50"),
        pytest.param("59.99", "improvement_1_month", id="59.99-between-50-and-60"),
        pytest.param("60", "improvement_6_months", id="60-opens-the-6-months"),
        pytest.param("70", "improvement_6_months", id="70-is-not-above-70"),
        pytest.param("70.01", "compliant", id="70.01-above-70"),
        pytest.param("100", "compliant", id="100-compliant"),
    ],
)
def test_bands_of_2014_05_19(library, score, band):
    decision = library.evaluate(audit(score)).to_json()
    assert decision["values"]["score"] == float(score)
    assert decision["values"]["score_band"] == band
    assert decision["outcome"] == band
    assert version_of(decision)["version"] == V1


def test_score_is_the_sum_of_points_rounded_to_hundredths(library):
    criteria = criteria_scoring(70)
    criteria["B"]["points"] = 20.004  # 70.004 → 70.00
    criteria["C"]["points"] = 25
    decision = library.evaluate(read_dossier({**_envelope("audit"), "facts": {**_audit_facts(), "criteria": criteria}}, "rounding")).to_json()
    assert decision["values"]["score"] == 70
    assert decision["outcome"] == "improvement_6_months"


# --- the second version: 70 is compliant, for cycles anchored from 2025-12-01 ----------------------


def test_both_versions_are_valid_referentials(cli):
    result = cli("validate", ROOT / "referentials" / BC)
    assert result.exit_code == 0, result.output
    assert f"{BC}/{V1}.yaml: valid" in result.output and f"{BC}/{V2}.yaml: valid" in result.output


@pytest.mark.parametrize(
    "anchor, event, version, outcome",
    [
        pytest.param("2024-03-04", "2024-05-21", V1, "improvement_6_months", id="cycle-of-2024-70-is-not-above-70"),
        pytest.param("2025-11-30", "2026-01-15", V1, "improvement_6_months", id="anchored-the-day-before-2025-12-01"),
        pytest.param("2025-12-01", "2026-01-15", V2, "compliant", id="anchored-on-2025-12-01-70-is-compliant"),
        pytest.param("2025-12-02", "2026-01-15", V2, "compliant", id="anchored-the-day-after"),
    ],
)
def test_exactly_70_depends_on_the_version_of_the_cycle(library, anchor, event, version, outcome):
    decision = library.evaluate(audit(70, anchor=anchor, event=event)).to_json()
    assert [v["version"] for v in decision["versions"]] == [version, version]
    assert decision["values"]["score_band"] == outcome
    assert decision["outcome"] == outcome


@pytest.mark.parametrize(
    "score, band",
    [
        pytest.param("49.99", "refused", id="49.99-refused"),
        pytest.param("50", "improvement_1_month", id="50-one-month"),
        pytest.param("59.99", "improvement_1_month", id="59.99-one-month"),
        pytest.param("60", "improvement_6_months", id="60-six-months"),
        pytest.param("69.99", "improvement_6_months", id="69.99-six-months"),
        pytest.param("70", "compliant", id="70-greater-than-or-equal-to-70"),
    ],
)
def test_bands_of_the_second_version(library, score, band):
    decision = library.evaluate(audit(score, anchor="2026-01-05", event="2026-03-02")).to_json()
    assert version_of(decision)["version"] == V2
    assert decision["values"]["score_band"] == band
    assert decision["outcome"] == band


def test_version_published_mid_cycle_waits_for_the_next_cycle(library):
    decision = library.evaluate(audit(70, anchor="2025-11-30", event="2026-01-15")).to_json()
    for section in ("assessment", "resources"):
        chosen = version_of(decision, section)
        assert chosen["version"] == V1
        assert chosen["mode"] == "pinned"
        assert "version 2025-12-01 (in force from 2025-12-01) applies from the next cycle" in chosen["reason"]
    assert decision["outcome"] == "improvement_6_months"


def test_later_version_not_yet_in_force_on_the_event_is_not_mentioned(library):
    decision = library.evaluate(audit(70, anchor="2025-09-01", event="2025-11-28")).to_json()
    assert version_of(decision)["version"] == V1
    assert "2025-12-01" not in version_of(decision)["reason"]


def test_the_next_cycle_of_the_same_tool_takes_the_new_version(library):
    running = library.evaluate(audit(70, anchor="2025-11-30", event="2026-01-15")).to_json()
    next_cycle = library.evaluate(audit(70, anchor="2026-06-01", event="2026-07-10")).to_json()
    assert (version_of(running)["version"], running["outcome"]) == (V1, "improvement_6_months")
    assert (version_of(next_cycle)["version"], next_cycle["outcome"]) == (V2, "compliant")
    assert "pinned to the cycle" in version_of(next_cycle)["reason"]


def test_review_stays_under_the_version_of_the_audit(library):
    """A six-month review in 2026 of a cycle that started in 2025-11: 70 is still not above 70."""
    decision = library.evaluate(review("six_months", 70, started="2026-01-15", event="2026-07-01", anchor="2025-11-30")).to_json()
    assert version_of(decision)["version"] == V1
    assert decision["outcome"] == "refused"


# --- forcing a version ----------------------------------------------------------------------------------


def test_forced_version_applies_its_bands_and_warns(library):
    decision = library.evaluate(audit(70, anchor="2024-03-04", event="2024-05-21"), version=V2).to_json()
    assert decision["forced_version"] == V2
    assert {v["version"] for v in decision["versions"]} == {V2}
    assert {v["mode"] for v in decision["versions"]} == {"forced"}
    warnings = findings(decision, "VERSION_FORCED")
    assert len(warnings) == 2  # one per section: assessment and resources
    assert all(w["severity"] == "warning" for w in warnings)
    assert any("section 'assessment'" in w["message"] and f"to version {V1}" in w["message"] for w in warnings)
    assert decision["outcome"] == "compliant"  # under 2025-12-01, 70 is compliant


def test_forcing_the_version_the_rules_would_choose_gives_no_warning(library):
    decision = library.evaluate(audit(70, anchor="2024-03-04", event="2024-05-21"), version=V1).to_json()
    assert decision["forced_version"] == V1
    assert "VERSION_FORCED" not in codes(decision)
    assert decision["outcome"] == "improvement_6_months"


def test_evaluator_version_overrides_the_dossier_version(library):
    decision = library.evaluate(audit(70, anchor="2024-03-04", version=V1), version=V2).to_json()
    assert decision["forced_version"] == V2
    assert decision["outcome"] == "compliant"


def test_unknown_forced_version_is_refused(library):
    with pytest.raises(DossierError) as caught:
        library.evaluate(audit(70), version="2019-01-01").to_json()
    assert "2019-01-01" in caught.value.message
    assert [p.path for p in caught.value.problems] == [("version",)]
    assert V1 in caught.value.problems[0].message


# --- mandatory criteria -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "score, failed, outcome",
    [
        pytest.param(95, ["A.5"], "improvement_6_months", id="95-without-A.5-six-months-not-compliant"),
        pytest.param(78, ["D.1"], "improvement_6_months", id="78-without-D.1-six-months"),
        pytest.param(65, ["A.1"], "improvement_6_months", id="65-without-A.1-six-months"),
        pytest.param(55, ["A.2"], "improvement_1_month", id="55-without-A.2-still-one-month"),
        pytest.param(40, ["A.3", "D.1"], "refused", id="40-without-A.3-and-D.1-refused"),
    ],
)
def test_mandatory_criterion_not_validated(library, score, failed, outcome):
    decision = library.evaluate(audit(score, failed)).to_json()
    assert decision["outcome"] == outcome
    assert decision["values"]["score"] == score
    assert decision["values"]["failed_mandatory"] == failed  # in the grid's order
    raised = {f["item"]: f for f in findings(decision, "MANDATORY_CRITERION_NOT_VALIDATED")}
    assert list(raised) == failed
    for key, finding in raised.items():
        assert f"Mandatory criterion {key} ({GRID[key]['title']}) is not validated" in finding["message"]
        assert finding["severity"] == "warning"
        assert finding["clause"] == "process §8.compliant"


def test_high_score_with_failed_mandatory_gets_the_six_months_deadline(library):
    decision = library.evaluate(audit(95, ["A.5"], event="2024-05-21")).to_json()
    assert decision["values"]["score_band"] == "compliant"
    assert decision["values"]["deadline"] == "2024-11-21"
    assert "valid_until" not in decision["values"] and "grants" not in decision["values"]


def test_non_mandatory_criteria_need_no_validation(library):
    criteria = criteria_scoring(82)
    assert all("validated" not in criteria[k] for k in GRID if k not in MANDATORY)
    decision = library.evaluate(audit(82)).to_json()
    assert decision["outcome"] == "compliant"


# --- resources per tool type --------------------------------------------------------------------------------


@pytest.mark.parametrize("tool_type", sorted(REQUIRED))
def test_required_resources_per_tool_type(library, tool_type):
    decision = library.evaluate(audit(82, tool_type=tool_type)).to_json()
    assert trail_fact(decision, "required_resources") == REQUIRED[tool_type]
    assert decision["values"]["missing_resources"] == []
    assert decision["outcome"] == "compliant"


def test_internal_tool_needs_no_user_journeys(library):
    assert "user_journeys" not in REQUIRED["internal"]
    decision = library.evaluate(audit(82, tool_type="internal", provided=REQUIRED["internal"])).to_json()
    assert decision["outcome"] == "compliant"


def test_general_purpose_tool_needs_no_test_cases(library):
    decision = library.evaluate(audit(82, tool_type="commercial_general_purpose", provided=REQUIRED["commercial_general_purpose"])).to_json()
    assert "test_cases" not in trail_fact(decision, "required_resources")
    assert decision["outcome"] == "compliant"


@pytest.mark.parametrize(
    "tool_type, missing",
    [pytest.param(t, r, id=f"{t}-without-{r}") for t in sorted(REQUIRED) for r in REQUIRED[t]],
)
def test_one_missing_resource_makes_the_audit_incomplete(library, tool_type, missing):
    provided = [r for r in ALL_RESOURCES if r != missing]
    decision = library.evaluate(audit(82, tool_type=tool_type, provided=provided)).to_json()
    assert decision["outcome"] == "incomplete"
    assert decision["values"]["missing_resources"] == [missing]
    [finding] = findings(decision, "RESOURCE_MISSING")
    assert finding["item"] == missing
    assert finding["message"].startswith(f"Missing resource {missing}: ")


@pytest.mark.parametrize("tool_type", sorted(REQUIRED))
def test_nothing_provided_gives_one_finding_per_required_resource(library, tool_type):
    decision = library.evaluate(audit(None, tool_type=tool_type, provided=[])).to_json()
    assert decision["outcome"] == "incomplete"
    assert decision["values"]["missing_resources"] == REQUIRED[tool_type]
    assert [f["item"] for f in findings(decision, "RESOURCE_MISSING")] == REQUIRED[tool_type]


def test_incomplete_audit_needs_no_criteria(library):
    decision = library.evaluate(audit(None, tool_type="commercial_sector_specific", provided=["tool_access", "documentation"])).to_json()
    assert decision["outcome"] == "incomplete"
    assert decision["values"] == {"missing_resources": ["test_cases", "user_journeys", "mobilisation_materials"]}
    assert codes(decision) == ["RESOURCE_MISSING"] * 3


def test_complete_audit_without_criteria_is_an_invalid_dossier(library):
    with pytest.raises(DossierError) as caught:
        library.evaluate(audit(None)).to_json()
    assert "inputs are missing" in caught.value.message
    paths = {p.path for p in caught.value.problems}
    assert paths == {("facts", "criteria")}
    assert any("score.total" in p.message for p in caught.value.problems)


def test_points_above_a_criterion_maximum_are_refused(library):
    criteria = criteria_scoring(82)
    criteria["A.1"]["points"] = 6  # max_points 5
    dossier = read_dossier({**_envelope("audit"), "facts": {**_audit_facts(), "criteria": criteria}}, "too many points")
    with pytest.raises(DossierError) as caught:
        library.evaluate(dossier).to_json()
    assert ("facts", "criteria", "A.1", "points") in {p.path for p in caught.value.problems}


# --- the review at the end of an improvement period ------------------------------------------------------------


def test_one_month_review_reaching_60_grants_six_months_with_fee(library):
    decision = library.evaluate(review("one_month", 60, started="2024-01-31", event="2024-02-26")).to_json()
    assert decision["outcome"] == "improvement_6_months"
    values = decision["values"]
    assert values["period_end"] == "2024-02-29"
    assert values["deadline"] == "2024-08-26"
    assert values["fee_eur_excl_vat"] == 1000


def test_one_month_review_scoring_75_still_only_grants_six_months(library):
    decision = library.evaluate(review("one_month", 75, started="2024-03-04", event="2024-04-02")).to_json()
    assert decision["outcome"] == "improvement_6_months"
    assert "valid_until" not in decision["values"]


def test_one_month_review_below_60_is_refused(library):
    decision = library.evaluate(review("one_month", "59.99", started="2024-03-04", event="2024-04-04")).to_json()
    assert decision["outcome"] == "refused"
    assert "fee_eur_excl_vat" not in decision["values"]


def test_six_months_review_met_is_compliant(library):
    decision = library.evaluate(review("six_months", 74, started="2024-04-25", event="2024-10-14")).to_json()
    assert decision["outcome"] == "compliant"
    assert decision["values"]["period_end"] == "2024-10-25"
    assert decision["values"]["valid_until"] == "2027-10-14"
    assert len(decision["values"]["grants"]) == 3


@pytest.mark.parametrize(
    "score, failed",
    [
        pytest.param(80, ["A.5"], id="80-but-A.5-still-not-validated"),
        pytest.param(70, [], id="70-is-not-above-70"),
        pytest.param(66, [], id="66-still-between-60-and-70"),
    ],
)
def test_six_months_review_unmet_is_refused(library, score, failed):
    decision = library.evaluate(review("six_months", score, failed, started="2024-09-17", event="2025-03-10")).to_json()
    assert decision["outcome"] == "refused"
    assert decision["values"]["failed_mandatory"] == failed
    assert "valid_until" not in decision["values"]


@pytest.mark.parametrize(
    "period, started, period_end",
    [
        pytest.param("one_month", "2024-01-31", "2024-02-29", id="one-month-from-31-jan"),
        pytest.param("six_months", "2024-08-31", "2025-02-28", id="six-months-from-31-aug"),
    ],
)
def test_review_on_the_last_day_is_in_time_the_day_after_is_late(library, period, started, period_end):
    last_day = library.evaluate(review(period, 75, started=started, event=period_end)).to_json()
    assert last_day["values"]["period_end"] == period_end
    assert "PERIOD_EXPIRED" not in codes(last_day)
    assert last_day["outcome"] != "refused"

    day_after = (dt.date.fromisoformat(period_end) + dt.timedelta(days=1)).isoformat()
    late = library.evaluate(review(period, 75, started=started, event=day_after)).to_json()
    assert late["outcome"] == "refused"
    [expired] = findings(late, "PERIOD_EXPIRED")
    assert expired["severity"] == "error"
    assert period_end in expired["message"] and day_after in expired["message"]
    assert "fee_eur_excl_vat" not in late["values"] and "valid_until" not in late["values"]


# --- explain -------------------------------------------------------------------------------------------------------


def test_explain_shows_the_chain_down_to_points_and_bands(cli, tmp_path):
    out = tmp_path / "decision.json"
    evaluated = cli("evaluate", EXAMPLES / "mandatory-missing-improvement-6-months.yaml", "-o", out)
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(out.read_text(encoding="utf-8"))["outcome"] == "improvement_6_months"

    explained = cli("explain", out)
    assert explained.exit_code == 0, explained.output
    text = flat(explained.output)
    assert "Versions applied:" in text and "2014-05-19 (pinned)" in text
    assert flat("outcome = improvement_6_months   [rule audit.six-months-mandatory · abc-site improvement") in text
    assert "failed_mandatory = A.5" in text
    assert "score = 78" in text
    assert "$.facts.criteria" in text
    assert "A.1: points: 5, validated: yes" in text  # the points of the dossier
    assert "bands.score = refused [0, 50[, improvement_1_month [50, 60[, improvement_6_months [60, 70], compliant ]70, 100]" in text
    assert "process §8 · version 2014-05-19, section assessment" in text
    assert "tables.chapter_weights = A: 25, B: 25, C: 25, D: 20, E: 5" in text


def test_explain_a_deadline_cites_its_parameter(cli, tmp_path):
    out = tmp_path / "decision.json"
    assert cli("evaluate", EXAMPLES / "improvement-1-month.yaml", "-o", out).exit_code == 0
    explained = cli("explain", out, "--fact", "deadline")
    assert explained.exit_code == 0, explained.output
    assert "deadline = 2024-02-29" in explained.output
    assert "params.first_improvement_period_months = 1 months" in explained.output
    assert "process §8.one-month" in explained.output
    assert "event_date = 2024-01-31" in explained.output


def test_explain_of_an_incomplete_audit_names_the_resources(cli, tmp_path):
    out = tmp_path / "decision.json"
    assert cli("evaluate", EXAMPLES / "resources-missing-incomplete.yaml", "-o", out).exit_code == 0
    text = cli("explain", out).output
    assert "outcome = incomplete" in text
    assert "process §5" in text
    assert "resources_provided = tool_access   [dossier $.facts.resources_provided]" in text
    assert "tables.required_resources" in text


# --- examples and runtimes ------------------------------------------------------------------------------------------

EXPECTED_OUTCOMES = {  # file -> (outcome, the version that governs it)
    "compliant.yaml": ("compliant", V1),
    "improvement-1-month.yaml": ("improvement_1_month", V1),
    "mandatory-missing-improvement-6-months.yaml": ("improvement_6_months", V1),
    "resources-missing-incomplete.yaml": ("incomplete", V1),
    "review-one-month-reached-improvement-6-months.yaml": ("improvement_6_months", V1),
    "review-six-months-unmet-refused.yaml": ("refused", V1),
    "score-70-improvement-6-months.yaml": ("improvement_6_months", V1),
    "score-below-50-refused.yaml": ("refused", V1),
    "self-assessment-missing-incomplete.yaml": ("incomplete", V1),
    "statement-2025-review-six-months-compliant.yaml": ("compliant", V2),
    "statement-2025-score-70-compliant.yaml": ("compliant", V2),
}


def test_every_example_is_listed_with_its_outcome():
    assert sorted(p.name for p in EXAMPLE_FILES) == sorted(EXPECTED_OUTCOMES)
    for path in EXAMPLE_FILES:
        assert path.read_text(encoding="utf-8").startswith("# "), f"{path.name} lacks its comment line"
        outcome, _ = EXPECTED_OUTCOMES[path.name]
        assert path.stem.endswith(outcome.replace("_", "-")), f"{path.name} does not end with the outcome it gives"


def test_every_outcome_of_every_procedure_of_every_version_has_an_example(library):
    shown: dict[tuple[str, str], set[str]] = {}
    for path in EXAMPLE_FILES:
        decision = library.evaluate(read_dossier(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))).to_json()
        shown.setdefault((decision["procedure"], decision["versions"][0]["version"]), set()).add(decision["outcome"])
    for version in library.versions(BC):
        for name, procedure in version.procedures().items():
            assert shown.get((name, version.id)), f"no example of {name} under {version.id}"
            every = set().union(*(o for (n, _), o in shown.items() if n == name))
            assert every == set(procedure.outcomes), name


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_evaluates_through_the_cli(cli, tmp_path, path):
    result = cli("evaluate", path, "--format", "json")
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert (decision["outcome"], version_of(decision)["version"]) == EXPECTED_OUTCOMES[path.name]
    assert cli("evaluate", path).exit_code == 0  # the text view too


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_both_runtimes_give_the_same_decision(library, path):
    dossier = read_dossier(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    default = library.evaluate(dossier).to_json()
    python = library.evaluate(dossier, runtime="python").to_json()
    assert default["outcome"] == python["outcome"] == EXPECTED_OUTCOMES[path.name][0]
    assert python == default


def test_same_dossier_gives_the_same_decision(library):
    dossier = audit(82)
    decisions = [library.evaluate(dossier).to_json() for _ in range(6)]
    assert all(d == decisions[0] for d in decisions[1:])


def test_failed_mandatory_criteria_come_in_grid_order(library):
    dossier = audit(40, ["A.1", "D.1"])
    orders = {tuple(library.evaluate(dossier).to_json()["values"]["failed_mandatory"]) for _ in range(20)}
    assert orders == {("A.1", "D.1")}


@pytest.mark.parametrize(
    ("started", "event", "anchor", "words", "clause"),
    [
        pytest.param("2024-12-01", "2024-06-01", "2024-03-04", "after the review on 2024-06-01", "(process §8)", id="period-starts-after-review"),
        pytest.param("2024-02-01", "2024-06-01", "2024-03-04", "before the process began on 2024-03-04", "(process §4)", id="period-starts-before-audit"),
    ],
)
def test_review_with_impossible_dates_is_rejected(library, started, event, anchor, words, clause):
    """Process §4: "The compliance process begins with a kick-off meeting" (the cycle's anchor); a period
    is granted at a decision of that process, and reviewed after it starts."""
    with pytest.raises(DossierError) as raised:
        library.evaluate(review("six_months", 75, started=started, event=event, anchor=anchor)).to_json()
    [problem] = raised.value.problems
    assert problem.path == ("facts", "period_started_on")
    assert words in problem.message and problem.message.endswith(clause)


def test_review_starting_on_the_audit_and_reviewed_the_same_day_is_accepted(library):
    decision = library.evaluate(review("one_month", 62, started="2024-03-04", event="2024-03-04", anchor="2024-03-04")).to_json()
    assert decision["outcome"] == "improvement_6_months"
