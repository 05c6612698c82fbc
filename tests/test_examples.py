"""Every bundled example of every scheme: it is judged, identically by the three runtimes, and twice alike.

`make demo` runs these files, and `make test` holds each to its `expect:` block (the outcome, values,
findings and versions it must give): referee's pytest plugin collects them from examples/, as
`referee test` does. Here the engine's promise is checked on all of them at once: the durable-rules
adapter, the plain forward chainer and the compiled runtime give the same decision, byte for byte, and
no example depends on the order rules happen to fire in.

Each example starts with a comment saying what it shows, and states its outcome and the version of each
section it reads in its block (a file name that ends with the outcome is a convenience for the reader,
not the check). Together they show every outcome of every procedure, and every procedure under each
version that has it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import OCO2, ROOT

from engine import Library, load_dossier
from engine.authoring.expectations import read_expectation
from engine.decision.model import NOT_ENCODED_OUTCOME, REPEALED_OUTCOME
from engine.model.canonical import canonical_json

EXAMPLES = sorted((ROOT / "examples").glob("*/*.yaml"))
COVERED = (OCO2, "label-bas-carbone", "label-transmission")  # the schemes whose examples show every outcome of every procedure
REFUSALS = {REPEALED_OUTCOME, NOT_ENCODED_OUTCOME}  # the engine's own outcomes, for a cycle no encoded version may judge


def test_every_scheme_has_examples(library: Library) -> None:
    """Companion referentials (a decree's methods) are exercised by their framework's examples."""
    schemes = {s for s in library.schemes() if library.versions(s)[0].framework is None}
    assert schemes == {p.parent.name for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_an_example_is_judged_alike_by_the_three_runtimes(library: Library, path: Path) -> None:
    dossier = load_dossier(path)
    durable = library.evaluate(dossier, runtime="durable-rules").to_json()
    for other in ("python", "compiled"):
        assert canonical_json(library.evaluate(dossier, runtime=other).to_json()) == canonical_json(durable), other
    assert canonical_json(library.evaluate(dossier).to_json()) == canonical_json(durable)
    used = {v["version"] for v in durable["versions"]}
    declared = {
        outcome
        for v in library.versions(dossier.scheme) if v.id in used
        for p in v.procedures().values() if p.name == dossier.procedure
        for outcome in p.outcomes
    }
    assert durable["outcome"] in declared | REFUSALS


def home_version(decision: dict[str, Any]) -> str:
    """The version that gave the procedure: its section comes first in the decision's versions."""
    return decision["versions"][0]["version"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_an_example_says_what_it_shows_and_what_it_must_give(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("# "), "an example says what it shows in its first line"
    dossier = load_dossier(path)
    assert dossier.expect is not None, "an example states the decision it must give under expect:"
    expectation = read_expectation(dossier.expect, str(path))
    assert expectation.outcome, "the block states at least the outcome"
    assert expectation.versions or expectation.outcome in REFUSALS, "and the version of each section (a refused cycle has none)"


@pytest.mark.parametrize("scheme", COVERED)
def test_every_outcome_of_every_procedure_has_an_example(library: Library, scheme: str) -> None:
    shown: dict[tuple[str, str], set[str]] = {}
    for path in (p for p in EXAMPLES if p.parent.name == scheme):
        decision = library.evaluate(load_dossier(path)).to_json()
        if decision["outcome"] in REFUSALS:
            continue
        shown.setdefault((decision["procedure"], home_version(decision)), set()).add(decision["outcome"])
    declared: dict[str, set[str]] = {}
    for version in library.versions(scheme):
        for name, procedure in version.procedures().items():
            assert shown.get((name, version.id)), f"no example of {name} under {version.id}"
            declared.setdefault(name, set()).update(procedure.outcomes)
    for name, outcomes in declared.items():
        assert set().union(*(o for (n, _), o in shown.items() if n == name)) == outcomes, name
