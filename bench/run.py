"""Throughput and memory of referee on the bundled examples; prints its figures.

Run with `make bench`. Nothing here asserts a time: targets are read by people.

    python bench/run.py [--dossiers N] [--processes P]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Store, evaluate, load_dossier  # noqa: E402
from engine.compilation.expressions import Expression, Scope  # noqa: E402


def _dossiers() -> list:
    return [load_dossier(p) for p in sorted((ROOT / "examples").glob("*/*.yaml"))]


def _run(count: int, runtime: str) -> float:
    store = Store(ROOT)
    dossiers = _dossiers()
    for d in dossiers:  # compile and register rulesets outside the timing
        evaluate(store, d, runtime=runtime)
    start = time.perf_counter()
    for i in range(count):
        evaluate(store, dossiers[i % len(dossiers)], runtime=runtime)
    return time.perf_counter() - start


def _worker(args: tuple[int, str]) -> float:
    return _run(*args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()

    print(f"examples: {len(_dossiers())} dossiers, cycled to {args.dossiers} evaluations")
    for runtime in ("durable-rules", "python"):
        seconds = _run(args.dossiers, runtime)
        print(f"{runtime:>14}: {args.dossiers / seconds:8.0f} dossiers/s  ({seconds * 1e6 / args.dossiers:.0f} µs each, one process)")

    share = args.dossiers // args.processes
    with multiprocessing.get_context("fork").Pool(args.processes) as pool:
        start = time.perf_counter()
        pool.map(_worker, [(share, "durable-rules")] * args.processes)
        wall = time.perf_counter() - start
    print(f"{'durable-rules':>14}: {share * args.processes / wall:8.0f} dossiers/s  ({args.processes} processes, fork, including warm-up)")

    scope = Scope({"params": {"max_unlabelled": 0.35}}, {"unlabelled_share": 0.2, "rental_share": 0.1})
    condition = Expression.compile(
        "facts.unlabelled_share < params.max_unlabelled && (facts.rental_share + facts.unlabelled_share) < params.max_unlabelled"
    )
    n = 20000
    start = time.perf_counter()
    for _ in range(n):
        condition.evaluate(scope)
    print(f"CEL condition (shared/notes/expressions.md shape), in its own context as the engine runs it: "
          f"{(time.perf_counter() - start) * 1e6 / n:.2f} µs per evaluation")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
