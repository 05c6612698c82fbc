"""The typed decision (engine/decision/model.py): one serialiser, one reader, citations resolved by explain.

A decision cites rather than copies: facts concluded by rules by their trail id, the dossier's facts once
under `inputs`, referential values by their version's digest and path. Its size grows linearly with its
inputs. `/1` decisions, written by earlier versions of referee, are still read.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import COMPLIANT, ROOT, flat

from engine import Decision, DecisionFileError, Library, load_dossier, read_dossier
from engine.decision.explain import derivation_tree, render_tree
from engine.decision.model import RuleStep

DECISION_1 = ROOT / "tests" / "data" / "decision-1-bilan-carbone-compliant.json"


@pytest.fixture(scope="module")
def decision(library: Library) -> Decision:
    return library.evaluate(load_dossier(COMPLIANT))


def test_a_decision_reads_back_as_it_was_written(library: Library) -> None:
    for path in sorted((ROOT / "examples").glob("*/*.yaml")):
        written = library.evaluate(load_dossier(path)).to_json()
        assert Decision.from_json(json.loads(json.dumps(written)), str(path)).to_json() == written, path


def test_to_bytes_is_the_compact_json_of_to_json(decision: Decision) -> None:
    assert json.loads(decision.to_bytes()) == json.loads(json.dumps(decision.to_json()))
    assert decision.to_bytes() == json.dumps(decision.to_json(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def test_facts_appear_once_and_are_cited(decision: Decision) -> None:
    data = decision.to_json()
    assert set(data["inputs"]) == {"criteria", "event_date", "resources_provided", "self_assessment_done", "tool_type"}
    concluded = {e["name"]: e["id"] for e in data["trail"] if e["kind"] == "fact"}
    for entry in data["trail"]:
        for premise in entry.get("premises", ()):
            assert "value" not in premise or premise["kind"] != "fact", "a fact's value is written once, where it is concluded or under inputs"
            if premise["kind"] == "fact" and "trail" in premise:
                assert premise["trail"] == concluded[premise["name"]]
            if premise["kind"] == "fact" and "path" in premise:
                assert premise["name"] in data["inputs"]


def test_a_referential_value_is_cited_by_digest_and_path_and_only_a_scalar_is_written(decision: Decision) -> None:
    digest = decision.versions[0].digest
    for entry in decision.trail:
        for premise in getattr(entry, "premises", ()):
            if premise.kind in ("parameter", "table", "bands", "criteria"):
                assert premise.digest == digest and premise.path and premise.path.startswith("/sections/")
                assert not premise.has_value or premise.value is None or isinstance(premise.value, (bool, int, float, str))
    kinds = {p.kind for e in decision.trail if isinstance(e, RuleStep) for p in e.premises if not p.has_value}
    assert {"table", "bands", "criteria"} <= kinds


def test_explain_resolves_cited_values_from_the_library(decision: Decision, library: Library) -> None:
    tree = derivation_tree(decision, library, "required_resources")
    table = next(node["premise"] for node in tree["tree"]["premises"] if "premise" in node and node["premise"]["kind"] == "table")
    assert table["value"]["internal"] == ["tool_access", "test_cases", "documentation", "mobilisation_materials"]
    text = render_tree(tree)
    assert "tables.required_resources = internal: tool_access, test_cases, documentation, mobilisation_materials" in flat(text)


def test_a_value_whose_version_changed_since_is_not_shown_and_says_why(decision: Decision, library: Library) -> None:
    """The decision cites a digest the library's version no longer has (in memory: a file so edited is refused, tests/test_seal.py)."""
    earlier = Decision.from_json(decision.to_json(), "decision.json")  # a copy (deepcopy would copy ABSENT, the mark of a value not written)
    for entry in earlier.trail:
        for premise in getattr(entry, "premises", ()):
            if premise.digest is not None:
                premise.digest = "sha256:" + "0" * 64
    tree = derivation_tree(earlier, library, "required_resources")
    table = next(node["premise"] for node in tree["tree"]["premises"] if "premise" in node and node["premise"]["kind"] == "table")
    assert "value" not in table
    assert "has digest" in table["unresolved"] and "it changed since" in table["unresolved"]
    assert "(not shown: version 2014-05-19 of bilan-carbone-compliance in the library has digest" in flat(render_tree(tree))


def test_a_decision_1_file_is_still_explained(cli: Callable[..., Any]) -> None:
    result = cli("explain", DECISION_1)
    assert result.exit_code == 0, result.output
    assert "outcome = compliant   [rule audit.compliant · process §8.compliant · version 2014-05-19]" in result.stdout
    assert "├─ tool_type = internal   [dossier $.facts.tool_type]" in result.stdout


def _citing(data: dict[str, Any], i: int, j: int) -> dict[str, Any]:
    """Trail entry i with one premise, citing entry j."""
    data["trail"][i] = {**data["trail"][i], "premises": [{"kind": "fact", "name": "x", "trail": data["trail"][j]["id"]}]}
    return data


def _cycle(data: dict[str, Any]) -> dict[str, Any]:
    """Entries 3 and 5 each cite the other."""
    return _citing(_citing(data, 3, 5), 5, 3)


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda d: {**d, key: value}


def _without(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda d: {k: v for k, v in d.items() if k != key}


def _in_entry(i: int, key: str, value: Any = None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Trail entry i with `key` set to `value`, or without it (None)."""

    def change(d: dict[str, Any]) -> dict[str, Any]:
        entry = {k: v for k, v in d["trail"][i].items() if k != key}
        d["trail"][i] = entry if value is None else {**entry, key: value}
        return d

    return change


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        (lambda d: _citing(d, 3, 3), " $.trail[3].premises[0].trail", "which is not an earlier trail entry"),
        (_cycle, " $.trail[3].premises[0].trail", "cites 'd4', which is not an earlier trail entry"),
        (_in_entry(2, "id"), " $.trail[2].id", "expected a text"),
        (_set("trail", {"not": "a list"}), " $.trail", "expected a list"),
        (_in_entry(4, "premises", "none"), " $.trail[4].premises", "expected a list of premises"),
        (_in_entry(0, "kind", "guess"), " $.trail[0].kind", "expected version-selection, fact or finding"),
        (_without("inputs"), " $.inputs", "missing"),
        (_set("values", [82]), " $.values", "expected an object"),
        (_set("findings", ["RESOURCE_MISSING"]), " $.findings[0]", "expected an object"),
        (_set("outcome", 1), " $.outcome", "expected a text"),
        (_without("digests"), " $.digests", "missing"),
        (_set("format", "referee.decision/9"), " $.format", "expected format 'referee.decision/2' (or 'referee.decision/1'), got 'referee.decision/9'"),
        (lambda d: "outcome: compliant, as agreed", ":1", "is not valid JSON"),
        (lambda d: [d], "", "the document is a list: a decision is an object with format 'referee.decision/2'"),
    ],
    ids=[
        "cites-itself", "cites-ahead-cycle", "no-id", "trail-not-a-list", "premises-not-a-list", "unknown-kind", "no-inputs",
        "values-not-a-mapping", "finding-not-a-mapping", "outcome-not-a-text", "no-digests", "unknown-format", "not-json", "a-list",
    ],
)
def test_a_malformed_decision_is_refused_naming_the_path(
    decision: Decision, cli: Callable[..., Any], tmp_path: Path, change: Callable[[dict[str, Any]], Any], where: str, words: str
) -> None:
    """Malformed is said before altered: the path of what is wrong tells more than a seal that no longer matches."""
    changed = change(copy.deepcopy(decision.to_json()))
    file = tmp_path / "decision.json"
    file.write_text(changed if isinstance(changed, str) else json.dumps(changed), encoding="utf-8")
    result = cli("explain", file)
    assert result.exit_code == 1 and "internal error" not in result.stderr and "Traceback" not in result.output
    assert f"{file}{where}: " in result.stderr and words in result.stderr, result.stderr
    if not isinstance(changed, str):
        with pytest.raises(DecisionFileError):
            Decision.from_json(changed, str(file))


def _account_size(library: Library, invoices: int) -> int:
    purchases = [{"ref": f"FA-{i:05d}", "amount_eur": 100 + i % 900, "category": "other_invoices"} for i in range(invoices)]
    dossier = read_dossier({
        "scheme": "label-transmission", "procedure": "carbon_account", "dossier_id": "size", "cycle": {"anchor": "2025-01-01"},
        "event_date": "2026-03-02", "companions": {"factors": "label-transmission-factors"},
        "facts": {"activity": {"name": "Size", "nace": "M70", "kind": "production"}, "financial_year_end": "2025-12-31",
                  "direct_emissions": {"kgco2e": 0}, "settings": {"other_invoices_factor": "business_services_eur"},
                  "purchases": purchases, "sales": [{"ref": "VE-1", "amount_eur": 5000}]},
    }, "size")
    return len(library.evaluate(dossier, runtime="compiled").to_bytes())


def test_a_decision_grows_linearly_with_its_inputs(library: Library) -> None:
    """Every trail entry of a per-item rule once copied the whole invoice list: the size was quadratic."""
    sizes = [_account_size(library, n) for n in (250, 500, 1000)]
    assert sizes[1] / sizes[0] < 2.1 and sizes[2] / sizes[1] < 2.1, sizes


def test_importing_the_engine_imports_no_command_line_tools() -> None:
    """The CEL package's __init__ imports its own CLI (typer, rich, prompt_toolkit): about 0.2 s of every run."""
    code = "import sys, engine; print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich', 'prompt_toolkit'}))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert output.strip() == "[]"
