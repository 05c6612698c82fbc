"""The differential test of the CEL translation: every expression of every bundled rule file (and
every input check of every referential) runs through the Rust binding and through the translation,
on the examples' data and on generated values (integers, doubles, nulls, empty lists and maps,
unicode text); both must give the same value, or both fail.

The examples' data are the activations the engine builds: every example is judged once, with
`Scope.context_for` wrapped to record each expression's source and the variables it is given.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cel
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cel_translation import Failed, outcome, same

from engine import Library, load_dossier
from engine.compilation import expressions
from engine.compilation.cel import nodes, parse, translate
from engine.compilation.expressions import FUNCTIONS, Scope, Template, ordered
from engine.compilation.sugar import core_rules

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*/*.yaml"))
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
RUST_RETRIES = 20  # the binding iterates a map in a new order at each call


@functools.cache
def bundled_sources() -> frozenset[str]:
    """when, for_each, value, a finding's message and because of every rule; check and message of
    every input check; a template counts by its {placeholders}."""
    sources: set[str] = set()

    def template(text: str) -> None:
        sources.update(part.source for part in Template.compile(text).parts if not isinstance(part, str))

    for path in sorted((ROOT / "rules").glob("**/*.yaml")):
        for rule in (core.body for core in core_rules(yaml.safe_load(path.read_text(encoding="utf-8")))):
            sources.update(rule[key] for key in ("when", "for_each") if key in rule)
            then = rule["then"]
            if "value" in then:
                sources.add(then["value"])
            if "finding" in then:
                template(then["finding"]["message"])
            template(rule["because"])

    def input_checks(document: Any) -> None:
        if isinstance(document, dict):
            for check in document.get("input_checks") or ():
                sources.add(check["check"])
                template(check["message"])
            for value in document.values():
                input_checks(value)
        elif isinstance(document, list):
            for value in document:
                input_checks(value)

    for path in sorted((ROOT / "referentials").glob("*/*.yaml")):
        input_checks(yaml.safe_load(path.read_text(encoding="utf-8")))
    return frozenset(sources)


@pytest.fixture(scope="module")
def captured() -> list[tuple[str, dict[str, Any]]]:
    """(source, variables) of every expression the engine evaluates while judging every example."""
    pairs: list[tuple[str, dict[str, Any]]] = []
    context_for = Scope.context_for

    def recording(scope: Scope, expression: expressions.Expression) -> Any:
        context = context_for(scope, expression)
        pairs.append((expression.source, context.variables))
        return context

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Scope, "context_for", recording)
        library = Library.open(ROOT)
        for path in EXAMPLES:
            library.evaluate(load_dossier(path), runtime="python")
    return pairs


_programs: dict[str, Any] = {}
_evaluators: dict[str, Any] = {}


def run_rust(source: str, variables: dict[str, Any]) -> Any:
    program = _programs.get(source) or _programs.setdefault(source, cel.compile(source))
    return outcome(lambda: ordered(program.execute(cel.Context(variables=variables, functions=FUNCTIONS))))


def run_translated(source: str, variables: dict[str, Any]) -> Any:
    evaluate = _evaluators.get(source) or _evaluators.setdefault(source, translate(source, FUNCTIONS))
    return outcome(lambda: ordered(evaluate(variables)))


def disagreement(source: str, variables: dict[str, Any]) -> str | None:
    """None if both give the same value or both fail; else what each gave."""
    translated = run_translated(source, variables)
    for _ in range(RUST_RETRIES):
        expected = run_rust(source, variables)
        if same(expected, translated):
            return None
        if isinstance(expected, Failed) or isinstance(translated, Failed):
            break  # only the order of a map's keys varies between runs, never a failure
    return f"{source!r}\n  with {_short(variables)}\n  binding: {_short(expected)}\n  translated: {_short(translated)}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 600 else text[:600] + "…"


def test_every_bundled_expression_translates() -> None:
    sources = bundled_sources()
    failures = []
    for source in sorted(sources):
        try:
            translate(source, FUNCTIONS)
        except Exception as exc:  # noqa: BLE001  # every failure is listed
            failures.append(f"{source!r}: {exc}")
    assert len(sources) > 700
    assert not failures, "\n".join(failures)


def test_the_examples_run_most_bundled_expressions(captured: list[tuple[str, dict[str, Any]]]) -> None:
    run = {source for source, _ in captured}
    assert run <= bundled_sources(), f"expressions found nowhere bundled_sources() looks: {sorted(run - bundled_sources())}"
    assert len(run) > 0.9 * len(bundled_sources())


def test_on_the_examples_data(captured: list[tuple[str, dict[str, Any]]]) -> None:
    disagreements = [d for source, variables in captured if (d := disagreement(source, variables))]
    summary = f"{len(disagreements)} of {len(captured)} evaluations differ:"
    assert not disagreements, "\n".join([summary, *disagreements[:20]])


# --- generated values -------------------------------------------------------------------------------------


def _children(node: nodes.Node) -> Iterator[nodes.Node]:
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            for part in item if isinstance(item, tuple) else (item,):
                if dataclasses.is_dataclass(part):
                    yield part  # type: ignore[misc]


def names_read(node: nodes.Node) -> set[tuple[str, ...]]:
    """The facts an expression reads (`facts.x`), and `item` and `value` if it reads them."""
    found: set[tuple[str, ...]] = set()
    if isinstance(node, nodes.Select) and node.operand == nodes.Ident("facts"):
        found.add(("facts", node.field))
    elif isinstance(node, nodes.Ident) and node.name in ("item", "value"):
        found.add((node.name,))
    for child in _children(node):
        found |= names_read(child)
    return found


GENERATED = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, INT_MAX, INT_MIN, 2**63, 2**64 - 1, 2**64]),
    st.floats(),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 0.1]),
    st.none(),
    st.just([]),
    st.just({}),
    st.text(max_size=24),
    st.booleans(),
)


# What an expression no example evaluates is given: empty namespaces, as Scope.context_for makes them.
EMPTY_ACTIVATION: dict[str, Any] = {
    "item": None, "value": None, "facts": {}, "params": {}, "tables": {}, "bands": {}, "criteria": [], "versions": {}
}


@pytest.fixture(scope="module")
def activations(captured: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """An activation the examples gave each expression, to generate others from."""
    first: dict[str, dict[str, Any]] = {}
    for source, variables in captured:
        first.setdefault(source, variables)
    return first


def _varying_sources() -> list[str]:
    """The bundled sources that read facts, item or value: the names generated values replace."""
    return sorted(source for source in bundled_sources() if names_read(parse(source)))


@pytest.mark.parametrize("source", _varying_sources())
def test_on_generated_values(source: str, activations: dict[str, dict[str, Any]]) -> None:
    base = activations.get(source, EMPTY_ACTIVATION)
    names = sorted(names_read(parse(source)))

    @settings(derandomize=True, max_examples=8, deadline=None, database=None)
    @given(st.dictionaries(st.sampled_from(names), GENERATED, min_size=1))
    def agrees(replacements: dict[tuple[str, ...], Any]) -> None:
        variables = {**base, "facts": dict(base["facts"])}
        for name, value in replacements.items():
            if name[0] == "facts":
                variables["facts"][name[1]] = value
            else:
                variables[name[0]] = value
        found = disagreement(source, variables)
        assert found is None, found

    agrees()
