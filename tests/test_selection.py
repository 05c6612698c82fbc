"""Which version governs each section of a dossier (engine/selection.py).

Versions are variants of the real 2014-05-19 version (`bc_document()`),
written to a scratch library beside it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from conftest import BC, COMPLIANT, bc_document, bc_example_dossier, drafts, only_version, write_version

from engine import Library
from engine.decision.model import REPEALED_OUTCOME
from engine.errors import DossierError
from engine.model.documents import load_document
from engine.model.dossier import read_dossier
from engine.model.referential import ReferentialVersion
from engine.running.runtimes import durable as durable_module
from engine.running.runtimes.durable import DurableRuntime
from engine.selection.versions import Selection, select

D = dt.date
V1 = "2014-05-19"
SECTIONS = ("assessment", "resources")


def successor(version_id: str, in_force_from: dt.date, published_on: dt.date | None = None, **policies: dict[str, Any]) -> dict[str, Any]:
    """A version superseding 2014-05-19; `policies` gives sections their time policy."""
    document = bc_document()
    document.update(
        id=version_id,
        published_on=published_on or in_force_from,
        in_force_from=in_force_from,
        supersedes=V1,
        changes=[{"where": "process", "change": "a later edition (test fixture)"}],
        illustrative=True,
    )
    for section, policy in policies.items():
        document["sections"][section]["time_policy"] = policy
    return document


def versions_of(scratch: Path, *documents: dict[str, Any]) -> list[ReferentialVersion]:
    for document in documents:
        write_version(scratch, BC, document)
    return Library.open(scratch).versions(BC)


def modes(selection: Selection) -> dict[str, tuple[str, str]]:
    return {name: (choice.version.id, choice.mode) for name, choice in selection.choices.items()}


@pytest.fixture
def scratch(scratch: Path) -> Path:
    """The scratch tree with 2014-05-19 as the only version of Bilan Carbone®: these tests write its successors themselves."""
    return only_version(scratch, BC, "2014-05-19")


@pytest.fixture
def fresh_shared(monkeypatch: pytest.MonkeyPatch) -> DurableRuntime:
    """A durable runtime of this test only (the shared one may hold the real project's rule book)."""
    fresh = DurableRuntime()
    monkeypatch.setattr(durable_module, "_shared", fresh)
    return fresh


# --- pinned by default ---------------------------------------------------------------------------------------


def test_every_section_is_pinned_to_the_version_in_force_on_the_anchor(scratch: Path) -> None:
    selection = select(versions_of(scratch), SECTIONS, D(2024, 3, 4), D(2024, 5, 21))
    assert selection.base is not None and selection.base.id == V1
    assert modes(selection) == {"assessment": (V1, "pinned"), "resources": (V1, "pinned")}
    assert selection.choices["assessment"].clause == "process §8"
    assert selection.choices["resources"].clause == "process §5"
    assert selection.choices["assessment"].reason == (
        f"version {V1} was in force on the cycle anchor 2024-03-04 (from 2014-05-19); section 'assessment' is pinned to the cycle"
    )
    assert selection.refusal is None and selection.warnings == () and selection.forced is None


def test_a_version_published_mid_cycle_applies_from_the_next_cycle(scratch: Path) -> None:
    versions = versions_of(scratch, successor("2024-04-01", D(2024, 4, 1)))
    running = select(versions, SECTIONS, D(2024, 3, 4), D(2024, 5, 21))
    assert modes(running) == {"assessment": (V1, "pinned"), "resources": (V1, "pinned")}
    assert running.choices["assessment"].reason.endswith(
        "; version 2024-04-01 (in force from 2024-04-01) applies from the next cycle (its process §8)"
    )
    following = select(versions, SECTIONS, D(2024, 6, 3), D(2024, 9, 1))
    assert following.base is not None and following.base.id == "2024-04-01"
    assert modes(following) == {"assessment": ("2024-04-01", "pinned"), "resources": ("2024-04-01", "pinned")}


def test_the_deferral_cites_the_time_policy_clause_of_the_later_version(scratch: Path) -> None:
    later = successor("2024-04-01", D(2024, 4, 1), assessment={"mode": "pinned", "clause": "process §8.six-months"})
    running = select(versions_of(scratch, later), SECTIONS, D(2024, 3, 4), D(2024, 5, 21))
    choice = running.choices["assessment"]
    assert (choice.version.id, choice.clause) == (V1, "process §8")  # the base's own clause governs the choice
    assert choice.reason == (
        f"version {V1} was in force on the cycle anchor 2024-03-04 (from 2014-05-19); section 'assessment' is pinned "
        "to the cycle; version 2024-04-01 (in force from 2024-04-01) applies from the next cycle (its process §8.six-months)"
    )
    assert running.choices["resources"].reason.endswith("applies from the next cycle (its process §5)")


def test_a_deferral_without_a_time_policy_clause_cites_none(scratch: Path) -> None:
    later = successor("2024-04-01", D(2024, 4, 1))
    del later["sections"]["assessment"]["time_policy"]  # pinned by default, with no clause to cite
    running = select(versions_of(scratch, later), SECTIONS, D(2024, 3, 4), D(2024, 5, 21))
    assert running.choices["assessment"].reason.endswith("; version 2024-04-01 (in force from 2024-04-01) applies from the next cycle")


def test_a_version_not_yet_in_force_on_the_event_date_is_not_mentioned(scratch: Path) -> None:
    running = select(versions_of(scratch, successor("2024-06-01", D(2024, 6, 1))), SECTIONS, D(2024, 3, 4), D(2024, 5, 21))
    assert running.choices["assessment"].reason == (
        f"version {V1} was in force on the cycle anchor 2024-03-04 (from 2014-05-19); section 'assessment' is pinned to the cycle"
    )


def test_the_deferral_reaches_the_decision_trail(scratch: Path, fresh_shared: DurableRuntime) -> None:
    versions_of(scratch, successor("2024-04-01", D(2024, 4, 1), assessment={"mode": "pinned", "clause": "process §8.six-months"}))
    decision = Library.open(scratch).evaluate(bc_example_dossier(D(2024, 3, 4), D(2024, 5, 21))).to_json()
    entry = next(e for e in decision["trail"] if e["kind"] == "version-selection" and e["section"] == "assessment")
    assert (entry["version"], entry["mode"], entry["clause"]) == (V1, "pinned", "process §8")
    assert entry["because"].endswith("applies from the next cycle (its process §8.six-months)")


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [(D(2024, 3, 31), V1), (D(2024, 4, 1), "2024-04-01"), (D(2024, 4, 2), "2024-04-01")],
)
def test_the_day_before_on_and_after_in_force_from(scratch: Path, anchor: dt.date, expected: str) -> None:
    versions = versions_of(scratch, successor("2024-04-01", D(2024, 4, 1)))
    selection = select(versions, SECTIONS, anchor, anchor)
    assert modes(selection) == {"assessment": (expected, "pinned"), "resources": (expected, "pinned")}


def test_the_publication_date_does_not_decide(scratch: Path) -> None:
    # Published in January, in force from April: a cycle anchored in February keeps the old version.
    versions = versions_of(scratch, successor("2024-04-01", D(2024, 4, 1), published_on=D(2024, 1, 15)))
    assert select(versions, SECTIONS, D(2024, 2, 1), D(2024, 2, 1)).base.id == V1  # type: ignore[union-attr]


# --- event_date -----------------------------------------------------------------------------------------------


EVENT_DATE = {"mode": "event_date", "clause": "process §8", "note": "the results presentation follows the grid in force on its date"}


def test_an_event_date_section_of_a_later_version_takes_over_for_events_after_it(scratch: Path) -> None:
    versions = versions_of(scratch, successor("2024-05-01", D(2024, 5, 1), assessment=EVENT_DATE))
    selection = select(versions, SECTIONS, D(2024, 3, 4), D(2024, 5, 21))
    assert modes(selection) == {"assessment": ("2024-05-01", "event_date"), "resources": (V1, "pinned")}
    choice = selection.choices["assessment"]
    assert choice.clause == "process §8"
    assert choice.reason == (
        "version 2024-05-01 (in force from 2024-05-01) declares that section 'assessment' follows the "
        "event date; it is in force on the event date 2024-05-21"
    )
    assert selection.base is not None and selection.base.id == V1


@pytest.mark.parametrize(("event", "version"), [(D(2024, 4, 30), V1), (D(2024, 5, 1), "2024-05-01")])
def test_an_event_date_section_follows_the_event_date_to_the_day(scratch: Path, event: dt.date, version: str) -> None:
    versions = versions_of(scratch, successor("2024-05-01", D(2024, 5, 1), assessment=EVENT_DATE))
    selection = select(versions, SECTIONS, D(2024, 3, 4), event)
    assert selection.choices["assessment"].version.id == version
    assert selection.choices["resources"].version.id == V1


def test_an_event_date_takeover_changes_the_decision(scratch: Path, fresh_shared: DurableRuntime) -> None:
    later = successor("2024-05-01", D(2024, 5, 1), assessment=EVENT_DATE)
    later["sections"]["assessment"]["parameters"]["compliance_validity_years"]["value"] = 5
    versions_of(scratch, later)
    library = Library.open(scratch)
    before = library.evaluate(bc_example_dossier(D(2024, 3, 4), D(2024, 4, 30))).to_json()
    after = library.evaluate(bc_example_dossier(D(2024, 3, 4), D(2024, 5, 21))).to_json()
    assert before["values"]["valid_until"] == "2027-04-30"
    assert after["values"]["valid_until"] == "2029-05-21"
    assert {v["section"]: (v["version"], v["mode"]) for v in after["versions"]} == {
        "assessment": ("2024-05-01", "event_date"),
        "resources": (V1, "pinned"),
    }
    validity = next(e for e in after["trail"] if e.get("name") == "valid_until")
    assert validity["version"] == "2024-05-01"
    [years] = [p for p in validity["premises"] if p["name"] == "compliance_validity_years"]
    assert years == {"kind": "parameter", "name": "compliance_validity_years", "path": "/sections/assessment/parameters/compliance_validity_years",
                     "value": 5, "unit": "years", "clause": "abc-site validity", "version": "2024-05-01", "section": "assessment",
                     "digest": after["digests"]["referentials"][f"{BC} 2024-05-01"]}


# --- retroactive ------------------------------------------------------------------------------------------------


def retroactive(since: dt.date, grace_months: int | None = None) -> dict[str, Any]:
    policy: dict[str, Any] = {"mode": "retroactive", "from": since, "clause": "process §8"}
    if grace_months is not None:
        policy["grace_months"] = grace_months
    return policy


@pytest.mark.parametrize(
    ("event", "version", "mode"),
    [
        (D(2024, 6, 30), V1, "pinned"),  # within the grace
        (D(2024, 7, 1), "2024-04-01", "retroactive"),  # the grace has ended
        (D(2024, 12, 1), "2024-04-01", "retroactive"),
    ],
)
def test_retroactive_with_a_grace_period(scratch: Path, event: dt.date, version: str, mode: str) -> None:
    versions = versions_of(scratch, successor("2024-04-01", D(2024, 4, 1), assessment=retroactive(D(2024, 4, 1), 3)))
    selection = select(versions, SECTIONS, D(2024, 3, 4), event)
    assert modes(selection) == {"assessment": (version, mode), "resources": (V1, "pinned")}
    reason = selection.choices["assessment"].reason
    if mode == "pinned":
        assert reason.endswith(
            "; version 2024-04-01 applies to running cycles only from 2024-07-01 (retroactive from 2024-04-01 with 3 months' grace)"
        )
    else:
        assert reason == (
            "version 2024-04-01 applies section 'assessment' to running cycles from 2024-04-01 after a grace of "
            f"3 months; the event date {event} is on or after 2024-07-01"
        )


@pytest.mark.parametrize(("event", "version"), [(D(2024, 3, 31), V1), (D(2024, 4, 1), "2024-04-01")])
def test_retroactive_without_grace_applies_from_its_date(scratch: Path, event: dt.date, version: str) -> None:
    versions = versions_of(scratch, successor("2024-04-01", D(2024, 4, 1), assessment=retroactive(D(2024, 4, 1))))
    assert select(versions, SECTIONS, D(2024, 3, 4), event).choices["assessment"].version.id == version


def test_retroactive_from_a_month_end_uses_calendar_months(scratch: Path) -> None:
    # 31 January + 1 month of grace ends on 29 February 2024.
    versions = versions_of(scratch, successor("2024-01-31", D(2024, 1, 31), assessment=retroactive(D(2024, 1, 31), 1)))
    assert select(versions, SECTIONS, D(2024, 1, 2), D(2024, 2, 28)).choices["assessment"].version.id == V1
    assert select(versions, SECTIONS, D(2024, 1, 2), D(2024, 2, 29)).choices["assessment"].version.id == "2024-01-31"


# --- repeal -------------------------------------------------------------------------------------------------------


def repealed_store(scratch: Path) -> Library:
    document = bc_document()
    document.update(repealed_on=D(2020, 1, 1), repeal_clause="abc-site validity")
    write_version(scratch, BC, document)
    return Library.open(scratch)


@pytest.mark.parametrize("anchor", [D(2020, 1, 1), D(2021, 6, 1)])
def test_a_repealed_version_refuses_cycles_anchored_on_or_after_the_repeal(scratch: Path, anchor: dt.date) -> None:
    selection = select(repealed_store(scratch).versions(BC), SECTIONS, anchor, anchor)
    assert selection.choices == {}
    assert selection.base is not None and selection.base.id == V1
    assert selection.refusal == (
        f"version {V1} of {BC} was repealed on 2020-01-01 and no version replaces it: it governs no cycle "
        f"anchored on {anchor}; cycles anchored before the repeal keep it"
    )


def test_a_repealed_version_keeps_serving_cycles_anchored_before_the_repeal(scratch: Path) -> None:
    selection = select(repealed_store(scratch).versions(BC), SECTIONS, D(2019, 12, 31), D(2020, 3, 1))
    assert selection.refusal is None
    assert modes(selection) == {"assessment": (V1, "pinned"), "resources": (V1, "pinned")}


def test_evaluating_a_cycle_after_the_repeal_gives_the_version_repealed_outcome(scratch: Path) -> None:
    library = repealed_store(scratch)
    decision = library.evaluate(bc_example_dossier(D(2020, 1, 1), D(2020, 2, 1))).to_json()
    assert decision["outcome"] == REPEALED_OUTCOME == "version_repealed"
    assert [(f["code"], f["severity"], f["clause"]) for f in decision["findings"]] == [("VERSION_REPEALED", "error", "abc-site validity")]
    assert "was repealed on 2020-01-01" in decision["findings"][0]["message"]
    assert decision["values"] == {}
    assert decision["versions"][0]["mode"] == "repealed"
    assert decision["digests"]["rules"] is None


def test_evaluating_a_cycle_before_the_repeal_decides(scratch: Path, fresh_shared: DurableRuntime) -> None:
    decision = repealed_store(scratch).evaluate(bc_example_dossier(D(2019, 12, 31), D(2020, 2, 1))).to_json()
    assert decision["outcome"] == "compliant"
    assert not any(f["code"] == "VERSION_REPEALED" for f in decision["findings"])


def test_a_repealed_refusal_still_validates_the_facts(scratch: Path) -> None:
    library = repealed_store(scratch)
    bad = load_document(COMPLIANT)
    bad["facts"]["tool_type"] = "spreadsheet"
    bad["cycle"]["anchor"] = D(2021, 1, 1)
    bad["event_date"] = D(2021, 2, 1)
    with pytest.raises(DossierError) as raised:
        library.evaluate(read_dossier(bad, "bad.yaml")).to_json()
    assert any(p.path == ("facts", "tool_type") for p in raised.value.problems)


# --- forcing a version ----------------------------------------------------------------------------------------


def test_a_forced_version_serves_every_section_with_a_warning(scratch: Path) -> None:
    versions = versions_of(scratch, successor("2024-04-01", D(2024, 4, 1)))
    selection = select(versions, SECTIONS, D(2024, 3, 4), D(2024, 5, 21), forced="2024-04-01")
    assert modes(selection) == {"assessment": ("2024-04-01", "forced"), "resources": ("2024-04-01", "forced")}
    assert selection.forced == "2024-04-01"
    assert selection.choices["assessment"].reason == "version 2024-04-01 was forced by the evaluator (--version)"
    assert len(selection.warnings) == 2
    assert selection.warnings[0].startswith(
        "version 2024-04-01 was forced for section 'assessment', which the rules of time give to version 2014-05-19: "
    )


def test_forcing_the_version_the_rules_of_time_choose_gives_no_warning(scratch: Path) -> None:
    versions = versions_of(scratch, successor("2024-04-01", D(2024, 4, 1)))
    selection = select(versions, SECTIONS, D(2024, 3, 4), D(2024, 5, 21), forced=V1)
    assert modes(selection) == {"assessment": (V1, "forced"), "resources": (V1, "forced")}
    assert selection.warnings == ()


def test_forcing_a_version_where_none_applies_warns(scratch: Path) -> None:
    selection = select(repealed_store(scratch).versions(BC), SECTIONS, D(2021, 1, 1), D(2021, 1, 1), forced=V1)
    assert selection.refusal is None
    assert len(selection.warnings) == 1 and selection.warnings[0].startswith(f"version {V1} was forced; without it: version {V1}")


def test_a_forced_version_is_reported_in_the_decision(scratch: Path, fresh_shared: DurableRuntime) -> None:
    versions_of(scratch, successor("2024-04-01", D(2024, 4, 1)))
    decision = Library.open(scratch).evaluate(bc_example_dossier(D(2024, 3, 4), D(2024, 5, 21)), version="2024-04-01").to_json()
    assert decision["forced_version"] == "2024-04-01"
    forced = [f for f in decision["findings"] if f["code"] == "VERSION_FORCED"]
    assert len(forced) == 2 and all(f["severity"] == "warning" for f in forced)


def test_forcing_an_unknown_version_is_refused(scratch: Path) -> None:
    with pytest.raises(DossierError) as raised:
        select(versions_of(scratch), SECTIONS, D(2024, 3, 4), D(2024, 5, 21), forced="nope")
    assert raised.value.message == f"unknown version 'nope' of {BC}"
    assert raised.value.problems[0].message == f"known versions: {V1}"


# --- dates that cannot be served -----------------------------------------------------------------------------


def test_an_event_date_before_the_anchor_is_refused(scratch: Path) -> None:
    with pytest.raises(DossierError) as raised:
        select(versions_of(scratch), SECTIONS, D(2024, 3, 4), D(2024, 3, 3))
    assert raised.value.message == "the event date precedes the cycle anchor"
    problem = raised.value.problems[0]
    assert problem.path == ("event_date",)
    assert problem.message == "event_date 2024-03-03 is before cycle.anchor 2024-03-04"


def test_an_anchor_before_every_version_is_refused(scratch: Path) -> None:
    with pytest.raises(DossierError) as raised:
        select(versions_of(scratch, successor("2024-04-01", D(2024, 4, 1))), SECTIONS, D(2014, 5, 18), D(2014, 6, 1))
    assert raised.value.message == f"no version of {BC} was in force on 2014-05-18"
    problem = raised.value.problems[0]
    assert problem.path == ("cycle", "anchor")
    assert problem.message == f"known versions: {V1} (from 2014-05-19), 2024-04-01 (from 2024-04-01)"


def test_an_anchor_on_the_first_day_is_served(scratch: Path) -> None:
    assert select(versions_of(scratch), SECTIONS, D(2014, 5, 19), D(2014, 5, 19)).base.id == V1  # type: ignore[union-attr]


# --- a cycle older than every version: a retroactive version may reach back ---------------------------------------


def first_version(**policies: dict[str, Any]) -> dict[str, Any]:
    """The 2014-05-19 version with other time policies for its sections."""
    document = bc_document()
    for section, policy in policies.items():
        document["sections"][section]["time_policy"] = policy
    return document


def reaching_back(since: dt.date, grace_months: int | None = None) -> dict[str, Any]:
    """A first version whose two sections apply to cycles that started before it."""
    return first_version(assessment=retroactive(since, grace_months), resources={**retroactive(since, grace_months), "clause": "process §5"})


@pytest.mark.parametrize(
    ("event", "governs"),
    [
        (D(2014, 8, 18), False),  # in force, but within the grace
        (D(2014, 8, 19), True),  # from + 3 months
        (D(2015, 1, 1), True),
    ],
)
def test_a_retroactive_version_reaches_back_to_a_cycle_older_than_every_version(scratch: Path, event: dt.date, governs: bool) -> None:
    versions = versions_of(scratch, reaching_back(D(2014, 5, 19), 3))
    anchor = D(2013, 9, 1)
    if governs:
        selection = select(versions, SECTIONS, anchor, event)
        assert selection.base is None and selection.refusal is None
        assert modes(selection) == {"assessment": (V1, "retroactive"), "resources": (V1, "retroactive")}
        assert selection.choices["resources"].clause == "process §5"
        assert selection.choices["assessment"].reason == (
            f"version {V1} applies section 'assessment' to running cycles from 2014-05-19 after a grace of 3 months; "
            f"the event date {event} is on or after 2014-08-19"
        )
        return
    with pytest.raises(DossierError) as raised:
        select(versions, SECTIONS, anchor, event)
    assert raised.value.message == f"no version of {BC} governs section 'assessment' of a cycle anchored on 2013-09-01 on {event}"
    assert [(p.path, p.message) for p in raised.value.problems] == [
        (("event_date",), f"version {V1} applies to running cycles only from 2014-08-19 (retroactive from 2014-05-19 with 3 months' grace)")
    ]


def test_a_later_retroactive_version_reaches_back_past_a_pinned_first_version(scratch: Path) -> None:
    later = successor("2024-04-01", D(2024, 4, 1), assessment=retroactive(D(2024, 4, 1)), resources={**retroactive(D(2024, 4, 1)), "clause": "process §5"})
    versions = versions_of(scratch, later)
    selection = select(versions, SECTIONS, D(2014, 1, 6), D(2024, 4, 1))
    assert modes(selection) == {"assessment": ("2024-04-01", "retroactive"), "resources": ("2024-04-01", "retroactive")}
    with pytest.raises(DossierError) as raised:
        select(versions, SECTIONS, D(2014, 1, 6), D(2024, 3, 31))
    assert raised.value.problems[0].message == (
        f"version {V1} (in force from 2014-05-19) applies from the next cycle (its process §8); "
        "version 2024-04-01 applies to running cycles only from 2024-04-01 (retroactive from 2024-04-01)"
    )


def test_a_version_retroactive_in_one_section_only_does_not_reach_back(scratch: Path) -> None:
    versions = versions_of(scratch, first_version(assessment=retroactive(D(2014, 5, 19))))
    with pytest.raises(DossierError) as raised:
        select(versions, SECTIONS, D(2013, 9, 1), D(2015, 1, 1))
    assert raised.value.message == f"no version of {BC} was in force on 2013-09-01"
    assert raised.value.problems[0].path == ("cycle", "anchor")
    # the section it does take back alone is served
    assert modes(select(versions, ("assessment",), D(2013, 9, 1), D(2015, 1, 1))) == {"assessment": (V1, "retroactive")}


def test_a_pinned_first_version_still_refuses_a_cycle_older_than_it(scratch: Path) -> None:
    versions_of(scratch)
    with pytest.raises(DossierError) as raised:
        Library.open(scratch).evaluate(bc_example_dossier(D(2013, 9, 1), D(2015, 1, 1))).to_json()
    assert raised.value.message == f"dossier.yaml: no version of {BC} was in force on 2013-09-01"
    assert [(p.path, p.message) for p in raised.value.problems] == [(("cycle", "anchor"), f"known versions: {V1} (from 2014-05-19)")]


def test_a_cycle_older_than_every_version_is_decided_once_the_version_reaches_back(scratch: Path, fresh_shared: DurableRuntime) -> None:
    versions_of(scratch, reaching_back(D(2014, 5, 19), 3))
    decision = Library.open(scratch).evaluate(bc_example_dossier(D(2013, 9, 1), D(2014, 9, 1))).to_json()
    assert decision["outcome"] == "compliant"
    assert {v["section"]: (v["version"], v["mode"]) for v in decision["versions"]} == {
        "assessment": (V1, "retroactive"),
        "resources": (V1, "retroactive"),
    }
    with pytest.raises(DossierError) as raised:  # within the grace
        Library.open(scratch).evaluate(bc_example_dossier(D(2013, 9, 1), D(2014, 7, 1))).to_json()
    assert raised.value.message == f"dossier.yaml: no version of {BC} governs section 'assessment' of a cycle anchored on 2013-09-01 on 2014-07-01"
    assert raised.value.problems[0].path == ("event_date",)


def test_a_version_retroactive_from_before_its_entry_into_force_reaches_back_to_events_before_it(scratch: Path, fresh_shared: DurableRuntime) -> None:
    # published and in force on 19 May 2014, applying from 1 January 2014: a cycle of 2013 judged on 1 March 2014
    versions_of(scratch, reaching_back(D(2014, 1, 1)))
    decision = Library.open(scratch).evaluate(bc_example_dossier(D(2013, 9, 1), D(2014, 3, 1))).to_json()
    assert decision["outcome"] == "compliant"
    assert {v["mode"] for v in decision["versions"]} == {"retroactive"}
    with pytest.raises(DossierError) as raised:
        Library.open(scratch).evaluate(bc_example_dossier(D(2013, 9, 1), D(2013, 12, 31))).to_json()
    assert raised.value.message.startswith(f"dossier.yaml: no version of {BC} governs section 'assessment'")


# --- a version recorded but not encoded, a repeal's clause, a forced version's clause ------------------------------


def unavailable(version_id: str, in_force_from: dt.date) -> dict[str, Any]:
    """A later version known to exist whose text is not at hand: no sections, one provision standing for it."""
    document = successor(version_id, in_force_from)
    document["sources"] = [{"id": "next", "title": "the next edition", "provisions": [
        {"id": "next edition", "title": "the whole text", "status": "out_of_scope", "reason": "its text is not available"}]}]
    document.update(sections={}, decisions=[], changes=[], unavailable={"reason": "its text is not available here", "clause": "next edition"})
    return document


@pytest.mark.parametrize(("anchor", "outcome"), [(D(2024, 3, 31), "compliant"), (D(2024, 4, 1), "version_not_encoded")])
def test_a_cycle_a_version_not_encoded_would_govern_is_refused_naming_it(scratch: Path, anchor: dt.date, outcome: str) -> None:
    drafts(scratch)
    versions_of(scratch, unavailable("2024-04-01", D(2024, 4, 1)))
    decision = Library.open(scratch).evaluate(bc_example_dossier(anchor, D(2024, 5, 21))).to_json()
    assert decision["outcome"] == outcome
    if outcome == "compliant":  # the cycle started before it: pinned to 2014-05-19
        assert {v["version"] for v in decision["versions"]} == {V1}
        return
    [finding] = decision["findings"]
    assert (finding["code"], finding["clause"]) == ("VERSION_NOT_ENCODED", "next edition")
    assert "version 2024-04-01 of bilan-carbone-compliance (in force from 2024-04-01) would govern this cycle" in finding["message"]
    assert "it is not encoded: its text is not available here" in finding["message"]
    assert decision["trail"] == [{"id": "version:not-encoded", "kind": "version-selection", "section": None, "referential": BC,
                                  "version": "2024-04-01", "mode": "not_encoded", "clause": "next edition", "because": finding["message"]}]


def test_forcing_a_version_not_encoded_is_refused_too(scratch: Path) -> None:
    drafts(scratch)
    versions_of(scratch, unavailable("2024-04-01", D(2024, 4, 1)))
    decision = Library.open(scratch).evaluate(bc_example_dossier(D(2024, 3, 4), D(2024, 5, 21)), version="2024-04-01").to_json()
    assert decision["outcome"] == "version_not_encoded"
    assert "forced by the evaluator (--version)" in decision["findings"][0]["message"]


def test_validate_accepts_a_version_not_encoded_and_refuses_one_with_sections(scratch: Path, cli: Any) -> None:
    drafts(scratch)
    versions_of(scratch, unavailable("2024-04-01", D(2024, 4, 1)))
    assert cli("validate", scratch / "referentials" / BC / "2024-04-01.yaml", root=scratch).exit_code == 0
    with_sections = unavailable("2024-04-01", D(2024, 4, 1))
    with_sections["sections"] = bc_document()["sections"]
    write_version(scratch, BC, with_sections)
    result = cli("validate", scratch / "referentials" / BC / "2024-04-01.yaml", root=scratch)
    assert result.exit_code == 1 and "a version that is not encoded has no sections" in result.stdout


def test_a_repealed_version_cites_its_repeal_clause_and_validate_requires_one(scratch: Path, cli: Any) -> None:
    drafts(scratch)
    repealed = bc_document()
    repealed["repealed_on"] = D(2024, 1, 1)
    write_version(scratch, BC, repealed)
    result = cli("validate", scratch / "referentials" / BC / f"{V1}.yaml", root=scratch)
    assert result.exit_code == 1 and "a repealed version names the provision by which it governs no new cycle (repeal_clause)" in result.stdout
    repealed["repeal_clause"] = "process §8"
    write_version(scratch, BC, repealed)
    assert cli("validate", scratch / "referentials" / BC / f"{V1}.yaml", root=scratch).exit_code == 0
    decision = Library.open(scratch).evaluate(bc_example_dossier(D(2024, 3, 4), D(2024, 5, 21))).to_json()
    assert decision["outcome"] == REPEALED_OUTCOME
    assert decision["trail"][0]["clause"] == decision["findings"][0]["clause"] == "process §8"


def test_a_forced_version_cites_the_rule_of_time_it_sets_aside(library: Library) -> None:
    decision = library.evaluate(bc_example_dossier(D(2024, 3, 4), D(2024, 5, 21)), version=V1).to_json()
    steps = [e for e in decision["trail"] if e["kind"] == "version-selection"]
    assert all(step["mode"] == "forced" and step["clause"] for step in steps), steps
