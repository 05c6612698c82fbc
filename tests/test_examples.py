"""Every bundled example of every scheme: it is judged, identically by the three runtimes, and twice alike.

`make demo` runs these files; the scheme tests check what each one decides. Here the engine's
promise is checked on all of them at once: the durable-rules adapter, the plain forward chainer and
the compiled runtime give the same decision, byte for byte, and no example depends on the order rules happen to fire in.

Examples of the schemes in NAMED_BY_OUTCOME end their file name with the outcome they must give
(`labelling-2016-refused.yaml`, `renewal-p3-missing-renewal-not-admissible.yaml`), start with a
comment saying what they show; together they show every outcome of every procedure, and every
procedure under each version that has it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import OCO2, ROOT

from engine import Library, load_dossier
from engine.decision.model import NOT_ENCODED_OUTCOME, REPEALED_OUTCOME
from engine.model.canonical import canonical_json

EXAMPLES = sorted((ROOT / "examples").glob("*/*.yaml"))
NAMED_BY_OUTCOME = (OCO2, "label-bas-carbone", "label-transmission")
NAMED = [p for p in EXAMPLES if p.parent.name in NAMED_BY_OUTCOME]
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


def declared_outcomes(library: Library, scheme: str, procedure: str, version: str) -> set[str]:
    [home] = [p for p in library.versions(scheme) if p.id == version]
    found = home.procedure(procedure)
    return (set(found.outcomes) if found else set()) | REFUSALS


def named_outcome(path: Path, outcomes: set[str]) -> str:
    """The longest outcome whose hyphenated spelling ends the file name."""
    named = [o for o in outcomes if path.stem.endswith(o.replace("_", "-"))]
    assert named, f"{path.name} ends with none of {sorted(outcomes)}"
    return max(named, key=len)


def home_version(decision: dict[str, Any]) -> str:
    """The version that gave the procedure: its section comes first in the decision's versions."""
    return decision["versions"][0]["version"]


@pytest.mark.parametrize("path", NAMED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_an_example_gives_the_outcome_its_name_says(library: Library, cli: Callable[..., Any], path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("# "), "an example says what it shows in its first line"
    result = cli("evaluate", path, "--format", "json")
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    outcomes = declared_outcomes(library, decision["scheme"], decision["procedure"], home_version(decision))
    assert decision["outcome"] == named_outcome(path, outcomes)
    text = cli("evaluate", path)
    assert text.exit_code == 0 and f"OUTCOME: {decision['outcome']}" in text.stdout


@pytest.mark.parametrize("scheme", NAMED_BY_OUTCOME)
def test_every_outcome_of_every_procedure_has_an_example(library: Library, scheme: str) -> None:
    shown: dict[tuple[str, str], set[str]] = {}
    for path in (p for p in NAMED if p.parent.name == scheme):
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
