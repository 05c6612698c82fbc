"""The rule-language sugar (docs/rules.md, docs/referentials.md): each form rewritten into the core it stands for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BC, LIBRARY, ROOT, draft, rule_folder, unlined

from engine import Library
from engine.authoring.checks import validate_paths
from engine.compilation.sugar import SugarError, core_rules
from engine.model.documents import load_document
from engine.model.referential import parse_interval


def rules_file(*rules: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"scheme": BC, "title": "t", **top, "rules": list(rules)}


def cores(document: dict[str, Any]) -> list[tuple[dict[str, Any], int, tuple]]:
    return [(dict(c.body), c.index, tuple(c.place)) for c in core_rules(document)]


# --- defaults --------------------------------------------------------------------------------------------


def test_defaults_apply_only_where_a_rule_sets_nothing() -> None:
    own = {"id": "a", "title": "A", "clause": "§1", "note": "its own", "then": {"outcome": "x"}, "because": "b"}
    bare = {"id": "b", "title": "B", "then": {"outcome": "y"}, "because": "b"}
    document = rules_file(own, bare, defaults={"clause": "§2", "illustrative": True, "note": "the file's"})
    assert cores(document) == [
        ({**own, "illustrative": True}, 0, ()),
        ({**bare, "clause": "§2", "illustrative": True, "note": "the file's"}, 1, ()),
    ]


def test_a_rule_without_clause_or_default_is_refused() -> None:
    with pytest.raises(SugarError, match="rule b cites no clause: set `clause`, or `defaults.clause`") as caught:
        core_rules(rules_file({"id": "b", "title": "B", "then": {"outcome": "y"}, "because": "b"}))
    assert caught.value.path == ("rules", 0, "clause")


# --- cases -----------------------------------------------------------------------------------------------


CASES = {
    "id": "grade", "title": "Grade", "clause": "§8", "readings": ["r1"], "when": "facts.score != null",
    "cases": [
        {"id": "high", "when": "facts.score >= 70", "then": {"fact": "grade", "value": "'high'"}, "because": "high"},
        {"when": "facts.score >= 50", "clause": "§8.2", "then": {"fact": "grade", "value": "'mid'"}, "because": "mid"},
        {"then": {"fact": "grade", "value": "'low'"}, "because": "low", "title": "Low grade"},
    ],
}


def test_cases_become_one_core_rule_each_excluding_the_earlier_ones() -> None:
    assert cores(rules_file(CASES)) == [
        ({"clause": "§8", "readings": ["r1"], "then": {"fact": "grade", "value": "'high'"}, "because": "high",
          "id": "grade.high", "title": "Grade", "when": "(facts.score != null) && (facts.score >= 70)"}, 0, ("cases", 0)),
        ({"clause": "§8.2", "readings": ["r1"], "then": {"fact": "grade", "value": "'mid'"}, "because": "mid",
          "id": "grade.case-2", "title": "Grade", "when": "(facts.score != null) && !(facts.score >= 70) && (facts.score >= 50)"}, 0, ("cases", 1)),
        ({"clause": "§8", "readings": ["r1"], "then": {"fact": "grade", "value": "'low'"}, "because": "low", "title": "Low grade",
          "id": "grade.case-3", "when": "(facts.score != null) && !(facts.score >= 70) && !(facts.score >= 50)"}, 0, ("cases", 2)),
    ]


def test_the_first_case_without_a_rule_condition_keeps_its_own_as_written() -> None:
    block = {**CASES, "cases": CASES["cases"][:1]}
    del block["when"]
    assert cores(rules_file(block))[0][0]["when"] == "facts.score >= 70"


@pytest.mark.parametrize(
    ("change", "message", "path"),
    [
        (lambda r: r.update(cases=[]), "rule grade has a cases block without any case", ("rules", 0, "cases")),
        (lambda r: r["cases"].insert(0, {"then": {"fact": "grade", "value": "'x'"}, "because": "x"}),
         "only the last case may omit `when`", ("rules", 0, "cases", 0)),
        (lambda r: r["cases"][1].update(then={"outcome": "refused"}),
         "the cases of rule grade conclude grade, outcome: a cases block concludes one fact", ("rules", 0, "cases")),
        (lambda r: r["cases"][1].update(id="high"), "case id 'high' is already used in rule grade", ("rules", 0, "cases", 1, "id")),
    ],
)
def test_a_malformed_cases_block_is_refused(change: Any, message: str, path: tuple) -> None:
    block = {**CASES, "cases": [dict(c) for c in CASES["cases"]]}
    change(block)
    with pytest.raises(SugarError, match=message) as caught:
        core_rules(rules_file(block))
    assert caught.value.path == path


def test_bilan_carbone_audit_cases_keep_their_rule_ids_and_validate_proves_them_exclusive() -> None:
    """The audit's outcome is one cases block; its derived rules bear the ids the hand-excluded rules had."""
    source = LIBRARY.rule_source(rule_folder(ROOT, BC, "2014-05-19") / "audit.yaml", BC)
    outcome = [c for c in core_rules(source.document) if c.place[:1] == ("cases",)]
    assert [c.body["id"] for c in outcome] == [
        "audit.incomplete", "audit.incomplete-self-assessment", "audit.compliant", "audit.six-months-mandatory",
        "audit.six-months", "audit.one-month", "audit.refused",
    ]
    assert outcome[3].body["when"] == (
        "!(!facts.resources_complete) && !(!facts.self_assessment_done) && !(facts.score_band == 'compliant' && size(facts.failed_mandatory) == 0)"
        " && (facts.score_band == 'compliant')"
    )
    reports = validate_paths(LIBRARY, [ROOT / "referentials" / BC / "2014-05-19.yaml"])
    assert reports[0].valid, [p.render() for p in reports[0].problems]


# --- let -------------------------------------------------------------------------------------------------


LET = {
    "id": "fee", "title": "Fee", "clause": "§3", "when": "facts.days > 0",
    "let": {"daily_rate": "params.rate * 2.0", "base": {"value": "facts.days * facts.daily_rate", "title": "Base", "because": "{value} in all"}},
    "then": {"fact": "fee", "value": "facts.base + 1.0"}, "because": "fee {value}",
}


def test_let_becomes_a_fact_of_its_own_before_the_rule() -> None:
    assert cores(rules_file(LET)) == [
        ({"clause": "§3", "id": "fee.daily_rate", "title": "Fee: daily rate", "when": "facts.days > 0",
          "then": {"fact": "daily_rate", "value": "params.rate * 2.0"}, "because": "daily rate = {value}."}, 0, ("let", "daily_rate")),
        ({"clause": "§3", "id": "fee.base", "title": "Base", "when": "facts.days > 0",
          "then": {"fact": "base", "value": "facts.days * facts.daily_rate"}, "because": "{value} in all"}, 0, ("let", "base")),
        ({k: v for k, v in LET.items() if k != "let"}, 0, ()),
    ]


@pytest.mark.parametrize(
    ("let", "message"),
    [
        ({"fee": "1.0"}, "let 'fee' of rule fee is already a fact"),
        ({"value": "1.0"}, "let 'value' of rule fee is reserved in expressions"),
        ({"each": "item.amount"}, "let 'each' of rule fee reads item: a let is computed once for the rule"),
    ],
)
def test_a_let_clashing_with_a_fact_is_refused(let: dict[str, str], message: str) -> None:
    with pytest.raises(SugarError, match=message):
        core_rules(rules_file({**LET, "let": let}))


def test_a_let_named_as_an_input_fails_validate(scratch: Path) -> None:
    """The procedure's inputs are known to validate, not to the rule file: it names the let and its place."""
    draft(scratch, BC, "2014-05-19")
    path = rule_folder(scratch, BC, "2014-05-19") / "audit.yaml"
    document = load_document(path)
    document["rules"][0]["let"] = {"tool_type": "'x'"}
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    report = validate_paths(Library.open(scratch), [scratch / "referentials" / BC / "2014-05-19.yaml"])[0]
    assert [unlined(p.render()) for p in report.problems] == [
        f"{path} $.rules[0].let.tool_type: let 'tool_type' of rule audit is an input of procedure audit: give the intermediate a name of its own"
    ]


def test_each_let_is_a_node_of_the_trail(cli: Any) -> None:
    result = cli("evaluate", "examples/label-transmission/account-2025-second-year-carry-over-closed.yaml", "--format", "json")
    import json

    trail = {entry.get("rule"): entry for entry in json.loads(result.stdout)["trail"]}
    let = trail["account.factor.computed_factor"]
    assert (let["name"], let["clause"], round(let["value"], 6)) == ("computed_factor", "§2.5 invoice", 0.039556)
    factor = trail["account.factor.per-euro"]
    assert {"kind": "fact", "name": "computed_factor", "trail": let["id"]} in factor["premises"]
    assert factor["value"]["computed_kgco2e_per_eur"] == 0.039556


# --- bands as intervals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lower", "upper"),
    [("[50, 60[", (50, True), (60, False)), ("[60, 70]", (60, True), (70, True)), ("]0, 5.5]", (0, False), (5.5, True)), (" ]-1,1e3[ ", (-1, False), (1000.0, False))],
)
def test_an_interval_reads_as_its_two_bounds(text: str, lower: tuple, upper: tuple) -> None:
    low, high = parse_interval(text)
    assert ((low["value"], low["inclusive"]), (high["value"], high["inclusive"])) == (lower, upper)
    assert type(low["value"]) is type(lower[0])


def test_bands_written_as_intervals_have_the_digest_of_their_bounds() -> None:
    """The bundled Bilan Carbone score bands are written as intervals; their published locks were made on lower/upper."""
    version = LIBRARY.version(BC, "2014-05-19")
    assert [b.describe() for b in version.sections["assessment"].bands["score"].bands] == [
        "refused [0, 50[", "improvement_1_month [50, 60[", "improvement_6_months [60, 70]", "compliant ]70, 100]",
    ]
    assert "bounds:" in (ROOT / "referentials" / BC / "2014-05-19.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ("[50, 60", "'[50, 60' is not an interval: [ or ] on each side of two numbers"),
        ("[70, +inf[", "'[70, +inf[': a band has two finite ends (its set covers the range it declares)"),
    ],
)
def test_a_malformed_interval_fails_validate_at_its_line(scratch: Path, cli: Any, bounds: str, message: str) -> None:
    draft(scratch, BC, "2014-05-19")
    path = scratch / "referentials" / BC / "2014-05-19.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('bounds: "[50, 60["', f'bounds: "{bounds}"'), encoding="utf-8")
    line = next(i for i, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if f'bounds: "{bounds}"' in row)
    result = cli("validate", str(path), root=scratch)
    assert result.exit_code == 1
    assert f'{path}:{line} $.sections.assessment.bands.score.bands[1].bounds: {message}' in result.output
