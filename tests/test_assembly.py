"""What a dossier is judged by (engine/compilation/procedure.py): the `versions` namespace, and procedures a later version introduces.

Versions and rule files are variants of the real ones, written to a scratch
copy of referentials/ and rules/ (the `scratch` fixture); nothing here touches
the project's own files.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import BC, COMPLIANT, bc_document, bc_example_dossier, flat, only_version, rule_folder, write_version

from engine import Library
from engine.errors import DossierError
from engine.model.documents import load_document
from engine.running.runtimes import durable as durable_module
from engine.running.runtimes.durable import DurableRuntime
from engine.selection.procedures import select_for

D = dt.date
V1 = "2014-05-19"
LATER = "2024-05-01"
EVENT_DATE = {"mode": "event_date", "clause": "process §8"}


@pytest.fixture(autouse=True)
def fresh_shared(monkeypatch: pytest.MonkeyPatch) -> DurableRuntime:
    """A durable runtime of this test only (the shared one may hold the real project's rule book)."""
    fresh = DurableRuntime()
    monkeypatch.setattr(durable_module, "_shared", fresh)
    return fresh


@pytest.fixture
def scratch(scratch: Path) -> Path:
    """The scratch tree with 2014-05-19 as the only version of Bilan Carbone®: these tests write its successors themselves."""
    return only_version(scratch, BC, "2014-05-19")


def write_rules(scratch: Path, version: Any, file: str, rules: list[dict[str, Any]]) -> Path:
    folder = rule_folder(scratch, BC, version)
    if not folder.exists():  # a new version starts from the rules of the one it supersedes
        shutil.copytree(rule_folder(scratch, BC, V1), folder)
    path = folder / file
    document = {"scheme": BC, "title": f"{file} (test fixture)", "rules": rules}
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def later_version(**sections: dict[str, Any]) -> dict[str, Any]:
    """A version in force from 2024-05-01 superseding 2014-05-19; `sections` are added or replaced."""
    document = bc_document()
    document.update(
        id=LATER,
        published_on=D(2024, 5, 1),
        in_force_from=D(2024, 5, 1),
        supersedes=V1,
        changes=[
            {"where": "illustrative", "change": "a later edition, made up for the tests"},
            *({"where": name, "change": f"section {name} added or replaced (test fixture)"} for name in sections),
        ],
        illustrative=True,
    )
    document["sections"].update(sections)
    return document


def trail_entry(decision: dict[str, Any], fact: str) -> dict[str, Any]:
    return next(e for e in decision["trail"] if e.get("name") == fact)


def selection_entry(decision: dict[str, Any], section: str) -> dict[str, Any]:
    return next(e for e in decision["trail"] if e["kind"] == "version-selection" and e["section"] == section)


# --- versions.<section> ------------------------------------------------------------------------------------------

EDITION_RULE = {
    "id": "edition.applied",
    "title": "The editions applied, for the certificate",
    "clause": "process §8.compliant",
    "when": "facts.outcome == 'compliant'",
    "then": {"fact": "editions", "value": "{'grid': versions.assessment, 'resources': versions.resources}"},
    "because": "Judged under the grid of version {versions.assessment} and the resources of version {versions.resources}.",
}


def with_edition_rule(scratch: Path, document: dict[str, Any]) -> dict[str, Any]:
    """List a rule file reading `versions.…` in the audit procedure of `document` (the one that reads both sections)."""
    write_rules(scratch, document["id"], "edition.yaml", [EDITION_RULE])
    audit = document["sections"]["assessment"]["procedures"]["audit"]
    audit["rules"] = [*audit["rules"], "edition.yaml"]
    return document


def test_the_versions_namespace_holds_the_version_of_each_section(scratch: Path) -> None:
    library = Library.open(scratch)
    selection, procedure = select_for(library.versions(BC), "audit", D(2024, 3, 4), D(2024, 5, 21), None)
    compiled = library.compiled(selection, procedure)
    assert compiled.scope["versions"] == {"assessment": V1, "resources": V1}


def test_a_rule_reading_versions_gets_the_id_and_cites_it_in_the_trail(scratch: Path) -> None:
    write_version(scratch, BC, with_edition_rule(scratch, bc_document()))
    decision = Library.open(scratch).evaluate(bc_example_dossier(D(2024, 3, 4), D(2024, 5, 21))).to_json()
    assert decision["outcome"] == "compliant"
    entry = trail_entry(decision, "editions")
    assert entry["value"] == {"grid": V1, "resources": V1}
    assert entry["because"] == f"Judged under the grid of version {V1} and the resources of version {V1}."
    versions = [p for p in entry["premises"] if p["kind"] == "version"]
    # a section's version is cited by the selection entry that chose it, which says why
    assert versions == [
        {"kind": "version", "name": "assessment", "trail": "version:assessment", "value": V1},
        {"kind": "version", "name": "resources", "trail": "version:resources", "value": V1},
    ]
    assert selection_entry(decision, "assessment")["because"].startswith(f"version {V1} was in force on the cycle anchor 2024-03-04")


def test_versions_follow_an_event_date_takeover(scratch: Path) -> None:
    write_version(scratch, BC, with_edition_rule(scratch, bc_document()))
    later = with_edition_rule(scratch, later_version())
    later["sections"]["assessment"]["time_policy"] = EVENT_DATE
    write_version(scratch, BC, later)
    decision = Library.open(scratch).evaluate(bc_example_dossier(D(2024, 3, 4), D(2024, 5, 21))).to_json()
    entry = trail_entry(decision, "editions")
    assert entry["value"] == {"grid": LATER, "resources": V1}
    grid = next(p for p in entry["premises"] if p["kind"] == "version" and p["name"] == "assessment")
    assert grid == {"kind": "version", "name": "assessment", "trail": "version:assessment", "value": LATER}
    selected = selection_entry(decision, "assessment")
    assert (selected["version"], selected["clause"]) == (LATER, "process §8")
    assert selected["because"] == (
        f"version {LATER} (in force from {LATER}) declares that section 'assessment' follows the event date; "
        "it is in force on the event date 2024-05-21"
    )


def test_explain_shows_a_versions_premise(scratch: Path, cli: Callable[..., Any], tmp_path: Path) -> None:
    write_version(scratch, BC, with_edition_rule(scratch, bc_document()))
    out = tmp_path / "decision.json"
    assert cli("evaluate", COMPLIANT, "-o", out, "--format", "json", root=scratch).exit_code == 0
    result = cli("explain", out, "--fact", "editions", root=scratch)
    assert result.exit_code == 0, result.output
    assert f"[process §8 · version {V1}, section assessment]" in flat(result.stdout)
    assert f"= {V1}" in result.stdout


# --- a procedure introduced by a later version --------------------------------------------------------------------

SPOT_CHECK_RULES = [
    {
        "id": "spot.confirmed",
        "title": "The spot check confirms the compliance",
        "clause": "process §8.compliant",
        "when": "facts.still_compliant",
        "then": {"outcome": "confirmed"},
        "because": "The spot check on {facts.event_date} found the tool still compliant.",
    },
    {
        "id": "spot.withdrawn",
        "title": "The spot check withdraws the compliance",
        "clause": "process §8.compliant",
        "when": "!facts.still_compliant",
        "then": {"outcome": "withdrawn"},
        "because": "The spot check on {facts.event_date} found the tool no longer compliant.",
    },
    {
        "id": "spot.notice",
        "title": "Notice given before a spot check",
        "clause": "process §8",
        "then": {"fact": "notice", "value": "{'days': params.spot_check_notice_days, 'under': versions.control}"},
        "because": "{params.spot_check_notice_days} days' notice under version {versions.control}.",
    },
]


def control_section(policy: dict[str, Any] | None) -> dict[str, Any]:
    """A section the base version lacks, holding a new procedure `spot_check`."""
    section: dict[str, Any] = {
        "title": "Random spot checks of compliant tools (test fixture)",
        "parameters": {"spot_check_notice_days": {"value": 15, "unit": "days", "clause": "process §8"}},
        "procedures": {
            "spot_check": {
                "title": "Random spot check of a compliant tool",
                "clause": "process §8",
                "input": {"still_compliant": {"type": "boolean", "required": True}},
                "outcomes": {"confirmed": "the compliance stands", "withdrawn": "the compliance is withdrawn"},
                "values": ["notice"],
                "rules": ["spot_check.yaml"],
            }
        },
    }
    if policy is not None:
        section["time_policy"] = policy
    return section


def spot_check_store(scratch: Path, policy: dict[str, Any] | None) -> Library:
    write_rules(scratch, LATER, "spot_check.yaml", SPOT_CHECK_RULES)
    write_version(scratch, BC, later_version(control=control_section(policy)))
    return Library.open(scratch)


def spot_check(anchor: dt.date, event: dt.date, **changes: Any) -> Any:
    return bc_example_dossier(anchor, event, procedure="spot_check", facts={"still_compliant": True}, **changes)


def test_an_event_date_version_brings_a_procedure_to_a_running_cycle(scratch: Path) -> None:
    library = spot_check_store(scratch, EVENT_DATE)
    decision = library.evaluate(spot_check(D(2024, 3, 4), D(2024, 5, 21))).to_json()
    assert decision["outcome"] == "confirmed"
    assert [(v["section"], v["version"], v["mode"]) for v in decision["versions"]] == [("control", LATER, "event_date")]
    assert selection_entry(decision, "control")["because"] == (
        f"version {LATER} (in force from {LATER}) declares that section 'control' follows the event date; "
        "it is in force on the event date 2024-05-21"
    )
    assert decision["values"]["notice"] == {"days": 15, "under": LATER}
    notice = trail_entry(decision, "notice")
    assert notice["version"] == LATER
    assert {"kind": "version", "name": "control", "trail": "version:control", "value": LATER} in notice["premises"]


def test_an_effective_retroactive_version_brings_a_procedure_too(scratch: Path) -> None:
    library = spot_check_store(scratch, {"mode": "retroactive", "from": D(2024, 5, 1), "clause": "process §8"})
    decision = library.evaluate(spot_check(D(2024, 3, 4), D(2024, 5, 21))).to_json()
    assert [(v["section"], v["version"], v["mode"]) for v in decision["versions"]] == [("control", LATER, "retroactive")]


def test_an_event_before_the_later_version_finds_no_such_procedure(scratch: Path) -> None:
    library = spot_check_store(scratch, EVENT_DATE)
    with pytest.raises(DossierError) as raised:
        library.evaluate(spot_check(D(2024, 3, 4), D(2024, 4, 30))).to_json()
    assert raised.value.message == f"dossier.yaml: version {V1} of {BC} has no procedure 'spot_check'"
    assert raised.value.problems[0].message == "known procedures: audit, improvement_review"


def test_a_cycle_anchored_after_the_later_version_is_pinned_to_it(scratch: Path) -> None:
    library = spot_check_store(scratch, None)  # no time policy: pinned
    decision = library.evaluate(spot_check(D(2024, 6, 3), D(2024, 6, 10))).to_json()
    assert [(v["section"], v["version"], v["mode"]) for v in decision["versions"]] == [("control", LATER, "pinned")]


@pytest.mark.parametrize(
    "policy",
    [
        None,
        {"mode": "pinned", "clause": "process §8"},
        {"mode": "retroactive", "from": D(2024, 5, 1), "grace_months": 3, "clause": "process §8"},  # grace until 2024-08-01
    ],
)
def test_a_procedure_of_a_later_version_that_does_not_take_its_section_over_is_refused(scratch: Path, policy: dict[str, Any] | None) -> None:
    library = spot_check_store(scratch, policy)
    with pytest.raises(DossierError) as raised:
        library.evaluate(spot_check(D(2024, 3, 4), D(2024, 5, 21))).to_json()
    assert raised.value.message == (
        f"dossier.yaml: section 'control' is not defined by version {V1}, which governs the cycle anchored on 2024-03-04"
    )
    [problem] = raised.value.problems
    assert problem.message == "no later version in force on the event date takes this section over (event_date or retroactive)"
    assert (problem.path, problem.file) == (("cycle", "anchor"), "dossier.yaml")


def test_a_pinned_later_procedure_fails_through_the_cli_with_exit_1(scratch: Path, cli: Callable[..., Any], tmp_path: Path) -> None:
    spot_check_store(scratch, {"mode": "pinned", "clause": "process §8"})
    document = load_document(COMPLIANT)
    document.update(procedure="spot_check", facts={"still_compliant": True})
    path = tmp_path / "spot.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = cli("evaluate", path, root=scratch)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert f"section 'control' is not defined by version {V1}, which governs the cycle anchored on 2024-03-04" in result.output
    assert "no later version in force on the event date takes this section over" in result.output


def test_the_same_dossier_is_decided_once_the_later_version_declares_event_date(scratch: Path, cli: Callable[..., Any], tmp_path: Path) -> None:
    spot_check_store(scratch, EVENT_DATE)
    document = load_document(COMPLIANT)
    document.update(procedure="spot_check", facts={"still_compliant": False})
    path = tmp_path / "spot.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = cli("evaluate", path, root=scratch)
    assert result.exit_code == 0, result.output
    assert "withdrawn" in result.stdout


def test_forcing_a_version_reads_the_procedure_from_it(scratch: Path) -> None:
    library = spot_check_store(scratch, EVENT_DATE)
    decision = library.evaluate(spot_check(D(2024, 3, 4), D(2024, 5, 21)), version=LATER).to_json()
    assert [(v["section"], v["version"], v["mode"]) for v in decision["versions"]] == [("control", LATER, "forced")]
    with pytest.raises(DossierError) as raised:
        library.evaluate(spot_check(D(2024, 3, 4), D(2024, 5, 21)), version=V1).to_json()
    assert raised.value.message == f"dossier.yaml: version {V1} of {BC} has no procedure 'spot_check'"


def test_a_later_version_with_a_new_procedure_is_valid(scratch: Path, cli: Callable[..., Any]) -> None:
    spot_check_store(scratch, EVENT_DATE)
    result = cli("validate", scratch / "referentials" / BC, root=scratch)
    assert result.exit_code == 0, result.output
    assert f"{scratch / 'referentials' / BC / (LATER + '.yaml')}: valid" in result.stdout
