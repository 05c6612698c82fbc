"""Portfolios of dossiers made from the bundled examples, seeded: for `referee impact`, tests and benchmarks.

    python examples/portfolios/portfolio.py [SCHEME…] [--count 10000] [--seed 0] [-o build/portfolios]

writes, for each scheme with examples (default: all), `<folder>/<scheme>.jsonl`:
`count` realistic dossiers, the same for the same seed (`realistic`). Each is
an example of the scheme, copied with a new dossier_id and varied as a real
portfolio varies: all its dates moved together so that its cycle starts on a
random day from the scheme's first version to two years after its last
encoded one (so some cycles run under each version, and some start after the
newest); its numbers moved by up to 20 % within the bounds its procedure's
input sets (criteria points within their maximum, say); a yes/no answer
turned over, or another allowed value chosen, now and then. A variation the
library refuses (dates a version cannot judge, facts its checks reject) is
tried again with the dates alone, then the facts alone, then neither: every
dossier written is judged. The example's `expect:` block is dropped: the
variation may change the outcome.

From Python, the same generators, and the replicas used by the tests of batches:

    from portfolio import portfolio, realistic, write_jsonl
    write_jsonl(Path("build/portfolio.jsonl"), portfolio(10_000, invalid=50))   # examples replicated, 50 spoiled
    write_jsonl(Path("build/bc.jsonl"), realistic(library, "bilan-carbone-compliance", 10_000))
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
if str(ROOT) not in sys.path:  # run as a script: the engine is the project's
    sys.path.insert(0, str(ROOT))

from engine import Library, read_dossier  # noqa: E402
from engine.errors import RefereeError  # noqa: E402
from engine.model.canonical import to_plain  # noqa: E402
from engine.model.documents import load_document  # noqa: E402
from engine.model.dossier import facts_schema  # noqa: E402

JITTER = 0.2  # a number moves by up to this share of itself
MOVED = 0.5  # the share of numbers moved
TURNED = 0.05  # the share of yes/no answers turned over, and of allowed values changed
HORIZON = dt.timedelta(days=730)  # cycles start up to this long after the last encoded version came into force
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


# -- replicas, some spoiled: for the tests of batches -------------------------------------------


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


# -- realistic portfolios: for impact and its benchmark -----------------------------------------


def realistic(library: Library, scheme: str, count: int, *, seed: int = 0, tally: Counter[str] | None = None) -> Iterator[dict[str, Any]]:
    """`count` dossiers of `scheme` varied from its examples (module docstring); `tally` counts how each was varied."""
    rng = random.Random(f"realistic {scheme} {seed}")
    own = [d for d in examples() if d["scheme"] == scheme]
    if not own:
        raise ValueError(f"no example of {scheme} in {EXAMPLES}")
    versions = library.versions(scheme)
    first = min(v.in_force_from for v in versions)
    last = max(v.in_force_from for v in versions if v.sections) + HORIZON
    for i in range(count):
        example = rng.choice(own)
        start = first + dt.timedelta(days=rng.randrange((last - first).days))
        shift = start - dt.date.fromisoformat(example["cycle"]["anchor"])
        varied = _vary(example["facts"], {"type": "dict", "schema": _input(library, example)}, rng)
        for how, document in (
            ("dates and facts", {**_moved(example, shift), "facts": _moved(varied, shift)}),
            ("dates", _moved(example, shift)),
            ("facts", {**example, "facts": varied}),
            ("copied", example),
        ):
            if how == "copied" or _judged(library, document):
                break
        if tally is not None:
            tally[how] += 1
        yield {**{k: v for k, v in document.items() if k != "expect"}, "dossier_id": f"{example['dossier_id']}#{seed}-{i:06d}"}


def _input(library: Library, example: dict[str, Any]) -> dict[str, Any]:
    """The input schema of the example's procedure in the scheme's latest version that has it (its bounds guide the variation)."""
    for version in reversed(library.versions(example["scheme"])):
        procedure = version.procedure(example["procedure"])
        if procedure is not None and all(s in version.sections for s in procedure.sections):
            return facts_schema(procedure, {c.id: c for s in procedure.sections for c in version.sections[s].criteria.values()})
    return {}


def _vary(value: Any, rules: dict[str, Any], rng: random.Random) -> Any:
    """A fact varied within its rules: numbers moved and kept within min and max, answers sometimes turned."""
    inner = rules.get("schema")
    if isinstance(value, dict):
        fields = inner if isinstance(inner, dict) and rules.get("type") != "list" else {}
        return {k: _vary(v, fields.get(k) or rules.get("valuesrules") or {}, rng) for k, v in value.items()}
    if isinstance(value, list):
        return [_vary(v, inner if isinstance(inner, dict) and rules.get("type") == "list" else {}, rng) for v in value]
    if isinstance(value, bool):
        return not value if rng.random() < TURNED else value
    if isinstance(value, (int, float)) and rng.random() < MOVED:
        moved = value * rng.uniform(1 - JITTER, 1 + JITTER)
        low, high = rules.get("min"), rules.get("max")
        moved = max(moved, low) if isinstance(low, (int, float)) else moved
        moved = min(moved, high) if isinstance(high, (int, float)) else moved
        return round(moved) if isinstance(value, int) else round(moved, 2)
    if isinstance(value, str) and len(rules.get("allowed") or ()) > 1 and rng.random() < TURNED:
        return rng.choice(rules["allowed"])
    return value


def _moved(value: Any, shift: dt.timedelta) -> Any:
    """Every date of a dossier's cycle, event and facts moved by `shift` (its version and companions kept)."""
    if isinstance(value, dict):
        return {k: v if k in ("version", "companions", "scheme", "procedure", "dossier_id") else _moved(v, shift) for k, v in value.items()}
    if isinstance(value, list):
        return [_moved(v, shift) for v in value]
    if isinstance(value, str) and _DAY.match(value):
        try:
            return (dt.date.fromisoformat(value) + shift).isoformat()
        except ValueError:  # not a day after all
            return value
    return value


def _judged(library: Library, document: dict[str, Any]) -> bool:
    try:
        library.evaluate(read_dossier(document, f"{document['dossier_id']} (generated)"), runtime="compiled")
    except RefereeError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write realistic portfolios of dossiers, one JSON Lines file per scheme.")
    parser.add_argument("schemes", nargs="*", metavar="SCHEME", help="schemes with examples (default: all of them)")
    parser.add_argument("--count", type=int, default=10_000, help="dossiers per scheme (default: 10000)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed writes the same dossiers (default: 0)")
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "build" / "portfolios", help="folder (default: build/portfolios)")
    args = parser.parse_args(argv)
    library = Library.open(ROOT)
    schemes = args.schemes or sorted({d["scheme"] for d in examples()})
    args.output.mkdir(parents=True, exist_ok=True)
    for scheme in schemes:
        tally: Counter[str] = Counter()
        start = time.perf_counter()
        path = write_jsonl(args.output / f"{scheme}.jsonl", realistic(library, scheme, args.count, seed=args.seed, tally=tally))
        varied = ", ".join(f"{n} {how}" for how, n in tally.most_common())
        print(f"{path}: {args.count} dossiers of {scheme} ({varied} varied) in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
