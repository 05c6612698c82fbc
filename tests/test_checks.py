"""Semantic checks of referentials (engine/checks.py) and `referee validate`.

Each test breaks one thing in a scratch copy of the real referential or of
its rules, and asserts the words of the problem reported.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import BC, BC_V1, ROOT, bc_document, draft, only_version, rule_folder, unlined, write_version

from engine import Library
from engine.authoring.checks import Report, validate_paths
from engine.authoring.units import column_problems
from engine.compilation.sugar import core_rules
from engine.model.referential import parse_interval
from engine.model.documents import load_document

V1 = "2014-05-19"
V1_FILE = f"referentials/{BC}/{V1}.yaml"


def break_version(scratch: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    document = bc_document()
    change(document)
    return write_version(scratch, BC, document)


def break_rules(scratch: Path, file: str, change: Callable[[dict[str, Any]], None]) -> Path:
    draft(scratch, BC, V1)
    path = rule_folder(scratch, BC, V1) / file
    document = load_document(path)
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def report_of(scratch: Path) -> Report:
    reports = validate_paths(Library.open(scratch), [scratch / V1_FILE])
    assert len(reports) == 1
    assert reports[0].file == str(scratch / V1_FILE)
    return reports[0]


def problems(report: Report) -> list[str]:
    return [unlined(p.render()) for p in report.problems]


def score_bands(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The score bands with their bounds as `lower` and `upper`, for a test to move one (the file writes them as intervals)."""
    bands = document["sections"]["assessment"]["bands"]["score"]["bands"]
    for band in bands:
        if "bounds" in band:
            band["lower"], band["upper"] = parse_interval(band.pop("bounds"))
    return bands


def rule_index(document: dict[str, Any], rule_id: str) -> int:
    return next(i for i, r in enumerate(document["rules"]) if r["id"] == rule_id)


def written_rule(document: dict[str, Any], rule_id: str) -> dict[str, Any]:
    """The rule as written with that id, or the case of a `cases:` block whose derived rule has it."""
    return next(
        written for r in document["rules"] for written in (r, *r.get("cases", ()))
        if rule_id in (r["id"], f"{r['id']}.{written.get('id')}")
    )


def cli_validate(cli: Callable[..., Any], scratch: Path, *args: str) -> Any:
    result = cli("validate", *args, root=scratch)
    assert "Traceback" not in unlined(result.output)
    return result


@pytest.fixture
def scratch(scratch: Path) -> Path:
    """The scratch tree with 2014-05-19 as the only version of Bilan Carbone®: these tests write its successors themselves."""
    return only_version(scratch, BC, "2014-05-19")


# --- the real referentials ---------------------------------------------------------------------------------


REAL_VERSIONS = sorted((ROOT / "referentials").glob("*/*.yaml"))


def expected_coverage(file: Path) -> dict[str, int]:
    """Provisions and rules counted from the files themselves (citations are checked apart)."""
    document = load_document(file)
    provisions = [p for source in document["sources"] for p in source["provisions"]]
    encoded = sum(p["status"] == "encoded" for p in provisions)
    lost = sum(p["status"] == "not_recoverable" for p in provisions)
    rule_files = set()
    for section in document["sections"].values():
        rule_files.update(map(rule_file, section.get("rules", [])))
        for procedure in section.get("procedures", {}).values():
            rule_files.update(map(rule_file, procedure.get("rules", [])))
    rules_dir = ROOT / "rules" / document["scheme"]
    rules = sum(len(core_rules(load_document(rules_dir / (folder or str(document["id"])) / f))) for folder, f in rule_files)
    return {
        "provisions": len(provisions),
        "encoded": encoded,
        "out_of_scope": len(provisions) - encoded - lost,
        "not_recoverable": lost,
        "rules": rules,
        "readings": len(document.get("decisions") or []),
    }


def rule_file(ref: Any) -> tuple[str | None, str]:
    """(the version folder, when shared from another version; the file)."""
    return (None, ref) if isinstance(ref, str) else (ref["version"], ref["file"])


def test_every_scheme_has_its_referentials() -> None:
    assert {f.parent.name for f in REAL_VERSIONS} == {
        BC, "objectif-co2", "label-bas-carbone", "label-bas-carbone-boisement", "label-bas-carbone-haies",
        "label-transmission", "label-transmission-factors", "label-transmission-pcg",
    }
    assert BC_V1 in REAL_VERSIONS


def test_the_real_referentials_are_valid(library: Library) -> None:
    reports = validate_paths(library, [library.referentials_dir])
    assert [r.file for r in reports] == [str(f) for f in REAL_VERSIONS]
    for file, report in zip(REAL_VERSIONS, reports):
        assert report.valid, problems(report)
        assert report.warnings == [], file
        citations = report.coverage.pop("citations")
        applied = report.coverage.pop("readings_applied_by_rules")
        assert report.coverage == expected_coverage(file), file
        assert applied <= report.coverage["readings"], file
        assert citations >= report.coverage["rules"] + report.coverage["encoded"], file


def test_referee_validate_passes_on_the_real_referentials(cli: Callable[..., Any]) -> None:
    result = cli("validate")
    assert result.exit_code == 0, result.output
    for file in REAL_VERSIONS:
        assert f"{file}: valid" in unlined(result.stdout)
        c = expected_coverage(file)
        assert re.search(
            rf"{re.escape(str(file))}: valid\n"
            rf"  coverage: {c['provisions']} provisions — {c['encoded']} encoded, {c['out_of_scope']} out of scope, "
            rf"{c['not_recoverable']} not recoverable; "
            rf"{c['rules']} rules; \d+ citations",
            result.stdout,
        ), file
    explicit = cli("validate", str(ROOT / "referentials"))
    assert explicit.exit_code == 0 and explicit.stdout == result.stdout


def test_an_unchanged_scratch_copy_is_valid(scratch: Path, cli: Callable[..., Any]) -> None:
    assert report_of(scratch).valid
    assert cli_validate(cli, scratch).exit_code == 0


# --- bands ----------------------------------------------------------------------------------------------------


def test_a_gap_between_bands(scratch: Path, cli: Callable[..., Any]) -> None:
    def gap(document: dict[str, Any]) -> None:
        score_bands(document)[1]["upper"] = {"value": 59, "inclusive": False}

    break_version(scratch, gap)
    report = report_of(scratch)
    assert not report.valid
    assert [p.message for p in report.problems] == [
        "gap between improvement_1_month [50, 59[ and improvement_6_months [60, 70]"
    ]
    assert report.problems[0].path == ("sections", "assessment", "bands", "score")
    result = cli_validate(cli, scratch)
    assert result.exit_code == 1
    assert f"{scratch / V1_FILE}: INVALID" in unlined(result.stdout)
    assert "$.sections.assessment.bands.score: gap between improvement_1_month [50, 59[ and improvement_6_months [60, 70]" in unlined(result.stdout)


def test_an_overlap_between_bands(scratch: Path, cli: Callable[..., Any]) -> None:
    def overlap(document: dict[str, Any]) -> None:
        score_bands(document)[1]["upper"] = {"value": 60, "inclusive": True}

    break_version(scratch, overlap)
    assert [p.message for p in report_of(scratch).problems] == [
        "overlap between improvement_1_month [50, 60] and improvement_6_months [60, 70]"
    ]
    assert cli_validate(cli, scratch).exit_code == 1


def test_bounds_both_exclusive_leave_a_gap_of_one_point(scratch: Path) -> None:
    def hole(document: dict[str, Any]) -> None:
        score_bands(document)[2]["lower"] = {"value": 60, "inclusive": False}

    break_version(scratch, hole)
    assert [p.message for p in report_of(scratch).problems] == [
        "gap between improvement_1_month [50, 60[ and improvement_6_months ]60, 70]"
    ]


def test_bands_that_do_not_reach_the_ends_of_the_range(scratch: Path) -> None:
    def short(document: dict[str, Any]) -> None:
        bands = score_bands(document)
        bands[0]["lower"] = {"value": 0, "inclusive": False}
        bands[3]["upper"] = {"value": 99, "inclusive": True}

    break_version(scratch, short)
    assert [p.message for p in report_of(scratch).problems] == [
        "gap: the range starts at 0 (inclusive) but the first band is refused ]0, 50[",
        "gap: the range ends at 100 (inclusive) but the last band is compliant ]70, 99]",
    ]


def test_an_empty_band(scratch: Path) -> None:
    def empty(document: dict[str, Any]) -> None:
        bands = score_bands(document)
        bands.insert(2, {"id": "nothing", "lower": {"value": 60, "inclusive": True}, "upper": {"value": 60, "inclusive": False}})

    break_version(scratch, empty)
    assert "band nothing is empty: nothing [60, 60[" in [p.message for p in report_of(scratch).problems]


def test_a_band_problem_names_the_referential_file(scratch: Path) -> None:
    break_version(scratch, lambda d: score_bands(d)[1].update(upper={"value": 59, "inclusive": False}))
    assert report_of(scratch).problems[0].file == str(scratch / V1_FILE)


# --- rules ------------------------------------------------------------------------------------------------------


def test_a_rule_without_a_clause(scratch: Path, cli: Callable[..., Any]) -> None:
    audit = break_rules(scratch, "audit.yaml", lambda d: d["rules"][1].pop("clause"))
    report = report_of(scratch)
    message = f"{audit} $.rules[1].clause: rule audit.self-assessment-finding cites no clause: set `clause`, or `defaults.clause` for the file"
    assert problems(report) == [message]
    result = cli_validate(cli, scratch)
    assert result.exit_code == 1
    assert f"error: {message}" in unlined(result.stdout)


def test_a_rule_citing_a_clause_not_listed_in_sources(scratch: Path, cli: Callable[..., Any]) -> None:
    audit = break_rules(scratch, "audit.yaml", lambda d: written_rule(d, "audit.compliant").update(clause="process §99"))
    report = report_of(scratch)
    assert problems(report) == [
        f"{audit} $.rules[0].cases[2].clause: rule audit.compliant cites 'process §99', which is not a provision listed under sources"
    ]
    assert cli_validate(cli, scratch).exit_code == 1


def test_a_rule_reading_an_unknown_parameter(scratch: Path, cli: Callable[..., Any]) -> None:
    consequences = break_rules(
        scratch, "consequences.yaml", lambda d: d["rules"][0]["then"].update(value="add_months(facts.event_date, params.nope)")
    )
    report = report_of(scratch)
    assert problems(report) == [
        f"{consequences} $.rules[0]: rule consequence.six-months-deadline reads params.nope, which procedure audit of 2014-05-19 does not define",
        f"{consequences} $.rules[0]: rule consequence.six-months-deadline reads params.nope, which procedure improvement_review of 2014-05-19 does not define",
    ]
    assert cli_validate(cli, scratch).exit_code == 1


def test_a_rule_reading_an_unknown_fact(scratch: Path, cli: Callable[..., Any]) -> None:
    audit = break_rules(scratch, "audit.yaml", lambda d: written_rule(d, "audit.refused").update(when=written_rule(d, "audit.refused")["when"] + " && facts.scorre < 50.0"))
    assert problems(report_of(scratch)) == [
        f"{audit} $.rules[0].cases[6]: rule audit.refused reads facts.scorre, which procedure audit of 2014-05-19 does not define"
    ]
    result = cli_validate(cli, scratch)
    assert result.exit_code == 1 and "reads facts.scorre" in unlined(result.stdout)


def test_a_rule_reading_an_unknown_table(scratch: Path) -> None:
    resources = break_rules(scratch, "resources.yaml", lambda d: d["rules"][0]["then"].update(value="lookup(tables.required, facts.tool_type)"))
    assert [p.message for p in report_of(scratch).problems] == [
        "rule resources.required reads tables.required, which procedure audit of 2014-05-19 does not define"
    ]
    assert report_of(scratch).problems[0].file == str(resources)


def test_a_rule_concluding_an_outcome_its_procedure_does_not_list(scratch: Path) -> None:
    audit = break_rules(scratch, "audit.yaml", lambda d: written_rule(d, "audit.refused")["then"].update(outcome="rejected"))
    report = report_of(scratch)
    assert problems(report) == [
        f"{audit} $.rules[0].cases[6].then: rule audit.refused concludes outcome 'rejected', not listed by procedure audit"
    ]
    assert [w.message for w in report.warnings] == ["procedure audit lists outcome 'refused', which no rule concludes"]


def test_a_rule_that_does_not_compile(scratch: Path) -> None:
    audit = break_rules(scratch, "audit.yaml", lambda d: d["rules"][1].update(when="!facts.resources_complete &&"))
    report = report_of(scratch)
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert (problem.file, problem.path) == (str(audit), ("rules", 1, "when"))
    assert "Syntax error" in problem.message


def test_a_rule_id_used_twice(scratch: Path) -> None:
    audit = break_rules(scratch, "audit.yaml", lambda d: d["rules"][1].update(id="audit.incomplete"))
    assert problems(report_of(scratch)) == [
        f"{audit} $.rules[1].id: rule id 'audit.incomplete' is already used at {audit} $.rules[0].cases[0] (audit.incomplete)"
    ]


def test_a_listed_rule_file_that_does_not_exist(scratch: Path) -> None:
    missing = rule_folder(scratch, BC, V1) / "audit.yaml"
    missing.unlink()
    report = report_of(scratch)
    # the version's digest covers its rule files: without one it is not read at all, so nothing else is reported
    assert problems(report) == [f"{scratch / V1_FILE} $.sections: procedure audit lists rule file {missing}, which does not exist"]


# --- citations in the referential -----------------------------------------------------------------------------


def test_a_parameter_citing_an_unlisted_clause(scratch: Path) -> None:
    break_version(scratch, lambda d: d["sections"]["assessment"]["parameters"]["improvement_validation_fee"].update(clause="process §9"))
    assert problems(report_of(scratch)) == [
        f"{scratch / V1_FILE} $.sections.assessment.parameters.improvement_validation_fee: "
        "parameter improvement_validation_fee cites 'process §9', which is not a provision listed under sources"
    ]


def test_a_time_policy_citing_an_unlisted_clause(scratch: Path) -> None:
    break_version(scratch, lambda d: d["sections"]["resources"]["time_policy"].update(clause="process §5.bis"))
    assert [p.message for p in report_of(scratch).problems] == [
        "time policy of resources cites 'process §5.bis', which is not a provision listed under sources"
    ]


def test_an_encoded_provision_nothing_cites_is_a_warning(scratch: Path) -> None:
    def extra(document: dict[str, Any]) -> None:
        document["sources"][0]["provisions"].append({"id": "process §9", "title": "Appeal", "status": "encoded"})

    before = report_of(scratch).coverage
    break_version(scratch, extra)
    report = report_of(scratch)
    assert report.valid
    assert [w.message for w in report.warnings] == ["provision 'process §9' is marked encoded but nothing cites it"]
    assert report.coverage == {**before, "provisions": before["provisions"] + 1, "encoded": before["encoded"] + 1}


# --- the chain of versions ---------------------------------------------------------------------------------------


def test_supersedes_an_unknown_version(scratch: Path, cli: Callable[..., Any]) -> None:
    break_version(scratch, lambda d: d.update(supersedes="2010-01-01"))
    assert problems(report_of(scratch)) == [
        f"{scratch / V1_FILE} $.supersedes: supersedes '2010-01-01', which is not a version of {BC}",
        f"{scratch / V1_FILE} $.supersedes: no first version: every version supersedes another (the first says supersedes: null)",
    ]
    result = cli_validate(cli, scratch)
    assert result.exit_code == 1 and "supersedes '2010-01-01', which is not a version of" in unlined(result.stdout)


def test_in_force_before_publication(scratch: Path, cli: Callable[..., Any]) -> None:
    break_version(scratch, lambda d: d.update(published_on=dt.date(2014, 6, 1)))
    assert problems(report_of(scratch)) == [
        f"{scratch / V1_FILE} $.in_force_from: in force from 2014-05-19, before its publication on 2014-06-01; use a retroactive time policy"
    ]
    assert cli_validate(cli, scratch).exit_code == 1


def test_a_repeal_before_coming_into_force(scratch: Path) -> None:
    break_version(scratch, lambda d: d.update(repealed_on=dt.date(2014, 5, 19), repeal_clause="abc-site validity"))
    assert [p.message for p in report_of(scratch).problems] == [
        "repealed on 2014-05-19, not after it came into force on 2014-05-19"
    ]


def test_a_successor_starting_before_the_version_it_supersedes(scratch: Path) -> None:
    document = bc_document()
    document.update(id="2014-01-01", published_on=dt.date(2014, 1, 1), in_force_from=dt.date(2014, 1, 1), supersedes="2014-05-19")
    path = write_version(scratch, BC, document)
    reports = validate_paths(Library.open(scratch), [path])
    assert [p.message for p in reports[0].problems] == [
        "in force from 2014-01-01, not after 2014-05-19 which it supersedes (2014-05-19)"
    ]


def test_two_first_versions(scratch: Path) -> None:
    document = bc_document()
    document.update(id="2020-01-01", published_on=dt.date(2020, 1, 1), in_force_from=dt.date(2020, 1, 1))
    write_version(scratch, BC, document)
    reports = validate_paths(Library.open(scratch), [scratch / "referentials" / BC])
    assert len(reports) == 2
    # An error of the folder, reported with each first version: neither validates, and no dossier is judged under them.
    for report in reports:
        assert [p.message for p in report.problems] == ["several first versions (supersedes: null): 2014-05-19, 2020-01-01"]


# --- files that do not load ----------------------------------------------------------------------------------------


def test_a_referential_that_breaks_the_schema(scratch: Path, cli: Callable[..., Any]) -> None:
    break_version(scratch, lambda d: d.update(colour="green"))
    assert [p.message for p in report_of(scratch).problems] == [
        "Additional properties are not allowed ('colour' was unexpected); allowed keys: changes, decisions, framework, id, illustrative, "
        "in_force_from, in_force_until, language, note, published_on, publisher, repeal_clause, repealed_on, scheme, sections, sources, supersedes, title, unavailable"
    ]
    assert cli_validate(cli, scratch).exit_code == 1


def test_a_referential_stored_under_another_id(scratch: Path) -> None:
    document = bc_document()
    path = scratch / "referentials" / BC / "2015-01-01.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    report = validate_paths(Library.open(scratch), [path])[0]
    assert [p.message for p in report.problems] == [
        f"declares {BC}/2014-05-19, stored as {BC}/2015-01-01"
    ]


def test_validate_json_output(scratch: Path, cli: Callable[..., Any]) -> None:
    break_version(scratch, lambda d: score_bands(d)[1].update(upper={"value": 59, "inclusive": False}))
    result = cli_validate(cli, scratch, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [(r["file"], r["valid"]) for r in data if not r["valid"]] == [(str(scratch / V1_FILE), False)]
    data = [r for r in data if r["file"] == str(scratch / V1_FILE)]
    [problem] = data[0]["problems"]
    assert problem == {
        "file": str(scratch / V1_FILE),
        "line": problem["line"],
        "path": "$.sections.assessment.bands.score",
        "message": "gap between improvement_1_month [50, 59[ and improvement_6_months [60, 70]",
    }
    assert "score:" in (scratch / V1_FILE).read_text(encoding="utf-8").splitlines()[problem["line"] - 1]


# --- provisions whose content is not recoverable -------------------------------------------------------------------

LOST = {"id": "process §9", "title": "Appeal against the decision", "status": "not_recoverable",
        "reason": "the 2014 process mentions an appeal, but its text is not in the sources"}


def with_lost_provision(document: dict[str, Any], **changes: Any) -> None:
    document["sources"][0]["provisions"].append({**LOST, **changes})


def test_a_not_recoverable_provision_needs_a_reason(scratch: Path, cli: Callable[..., Any]) -> None:
    def lost(document: dict[str, Any]) -> None:
        with_lost_provision(document)
        del document["sources"][0]["provisions"][-1]["reason"]

    break_version(scratch, lost)
    index = len(bc_document()["sources"][0]["provisions"])
    assert problems(report_of(scratch)) == [f"{scratch / V1_FILE} $.sources[0].provisions[{index}]: 'reason' is a required property"]
    result = cli_validate(cli, scratch, str(scratch / "referentials" / BC))
    assert result.exit_code == 1
    assert f"$.sources[0].provisions[{index}]: 'reason' is a required property" in unlined(result.stdout)


def test_a_not_recoverable_provision_nothing_cites_is_counted_apart(scratch: Path, cli: Callable[..., Any]) -> None:
    before = report_of(scratch).coverage
    break_version(scratch, with_lost_provision)
    report = report_of(scratch)
    assert report.valid and report.warnings == []  # unlike an encoded provision, nothing is expected to cite it
    assert report.coverage == {**before, "provisions": before["provisions"] + 1, "not_recoverable": before["not_recoverable"] + 1}
    assert report.coverage["provisions"] == sum(report.coverage[k] for k in ("encoded", "out_of_scope", "not_recoverable"))
    result = cli_validate(cli, scratch, str(scratch / "referentials" / BC))
    assert result.exit_code == 0, result.output
    c = report.coverage
    assert (
        f"coverage: {c['provisions']} provisions — {c['encoded']} encoded, {c['out_of_scope']} out of scope, {c['not_recoverable']} not recoverable; "
        f"{c['rules']} rules; {c['citations']} citations"
    ) in unlined(result.stdout)
    data = json.loads(cli_validate(cli, scratch, "--format", "json", str(scratch / "referentials" / BC)).stdout)
    assert data[0]["coverage"]["not_recoverable"] == before["not_recoverable"] + 1


def test_a_rule_citing_a_not_recoverable_provision_fails_validate(scratch: Path, cli: Callable[..., Any]) -> None:
    break_version(scratch, with_lost_provision)
    audit = break_rules(scratch, "audit.yaml", lambda d: written_rule(d, "audit.compliant").update(clause="process §9"))
    report = report_of(scratch)
    assert problems(report) == [
        f"{audit} $.rules[0].cases[2].clause: rule audit.compliant cites 'process §9', whose content is not recoverable: it cannot be encoded"
    ]
    result = cli_validate(cli, scratch, str(scratch / "referentials" / BC))
    assert result.exit_code == 1
    assert "rule audit.compliant cites 'process §9', whose content is not recoverable: it cannot be encoded" in unlined(result.stdout)


def test_a_parameter_citing_a_not_recoverable_provision_fails_validate(scratch: Path, cli: Callable[..., Any]) -> None:
    def cite_lost(document: dict[str, Any]) -> None:
        with_lost_provision(document)
        document["sections"]["assessment"]["parameters"]["improvement_validation_fee"]["clause"] = "process §9"

    break_version(scratch, cite_lost)
    report = report_of(scratch)
    assert problems(report) == [
        f"{scratch / V1_FILE} $.sections.assessment.parameters.improvement_validation_fee: "
        "parameter improvement_validation_fee cites 'process §9', whose content is not recoverable: it cannot be encoded"
    ]
    assert cli_validate(cli, scratch, str(scratch / "referentials" / BC)).exit_code == 1


def test_an_out_of_scope_provision_still_needs_a_reason(scratch: Path) -> None:
    break_version(scratch, lambda d: d["sources"][0]["provisions"][0].pop("reason"))
    assert [p.message for p in report_of(scratch).problems] == ["'reason' is a required property"]


# --- rules reading versions.<section> --------------------------------------------------------------------------------


def test_a_rule_may_read_the_version_of_a_section_of_its_procedure(scratch: Path, cli: Callable[..., Any]) -> None:
    break_rules(
        scratch, "consequences.yaml", lambda d: d["rules"][rule_index(d, "consequence.validity")].update(
            because="Granted under version {versions.assessment} until {value}."
        )
    )
    assert report_of(scratch).valid, problems(report_of(scratch))
    assert cli_validate(cli, scratch, str(scratch / "referentials" / BC)).exit_code == 0


def test_a_rule_reading_the_version_of_a_section_one_of_its_procedures_does_not_use(scratch: Path) -> None:
    # consequences.yaml runs under audit (sections assessment, resources) and improvement_review (assessment only)
    consequences = break_rules(
        scratch, "consequences.yaml", lambda d: d["rules"][rule_index(d, "consequence.validity")].update(
            because="Granted under version {versions.assessment} (resources of {versions.resources}) until {value}."
        )
    )
    index = rule_index(load_document(consequences), "consequence.validity")
    assert problems(report_of(scratch)) == [
        f"{consequences} $.rules[{index}]: rule consequence.validity reads versions.resources, "
        "which procedure improvement_review of 2014-05-19 does not define"
    ]


def test_a_rule_reading_the_version_of_an_unknown_section(scratch: Path, cli: Callable[..., Any]) -> None:
    consequences = break_rules(
        scratch, "consequences.yaml", lambda d: d["rules"][0].update(because="Under version {versions.grid}.")
    )
    assert problems(report_of(scratch)) == [
        f"{consequences} $.rules[0]: rule consequence.six-months-deadline reads versions.grid, which procedure audit of 2014-05-19 does not define",
        f"{consequences} $.rules[0]: rule consequence.six-months-deadline reads versions.grid, which procedure improvement_review of 2014-05-19 does not define",
    ]
    result = cli_validate(cli, scratch, str(scratch / "referentials" / BC))
    assert result.exit_code == 1 and "internal error" not in unlined(result.output)


# --- the change log --------------------------------------------------------------------------------------------------


def test_a_change_naming_an_unknown_section_is_reported(scratch: Path, cli: Callable[..., Any]) -> None:
    break_version(scratch, lambda d: d.update(changes=[
        {"where": "§8", "section": "assessment", "change": "bands reworded"},
        {"where": "§9", "section": "appeals", "change": "appeal added"},
    ]))
    assert problems(report_of(scratch)) == [
        f"{scratch / V1_FILE} $.changes[1].section: the change log names section 'appeals', which this version does not have"
    ]
    assert cli_validate(cli, scratch).exit_code == 1


# --- readings applied by rules ---------------------------------------------------------------------------------


def test_a_rule_applying_a_reading_the_version_does_not_record(scratch: Path) -> None:
    break_rules(scratch, "scoring.yaml", lambda d: d["rules"][rule_index(d, "score.band")].__setitem__("readings", ["score-above-70", "no-such-reading"]))
    assert problems(report_of(scratch)) == [
        f"{rule_folder(scratch, BC, V1) / 'scoring.yaml'} $.rules[2].readings: rule score.band applies reading 'no-such-reading', "
        "which version 2014-05-19 does not record under decisions"
    ]


def test_a_reading_a_rule_applies_is_cited_by_its_trail_entry_and_shown_by_explain(scratch: Path, cli: Callable[..., Any]) -> None:
    break_rules(scratch, "scoring.yaml", lambda d: d["rules"][rule_index(d, "score.band")].__setitem__("readings", ["score-above-70", "band-60"]))
    report = report_of(scratch)
    applied = {r for path in rule_folder(scratch, BC, V1).glob("*.yaml") for rule in core_rules(load_document(path)) for r in rule.body.get("readings", ())}
    assert {"score-above-70", "band-60"} <= applied
    assert report.valid and report.coverage["readings_applied_by_rules"] == len(applied)
    decision = scratch / "decision.json"
    assert cli("evaluate", ROOT / "examples" / BC / "compliant.yaml", "-o", decision, root=scratch).exit_code == 0
    band = next(e for e in json.loads(decision.read_text(encoding="utf-8"))["trail"] if e.get("name") == "score_band")
    assert band["readings"] == ["score-above-70", "band-60"]
    explained = cli("explain", decision, "--fact", "score_band", root=scratch)
    assert explained.exit_code == 0, explained.output
    assert "reading score-above-70: " in explained.stdout and "reading band-60: " in explained.stdout
    assert "text of process §8: « " in explained.stdout


# --- values of the kind their unit names ---------------------------------------------------------------------


def set_parameter(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["sections"]["assessment"]["parameters"][name]["value"] = value
    return change


@pytest.mark.parametrize(("name", "value", "kind"), [
    ("improvement_validation_fee", [1000], "a number"),
    ("improvement_validation_fee", "1000", "a number"),
    ("improvement_validation_fee", True, "a number"),
    ("improvement_period_months", 6.5, "a whole number, not negative"),
    ("improvement_period_months", -1, "a whole number, not negative"),
    ("compliance_grants", "the label", "a list"),
])
def test_a_parameter_that_is_not_of_the_kind_its_unit_names_fails_validate(scratch: Path, name: str, value: Any, kind: str) -> None:
    break_version(scratch, set_parameter(name, value))
    [problem] = report_of(scratch).problems
    assert problem.message.startswith(f"{value!r} is not {kind}, as its unit") and problem.path == ("sections", "assessment", "parameters", name, "value")


@pytest.mark.parametrize(("row", "value", "valid"), [("A", 25.5, True), ("A", 101, False), ("A", "25", False), ("A", -1, False)])
def test_a_table_cell_is_of_the_kind_its_table_unit_names(scratch: Path, row: str, value: Any, valid: bool) -> None:
    break_version(scratch, lambda d: d["sections"]["assessment"]["tables"]["chapter_weights"]["rows"].__setitem__(row, value))
    problems = [p for p in report_of(scratch).problems if p.path[:4] == ("sections", "assessment", "tables", "chapter_weights")]
    assert (problems == []) == valid, problems
    if not valid:
        assert problems[0].message == f"{value!r} is not a number from 0 to 100, as its unit 'points out of 100' says"


def test_a_table_column_holds_one_type_of_value() -> None:
    rows = {"micro": {"title": "Micro", "max_cost": 2700}, "small": {"title": "Small", "max_cost": "3400"},
            "medium": {"title": "Medium", "max_cost": 5000}, "large": {"title": "Large", "max_cost": None}}  # null: not given
    assert list(column_problems(rows)) == [("small", "max_cost", "column max_cost holds a text here and a number in the other rows")]


def test_an_input_check_that_does_not_compile(scratch: Path, cli: Callable[..., Any]) -> None:
    """Input checks compile with their procedure, not when the version is read: validate still finds a broken one,
    and a dossier of that procedure is refused naming the file and the check, never judged without it."""
    def change(document: dict[str, Any]) -> None:
        document["sections"]["assessment"]["procedures"]["improvement_review"]["input_checks"][0]["check"] = "facts.period_started_on <="

    version = break_version(scratch, change)
    check = ("sections", "assessment", "procedures", "improvement_review", "input_checks", 0, "check")
    report = report_of(scratch)
    assert [(p.file, p.path) for p in report.problems] == [(str(version), check)]
    assert "Syntax error" in report.problems[0].message
    judged = cli("evaluate", ROOT / "examples" / BC / "review-six-months-unmet-refused.yaml", root=scratch)
    assert judged.exit_code == 1
    assert str(version) in judged.stderr and "input_checks[0].check" in unlined(judged.stderr)
