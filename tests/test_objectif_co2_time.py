"""Objectif CO₂ across its versions: which version judges which step of a cycle, and why.

The 2017 procedure (§III.1) says a version change during a cycle cannot withdraw a label on new
criteria; new criteria apply only at renewal. The referential pins the criteria to the cycle's
anchor and lets the programme's own controls follow the event date (decision
version-change-pinned). Cases of issue 3: a company labelled in 2016 and followed up in 2018; the
same company renewing in the summer of 2019 under 2017, and in October 2019 under the version of
1 September 2019, recorded but not encoded (tests/test_objectif_co2_version_2019.py); a new
applicant in 2018; plus a version published mid-cycle (an audit begun under 2016 and decided under
2017's publication) and the day the version changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import OCO2, ROOT, finding_codes, flat, judge

from engine import DossierError, Library, load_dossier

V2016, V2017 = "2016-06-10", "2017-05-24"
EXAMPLES = ROOT / "examples" / OCO2
FOLLOW_UP_2018 = EXAMPLES / "cycle-2016-annual-update-2018-maintained.yaml"
RENEWAL_2019 = EXAMPLES / "cycle-2019-renewal-of-2016-cycle-version-not-encoded.yaml"
RENEWAL_SUMMER_2019 = EXAMPLES / "renewal-renewal-admissible.yaml"
PINNED_TO_2016 = (
    "version 2016-06-10 was in force on the cycle anchor 2016-10-03 (from 2016-06-10); section 'follow_up' is "
    "pinned to the cycle; version 2017-05-24 (in force from 2017-05-24) applies from the next cycle "
    "(its §III.1 version change)"
)


def versions_of(decision: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {v["section"]: (v["version"], v["mode"]) for v in decision["versions"]}


def facts_of(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["facts"]


# --- a company labelled in 2016, followed up mid-cycle in 2018 -------------------------------------------


def test_the_2018_follow_up_of_a_2016_cycle_is_judged_under_2016(library: Library) -> None:
    decision = library.evaluate(load_dossier(FOLLOW_UP_2018)).to_json()
    assert versions_of(decision) == {"follow_up": (V2016, "pinned")}
    assert decision["versions"][0]["reason"] == PINNED_TO_2016
    assert decision["trail"][0]["kind"] == "version-selection" and decision["trail"][0]["because"] == PINNED_TO_2016
    # P2 is above P0 but still sufficient: 2016 maintains the label
    assert decision["outcome"] == "maintained"
    assert decision["digests"]["referentials"] == {f"{OCO2} {V2016}": library.versions(OCO2)[0].digest}


def test_forcing_2017_on_the_same_dossier_is_warned(library: Library) -> None:
    """Forced, 2017 reads the same facts: a rise of the intensity still found sufficient is no ground under 2017
    either (decision degraded-performance), and the decision warns that the rules of time give 2016."""
    forced = library.evaluate(load_dossier(FOLLOW_UP_2018), version=V2017).to_json()
    assert forced["outcome"] == "maintained"
    assert forced["values"]["suspension_grounds"] == []
    assert forced["forced_version"] == V2017
    assert sorted(finding_codes(forced)) == ["INTENSITY_ABOVE_P0", "VERSION_FORCED"]
    warning = next(f for f in forced["findings"] if f["code"] == "VERSION_FORCED")
    assert warning["message"].endswith(PINNED_TO_2016)


def test_the_2017_grounds_cannot_even_be_stated_for_a_2016_cycle(library: Library) -> None:
    """A formal notice (exclusion, added in 2017) is not an input of the 2016 follow-up: the dossier is refused."""
    facts = {**facts_of(FOLLOW_UP_2018), "formal_notice": {"sent_on": "2018-10-01", "complied": False}}
    with pytest.raises(DossierError) as caught:
        judge(library, "annual_update", facts, "2016-10-03", "2018-11-15")
    assert [(p.render()) for p in caught.value.problems] == [
        "test dossier (annual_update) $.facts.formal_notice: unknown field"
    ]
    assert caught.value.message.endswith("the input of procedure 'annual_update' (objectif-co2 2016-06-10, procedure annual_update)")


def test_a_2017_ground_reaches_a_2017_cycle_only(library: Library) -> None:
    """The same yearly data in a cycle anchored after 24 May 2017, with data deliberately altered — a ground annex 4
    quotes as added in 2017: a suspension may be proposed. The 2016 cycle cannot even state it (test above)."""
    facts = {**facts_of(FOLLOW_UP_2018), "data_deliberately_altered": True}
    decision = judge(library, "annual_update", facts, "2017-10-03", "2018-11-15")
    assert versions_of(decision) == {"follow_up": (V2017, "pinned")}
    assert decision["outcome"] == "suspension_possible"
    assert "DATA_DELIBERATELY_ALTERED" in finding_codes(decision)


# --- renewing in 2019 ------------------------------------------------------------------------------------------


def test_the_renewal_in_the_summer_of_2019_opens_a_cycle_under_2017(library: Library) -> None:
    decision = library.evaluate(load_dossier(RENEWAL_SUMMER_2019)).to_json()
    assert versions_of(decision) == {"renewal": (V2017, "pinned"), "admissibility": (V2017, "pinned"), "subcontracting": (V2017, "pinned")}
    reason = decision["versions"][0]["reason"]
    assert reason == (
        "version 2017-05-24 was in force on the cycle anchor 2019-07-01 (from 2017-05-24); section 'renewal' is pinned to the cycle"
    )
    assert decision["outcome"] == "renewal_admissible"
    opens = next(f for f in decision["findings"] if f["code"] == "RENEWAL_OPENS_NEW_CYCLE")
    assert opens["clause"] == "§III.1 version change"
    assert "judged under version 2017-05-24; the ending cycle ran under version 2016-06-10" in opens["message"]
    assert decision["values"]["new_reference_period"] == {
        "entered_on": "2019-05-28", "intensity": 74.2, "period": "P0", "taken_from": "P3 of the ending cycle",
    }


def test_the_renewal_in_october_2019_falls_under_the_version_not_encoded(library: Library) -> None:
    """Transports Lemoine, labelled on 3 October 2016, renews on 3 October 2019: the version of 1 September 2019
    governs the new cycle, and its text is not available — refused, not judged under 2017 (see the 2019 tests)."""
    decision = library.evaluate(load_dossier(RENEWAL_2019)).to_json()
    assert decision["outcome"] == "version_not_encoded"
    assert finding_codes(decision) == ["VERSION_NOT_ENCODED"]


def test_the_2017_criteria_apply_at_renewal(library: Library) -> None:
    """At renewal a subsidiary failing road-transport regulation (a 2017 criterion) now refuses the group."""
    facts = facts_of(RENEWAL_SUMMER_2019)
    facts["companies"][0]["subsidiaries"] = [{"id": "FABRE-LOCATION", "regulation_compliant": False}]
    decision = judge(library, "renewal", facts, "2019-07-01", "2019-07-24")
    assert decision["outcome"] == "renewal_not_admissible"
    assert "GROUP_SUBSIDIARY_NOT_COMPLIANT" in finding_codes(decision)


def test_there_is_no_renewal_in_a_cycle_anchored_under_2016(library: Library) -> None:
    with pytest.raises(DossierError) as caught:
        judge(library, "renewal", facts_of(RENEWAL_SUMMER_2019), "2017-01-10", "2017-02-01")
    assert caught.value.message.endswith("version 2016-06-10 of objectif-co2 has no procedure 'renewal'")


# --- a new applicant in 2018 ------------------------------------------------------------------------------------


def test_a_new_applicant_in_2018_is_judged_under_2017(library: Library) -> None:
    decision = library.evaluate(load_dossier(EXAMPLES / "admissibility-admissible.yaml")).to_json()
    assert versions_of(decision) == {"admissibility": (V2017, "pinned"), "subcontracting": (V2017, "pinned")}
    assert decision["versions"][0]["reason"].startswith("version 2017-05-24 was in force on the cycle anchor 2018-")


# --- a version published mid-cycle, and the day of the change ---------------------------------------------------

REFUSED_REPORT = {
    "company": {"name": "Transports Morel", "address": "12 rue des Forges, 21000 Dijon"},
    "reference_period_start": "2016-01-01",
    "referentiel_version": "2016-03-18",
    "audit": {"auditor": "Claire Vasseur", "report_on": "2017-05-23"},
    "findings": [{"id": "NC-1", "kind": "non_conformity", "text": "fuel data of two depots not collected"}],
    "scope": {"sites": ["Dijon"], "vehicle_groups": ["porteurs 19 t"]},
    "committee_decision": "refuse",
    "committee_reasons": "NC-1 not lifted: the performance cannot be concluded",
}


@pytest.mark.parametrize(
    ("anchor", "version", "carries_notice"),
    [("2017-05-23", V2016, False), ("2017-05-24", V2017, True)],
)
def test_the_day_the_version_changes(library: Library, anchor: str, version: str, carries_notice: bool) -> None:
    """An audit cycle started the day before 24 May 2017 stays under 2016, even decided in September 2017, once the
    corrective period the company benefits from (90 days from the report, none being set) has ended."""
    facts = {**REFUSED_REPORT, "audit": {**REFUSED_REPORT["audit"], "report_on": anchor}}
    decision = judge(library, "labelling", facts, anchor, "2017-09-14")
    assert versions_of(decision)["labelling"] == (version, "pinned")
    assert decision["outcome"] == "refused"
    # the motivated notice with appeal routes and the one-year rule were added (or reworded) in 2017
    assert ("notice" in decision["values"]) is carries_notice
    assert ("earliest_new_reference_period" in decision["values"]) is carries_notice


def test_a_version_published_mid_cycle_says_so(library: Library) -> None:
    decision = judge(library, "labelling", REFUSED_REPORT, "2017-05-23", "2017-09-14")
    assert decision["versions"][0]["reason"].endswith(
        "section 'labelling' is pinned to the cycle; version 2017-05-24 (in force from 2017-05-24) applies "
        "from the next cycle (its §III.1 version change)"
    )


def test_the_attestation_names_the_version_applied(library: Library) -> None:
    facts = {**REFUSED_REPORT, "findings": [], "committee_decision": "grant", "committee_reasons": None}
    for anchor, version in (("2017-05-23", V2016), ("2017-05-24", V2017)):
        facts["audit"] = {**REFUSED_REPORT["audit"], "report_on": anchor}
        decision = judge(library, "labelling", facts, anchor, "2017-07-10")
        assert decision["values"]["attestation"]["procedure_version"] == version
        premise = next(
            p for e in decision["trail"] if e.get("name") == "attestation" for p in e["premises"] if p["kind"] == "version"
        )
        assert (premise["name"], premise["value"], premise["trail"]) == ("labelling", version, "version:labelling")


# --- what an auditor and a standards body see --------------------------------------------------------------------


def test_explain_shows_the_pinned_version_and_why(cli: Callable[..., Any], tmp_path: Path) -> None:
    decision = tmp_path / "decision.json"
    assert cli("evaluate", FOLLOW_UP_2018, "-o", decision).exit_code == 0
    result = cli("explain", decision)
    assert result.exit_code == 0, result.output
    assert f"follow_up: 2016-06-10 (pinned) — {PINNED_TO_2016}" in flat(result.stdout)
    assert flat("outcome = maintained   [rule annual-2016.maintained · §V conditions · version 2016-06-10]") in flat(result.stdout)
    as_json = json.loads(cli("explain", decision, "--format", "json").stdout)
    assert as_json["selection"][0]["because"] == PINNED_TO_2016


def test_versions_lists_the_three_with_their_dates_and_status(cli: Callable[..., Any]) -> None:
    now = json.loads(cli("versions", OCO2, "--as-of", "2018-11-15", "--format", "json").stdout)["versions"]
    assert [(v["id"], v["in_force_from"], v["in_force_until"], v["status"]) for v in now] == [
        (V2016, "2016-06-10", "2017-05-24", "superseded (serves the cycles it governs)"),
        (V2017, "2017-05-24", "2019-09-01", "in force"),
        ("2019-09-01", "2019-09-01", None, "not yet in force"),
    ]
    then = cli("versions", OCO2, "--as-of", "2016-12-01")
    assert then.exit_code == 0
    assert "2016-06-10     in force" in then.stdout and "2017-05-24     not yet in force" in then.stdout
