"""Objectif CO₂: the version of the labelling procedure of 1 September 2019, recorded but not encoded.

shared/DOMAIN.md lists « labelling procedure versions of 10 June 2016, 24 May 2017 (the seed) and
1 September 2019 »; the text of 2019 is not among the sources. referentials/objectif-co2/2019-09-01.yaml
records it (`unavailable`, no sections, one provision standing for the whole text, out of scope), taking
its date as the day it came into force (decision version-dates). A cycle anchored on or after
1 September 2019 is refused with outcome version_not_encoded and a VERSION_NOT_ENCODED finding naming
the version and citing that provision; a cycle anchored before keeps 24 May 2017 (§III.1 of 2017: new
criteria apply only at renewal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import OCO2, ROOT, finding_codes, judge

from engine import Library

V2017, V2019 = "2017-05-24", "2019-09-01"
EXAMPLE = ROOT / "examples" / OCO2 / "cycle-2019-renewal-of-2016-cycle-version-not-encoded.yaml"
REFUSAL = (
    "version 2019-09-01 of objectif-co2 (in force from 2019-09-01) would govern this cycle, it was in force on the cycle "
    "anchor {anchor}, but it is not encoded: its text is not among the sources of this project; only its date is known "
    "(shared/DOMAIN.md); no decision can be taken under it here"
)


def renewal(labelled_on: str) -> dict[str, Any]:
    facts = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["facts"]
    facts["previous_cycle"] = {"labelled_on": labelled_on, "version": "2016-06-10"}
    facts["p3"]["entered_on"] = "2019-06-12"
    return facts


@pytest.mark.parametrize(
    "anchor, outcome, version",
    [
        pytest.param("2019-08-31", "renewal_admissible", V2017, id="day-before-2017"),
        pytest.param("2019-09-01", "version_not_encoded", V2019, id="on-the-date-not-encoded"),
        pytest.param("2019-09-02", "version_not_encoded", V2019, id="day-after-not-encoded"),
    ],
)
def test_a_renewal_cycle_anchored_from_1_september_2019_is_refused_naming_the_version(library: Library, anchor: str, outcome: str, version: str) -> None:
    """Each cycle renews at the end of its cycle (labelled three years before its anchor): the day before the
    version of 1 September 2019 the cycle is judged under 2017; from that day it is refused, naming it."""
    labelled_on = anchor.replace("2019", "2016", 1)
    decision = judge(library, "renewal", renewal(labelled_on), anchor, "2019-09-20")
    assert decision["outcome"] == outcome
    assert decision["versions"][0]["version"] == version
    if outcome == "version_not_encoded":
        [finding] = decision["findings"]
        assert (finding["code"], finding["severity"], finding["clause"]) == ("VERSION_NOT_ENCODED", "error", "procedure 2019-09-01")
        assert finding["message"] == REFUSAL.format(anchor=anchor)
        [used] = decision["versions"]
        assert (used["section"], used["referential"], used["version"], used["mode"], used["clause"]) == (
            None, OCO2, V2019, "not_encoded", "procedure 2019-09-01")
        assert decision["trail"] == [{
            "id": "version:not-encoded", "kind": "version-selection", "section": None, "referential": OCO2,
            "version": V2019, "mode": "not_encoded", "clause": "procedure 2019-09-01", "because": finding["message"],
        }]
        assert decision["values"] == {} and decision["inputs"] == {}


@pytest.mark.parametrize("procedure", ["admissibility", "labelling", "annual_update", "audit_cost", "renewal"])
def test_every_pinned_procedure_of_a_cycle_anchored_on_1_september_2019_is_refused(library: Library, procedure: str) -> None:
    decision = judge(library, procedure, {}, "2019-09-01", "2019-10-15")
    assert decision["outcome"] == "version_not_encoded"
    assert finding_codes(decision) == ["VERSION_NOT_ENCODED"]


def test_a_cycle_anchored_the_day_before_keeps_2017_even_judged_later(library: Library) -> None:
    """§III.1 of 2017: a label is not withdrawn on new criteria during a cycle; they apply at renewal."""
    facts = {"period": "P1", "data_entered_on": "2020-03-02", "intensity": {"p0": 80.0, "period": 78.5}, "performance_sufficient": True}
    decision = judge(library, "annual_update", facts, "2019-08-31", "2020-04-15")
    assert decision["outcome"] == "maintained"
    assert [(v["section"], v["version"], v["mode"]) for v in decision["versions"]] == [("follow_up", V2017, "pinned")]


def test_forcing_the_version_not_encoded_is_refused_too(library: Library) -> None:
    decision = judge(library, "admissibility", {}, "2018-03-12", "2018-04-20", version=V2019)
    assert decision["outcome"] == "version_not_encoded"
    assert "forced by the evaluator (--version)" in decision["findings"][0]["message"]


def test_the_example_shows_the_refusal_and_explain_gives_its_reason(cli: Callable[..., Any], tmp_path: Path) -> None:
    decision_file = tmp_path / "decision.json"
    assert cli("evaluate", EXAMPLE, "-o", decision_file).exit_code == 0
    decision = json.loads(decision_file.read_text(encoding="utf-8"))
    assert decision["outcome"] == "version_not_encoded"
    assert decision["findings"][0]["message"] == REFUSAL.format(anchor="2019-10-03")
    explained = cli("explain", decision_file)
    assert explained.exit_code == 0, explained.output
    assert "version_not_encoded" in explained.stdout and "procedure 2019-09-01" in explained.stdout


def test_the_version_is_recorded_with_its_source_and_reading(library: Library) -> None:
    version = next(v for v in library.versions(OCO2) if v.id == V2019)
    assert version.unavailable == {
        "reason": "its text is not among the sources of this project; only its date is known (shared/DOMAIN.md)",
        "clause": "procedure 2019-09-01",
    }
    assert dict(version.sections) == {}
    assert (version.supersedes, str(version.in_force_from), str(version.published_on)) == (V2017, V2019, V2019)
    [provision] = version.provisions.values()
    assert (provision.id, provision.status) == ("procedure 2019-09-01", "out_of_scope")
    assert "1 September 2019" in provision.text
    assert [d["id"] for d in version.document["decisions"]] == ["version-dates"]
    assert (ROOT / "referentials" / OCO2 / "2019-09-01.lock.json").is_file()


def test_validate_reports_the_version_and_its_coverage(cli: Callable[..., Any]) -> None:
    result = cli("validate", ROOT / "referentials" / OCO2 / "2019-09-01.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    assert report["valid"] is True
    assert (report["coverage"]["provisions"], report["coverage"]["encoded"], report["coverage"]["out_of_scope"]) == (1, 0, 1)


def test_a_counter_audit_after_1_september_2019_falls_under_the_version_not_encoded(library: Library) -> None:
    facts = {"contested_decision": "withdrawal", "initial_auditor": "Olivier Sabatier", "counter_auditor": "Camille Arnaud"}
    decision = judge(library, "counter_audit", facts, "2018-01-08", "2019-10-21")
    assert decision["outcome"] == "version_not_encoded"
