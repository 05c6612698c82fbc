"""The expression language: CEL and the functions registered in engine/compilation/functions.py.

Every test runs twice: evaluated by the Rust CEL runtime (`Scope`), and by the translation to Python
(`Activation`), which the durable-rules and compiled runtimes use.
"""

from __future__ import annotations

from typing import Any

import re

import pytest

import sys

from engine.compilation.expressions import ALL, Activation, Expression, ExpressionError, Scope, Template, format_value
from engine.compilation.functions import FUNCTIONS, ordered, register


@pytest.fixture(params=[Scope, Activation], ids=["rust", "translated"], autouse=True)
def evaluator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type[Scope]:
    """`Scope` in this module is the one evaluator or the other."""
    monkeypatch.setattr(sys.modules[__name__], "Scope", request.param)
    return request.param

SCORE_BANDS = [
    {"id": "refused", "lower": {"value": 0, "inclusive": True}, "upper": {"value": 50, "inclusive": False}},
    {"id": "improvement_1_month", "lower": {"value": 50, "inclusive": True}, "upper": {"value": 60, "inclusive": False}},
    {"id": "improvement_6_months", "lower": {"value": 60, "inclusive": True}, "upper": {"value": 70, "inclusive": True}},
    {"id": "compliant", "lower": {"value": 70, "inclusive": False}, "upper": {"value": 100, "inclusive": True}},
]

REFERENTIAL = {
    "params": {"months": 6, "fee": 1000},
    "tables": {"resources": {"internal": ["tool_access", "test_cases"], "commercial": ["tool_access"]}, "weights": {"A": 25}},
    "bands": {"score": SCORE_BANDS},
    "criteria": [{"id": "A.1", "mandatory": True, "max_points": 5}, {"id": "B", "mandatory": False, "max_points": 25}],
}


def run(source: str, **facts: Any) -> Any:
    return Expression.compile(source).evaluate(Scope(REFERENTIAL, facts))


def fails(source: str, **facts: Any) -> str:
    with pytest.raises(ExpressionError) as raised:
        run(source, **facts)
    return str(raised.value)


# --- min, max, sum ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("min(3, 1, 2)", 1),
        ("min([3, 1, 2])", 1),
        ("min(2.5, 7)", 2.5),
        ("max(3, 1, 2)", 3),
        ("max([1.5, -4])", 1.5),
        ("sum([1, 2, 3])", 6),
        ("sum(1, 2.5)", 3.5),
        ("sum([])", 0),
        ("sum(facts.points)", 12),
        ("max(facts.points)", 5),
    ],
)
def test_min_max_sum(source: str, expected: Any) -> None:
    assert run(source, points=[5, 4, 3]) == expected


def test_min_and_max_of_an_empty_list_are_errors() -> None:
    assert fails("min([])") == "min([]): min() of an empty list"
    assert fails("max(facts.l)", l=[]) == "max(facts.l): max() of an empty list"


@pytest.mark.parametrize("source", ['min("a", 1)', "max([1, true])", 'sum(["1"])'])
def test_aggregates_take_numbers_only(source: str) -> None:
    function = source.split("(")[0]
    assert f"{function}() takes numbers, got" in fails(source)


# --- round: half away from zero --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("round(2.345, 2)", 2.35),
        ("round(0.5)", 1),
        ("round(1.5)", 2),
        ("round(2.5)", 3),  # banker's rounding would give 2
        ("round(-0.5)", -1),
        ("round(-2.345, 2)", -2.35),
        ("round(1.005, 2)", 1.01),  # binary floating point alone would give 1.0
        ("round(2.675, 2)", 2.68),
        ("round(0.125, 2)", 0.13),
        ("round(82.4999, 2)", 82.5),
        ("round(82)", 82),
        ("round(15, -1)", 20),
        ("round(14.9, -1)", 10),
    ],
)
def test_round_is_half_up(source: str, expected: Any) -> None:
    result = run(source)
    assert result == expected
    assert type(result) is type(expected)


def test_round_of_a_sum_of_hundredths() -> None:
    assert run("round(sum(facts.points), 2)", points=[20.1, 20.2, 20.3, 21.4]) == 82.0


# --- calendar functions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('add_days("2024-02-28", 1)', "2024-02-29"),
        ('add_days("2023-02-28", 1)', "2023-03-01"),
        ('add_days("2024-12-31", 1)', "2025-01-01"),
        ('add_days("2024-03-01", -1)', "2024-02-29"),
        ('add_months("2024-01-31", 1)', "2024-02-29"),
        ('add_months("2023-01-31", 1)', "2023-02-28"),
        ('add_months("2024-03-31", 1)', "2024-04-30"),
        ('add_months("2024-08-31", 6)', "2025-02-28"),
        ('add_months("2024-05-21", 6)', "2024-11-21"),
        ('add_months("2024-11-30", 3)', "2025-02-28"),
        ('add_months("2024-03-31", -1)', "2024-02-29"),
        ('add_months("2024-05-21", 0)', "2024-05-21"),
        ('add_years("2024-02-29", 1)', "2025-02-28"),
        ('add_years("2024-02-29", 3)', "2027-02-28"),
        ('add_years("2024-02-29", 4)', "2028-02-29"),
        ('add_years("2024-05-21", 3)', "2027-05-21"),
        ("add_months(facts.day, params.months)", "2024-11-21"),
    ],
)
def test_date_arithmetic(source: str, expected: str) -> None:
    assert run(source, day="2024-05-21") == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('days_between("2024-01-01", "2024-03-01")', 60),
        ('days_between("2023-01-01", "2023-03-01")', 59),
        ('days_between("2024-03-01", "2024-01-01")', -60),
        ('days_between("2024-05-21", "2024-05-21")', 0),
        ('months_between("2024-01-31", "2024-02-29")', 1),
        ('months_between("2024-01-31", "2024-02-28")', 0),
        ('months_between("2024-01-15", "2024-07-14")', 5),
        ('months_between("2024-01-15", "2024-07-15")', 6),
        ('months_between("2024-03-15", "2024-01-16")', -1),
        ('months_between("2024-03-15", "2024-01-15")', -2),
    ],
)
def test_day_and_month_counts(source: str, expected: int) -> None:
    assert run(source) == expected


def test_a_function_given_an_impossible_date_names_itself_and_the_value() -> None:
    message = fails('add_days("2025-02-30", 1)')
    assert message == "add_days(\"2025-02-30\", 1): add_days(): '2025-02-30' is not a date (expected YYYY-MM-DD)"
    assert "months_between(): '30/01/2024' is not a date" in fails('months_between("30/01/2024", "2024-03-01")')


# --- lookup -----------------------------------------------------------------------------------------------


def test_lookup_finds_a_row() -> None:
    assert run("lookup(tables.resources, facts.kind)", kind="internal") == ["tool_access", "test_cases"]


def test_lookup_of_a_missing_row_says_which_rows_exist() -> None:
    message = fails("lookup(tables.resources, facts.kind)", kind="external")
    prefix = "lookup(tables.resources, facts.kind): lookup(): no row 'external' (rows: "
    assert message.startswith(prefix) and message.endswith(")")
    assert sorted(message[len(prefix) : -1].split(", ")) == ["commercial", "internal"]


def test_the_rows_listed_by_a_failed_lookup_are_in_a_fixed_order() -> None:
    referential = {"tables": {"t": {k: 1 for k in ("a", "b", "c", "d", "e", "f")}}}
    expression = Expression.compile("lookup(tables.t, facts.k)")
    messages = set()
    for _ in range(20):
        with pytest.raises(ExpressionError) as raised:
            expression.evaluate(Scope(referential, {"k": "z"}))
        messages.add(str(raised.value))
    assert len(messages) == 1


def test_lookup_takes_a_table() -> None:
    assert "lookup() takes a table, got 'internal'" in fails('lookup("internal", "x")')


# --- band -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "refused"),  # inclusive lower end
        (49.99, "refused"),
        (50, "improvement_1_month"),  # [50: inclusive
        (59.999, "improvement_1_month"),
        (60, "improvement_6_months"),  # 60[ exclusive, [60 inclusive
        (70, "improvement_6_months"),  # 70] inclusive: exactly 70 is not "above 70"
        (70.01, "compliant"),  # ]70 exclusive
        (100, "compliant"),  # inclusive upper end
    ],
)
def test_band_at_its_bounds(score: float, band: str) -> None:
    assert run("band(bands.score, facts.score)", score=score) == band


@pytest.mark.parametrize("score", [-0.01, 100.01])
def test_a_number_outside_every_band_is_an_error(score: float) -> None:
    assert f"band(): {score!r} lies in no band" in fails("band(bands.score, facts.score)", score=score)


def test_band_takes_a_number() -> None:
    assert "band() takes numbers, got '82'" in fails("band(bands.score, facts.score)", score="82")


# --- order_by ---------------------------------------------------------------------------------------------

AUDITORS = [
    {"id": "a", "name": "Zoé", "score": 2, "lead": False},
    {"id": "b", "name": "Alix", "score": 3, "lead": True},
    {"id": "c", "name": "Bao", "score": 2, "lead": True},
    {"id": "d", "name": "Alix", "score": 3.5, "lead": False},
]


def ids(source: str, **facts: Any) -> list[str]:
    return run(f"{source}.map(x, x.id)", auditors=AUDITORS, **facts)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ("['score']", ["a", "c", "b", "d"]),  # integers and decimals compare together; the tie a, c keeps the list's order
        ("['-score']", ["d", "b", "a", "c"]),  # descending, and the tie still keeps the list's order
        ("['name']", ["b", "d", "c", "a"]),
        ("'name'", ["b", "d", "c", "a"]),  # one field may be given as a string
        ("['name', '-score']", ["d", "b", "c", "a"]),  # the second field breaks the ties of the first
        ("['-lead']", ["b", "c", "a", "d"]),  # true before false, ties in the list's order
        ("['lead']", ["a", "d", "b", "c"]),
        ("['-lead', 'score', 'name']", ["c", "b", "a", "d"]),
    ],
)
def test_order_by(keys: str, expected: list[str]) -> None:
    assert ids(f"order_by(facts.auditors, {keys})") == expected


def test_order_by_keeps_the_list_order_of_ties_on_every_key() -> None:
    tied = [{"id": str(i), "rank": 1, "group": "x"} for i in range(8)]
    assert run("order_by(facts.l, ['-rank', 'group']).map(x, x.id)", l=tied) == [str(i) for i in range(8)]


def test_order_by_returns_the_whole_elements_and_leaves_its_argument_alone() -> None:
    assert run("order_by(facts.auditors, ['-score'])[0]", auditors=AUDITORS) == {"id": "d", "lead": False, "name": "Alix", "score": 3.5}
    assert ids("facts.auditors") == ["a", "b", "c", "d"]
    assert run("order_by(facts.auditors, ['-score']).filter(x, x.lead).map(x, x.name)", auditors=AUDITORS) == ["Alix", "Bao"]


def test_order_by_of_an_empty_list_is_empty() -> None:
    assert run("order_by([], ['score'])") == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("order_by([1, 2], ['x'])", "order_by() sorts a list of maps, got [1, 2]"),
        ("order_by([{'x': 1}, 2], ['x'])", "order_by() sorts a list of maps, got [{'x': 1}, 2]"),
        ("order_by({'b': 1, 'a': 2}, ['x'])", "order_by() sorts a list of maps, got {'a': 2, 'b': 1}"),
        ("order_by('abc', ['x'])", "order_by() sorts a list of maps, got 'abc'"),
        ("order_by(null, ['x'])", "order_by() sorts a list of maps, got None"),
    ],
)
def test_order_by_sorts_lists_of_maps_only(source: str, message: str) -> None:
    assert fails(source) == f"{source}: {message}"


@pytest.mark.parametrize(
    ("keys", "shown"),
    [("[]", "[]"), ("['']", "['']"), ("['-']", "['-']"), ("['--score']", "['--score']"), ("[1]", "[1]"), ("3", "3"), ("['score', true]", "['score', True]")],
)
def test_order_by_takes_field_names(keys: str, shown: str) -> None:
    source = f"order_by(facts.auditors, {keys})"
    assert fails(source, auditors=AUDITORS) == f"{source}: order_by() takes a list of field names ('-name' for descending), got {shown}"


def test_order_by_a_field_an_element_lacks() -> None:
    message = fails("order_by(facts.l, ['-rank'])", l=[{"rank": 1, "id": "a"}, {"id": "b", "note": "new"}])
    assert message == "order_by(facts.l, ['-rank']): order_by(): an element has no field 'rank': {'id': 'b', 'note': 'new'}"


@pytest.mark.parametrize(
    ("values", "shown"),
    [([1, "2"], "[1, '2']"), ([True, 1], "[True, 1]"), (["2024-01-01", 2024], "['2024-01-01', 2024]")],
)
def test_order_by_a_field_that_mixes_types(values: list[Any], shown: str) -> None:
    message = fails("order_by(facts.l, 'x')", l=[{"x": v} for v in values])
    assert message == f"order_by(facts.l, 'x'): order_by(): field 'x' mixes types: {shown}"


@pytest.mark.parametrize(
    ("values", "shown"),
    [([None, 2], "[None, 2]"), ([None, None], "[None, None]"), ([{"b": 1, "a": 0}, {"a": 1}], "[{'a': 0, 'b': 1}, {'a': 1}]"), ([[1], [0]], "[[1], [0]]")],
)
def test_order_by_a_field_whose_values_cannot_be_ordered(values: list[Any], shown: str) -> None:
    message = fails("order_by(facts.l, ['x'])", l=[{"x": v} for v in values])
    assert message == (
        f"order_by(facts.l, ['x']): order_by(): field 'x' holds values that cannot be ordered "
        f"(numbers, strings or booleans only): {shown}"
    )


def test_order_by_errors_are_expression_errors_in_a_fixed_order() -> None:
    element = {k: 1 for k in ("f", "e", "d", "c", "b", "a")}
    expression = Expression.compile("order_by(facts.l, ['z'])")
    messages = set()
    for _ in range(20):
        with pytest.raises(ExpressionError) as raised:
            expression.evaluate(Scope({}, {"l": [element]}))
        messages.add(str(raised.value))
    assert messages == {"order_by(facts.l, ['z']): order_by(): an element has no field 'z': {'a': 1, 'b': 1, 'c': 1, 'd': 1, 'e': 1, 'f': 1}"}


# --- compiling --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "unknown"),
    [
        ("foo.bar + 1", "foo"),
        ("score > 70", "score"),
        ("fact.score > 70", "fact"),
        ("zeta && alpha", "alpha, zeta"),
    ],
)
def test_unknown_names_are_refused_at_compile(source: str, unknown: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        Expression.compile(source)
    assert str(raised.value).startswith(f"unknown name(s) {unknown}: an expression reads facts, params, tables, bands, criteria")


@pytest.mark.parametrize(
    "source",
    [
        "facts.l.all(x, x > 0)",
        "facts.l.exists(x, x == 'a') && facts.l.map(y, y + 'b').size() > 0",
        "criteria.filter(c, c.mandatory).map(c, c.id)",
        "item + value",
        "has(facts.score) && size(facts.l) > 0",
    ],
)
def test_bound_variables_and_builtins_are_not_unknown(source: str) -> None:
    Expression.compile(source)


@pytest.mark.parametrize("source", ["1 +", "facts.a &&", "facts.a > )", "(facts.a"])
def test_syntax_errors_are_refused_at_compile(source: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        Expression.compile(source)
    message = str(raised.value)
    assert "Syntax error" in message and source in message


@pytest.mark.parametrize("source", ["", "   ", None, 3])
def test_an_expression_is_a_non_empty_string(source: Any) -> None:
    with pytest.raises(ExpressionError, match="an expression must be a non-empty string"):
        Expression.compile(source)


def test_an_unknown_function_is_refused_at_compile() -> None:
    with pytest.raises(ExpressionError, match="add_month"):
        Expression.compile("add_month(facts.event_date, params.months)")


# --- references -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "references"),
    [
        ("params.p + facts.b * 2 > tables.t.a", {("params", "p"), ("facts", "b"), ("tables", "t")}),
        ("band(bands.score, facts.score)", {("bands", "score"), ("facts", "score")}),
        ("facts.criteria[item].points", {("facts", "criteria")}),
        ("facts . spaced > 0", {("facts", "spaced")}),
        ('"facts.quoted" + facts.r', {("facts", "r")}),
        ("'params.not_read' == 'x'", set()),
        ("has(facts.x) ? facts.x : 0", {("facts", "x")}),
        ("criteria.filter(c, c.mandatory && !facts.criteria[c.id].validated).map(c, c.id)", {("criteria", ALL), ("facts", "criteria")}),
        ("1 + 2", set()),
    ],
)
def test_references_are_found_statically(source: str, references: set) -> None:
    assert Expression.compile(source).references == frozenset(references)


def test_names_of_one_namespace() -> None:
    expression = Expression.compile("facts.a + facts.b > params.c")
    assert expression.names("facts") == {"a", "b"}
    assert expression.names("params") == {"c"}
    assert expression.names("tables") == set()


@pytest.mark.parametrize(
    ("source", "namespace"),
    [('facts["score"] > 70', "facts"), ("size(facts) > 0", "facts"), ("'score' in facts", "facts"), ("facts .score > 1 && facts", "facts"),
     ("size(params) > 0", "params"), ("tables['x']", "tables"), ("'a' in versions", "versions")],
)
def test_a_value_must_be_read_by_its_name(source: str, namespace: str) -> None:
    """The trail cites what a rule read, and an evaluation gives an expression only the values it names."""
    with pytest.raises(ExpressionError, match=rf"write {namespace}\.NAME, not {namespace}\[\.\.\.\] or {namespace} alone"):
        Expression.compile(source)


def test_an_expression_reads_the_facts_it_names_whatever_else_is_known() -> None:
    scope = Scope({"params": {"limit": 2}}, {"a": 1, "b": [1, 2, 3]})
    assert Expression.compile("facts.a + params.limit").evaluate(scope) == 3
    assert Expression.compile("size(facts.b) > facts.a").evaluate(scope) is True
    scope.facts["c"] = {"x": 5}  # as the inference concludes a fact
    assert Expression.compile("facts.c.x * facts.a").evaluate(scope) == 5
    scope.bind("value", None)
    assert Expression.compile("value == null").evaluate(scope) is True
    scope.bind("value", 4)
    assert Expression.compile("value + facts.a").evaluate(scope) == 5
    scope.unbind("value")
    assert Expression.compile("value == null").evaluate(scope) is True


# --- evaluation errors --------------------------------------------------------------------------------------


def test_a_missing_fact_is_named() -> None:
    assert fails("facts.absent > 1", present=1) == "facts.absent > 1: no such key 'absent'"


def test_integer_division_by_zero_is_an_error() -> None:
    assert "division by zero" in fails("facts.a / facts.b", a=1, b=0)


def test_registered_functions_are_registered_once() -> None:
    assert {"min", "max", "sum", "round", "add_days", "add_months", "add_years", "days_between", "months_between", "lookup", "band", "order_by", "distinct", "format_date", "product", "sentences"} <= set(FUNCTIONS)
    with pytest.raises(ValueError, match="'round' is already registered"):
        register("round", round)


# --- templates ----------------------------------------------------------------------------------------------


def test_a_template_splits_into_text_and_expressions() -> None:
    template = Template.compile("The score {facts.score}/100 is in band {value}.")
    kinds = [type(p).__name__ for p in template.parts]
    assert kinds == ["str", "Expression", "str", "Expression", "str"]
    assert template.references == frozenset({("facts", "score")})


def test_a_template_without_placeholders_is_its_text() -> None:
    template = Template.compile("Improvements must be presented within the period.")
    assert template.parts == ("Improvements must be presented within the period.",)
    assert template.render(Scope(REFERENTIAL, {})) == "Improvements must be presented within the period."


def test_a_template_renders_values_as_sentences() -> None:
    scope = Scope(REFERENTIAL, {"score": 82.5, "missing": [], "given": ["a", "b"], "ok": True, "none": None, "whole": 82.0})
    scope.bind("value", "compliant")
    template = Template.compile(
        "{facts.score} {value}; missing: {facts.missing}; given: {facts.given}; ok: {facts.ok}; {facts.none}; {facts.whole}; fee {params.fee} €"
    )
    assert template.render(scope) == "82.5 compliant; missing: none; given: a, b; ok: yes; not given; 82; fee 1000 €"


@pytest.mark.parametrize("source", ["bad {nope.x}", "bad {1 +}"])
def test_a_bad_placeholder_is_refused_at_compile(source: str) -> None:
    with pytest.raises(ExpressionError):
        Template.compile(source)


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "yes"), (False, "no"), (2.0, "2"), (1 / 3, "0.333"), (2154.985, "2154.985"), (0.0004, "0.0004"), (0.041667, "0.041667"), (2 / 3 * 1000, "666.667"), (82.5, "82.5"), ([], "none"), (["a", 1], "a, 1"), (None, "not given"), ({"A": 25}, "A: 25"), ("x", "x"), (7, "7"),
     ([{"company": "A", "rate": 0.2}, {"company": "B", "rate": 0.4}], "(company: A, rate: 0.2); (company: B, rate: 0.4)"),
     ([{"a": 1}, "b"], "a: 1, b")],
)
def test_format_value(value: Any, text: str) -> None:
    assert format_value(value) == text


def test_rendering_a_map_is_deterministic() -> None:
    referential = {"tables": {"weights": {"A": 25, "B": 25, "C": 25, "D": 20, "E": 5}}}
    template = Template.compile("{tables.weights}")
    rendered = {template.render(Scope(referential, {})) for _ in range(20)}
    assert rendered == {"A: 25, B: 25, C: 25, D: 20, E: 5"}


def test_ordered_sorts_the_keys_of_maps_coming_back_from_cel() -> None:
    value = {"b": [{"z": 1, "a": 2}], "a": {"d": 1, "c": 2}}
    result = ordered(value)
    assert list(result) == ["a", "b"]
    assert list(result["a"]) == ["c", "d"]
    assert list(result["b"][0]) == ["a", "z"]
    assert result == value


def test_a_map_concluded_by_an_expression_comes_back_ordered() -> None:
    referential = {"tables": {"weights": {"E": 5, "D": 20, "C": 25, "B": 25, "A": 25}}}
    results = {tuple(ordered(Expression.compile("tables.weights").evaluate(Scope(referential, {})))) for _ in range(20)}
    assert results == {("A", "B", "C", "D", "E")}


def test_criteria_are_a_list_in_the_grid_order() -> None:
    expression = Expression.compile("criteria.filter(c, c.mandatory).map(c, c.id)")
    criteria = [{"id": i, "mandatory": True} for i in ("A.1", "A.2", "A.3", "A.5", "D.1")]
    assert {tuple(expression.evaluate(Scope({"criteria": criteria}, {}))) for _ in range(20)} == {("A.1", "A.2", "A.3", "A.5", "D.1")}


def test_distinct_keeps_the_first_of_each() -> None:
    scope = Scope({}, {"ids": ["b", "a", "b", "c", "a"]})
    assert Expression.compile("distinct(facts.ids)").evaluate(scope) == ["b", "a", "c"]
    assert Expression.compile("distinct([])").evaluate(scope) == []
    with pytest.raises(ExpressionError, match=r"distinct\(\) takes a list, got 'x'"):
        Expression.compile("distinct('x')").evaluate(scope)


@pytest.mark.parametrize(
    ("source", "text"),
    [("format_number(41.6667, 1, ',')", "41,7"), ("format_number(25.0, 3, ',')", "25,000"), ("format_number(2.5, 0, '.')", "3"),
     ("format_number(-152.0245, 3, '.')", "-152.025"), ("format_number(7, 2, ',')", "7,00")],
)
def test_format_number_writes_decimals_with_the_mark(source: str, text: str) -> None:
    assert Expression.compile(source).evaluate(Scope({}, {})) == text


@pytest.mark.parametrize("source", ["format_number('1', 1, ',')", "format_number(1.0, -1, ',')", "format_number(1.0, 1, ';')"])
def test_format_number_refuses_what_it_cannot_write(source: str) -> None:
    with pytest.raises(ExpressionError, match=r"format_number\(\) takes"):
        Expression.compile(source).evaluate(Scope({}, {}))


def test_join_puts_the_separator_between_texts() -> None:
    scope = Scope({}, {"accounts": ["606110", "606120"]})
    assert Expression.compile("join(facts.accounts, ', ')").evaluate(scope) == "606110, 606120"
    assert Expression.compile("join([], ', ')").evaluate(scope) == ""
    with pytest.raises(ExpressionError, match=r"join\(\) takes a list of texts"):
        Expression.compile("join([1, 2], ', ')").evaluate(scope)


@pytest.mark.parametrize(
    ("source", "text"),
    [("format_date('2016-03-18', 'DD/MM/YYYY')", "18/03/2016"), ("format_date('2024-02-29', 'YYYY')", "2024"),
     ("format_date('2017-05-24', 'du DD/MM/YYYY')", "du 24/05/2017")],
)
def test_format_date(source: str, text: str) -> None:
    assert Expression.compile(source).evaluate(Scope({}, {})) == text


@pytest.mark.parametrize(
    ("source", "message"),
    [("format_date('2016-02-30', 'DD/MM/YYYY')", "format_date()"), ("format_date('2016-03-18', 'day')", "a pattern with YYYY, MM or DD")],
)
def test_format_date_refuses_bad_dates_and_patterns(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        Expression.compile(source).evaluate(Scope({}, {}))


@pytest.mark.parametrize(("source", "value"), [("product([0.9, 0.95, 0.97])", 0.9 * 0.95 * 0.97), ("product([])", 1), ("product(2, 3)", 6)])
def test_product(source: str, value: Any) -> None:
    assert Expression.compile(source).evaluate(Scope({}, {})) == pytest.approx(value)


def test_product_takes_numbers() -> None:
    with pytest.raises(ExpressionError, match="product"):
        Expression.compile("product(['a'])").evaluate(Scope({}, {}))


# --- sentences ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Une phrase. Une autre ! La troisième ? Fin…", ["Une phrase.", "Une autre !", "La troisième ?", "Fin…"]),
        ("Sans point final", ["Sans point final"]),
        ("", []),
        ("  \n\n ", []),
        ("Sur deux\n   lignes. Suite.", ["Sur deux lignes.", "Suite."]),
        ("Titre\n\nParagraphe.", ["Titre", "Paragraphe."]),
        ("Liste :\n- un\n* deux\n• trois\n1. quatre\n2) cinq", ["Liste :", "- un", "* deux", "• trois", "1. quatre", "2) cinq"]),
        ("Il dit « c'est fini. » Puis il part.", ["Il dit « c'est fini. »", "Puis il part."]),
        ('Il dit "oui." Puis (vraiment.) Non.', ['Il dit "oui."', "Puis (vraiment.)", "Non."]),
        ("Il y a env. 500 arbres, cf. art. 30. Bien.", ["Il y a env. 500 arbres, cf. art. 30.", "Bien."]),
        ("Selon J. Martin. Oui.", ["Selon J. Martin.", "Oui."]),
        ("Voir M. Dupont.", ["Voir M. Dupont."]),
        ("Voir Mme. Durand.", ["Voir Mme.", "Durand."]),
        ("Prix : 1.5 €. Vraiment ?! Oui.", ["Prix : 1.5 €.", "Vraiment ?!", "Oui."]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert Expression.compile("sentences(facts.text)").evaluate(Scope({}, {"text": text})) == expected


def test_sentences_quote_where_a_pattern_matches() -> None:
    text = "Nous finançons un projet. Nous sommes NEUTRES en carbone\ndepuis 2024. Merci."
    source = "sentences(facts.text).filter(s, s.matches('(?i)neutres? en carbone'))"
    assert Expression.compile(source).evaluate(Scope({}, {"text": text})) == ["Nous sommes NEUTRES en carbone depuis 2024."]


def test_sentences_takes_a_string() -> None:
    with pytest.raises(ExpressionError, match=r"sentences\(\) takes a string, got 3"):
        Expression.compile("sentences(3)").evaluate(Scope({}, {}))


def test_where_pluck_and_compact_read_long_lists_of_records() -> None:
    rows = [{"g": "x", "eur": 1.5, "kg": None, "resold": False}, {"g": "y", "eur": 2.0, "kg": 3.0, "resold": True},
            {"g": "x", "eur": 4.0, "kg": 1.0, "resold": 0}]
    scope = Scope({}, {"rows": rows})
    assert Expression.compile("pluck(where(facts.rows, 'g', 'x'), 'eur')").evaluate(scope) == [1.5, 4.0]
    assert Expression.compile("size(where(facts.rows, 'resold', false))").evaluate(scope) == 1  # 0 is not false
    assert Expression.compile("sum(compact(pluck(facts.rows, 'kg')))").evaluate(scope) == 4.0
    assert Expression.compile("where(facts.rows, 'missing', 1)").evaluate(scope) == []
    with pytest.raises(ExpressionError, match=r"pluck\(\): element 0 has no field 'missing'"):
        Expression.compile("pluck(facts.rows, 'missing')").evaluate(scope)
    with pytest.raises(ExpressionError, match=r"where\(\) takes a list of maps"):
        Expression.compile("where([1, 2], 'g', 1)").evaluate(scope)


def test_repeated_names_each_item_seen_twice_once() -> None:
    """What a uniqueness check reports: each repeated id once, in the order of first appearance; linear on long lists."""
    scope = Scope({}, {"ids": ["b", "a", "b", "c", "a", "b"]})
    assert Expression.compile("repeated(facts.ids)").evaluate(scope) == ["b", "a"]
    assert Expression.compile("repeated([1, true, 1.0, {'a': 1}, {'a': 1}])").evaluate(Scope({}, {})) == [1, {"a": 1}]
    assert Expression.compile("repeated(['x'])").evaluate(Scope({}, {})) == []
    with pytest.raises(ExpressionError, match=r"repeated\(\) takes a list, got 'x'"):
        Expression.compile("repeated('x')").evaluate(Scope({}, {}))


def test_distinct_tells_true_from_one() -> None:
    assert Expression.compile("distinct([1, true, 1, 'a', 'a', 1.0])").evaluate(Scope({}, {})) == [1, True, "a"]
