"""What validate proves about a rule book (engine/authoring/proofs.py, conditions.py): exclusive conclusions, no cycles, guarded divisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.authoring.conditions import Prover
from engine.authoring.proofs import conflicting_conclusions, cycles, prover_for, unguarded_divisions
from engine.compilation.cel import parse
from engine.compilation.expressions import Expression, ExpressionError
from engine.compilation.rules import RuleBook, compile_rules
from engine.model.rule_files import RuleSource


def book(*rules: dict[str, Any]) -> RuleBook:
    bodies = [{"title": r["id"], "clause": "§1", "because": "because", **r} for r in rules]
    compiled = compile_rules(RuleSource(Path("probe.yaml"), "probe", {"rules": bodies}, "sha256:0"))
    return RuleBook(compiled, "sha256:0", {r.id: i for i, r in enumerate(compiled)})


def concluding(fact: str, *conditions: str | None) -> RuleBook:
    return book(*({"id": f"r{i}", **({"when": c} if c else {}), "then": {"fact": fact, "value": str(i)}} for i, c in enumerate(conditions)))


@pytest.mark.parametrize(("first", "second"), [
    ("facts.a", "!facts.a"),
    ("facts.score >= 70.0", "facts.score < 70.0"),
    ("facts.score > 60", "facts.score <= 60"),
    ("facts.score >= 70", "facts.score >= 60 && facts.score < 70"),
    ("facts.band == 'a'", "facts.band == 'b'"),
    ("facts.band in ['a', 'b']", "facts.band == 'c'"),
    ("facts.band in ['a', 'b']", "!(facts.band in ['a', 'b', 'c'])"),
    ("size(facts.gaps) == 0", "size(facts.gaps) > 0"),
    ("facts.x == null", "facts.x != null"),
    ("facts.x == null", "facts.x > 3"),  # an order on a term makes it a number
    ("double(facts.n) > 0.0", "facts.n == 0"),  # a cast changes no sign
    ("facts.on < facts.deadline", "facts.deadline <= facts.on"),
    ("facts.a && facts.b", "!facts.a || !facts.b"),
    ("facts.a || facts.b", "!facts.a && !facts.b"),
    ("facts.d == 'grant' && facts.d in facts.allowed", "!(facts.d in facts.allowed)"),
])
def test_exclusive_conditions_are_proven(first: str, second: str) -> None:
    assert Prover().exclusive(parse(first), parse(second))
    assert list(conflicting_conclusions(concluding("f", first, second).rules, Prover())) == []


@pytest.mark.parametrize(("first", "second"), [
    ("facts.a", "facts.b"),
    ("facts.score >= 70", "facts.score >= 60"),
    ("facts.score >= 70", "facts.score <= 70"),  # both hold at 70
    ("facts.band in ['a', 'b']", "facts.band in ['b', 'c']"),
    ("size(facts.refused) == 0", "size(facts.admitted) == 0"),  # both hold when there is no company
    ("facts.kind == 'individual' || facts.account == null", "facts.account != null"),
    (None, "facts.a"),  # a rule without condition always fires
    ("'grant' in facts.allowed && facts.d == 'grant'", "!(facts.d in facts.allowed)"),  # equal only once d is substituted
])
def test_conditions_not_proven_exclusive_are_reported_naming_both_rules(first: str | None, second: str) -> None:
    assert not Prover().exclusive(parse(first) if first else None, parse(second))
    [problem] = conflicting_conclusions(concluding("f", first, second).rules, Prover())
    assert problem.message.startswith("rules r0 and r1 may both conclude f: their conditions are not exclusive")
    assert problem.path == ("rules", 1, "when") and problem.file == "probe.yaml"


def test_a_fact_one_unconditional_rule_defines_is_read_through_its_definition() -> None:
    rules = book(
        {"id": "ready", "then": {"fact": "ready", "value": "facts.complete && facts.assessed"}},
        {"id": "incomplete", "when": "!facts.complete", "then": {"fact": "outcome", "value": "'incomplete'"}},
        {"id": "judged", "when": "facts.ready && facts.score >= 50", "then": {"fact": "outcome", "value": "'judged'"}},
    ).rules
    assert list(conflicting_conclusions(rules, prover_for(rules))) == []
    assert len(list(conflicting_conclusions(rules, Prover()))) == 1  # without reading facts.ready through


def test_findings_may_be_raised_by_several_rules() -> None:
    rules = book(*({"id": f"r{i}", "then": {"finding": {"code": "SAME", "severity": "info", "message": "m"}}} for i in range(2))).rules
    assert list(conflicting_conclusions(rules, Prover())) == []


def test_rules_waiting_on_one_another_are_a_cycle() -> None:
    rules = book(
        {"id": "a", "then": {"fact": "a", "value": "facts.b + 1"}},
        {"id": "b", "then": {"fact": "b", "value": "facts.a + 1"}},
        {"id": "c", "then": {"fact": "c", "value": "facts.input + 1"}},
    )
    [problem] = cycles(rules)
    assert problem.message == "rules wait on one another's facts in a cycle, so none of them can fire: a (reads b), b (reads a)"
    assert list(cycles(book({"id": "c", "then": {"fact": "c", "value": "facts.input + 1"}}))) == []


INPUTS = {
    "count": {"type": "integer", "min": 0},
    "revenue": {"type": "number", "min": 0.01},
    "companies": {"type": "list", "schema": {"type": "dict", "schema": {"revenue": {"type": "number", "min": 0.01}, "spent": {"type": "number", "min": 0}}}},
}


@pytest.mark.parametrize(("value", "when", "guarded"), [
    ("facts.total / facts.count", None, False),
    ("facts.total / facts.count", "facts.count > 0", True),
    ("facts.total / facts.count", "facts.count >= 0", False),
    ("facts.count > 0 ? facts.total / facts.count : 0.0", None, True),
    ("facts.count == 0 ? 0.0 : facts.total / facts.count", None, True),
    ("facts.count != 0 && facts.total / facts.count > 1.0", None, True),
    ("facts.count == 0 || facts.total / facts.count > 1.0", None, True),
    ("facts.total / facts.revenue", None, True),  # the input's min is above zero
    ("facts.companies.map(c, c.spent / c.revenue)", None, True),
    ("facts.companies.map(c, c.revenue / c.spent)", None, False),
    ("facts.total / params.divisor", None, True),
    ("facts.total / params.zero", None, False),
    ("facts.total / 2.0", None, True),
    ("facts.total / 0.0", None, False),
    ("facts.total / max(1, facts.count)", None, True),
    ("facts.total % double(facts.count)", "double(facts.count) > 0.0", True),
])
def test_a_division_is_proven_guarded_or_reported(value: str, when: str | None, guarded: bool) -> None:
    rules = book({"id": "ratio", **({"when": when} if when else {}), "then": {"fact": "ratio", "value": value}}).rules
    problems = list(unguarded_divisions(rules[0], {"divisor": [3], "zero": [0]}, INPUTS, prover_for(rules)))
    assert (problems == []) == guarded, problems
    if not guarded:
        assert "rule ratio divides by" in problems[0].message and "which may be zero" in problems[0].message


def test_a_list_a_rule_maps_from_an_input_keeps_its_bounds() -> None:
    rules = book(
        {"id": "shares", "then": {"fact": "shares", "value": "facts.companies.map(c, {'revenue': c.revenue, 'spent': c.spent})"}},
        {"id": "rates", "then": {"fact": "rates", "value": "facts.shares.map(x, x.spent / x.revenue)"}},
        {"id": "inverse", "then": {"fact": "inverse", "value": "facts.shares.filter(x, x.spent > 0.0).map(x, x.revenue / x.spent)"}},
    ).rules
    prover = prover_for(rules)
    assert list(unguarded_divisions(rules[1], {}, INPUTS, prover)) == []
    assert len(list(unguarded_divisions(rules[2], {}, INPUTS, prover))) == 1  # a filter is not read as a guard


def test_a_divisor_in_a_sentence_is_checked_too() -> None:
    rules = book({"id": "said", "then": {"fact": "said", "value": "1"}, "because": "{facts.total / facts.count} each"}).rules
    [problem] = unguarded_divisions(rules[0], {}, INPUTS, prover_for(rules))
    assert problem.path == ("rules", 0, "because")


@pytest.mark.parametrize(("source", "message"), [
    ("round(1, 2, 3)", "round() does not take 3 argument(s)"),
    ("add_days('2024-01-01')", "add_days() does not take 1 argument(s)"),
    ("size([1], [2])", "size() does not take 2 argument(s)"),
    ("'a'.startsWith()", "x.startsWith() does not take 0 argument(s)"),
    ("'a'.round()", "call round(...) as a function"),
])
def test_a_call_with_the_wrong_number_of_arguments_does_not_compile(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        Expression.compile(source)


@pytest.mark.parametrize("source", ["round(1.5)", "round(1.25, 1)", "min(1, 2, 3)", "min([1, 2])", "[1].size()", "size('ab')", "'ab'.matches('a')"])
def test_calls_with_a_number_of_arguments_they_take_compile(source: str) -> None:
    Expression.compile(source)
