"""Author tests: a dossier's `expect:` block, `referee test`, and the pytest plugin that collects the same files.

The block is read strictly (every problem at its path and line), held to the decision (each difference says
what was expected and what the decision gives, at the block's line), with inclusive tolerances; it is no fact,
and the dossier's digest covers it as received.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import BC, ROOT

from engine import DossierError, Library, load_dossier, read_dossier
from engine.authoring.author_tests import collect, run
from engine.authoring.expectations import Expectation, differences, read_expectation
from engine.model.documents import load_document

EXAMPLE = ROOT / "examples" / BC / "score-70-improvement-6-months.yaml"  # 70/100 under 2014-05-19: six months to improve
BLOCK_START = "expect:\n"


def with_block(tmp_path: Path, block: str, base: Path = EXAMPLE, name: str = "dossier.yaml") -> Path:
    """The example with its expect: block replaced by `block` (YAML text, indented as at the top level)."""
    text = base.read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_text(text[: text.index(BLOCK_START)] + block, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """The line (from 1) of the first line of `path` holding `text`."""
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def block_problems(block: Any) -> list[str]:
    with pytest.raises(DossierError) as raised:
        read_expectation(block, "d.yaml")
    assert raised.value.message == "d.yaml: the expect: block is not valid"
    return [p.render() for p in raised.value.problems]


# --- reading the block ------------------------------------------------------------------------------------------


def test_a_bundled_block_reads_as_typed_data() -> None:
    expectation = read_expectation(load_dossier(EXAMPLE).expect, str(EXAMPLE))
    assert expectation.outcome == "improvement_6_months"
    assert expectation.versions == {"assessment": "2014-05-19", "resources": "2014-05-19"}  # ids, whether YAML read dates or texts
    assert expectation.values["score"] == 70 and expectation.values["deadline"] == "2024-10-25"


@pytest.mark.parametrize(
    ("block", "problems"),
    [
        ({"outcom": "compliant"}, ["d.yaml $.expect.outcom: unknown field; allowed: outcome, versions, tolerance, values, findings"]),
        ({}, ["d.yaml $.expect: must be a mapping of one or more of: outcome, versions, tolerance, values, findings"]),
        ({"outcome": 3}, ["d.yaml $.expect.outcome: must be an outcome's name; got 3"]),
        ({"versions": {"assessment": 2014}}, ["d.yaml $.expect.versions.assessment: must be a version id; got 2014"]),
        ({"values": [1]}, ["d.yaml $.expect.values: must be a mapping; got [1]"]),
        (
            {"tolerance": -1, "values": {"score": {"value": "high", "tolerance": "ten%"}}},
            [
                'd.yaml $.expect.tolerance: must be a number of 0 or more, or a percentage of the expected value such as "1%"; got -1',
                'd.yaml $.expect.values.score.value: a value with a tolerance must be a number; got "high"',
                'd.yaml $.expect.values.score.tolerance: must be a number of 0 or more, or a percentage of the expected value such as "1%"; got "ten%"',
            ],
        ),
        (
            {"findings": {"present": [{"code": "X", "severity": "fatal", "count": 0}, 7], "absent": [{"code": "Y", "count": 1}], "other": []}},
            [
                "d.yaml $.expect.findings.other: unknown field; allowed: present, absent",
                "d.yaml $.expect.findings.present[0].severity: unallowed value fatal; allowed: info, warning, error",
                "d.yaml $.expect.findings.present[0].count: must be a whole number of 1 or more (absent: says none); got 0",
                "d.yaml $.expect.findings.present[1]: must be a finding code, or {code, severity, count}; got 7",
                "d.yaml $.expect.findings.absent[0].count: unknown field; allowed: code, severity",
            ],
        ),
    ],
    ids=["unknown-key", "empty", "outcome-not-text", "version-not-text", "values-not-mapping", "tolerances", "findings"],
)
def test_every_problem_of_a_block_is_named_at_its_path(block: Any, problems: list[str]) -> None:
    assert block_problems(block) == problems


def test_a_block_that_is_not_a_mapping_is_refused_by_the_envelope() -> None:
    document = load_document(EXAMPLE)
    document["expect"] = ["compliant"]
    with pytest.raises(DossierError) as raised:
        read_dossier(document, "d.yaml")
    assert [p.render() for p in raised.value.problems] == ["d.yaml $.expect: must be of dict type"]


def test_a_misspelt_key_is_refused_as_an_unknown_field_of_the_dossier() -> None:
    document = load_document(EXAMPLE)
    document["expected"] = document.pop("expect")
    with pytest.raises(DossierError) as raised:
        read_dossier(document, "d.yaml")
    assert [p.render() for p in raised.value.problems] == ["d.yaml $.expected: unknown field"]


def test_an_invalid_block_is_an_error_with_the_lines(library: Library, tmp_path: Path) -> None:
    path = with_block(tmp_path, "expect:\n  outcome: compliant\n  findings:\n    present: [{code: X, severity: fatal}]\n")
    result = run(library, path)
    assert result.status == "error"
    assert result.details() == [
        f"invalid dossier: {path}: the expect: block is not valid",
        f"  - {path}:{line_of(path, 'present:')} $.expect.findings.present[0].severity: unallowed value fatal; allowed: info, warning, error",
    ]


def test_a_finding_no_rule_raises_cannot_be_expected_absent(library: Library, tmp_path: Path) -> None:
    """A misspelt code would always be absent: the test could never fail."""
    path = with_block(tmp_path, "expect:\n  outcome: improvement_6_months\n  findings:\n    absent: [RESOURCES_MISSING, RESOURCE_MISSING, VERSION_FORCED]\n")
    result = run(library, path)
    assert result.status == "error"
    assert result.details()[1:] == [
        f"  - {path}:{line_of(path, 'absent:')} $.expect.findings.absent[0]: no rule of any version of {BC} raises RESOURCES_MISSING: "
        "a finding that cannot occur is always absent",
    ]


# --- holding a decision to it -----------------------------------------------------------------------------------


def test_a_failing_expectation_says_what_differed_at_its_line(library: Library, tmp_path: Path) -> None:
    path = with_block(tmp_path, """expect:
  outcome: compliant
  versions: {assessment: "2025-12-01", grid: "2014-05-19"}
  values:
    score: 71
    deadline: 2024-10-26
    failed_mandatory: [A.5]
    colour: green
  findings:
    present: [{code: RESOURCE_MISSING, severity: error}]
    absent: [MANDATORY_CRITERION_NOT_VALIDATED]
""")
    result = run(library, path)
    assert (result.status, result.dossier_id, result.outcome) == ("failed", "BC-2024-009", "improvement_6_months")
    at = {text: f"{path}:{line_of(path, text)}" for text in ("outcome:", "versions:", "score:", "deadline:", "failed_mandatory:", "colour:", "present:")}
    assert result.details() == [
        f"{at['outcome:']} $.expect.outcome: expected outcome compliant, got improvement_6_months",
        f"{at['versions:']} $.expect.versions.assessment: expected version 2025-12-01 for section assessment, got 2014-05-19 "
        "(pinned: version 2014-05-19 was in force on the cycle anchor 2024-02-12 (from 2014-05-19); section 'assessment' is pinned to the cycle)",
        f"{at['versions:']} $.expect.versions.grid: the decision selects no section grid; it selects: assessment (2014-05-19), resources (2014-05-19)",
        f"{at['score:']} $.expect.values.score: expected 71, got 70.0",
        f'{at["deadline:"]} $.expect.values.deadline: expected "2024-10-26", got "2024-10-25"',
        f'{at["failed_mandatory:"]} $.expect.values.failed_mandatory: expected 1 item, got 0: []',
        f"{at['colour:']} $.expect.values.colour: the decision has no value colour; its values: missing_resources, score, score_band, failed_mandatory, deadline",
        f"{at['present:']} $.expect.findings.present[0]: expected a finding RESOURCE_MISSING (error), got none; the decision's findings: none",
    ]
    assert [d.to_json() for d in result.differences][0] == {
        "path": "$.expect.outcome", "line": line_of(path, "outcome:"), "expected": "compliant", "got": "improvement_6_months",
        "message": "expected outcome compliant, got improvement_6_months",
    }


def decision(values: dict[str, Any] | None = None, findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The parts of a decision's JSON form an expectation reads."""
    return {"outcome": "closed", "versions": [{"section": "method", "version": "2024-01-01"}], "values": values or {}, "findings": findings or []}


def values_met(block_values: dict[str, Any], got: dict[str, Any], tolerance: Any = None) -> list[str]:
    block: dict[str, Any] = {"values": block_values}
    if tolerance is not None:
        block["tolerance"] = tolerance
    return [d.message for d in differences(read_expectation(block, "d.yaml"), decision(got))]


@pytest.mark.parametrize(
    ("got", "met"),
    [(41.65, True), (41.75, True), (41.7, True), (41.649, False), (41.751, False)],
    ids=["lower-bound", "upper-bound", "exact", "below", "above"],
)
def test_a_tolerance_bounds_the_distance_inclusively(got: float, met: bool) -> None:
    """41.7 ± 0.05 holds 41.65 and 41.75 exactly (in binary, 41.7 - 41.65 is 0.05000000000000426)."""
    messages = values_met({"g_per_eur": {"value": 41.7, "tolerance": 0.05}}, {"g_per_eur": got})
    assert messages == ([] if met else [f"expected 41.7 ± 0.05, got {got} (off by {abs(round(got - 41.7, 3))})"])


@pytest.mark.parametrize(("got", "met"), [(202, True), (198, True), (202.01, False), (197.99, False)])
def test_a_relative_tolerance_is_a_share_of_the_expected_value(got: float, met: bool) -> None:
    assert (values_met({"kgco2e": {"value": 200, "tolerance": "1%"}}, {"kgco2e": got}) == []) is met


def test_the_block_tolerance_is_for_the_numbers_without_their_own() -> None:
    got = {"sales": 60000.4, "factor": {"g_per_eur": 41.74, "per": "EUR"}}
    assert values_met({"sales": 60000, "factor": {"g_per_eur": 41.7}}, got, tolerance=0.5) == []
    assert values_met({"sales": 60000, "factor": {"g_per_eur": {"value": 41.7, "tolerance": 0.01}}}, got, tolerance=0.5) == [
        "expected 41.7 ± 0.01, got 41.74 (off by 0.04)"
    ]


def test_without_a_tolerance_numbers_are_exact_whatever_their_type() -> None:
    assert values_met({"score": 82}, {"score": 82.0}) == []
    assert values_met({"score": 82}, {"score": 82.0000001}) == ["expected 82, got 82.0000001"]
    assert values_met({"validated": 1}, {"validated": True}) == ["expected the number 1, got true"]
    assert values_met({"validated": True}, {"validated": 1}) == ["expected true, got 1"]


def test_a_mapping_is_met_by_the_keys_it_writes_and_a_list_item_by_item() -> None:
    got = {"factor_release": {"release": "sample 2024.1", "version": "2024-01-01"}, "lots": ["A", "B"]}
    assert values_met({"factor_release": {"release": "sample 2024.1"}, "lots": ["A", "B"]}, got) == []
    assert values_met({"factor_release": {"edition": "2024"}, "lots": ["A", "C"]}, got) == [
        "the decision's value has no key edition; it has: release, version",
        'expected "C", got "B"',
    ]


def test_findings_present_with_a_count_and_absent() -> None:
    findings = [{"code": "RESOURCE_MISSING", "severity": "error", "message": "m1"}, {"code": "RESOURCE_MISSING", "severity": "error", "message": "m2"}]
    block = {"findings": {"present": [{"code": "RESOURCE_MISSING", "count": 2}, {"code": "RESOURCE_MISSING", "severity": "warning"}], "absent": ["RESOURCE_MISSING"]}}
    assert [d.message for d in differences(read_expectation(block, "d.yaml"), decision(findings=findings))] == [
        "expected a finding RESOURCE_MISSING (warning), got none; the decision's findings: RESOURCE_MISSING (error), RESOURCE_MISSING (error)",
        "expected no finding RESOURCE_MISSING, got 2: RESOURCE_MISSING (error): m1; RESOURCE_MISSING (error): m2",
    ]
    assert differences(Expectation(present=read_expectation(block, "d.yaml").present[:1]), decision(findings=findings)) == []


@pytest.mark.parametrize(
    ("anchor", "version", "outcome"),
    [("2025-11-30", "2014-05-19", "improvement_6_months"), ("2025-12-01", "2025-12-01", "compliant")],
    ids=["anchored-the-day-before-2025-12-01", "anchored-on-2025-12-01"],
)
def test_the_version_of_each_section_is_checked(library: Library, tmp_path: Path, anchor: str, version: str, outcome: str) -> None:
    """The same 70/100 on either side of the day the "70 or more" statement comes into force: the block names each section's version."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("anchor: 2024-02-12", f"anchor: {anchor}").replace("event_date: 2024-04-25", "event_date: 2026-01-15")
    text = text[: text.index(BLOCK_START)] + f'expect:\n  outcome: {outcome}\n  versions: {{assessment: {version}, resources: "{version}"}}\n'
    path = tmp_path / "dossier.yaml"
    path.write_text(text, encoding="utf-8")
    assert run(library, path).status == "passed"
    other = "2025-12-01" if version == "2014-05-19" else "2014-05-19"
    path.write_text(text.replace(f"resources: \"{version}\"", f"resources: \"{other}\""), encoding="utf-8")
    [difference] = run(library, path).differences
    assert difference.path == ("expect", "versions", "resources") and (difference.expected, difference.got) == (other, version)


# --- the block is no fact, and the digest covers it -------------------------------------------------------------


def test_the_block_reaches_no_rule_and_the_digest_covers_the_dossier_as_received(library: Library) -> None:
    document = load_document(EXAMPLE)
    without = dict(document)
    del without["expect"]
    judged = library.evaluate(read_dossier(document, "d.yaml")).to_json()
    bare = library.evaluate(read_dossier(without, "d.yaml")).to_json()
    assert "expect" not in judged["inputs"]
    assert judged["digests"]["dossier"] != bare["digests"]["dossier"]  # a decision cites the very file it was given
    for part in ("outcome", "values", "findings", "versions", "inputs", "trail"):
        assert judged[part] == bare[part], part


# --- referee test -----------------------------------------------------------------------------------------------


def test_referee_test_reports_each_file_and_exits_1_on_a_failure(cli: Callable[..., Any], tmp_path: Path) -> None:
    passing = tmp_path / "passing.yaml"
    passing.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    failing = with_block(tmp_path, "expect:\n  outcome: compliant\n", name="failing.yaml")
    (tmp_path / "no-expectations.yaml").write_text(EXAMPLE.read_text(encoding="utf-8").split(BLOCK_START)[0], encoding="utf-8")
    (tmp_path / "notes.csv").write_text("a,b\n", encoding="utf-8")
    result = cli("test", tmp_path)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        f"FAILED  {failing}  BC-2024-009 → improvement_6_months",
        f"    {failing}:{line_of(failing, 'outcome:')} $.expect.outcome: expected outcome compliant, got improvement_6_months",
        f"PASSED  {passing}  BC-2024-009 → improvement_6_months",
    ]
    assert lines[3].startswith("2 author tests: 1 passed, 1 failed, 0 in error (durable-rules, ")
    data = json.loads(cli("test", tmp_path, "--format", "json", "--runtime", "compiled").stdout)
    assert {k: data[k] for k in ("runtime", "passed", "failed", "errors")} == {"runtime": "compiled", "passed": 1, "failed": 1, "errors": 0}
    assert [(r["file"], r["status"]) for r in data["results"]] == [(str(failing), "failed"), (str(passing), "passed")]
    assert data["results"][0]["differences"][0]["path"] == "$.expect.outcome"


def test_referee_test_of_a_file_without_a_block_or_of_a_folder_without_tests(cli: Callable[..., Any], tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text(EXAMPLE.read_text(encoding="utf-8").split(BLOCK_START)[0], encoding="utf-8")
    named = cli("test", bare)
    assert named.exit_code == 1 and f"ERROR   {bare}" in named.stdout and f"{bare} holds no expect: block" in named.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    none = cli("test", empty)
    assert none.exit_code == 2 and f"usage error: no dossier with an expect: block in {empty}" in none.stderr


def test_collect_finds_the_bundled_examples_and_nothing_else() -> None:
    found = collect([ROOT / "examples"])
    assert found == sorted(ROOT.glob("examples/*/*.yaml"))  # not examples/label-transmission/unusable/*.yaml: it has no block


# --- the pytest plugin ------------------------------------------------------------------------------------------


def test_pytest_collects_the_files_and_a_failure_reads_as_referee_test_prints_it(tmp_path: Path) -> None:
    """Installed with referee, the plugin is active in any pytest run: one item per file, failures with their lines."""
    failing = with_block(tmp_path, "expect:\n  outcome: compliant\n", name="failing.yaml")
    (tmp_path / "passing.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "not-a-test.yaml").write_text("# no expectations here\na: 1\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", f"referee_root={ROOT}", "-o", "addopts=", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "failing.yaml::expect" in completed.stdout and "1 failed, 1 passed" in completed.stdout
    assert f"failing.yaml:{line_of(failing, 'outcome:')} $.expect.outcome: expected outcome compliant, got improvement_6_months" in completed.stdout
