"""What the user sees when something is wrong: exit status, no traceback, the place named.

Exit status (cli.py): 0 success, 1 invalid dossier/referential/decision file,
2 usage error, 3 internal error (a bug).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import BC, BC_V1, COMPLIANT, ROOT, draft, only_version

from engine import Library
from engine.model.canonical import to_plain
from engine.model.documents import load_document
from engine.running.runtimes import durable as durable_module
from engine.running.runtimes.durable import DurableRuntime

EXAMPLE_TEXT = COMPLIANT.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def fresh_shared(monkeypatch: pytest.MonkeyPatch) -> DurableRuntime:
    """Each test evaluates with its own durable runtime (the shared one may hold another tree's rule book)."""
    fresh = DurableRuntime()
    monkeypatch.setattr(durable_module, "_shared", fresh)
    return fresh


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert old in EXAMPLE_TEXT
    return EXAMPLE_TEXT.replace(old, new, 1)


def dossier_data(**changes: Any) -> dict[str, Any]:
    document = load_document(COMPLIANT)
    document.update(changes)
    return document


def at(path: Path, text: str) -> str:
    """`FILE:LINE` of the first line of the file holding `text`: where a problem of a YAML or JSON file is placed."""
    line = next(n for n, written in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in written)
    return f"{path}:{line}"


def refused(result: Any, code: int = 1) -> str:
    """The output of a command that must fail cleanly with `code`."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    return result.output


# --- bad dossiers ---------------------------------------------------------------------------------------------


def test_a_yaml_syntax_error_names_the_line(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "syntax.yaml", edited("  tool_type: internal\n", "  tool_type: internal\n   oops: [\n"))
    output = refused(cli("evaluate", path))
    assert f"invalid dossier: {path} is not valid YAML" in output
    assert f"{path}:11: mapping values are not allowed here" in output


def test_a_wrong_type_names_the_fact(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "type.yaml",
        edited("resources_provided: [tool_access, test_cases, documentation, mobilisation_materials]", 'resources_provided: "all"'),
    )
    output = refused(cli("evaluate", path))
    assert f"{path}: the facts do not satisfy the input of procedure 'audit'" in output
    assert f"{at(path, 'resources_provided:')} $.facts.resources_provided: must be of list type" in output


def test_a_value_outside_the_allowed_ones_names_the_fact_and_the_allowed_ones(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "allowed.yaml", edited("tool_type: internal", "tool_type: spreadsheet"))
    output = refused(cli("evaluate", path))
    allowed = "internal, commercial_sector_specific, commercial_general_purpose"
    assert f"{at(path, 'tool_type:')} $.facts.tool_type: unallowed value spreadsheet; allowed: {allowed}" in output


def test_criteria_points_above_the_maximum_name_the_criterion(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "points.yaml", edited("A.1: {points: 5,", "A.1: {points: 6,"))
    output = refused(cli("evaluate", path))
    assert f'{at(path, "A.1:")} $.facts.criteria["A.1"].points: max value is 5' in output


def test_an_unknown_scheme_names_the_scheme(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "scheme.yaml", edited(f"scheme: {BC}", "scheme: no-such-scheme"))
    output = refused(cli("evaluate", path))
    assert f"{path}: unknown scheme 'no-such-scheme'" in output
    assert f"{at(path, 'scheme:')} $.scheme: known schemes: {BC}" in output


def test_an_unknown_version_option_is_blamed_on_the_option(cli: Callable[..., Any], library: Library) -> None:
    output = refused(cli("evaluate", COMPLIANT, "--version", "nope"), code=2)
    known = ", ".join(v.id for v in library.versions(BC))
    assert output == f"usage error: --version nope: {BC} has no such version\n  - known versions of {BC}: {known}\n"


def test_an_unknown_version_the_dossier_names_is_blamed_on_the_dossier(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "version.yaml", edited("procedure: audit\n", "procedure: audit\nversion: nope\n"))
    output = refused(cli("evaluate", path))
    assert f"unknown version 'nope' of {BC}" in output
    assert f"{at(path, 'version: nope')} $.version: known versions: 2014-05-19" in output


def test_an_unknown_procedure_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "procedure.yaml", edited("procedure: audit", "procedure: appeal"))
    output = refused(cli("evaluate", path))
    assert "has no procedure 'appeal'" in output
    assert "$.procedure: known procedures: audit, improvement_review" in output


def test_missing_facts_are_all_listed_at_once(cli: Callable[..., Any], tmp_path: Path) -> None:
    text = edited("  tool_type: internal\n", "").replace(
        "  resources_provided: [tool_access, test_cases, documentation, mobilisation_materials]\n", ""
    )
    text = text.replace("    A.1: {points: 5, validated: true, justification: \"Calculation rules match the method on both test cases\"}\n", "")
    path = write(tmp_path, "missing.yaml", text)
    output = refused(cli("evaluate", path))
    # a missing fact is placed where it is to be written: the line of the nearest mapping that holds it
    assert f"{at(path, 'facts:')} $.facts.tool_type: required field" in output
    assert f"{at(path, 'facts:')} $.facts.resources_provided: required field" in output
    assert f'{at(path, "criteria:")} $.facts.criteria["A.1"]: required field' in output


def test_a_missing_envelope_is_listed_at_once(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "envelope.yaml", edited("dossier_id: BC-2024-017\n", "").replace("event_date: 2024-05-21", "event: 2024-05-21"))
    output = refused(cli("evaluate", path))
    assert f"{path} is not a valid dossier" in output
    assert f"{path} $.dossier_id: required field" in output
    assert f"{path} $.event_date: required field" in output
    assert f"{at(path, 'event:')} $.event: unknown field" in output


def test_an_impossible_date_written_as_a_string_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "impossible.yaml", edited("event_date: 2024-05-21", 'event_date: "2025-02-30"'))
    output = refused(cli("evaluate", path))
    assert f"{at(path, 'event_date:')} $.event_date: field 'event_date' cannot be coerced: '2025-02-30' is not a date (expected YYYY-MM-DD)" in output


def test_an_impossible_yaml_date_is_an_invalid_dossier(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "impossible.yaml", edited("event_date: 2024-05-21", "event_date: 2025-02-30"))
    output = refused(cli("evaluate", path))
    assert str(path) in output and "2025-02-30" in output


def test_an_event_date_before_the_anchor_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "before.yaml", edited("event_date: 2024-05-21", "event_date: 2024-03-01"))
    output = refused(cli("evaluate", path))
    assert "the event date precedes the cycle anchor" in output
    assert "$.event_date: event_date 2024-03-01 is before cycle.anchor 2024-03-04" in output


def test_an_anchor_before_every_version_is_refused(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "early.yaml", edited("anchor: 2024-03-04", "anchor: 2013-03-04").replace("event_date: 2024-05-21", "event_date: 2013-05-21"))
    output = refused(cli("evaluate", path))
    assert f"no version of {BC} was in force on 2013-03-04" in output
    assert "$.cycle.anchor: known versions: 2014-05-19 (from 2014-05-19)" in output


@pytest.mark.parametrize(
    ("old", "new"),
    [("event_date: 2024-05-21", "event_date: 2024-03-01"), ("procedure: audit", "procedure: appeal")],
    ids=["event-before-anchor", "unknown-procedure"],
)
def test_a_selection_error_names_the_dossier_file(cli: Callable[..., Any], tmp_path: Path, old: str, new: str) -> None:
    path = write(tmp_path, "dossier.yaml", edited(old, new))
    assert f"  - {at(path, new)} $." in refused(cli("evaluate", path))


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "", "42\n"], ids=["list", "string", "empty", "number"])
def test_a_dossier_that_is_not_a_mapping(cli: Callable[..., Any], tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "notamap.yaml", text)
    output = refused(cli("evaluate", path))
    assert f"invalid dossier: {path} must be a mapping with scheme, procedure, dossier_id, cycle, event_date and facts" in output


def test_a_json_dossier_that_is_not_a_mapping(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "list.json", "[1, 2]")
    assert f"{path} must be a mapping" in refused(cli("evaluate", path))


def test_a_json_syntax_error_names_the_line(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", '{\n  "scheme": "x",\n  "facts": {,}\n}\n')
    output = refused(cli("evaluate", path))
    assert f"{path} is not valid JSON" in output and f"{path}:3:" in output


def test_a_missing_dossier_file(cli: Callable[..., Any], tmp_path: Path) -> None:
    assert f"no such file: {tmp_path / 'absent.yaml'}" in refused(cli("evaluate", tmp_path / "absent.yaml"))


# --- a JSON dossier ---------------------------------------------------------------------------------------------


def test_a_json_dossier_is_judged_like_its_yaml_twin(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = tmp_path / "compliant.json"
    path.write_text(json.dumps(to_plain(dossier_data()), indent=2), encoding="utf-8")
    from_json = cli("evaluate", path, "--format", "json")
    from_yaml = cli("evaluate", COMPLIANT, "--format", "json")
    assert from_json.exit_code == 0, from_json.output
    json_decision, yaml_decision = json.loads(from_json.stdout), json.loads(from_yaml.stdout)
    assert json_decision["outcome"] == yaml_decision["outcome"] == "compliant"
    assert json_decision["values"] == yaml_decision["values"]
    assert json_decision["event_date"] == "2024-05-21" and json_decision["cycle"]["anchor"] == "2024-03-04"


def test_a_json_dossier_with_a_bad_date_names_it(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = tmp_path / "bad-date.json"
    path.write_text(json.dumps(to_plain(dossier_data(event_date="21/05/2024"))), encoding="utf-8")
    output = refused(cli("evaluate", path))
    # one line of JSON: a line number would say nothing, so none is given
    assert f"{path} $.event_date: field 'event_date' cannot be coerced: '21/05/2024' is not a date" in output


# --- explain, versions, usage -------------------------------------------------------------------------------------


def test_explain_refuses_a_file_that_is_not_a_decision(cli: Callable[..., Any]) -> None:
    output = refused(cli("explain", COMPLIANT))
    assert f"invalid decision file: {COMPLIANT} is not a referee decision" in output
    assert "$.format: expected format 'referee.decision/2' (or 'referee.decision/1'), got None" in output


def test_explain_refuses_an_incomplete_decision(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "partial.json", json.dumps({"format": "referee.decision/1", "outcome": "compliant"}))
    output = refused(cli("explain", path))
    assert f"{path} is not a complete decision" in output and "$.trail: missing" in output and "$.digests: missing" in output


def test_explain_a_fact_no_rule_concluded(cli: Callable[..., Any], tmp_path: Path) -> None:
    decision = tmp_path / "decision.json"
    assert cli("evaluate", COMPLIANT, "-o", decision).exit_code == 0
    output = refused(cli("explain", decision, "--fact", "nope"))
    assert "no rule concluded 'nope' in this decision" in output
    assert "concluded facts: failed_mandatory, grants, missing_resources, outcome" in output


def test_versions_of_an_unknown_scheme_is_a_usage_error(cli: Callable[..., Any]) -> None:
    output = refused(cli("versions", "no-such-scheme"), code=2)
    assert "usage error: unknown scheme 'no-such-scheme'" in output
    assert f"known schemes: {BC}" in output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("evaluate", "--bogus", str(COMPLIANT)), "No such option '--bogus'"),
        (("versions", BC, "--as-of", "2013-02-30"), "Invalid value for '--as-of': '2013-02-30' is not a date (YYYY-MM-DD)"),
        (("evaluate", str(COMPLIANT), "--runtime", "jess"), "Invalid value for '--runtime': 'jess' is not one of 'durable-rules', 'python'"),
        (("evaluate", str(COMPLIANT), "--format", "xml"), "Invalid value for '--format': 'xml' is not one of 'text', 'json'"),
        (("frobnicate",), "No such command 'frobnicate'"),
        (("evaluate",), "Missing argument 'DOSSIER'"),
    ],
    ids=["unknown-option", "impossible-as-of", "unknown-runtime", "unknown-format", "unknown-command", "missing-argument"],
)
def test_usage_errors_exit_2(cli: Callable[..., Any], args: tuple[str, ...], words: str) -> None:
    output = refused(cli(*args), code=2)
    assert output.startswith("Usage: ")
    assert f"Error: {words}" in output


def test_versions_before_the_first_version_is_in_force(cli: Callable[..., Any]) -> None:
    result = cli("versions", BC, "--as-of", "2013-01-01")
    assert result.exit_code == 0, result.output
    assert f"Versions of {BC} as of 2013-01-01:" in result.stdout
    assert "2014-05-19" in result.stdout and "not yet in force" in result.stdout


@pytest.fixture
def first_version_only(scratch: Path) -> Path:
    """A scratch tree where 2014-05-19 is the only version of Bilan Carbone®, whatever versions the project bundles after it."""
    return only_version(scratch, BC, "2014-05-19")


@pytest.mark.parametrize(("day", "status"), [("2014-05-18", "not yet in force"), ("2014-05-19", "in force"), ("2030-01-01", "in force")])
def test_versions_status_as_of_a_day(cli: Callable[..., Any], first_version_only: Path, day: str, status: str) -> None:
    result = cli("versions", BC, "--as-of", day, "--format", "json", root=first_version_only)
    assert result.exit_code == 0
    assert [v["status"] for v in json.loads(result.stdout)["versions"]] == [status]


# --- --format json parses ---------------------------------------------------------------------------------------


def test_evaluate_json_output_parses(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("evaluate", COMPLIANT, "--format", "json", "-o", tmp_path / "decision.json")
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["format"] == "referee.decision/2"
    assert decision["outcome"] == "compliant"
    written = json.loads((tmp_path / "decision.json").read_text(encoding="utf-8"))
    assert written["outcome"] == decision["outcome"] and written["values"] == decision["values"]


def test_versions_json_output_parses(cli: Callable[..., Any], first_version_only: Path) -> None:
    result = cli("versions", BC, "--as-of", "2024-01-01", "--format", "json", root=first_version_only)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["scheme"] == BC and data["as_of"] == "2024-01-01"
    assert [(v["id"], v["status"], v["in_force_from"]) for v in data["versions"]] == [("2014-05-19", "in force", "2014-05-19")]
    assert data["versions"][0]["digest"].startswith("sha256:")
    assert data["framework"] is None


def test_versions_of_a_method_name_its_framework(cli: Callable[..., Any]) -> None:
    text = cli("versions", "label-bas-carbone-haies", "--as-of", "2026-06-01")
    assert text.stdout.startswith("Versions of label-bas-carbone-haies (method of label-bas-carbone) as of 2026-06-01:\n")
    data = json.loads(cli("versions", "label-bas-carbone-haies", "--format", "json").stdout)
    assert data["framework"] == {"scheme": "label-bas-carbone", "role": "method"}


def test_validate_json_output_parses(cli: Callable[..., Any]) -> None:
    result = cli("validate", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [r["file"] for r in data] == [str(f) for f in sorted((ROOT / "referentials").glob("*/*.yaml"))]
    assert str(BC_V1) in [r["file"] for r in data]
    for report in data:
        assert (report["valid"], report["problems"], report["warnings"]) == (True, [], [])
        assert set(report["coverage"]) == {"provisions", "encoded", "out_of_scope", "not_recoverable", "rules", "citations", "readings", "readings_applied_by_rules"}
        assert report["coverage"]["provisions"] == sum(report["coverage"][k] for k in ("encoded", "out_of_scope", "not_recoverable"))


def test_explain_json_output_parses(cli: Callable[..., Any], tmp_path: Path) -> None:
    decision = tmp_path / "decision.json"
    assert cli("evaluate", COMPLIANT, "-o", decision).exit_code == 0
    result = cli("explain", decision, "--format", "json")
    assert result.exit_code == 0, result.output
    tree = json.loads(result.stdout)
    assert tree["fact"] == "outcome"
    assert tree["tree"]["entry"]["rule"] == "audit.compliant"
    assert {s["section"] for s in tree["selection"]} == {"assessment", "resources"}
    score = cli("explain", decision, "--fact", "score", "--format", "json")
    assert json.loads(score.stdout)["tree"]["entry"]["value"] == 82


def test_an_error_with_format_json_still_exits_1_without_traceback(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = write(tmp_path, "type.yaml", edited("tool_type: internal", "tool_type: 3"))
    output = refused(cli("evaluate", path, "--format", "json"))
    line = int(at(path, "tool_type:").rsplit(":", 1)[1])
    assert {"file": str(path), "line": line, "path": "$.facts.tool_type", "message": "must be of string type"} in json.loads(output)["problems"]


def test_validate_of_a_path_that_does_not_exist_is_a_usage_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    output = refused(cli("validate", tmp_path / "nowhere"), code=2)
    assert "does not exist" in output


def test_validate_of_a_folder_without_referentials_is_a_usage_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    output = refused(cli("validate", tmp_path / "empty"), code=2)
    assert "usage error: no referential files found" in output


def test_validate_of_an_invalid_yaml_referential(cli: Callable[..., Any], scratch: Path) -> None:
    path = scratch / "referentials" / BC / "2014-05-19.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nscheme: again\n", encoding="utf-8")
    result = cli("validate", root=scratch)
    output = refused(result)
    assert f"{path}: INVALID" in output
    assert "duplicate key 'scheme'" in output


def test_an_id_yaml_reads_as_a_date_says_so_and_shows_the_quoting(cli: Callable[..., Any], scratch: Path) -> None:
    path = scratch / "referentials" / BC / "2014-05-19.yaml"
    draft(scratch, BC, "2014-05-19")
    path.write_text(path.read_text(encoding="utf-8").replace('id: "2014-05-19"', "id: 2014-05-19", 1), encoding="utf-8")
    message = 'YAML reads an unquoted 2014-05-19 as a date; an id is a text: quote it, id: "2014-05-19"'
    output = refused(cli("validate", path, root=scratch))
    assert f"  error: {at(path, 'id: 2014-05-19')} $.id: {message}" in output


def test_validate_json_gives_each_problem_with_its_file_line_and_path(cli: Callable[..., Any], scratch: Path) -> None:
    """As errors do: {file, line, path, message}; a key not allowed is placed at its own line."""
    path = scratch / "referentials" / BC / "2014-05-19.yaml"
    draft(scratch, BC, "2014-05-19")
    path.write_text(path.read_text(encoding="utf-8").replace("\ntitle:", "\ncolour: green\ntitle:", 1), encoding="utf-8")
    result = cli("validate", path, "--format", "json", root=scratch)
    assert result.exit_code == 1
    [report] = json.loads(result.stdout)
    [problem] = report["problems"]
    assert problem == {
        "file": str(path), "line": int(at(path, "colour:").rsplit(":", 1)[1]), "path": "$.colour",
        "message": problem["message"],
    }
    assert problem["message"].startswith("Additional properties are not allowed ('colour' was unexpected); allowed keys: changes, ")


def test_today_is_the_default_as_of(cli: Callable[..., Any]) -> None:
    data = json.loads(cli("versions", BC, "--format", "json").stdout)
    assert data["as_of"] == dt.date.today().isoformat()


def test_the_yaml_dossier_written_back_as_yaml_is_still_valid(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = tmp_path / "roundtrip.yaml"
    path.write_text(yaml.safe_dump(dossier_data(), sort_keys=True, allow_unicode=True), encoding="utf-8")
    result = cli("evaluate", path)
    assert result.exit_code == 0, result.output
    assert "OUTCOME: compliant" in result.stdout


def test_with_format_json_an_error_is_a_json_document_on_standard_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    dossier = tmp_path / "dossier.yaml"
    dossier.write_text(COMPLIANT.read_text(encoding="utf-8").replace("event_date:", "event_date: 2025-02-30\nx_event_date:", 1), encoding="utf-8")
    result = cli("evaluate", dossier, "--format", "json")
    assert result.exit_code == 1
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert error["error"] == "invalid dossier"
    assert error["message"].startswith(str(dossier))
    assert error["problems"] and all(set(p) == {"file", "line", "path", "message"} for p in error["problems"])
    text = cli("evaluate", dossier)
    assert text.stderr.startswith("invalid dossier: ")


def test_with_format_json_explain_and_versions_errors_are_json(cli: Callable[..., Any], tmp_path: Path) -> None:
    not_a_decision = tmp_path / "x.json"
    not_a_decision.write_text("{}", encoding="utf-8")
    explained = cli("explain", not_a_decision, "--format", "json")
    assert explained.exit_code == 1
    assert json.loads(explained.stderr) == {
        "error": "invalid decision file",
        "message": f"{not_a_decision} is not a referee decision",
        "problems": [{"file": str(not_a_decision), "line": None, "path": "$.format", "message": "expected format 'referee.decision/2' (or 'referee.decision/1'), got None"}],
    }
    unknown = cli("versions", "no-such-scheme", "--format", "json")
    assert unknown.exit_code == 2
    assert json.loads(unknown.stderr)["error"] == "usage error"
