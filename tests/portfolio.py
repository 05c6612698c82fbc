"""Portfolios of dossiers for tests and benchmarks: the bundled examples replicated with new ids, some spoiled.

`portfolio(count, invalid=K, seed=S)` yields `count` dossier documents (plain
JSON data), the same for the same arguments: the examples (examples/*/*.yaml)
in a seeded order, each copy with a new dossier_id, and `K` of them made
invalid at seeded positions (`invalid_positions`), each in one of the ways of
`FAULTS`. `write_jsonl` writes documents as one JSON Lines file.

    from portfolio import portfolio, write_jsonl
    write_jsonl(Path("build/portfolio.jsonl"), portfolio(10_000, invalid=50))
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from engine.model.canonical import to_plain
from engine.model.documents import load_document

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@cache
def examples() -> tuple[dict[str, Any], ...]:
    """The bundled examples as JSON data, a ledger path made absolute so that it still names the FEC from anywhere."""
    documents = []
    for path in sorted(EXAMPLES.glob("*/*.yaml")):
        document = to_plain(load_document(path))
        if "ledger" in document:
            document["ledger"] = str((path.parent / document["ledger"]).resolve())
        documents.append(document)
    return tuple(documents)


def _example(dossier_id: str) -> dict[str, Any]:
    return copy.deepcopy(next(d for d in examples() if d["dossier_id"] == dossier_id))


def _wrong_type(_: dict[str, Any]) -> dict[str, Any]:
    document = _example("BC-2024-017")  # examples/bilan-carbone-compliance/compliant.yaml
    document["facts"]["resources_provided"] = "all"
    return document


def _missing_fact(_: dict[str, Any]) -> dict[str, Any]:
    document = _example("BC-2024-017")
    del document["facts"]["tool_type"]
    return document


def _unknown_scheme(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "scheme": "no-such-scheme"}


def _impossible_date(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "event_date": "2025-02-30"}


FAULTS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    # name: (how a copy is spoiled, the path of the problem referee must name)
    "wrong-type": (_wrong_type, "$.facts.resources_provided"),
    "missing-fact": (_missing_fact, "$.facts.tool_type"),
    "unknown-scheme": (_unknown_scheme, "$.scheme"),
    "impossible-date": (_impossible_date, "$.event_date"),
}


def invalid_positions(count: int, invalid: int, seed: int = 0) -> dict[int, str]:
    """Position (0-based) -> the fault of each invalid dossier of `portfolio(count, invalid=invalid, seed=seed)`."""
    positions = sorted(random.Random(f"invalid {seed}").sample(range(count), invalid))
    return {position: list(FAULTS)[i % len(FAULTS)] for i, position in enumerate(positions)}


def portfolio(count: int, *, invalid: int = 0, seed: int = 0) -> Iterator[dict[str, Any]]:
    """`count` dossier documents: the examples in a seeded order, replicated with new ids; `invalid` of them spoiled."""
    order = list(examples())
    random.Random(f"order {seed}").shuffle(order)
    faults = invalid_positions(count, invalid, seed)
    for i in range(count):
        document = copy.deepcopy(order[i % len(order)])
        if i in faults:
            document = FAULTS[faults[i]][0](document)
        document["dossier_id"] = f"{document['dossier_id']}#{seed}-{i:06d}"
        yield document


def write_jsonl(path: Path, documents: Iterable[dict[str, Any]]) -> Path:
    """One dossier a line, compact."""
    with path.open("w", encoding="utf-8") as file:
        for document in documents:
            file.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path
