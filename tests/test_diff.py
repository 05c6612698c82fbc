"""`referee diff` and validate's check of a version's change log (engine/authoring/diff.py).

The diff of two versions, item by item: parameters, table rows by key, band
bounds, criteria, procedures (outcomes, input fields), rules (condition,
conclusion), provisions (renamed too), readings and time policies. Then the
log: a version whose changes the log misses, or whose log says false, is
refused by validate; the bundled versions' logs pass.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import BC, ROOT, rule_folder, write_version
from engine import Library, read_dossier
from engine.authoring.checks import validate_paths
from engine.authoring.diff import ABSENT, Change, diff_versions, log_problems
from engine.model.documents import load_document

V1, V2, V3 = "2014-05-19", "2025-12-01", "2027-01-01"
FACTORS = "label-transmission-factors"


def diff(library: Library, scheme: str, old: str, new: str) -> Any:
    return diff_versions(library, library.version(scheme, old), library.version(scheme, new))


def substantive(changes: Any) -> list[tuple[str, str, str]]:
    return [(c.kind, c.name, c.action) for c in changes if not c.editorial]


def fields(change: Change) -> dict[str, tuple[Any, Any]]:
    """The differences of a change that are not editorial (notes, titles, texts)."""
    return {d.field: (d.old, d.new) for d in change.differences if not d.editorial}


def successor(change: Callable[[dict[str, Any]], None] | None = None, log: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Bilan Carbone 2025-12-01 as a later version 2027-01-01, changed by `change`, with the change log `log`."""
    document = copy.deepcopy(load_document(ROOT / "referentials" / BC / f"{V2}.yaml"))
    document.update(id=V3, published_on=V3, in_force_from=V3, supersedes=V2, changes=log or [])
    if change:
        change(document)
    return document


def move_two_bounds(document: dict[str, Any]) -> None:
    """Compliance from 75 instead of 70: the upper bound of the 6-month band and the lower bound of the compliant band move."""
    bands = document["sections"]["assessment"]["bands"]["score"]["bands"]
    bands[2]["bounds"], bands[3]["bounds"] = "[60, 75[", "[75, 100]"


def problems_of(scratch: Path, document: dict[str, Any]) -> list[str]:
    path = write_version(scratch, BC, document)
    [report] = validate_paths(Library.open(scratch), [path])
    return [p.message for p in report.problems]


# --- the diff -----------------------------------------------------------------------------------------------------


def test_the_70_statement_differs_from_the_process_text_in_two_bounds_and_the_readings(library: Library) -> None:
    changes = diff(library, BC, V1, V2).changes
    assert substantive(changes) == [
        ("source", "framework-v1", "removed"),
        ("provision", "abc-site first-framework", "changed"),
        ("provision", "abc-site compliant", "changed"),
        ("provision", "abc-site new-framework", "changed"),
        ("provision", "framework-v1 grid", "removed"),
        ("decision", "version-identity", "removed"),
        ("decision", "grid-source", "removed"),
        ("decision", "score-above-70", "removed"),
        ("decision", "version-date", "added"),
        ("decision", "statement-over-process", "added"),
        ("band_set", "score", "changed"),
    ]
    [score] = [c for c in changes if c.name == "score"]
    assert fields(score) == {
        "bands.improvement_6_months.bounds": ("[60, 70]", "[60, 70["),
        "bands.compliant.bounds": ("]70, 100]", "[70, 100]"),
        "bands.compliant.clause": ("process §8.compliant", "abc-site compliant"),
    }
    assert score.sections == ("assessment",)
    assert fields(next(c for c in changes if c.name == "abc-site compliant")) == {"status": ("out_of_scope", "encoded")}
    # the readings a rule applies, a note, the title: shown, editorial
    assert {c.name for c in changes if c.editorial} == {"title", "note", "A.6", "score.total", "mandatory.failed", "score.band"}


def test_rows_are_compared_by_key_and_a_renamed_provision_is_one_change(library: Library) -> None:
    changes = diff(library, FACTORS, "2025-01-01", "2026-01-01").changes
    assert substantive(changes) == [
        ("provision", "release 2026.1", "renamed"),
        ("parameter", "factor_release", "changed"),
        ("row", "emission_factors.electricity_kwh", "changed"),
        ("row", "emission_factors.catering_services_eur", "added"),
    ]
    renamed, release, electricity, catering = [c for c in changes if not c.editorial]
    assert fields(renamed)["id"] == ("release 2025.1", "release 2026.1")
    # the parameter cites the renamed provision: that alone is no change of it
    assert fields(release) == {"value": ("sample 2025.1", "sample 2026.1")}
    assert fields(electricity) == {"value": (0.045, 0.042), "valid_from": ("2025-01-01", "2026-01-01")}
    assert fields(catering)["value"][1] == 0.25 and catering.clauses == ("release 2026.1",)


def test_a_rule_condition_a_conclusion_an_input_field_and_a_time_policy(scratch: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        assessment = document["sections"]["assessment"]
        assessment["time_policy"]["mode"] = "event_date"
        assessment["procedures"]["audit"]["input"]["tool_type"]["allowed"].append("open_source")
        assessment["procedures"]["audit"]["outcomes"]["withdrawn"] = "the owner withdrew the tool"
        document["sections"]["resources"]["parameters"] = assessment.pop("parameters")  # moved to another section

    write_version(scratch, BC, successor(change))
    audit = rule_folder(scratch, BC, V3) / "audit.yaml"
    rules = yaml.safe_load(audit.read_text(encoding="utf-8"))
    rules["rules"][1]["when"] = "facts.resources_complete && !facts.self_assessment_done"  # audit.self-assessment-finding
    rules["rules"][1]["then"]["finding"]["severity"] = "warning"
    del rules["rules"][-1]  # audit.may-resubmit
    audit.write_text(yaml.safe_dump(rules, sort_keys=False, allow_unicode=True), encoding="utf-8")
    changes = {c.name: c for c in diff(Library.open(scratch), BC, V2, V3).changes}
    assert fields(changes["assessment"])["time_policy.mode"] == ("pinned", "event_date")
    procedure = fields(changes["audit"])
    assert procedure["input.tool_type.allowed"][1][-1] == "open_source"
    assert procedure["outcomes.withdrawn"] == (ABSENT, "the owner withdrew the tool")
    finding = fields(changes["audit.self-assessment-finding"])
    assert finding["when"] == ("!facts.self_assessment_done", "facts.resources_complete && !facts.self_assessment_done")
    assert finding["then.finding.severity"] == ("error", "warning")
    assert changes["audit.may-resubmit"].action == "removed"
    moved = changes["improvement_period_months"]
    assert (moved.action, fields(moved)["section"], moved.sections) == ("changed", ("assessment", "resources"), ("resources", "assessment"))


def test_a_version_compared_with_itself_has_no_change(library: Library) -> None:
    assert diff(library, BC, V2, V2).changes == ()


# --- the change log -----------------------------------------------------------------------------------------------


def test_two_band_bounds_moved_with_an_empty_log_fail_validate(scratch: Path, cli: Callable[..., Any]) -> None:
    problems = problems_of(scratch, successor(move_two_bounds))
    assert problems == [
        "the change log does not mention band set score (section assessment) changed against 2025-12-01: "
        "bands.improvement_6_months.bounds [60, 70[ → [60, 75[; bands.compliant.bounds [70, 100] → [75, 100] "
        "(add an entry whose `where` is 'score')"
    ]
    result = cli("validate", scratch / "referentials" / BC / f"{V3}.yaml", root=scratch)
    assert result.exit_code == 1 and "the change log does not mention band set score" in result.stdout


def test_a_logged_change_that_did_not_happen_fails_validate(scratch: Path) -> None:
    log = [
        {"where": "score", "section": "assessment", "change": "compliant from 75"},
        {"where": "improvement_validation_fee", "section": "assessment", "change": "fee raised"},  # it did not change
    ]
    assert problems_of(scratch, successor(move_two_bounds, log)) == [
        "the change log says 'improvement_validation_fee' in section 'assessment' changed, but nothing it names differs from 2025-12-01 "
        "(`where` names an item that changed, a provision such an item cites, `sources` or `decisions`)"
    ]


def test_an_entry_in_the_wrong_section_covers_nothing(scratch: Path) -> None:
    log = [{"where": "score", "section": "resources", "change": "compliant from 75"}]
    problems = problems_of(scratch, successor(move_two_bounds, log))
    assert [p.split(":")[0] for p in problems] == [
        "the change log does not mention band set score (section assessment) changed against 2025-12-01",
        "the change log says 'score' in section 'resources' changed, but nothing it names differs from 2025-12-01 (`where` names an item that changed, a provision such an item cites, `sources` or `decisions`)",
    ]


@pytest.mark.parametrize("where", ["score", "score.improvement_6_months", "abc-site compliant-75"], ids=["item", "too-fine", "new-clause"])
def test_an_honest_log_names_the_item_or_a_provision_it_now_cites(scratch: Path, where: str) -> None:
    def change(document: dict[str, Any]) -> None:
        move_two_bounds(document)
        if where == "abc-site compliant-75":  # the compliant band cites a new provision
            document["sources"][0]["provisions"].append({"id": where, "title": "compliance from 75", "status": "encoded"})
            document["sections"]["assessment"]["bands"]["score"]["bands"][3]["clause"] = where

    problems = problems_of(scratch, successor(change, [{"where": where, "section": "assessment", "change": "compliant from 75"}]))
    if where == "score.improvement_6_months":  # a band is not an item: the band set is
        assert any("does not mention band set score" in p for p in problems)
    else:
        assert problems == []


def test_the_bundled_logs_state_every_change_and_only_changes(library: Library) -> None:
    checked = []
    for scheme in library.schemes():
        versions = {v.id: v for v in library.versions(scheme)}
        for version in versions.values():
            if version.supersedes and version.unavailable is None:
                assert log_problems(diff_versions(library, versions[version.supersedes], version)) == [], version.label
                checked.append(version.label)
    assert len(checked) >= 6  # Bilan Carbone, the two methods, two factor releases, Objectif CO2 2017


def test_the_log_of_a_version_not_encoded_is_not_compared(library: Library) -> None:
    """Objectif CO2 2019-09-01 is recorded, its text not encoded: what it changes is not known."""
    unknown = diff(library, "objectif-co2", "2017-05-24", "2019-09-01")
    assert not unknown.checks_log and unknown.unlogged() == [] and unknown.false_entries() == []


def test_a_draft_whose_log_is_not_written_yet_is_judged(scratch: Path) -> None:
    """Its author weighs its impact before writing the log: the log never changes a judgement."""
    write_version(scratch, BC, successor(move_two_bounds))
    document = load_document(ROOT / "examples" / BC / "compliant.yaml")
    document.update(cycle={"anchor": "2027-02-01"}, event_date="2027-03-01")
    decision = Library.open(scratch).evaluate(read_dossier(document, "compliant.yaml"))
    assert (decision.outcome, decision.versions[0].version) == ("compliant", V3)


# --- the command ----------------------------------------------------------------------------------------------------


def test_the_command_shows_the_diff_as_text_json_and_a_markdown_change_log(cli: Callable[..., Any]) -> None:
    text = cli("diff", BC, V1, V2)
    assert text.exit_code == 0
    assert "  band set score changed: bands.improvement_6_months.bounds [60, 70] → [60, 70[; bands.compliant.bounds ]70, 100] → [70, 100]" in text.stdout
    assert text.stdout.rstrip().endswith("Change log of 2025-12-01: 3 entries; 0 changes it does not mention; 0 entries naming nothing that changed.")
    data = json.loads(cli("diff", BC, V1, V2, "--format", "json").stdout)
    assert (data["old"]["id"], data["new"]["id"], data["log_checked"], data["unlogged"], data["false_entries"]) == (V1, V2, True, [], [])
    score = next(c for c in data["changes"] if c["name"] == "score")
    assert score["differences"][0] == {"field": "bands.improvement_6_months.bounds", "old": "[60, 70]", "new": "[60, 70[", "editorial": False}
    markdown = cli("diff", BC, V1, V2, "--format", "markdown").stdout
    assert markdown.startswith("# bilan-carbone-compliance 2025-12-01: what changed since 2014-05-19\n")
    assert "## The change log of the version\n" in markdown and "### Editorial changes (titles, notes, quoted texts)\n" in markdown
    assert "- band set `score` changed: bands.improvement_6_months.bounds `[60, 70]` → `[60, 70[`;" in markdown


def test_an_unknown_version_or_scheme_is_a_usage_error(cli: Callable[..., Any]) -> None:
    result = cli("diff", BC, V1, "2099-01-01")
    assert result.exit_code == 2
    assert f"usage error: {BC} has no version 2099-01-01" in result.stderr and f"known versions of {BC}: {V1}, {V2}" in result.stderr
    assert cli("diff", "no-such-scheme", V1, V2).exit_code == 2
