"""Every bundled example of every scheme: it is judged, identically by both runtimes, and twice alike.

`make demo` runs these files; the scheme tests check what each one decides. Here the engine's
promise is checked on all of them at once: the durable-rules adapter and the plain forward chainer
give the same decision, byte for byte, and no example depends on the order rules happen to fire in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from engine import Store, evaluate, load_dossier
from engine.canonical import canonical_json

EXAMPLES = sorted((ROOT / "examples").glob("*/*.yaml"))


def test_every_scheme_has_examples() -> None:
    schemes = {p.name for p in (ROOT / "referentials").iterdir() if p.is_dir()}
    assert schemes <= {p.parent.name for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_an_example_is_judged_alike_by_both_runtimes(store: Store, path: Path) -> None:
    dossier = load_dossier(path)
    durable = evaluate(store, dossier, runtime="durable-rules")
    python = evaluate(store, dossier, runtime="python")
    assert canonical_json(durable) == canonical_json(python)
    assert canonical_json(evaluate(store, dossier)) == canonical_json(durable)
    used = {v["version"] for v in durable["versions"]}
    declared = {
        outcome
        for v in store.versions(dossier.scheme) if v.id in used
        for p in v.procedures().values() if p.name == dossier.procedure
        for outcome in p.outcomes
    }
    assert durable["outcome"] in declared
