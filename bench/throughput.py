"""Dossiers judged per second, per scheme and procedure and per runtime, on the bundled examples; prints its figures.

    python bench/throughput.py [--seconds S] [--runtimes compiled,durable-rules,python] [--portfolio N] [--json]

Each figure is one warm process judging the examples of one procedure over and
over for S seconds (after a first pass that compiles what they need), each
decision serialised as compact JSON, as a batch writes it. Then the whole mix
of examples, per runtime, and the mean size of a decision. Then a portfolio
of N dossiers (the examples replicated with new ids, tests/portfolio.py)
through `referee batch`'s own path with 1 and with 2 processes, and the mix
judged by 1 and by 2 forked processes without a batch's reading and writing. Nothing here
asserts a time: the figures are read by people, with the machine's load
printed beside them (this machine is shared; compare ratios from one run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the portfolio generator lives beside the tests

from portfolio import portfolio, write_jsonl  # noqa: E402

from engine import Library, load_dossier  # noqa: E402
from engine.model.dossier import Dossier  # noqa: E402
from engine.running.batch import collect, judge_all  # noqa: E402

RUNTIMES = ("compiled", "durable-rules", "python")


def machine() -> dict[str, Any]:
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def rate(library: Library, dossiers: list[Dossier], runtime: str, seconds: float) -> tuple[float, float]:
    """(dossiers per second, mean bytes of a decision) for judging `dossiers` in turn for `seconds`."""
    sizes = [len(library.evaluate(d, runtime=runtime).to_bytes()) for d in dossiers]  # compiles, outside the timing
    judged = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        for dossier in dossiers:
            library.evaluate(dossier, runtime=runtime).to_bytes()
        judged += len(dossiers)
    return judged / (time.process_time() - start), statistics.fmean(sizes)


def per_procedure(library: Library, runtimes: list[str], seconds: float) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[Dossier]] = defaultdict(list)
    for path in sorted((ROOT / "examples").glob("*/*.yaml")):
        dossier = load_dossier(path)
        groups[(dossier.scheme, dossier.procedure)].append(dossier)
    rows = []
    for (scheme, procedure), dossiers in sorted(groups.items()):
        row: dict[str, Any] = {"scheme": scheme, "procedure": procedure, "examples": len(dossiers)}
        for runtime in runtimes:
            per_second, size = rate(library, dossiers, runtime, seconds)
            row[runtime] = round(per_second)
            row["mean_decision_bytes"] = round(size)
        rows.append(row)
    return rows


def mix(library: Library, runtimes: list[str], seconds: float) -> dict[str, Any]:
    """The whole mix of examples, as one portfolio would hold them."""
    dossiers = [load_dossier(p) for p in sorted((ROOT / "examples").glob("*/*.yaml"))]
    figures = {runtime: rate(library, dossiers, runtime, seconds) for runtime in runtimes}
    return {runtime: round(per_second) for runtime, (per_second, _) in figures.items()} | {"mean_decision_bytes": round(next(iter(figures.values()))[1])}


_shared: tuple[Library, list[Dossier], str] | None = None  # set before forking: the workers inherit it, never pickled


def _judge_share(count: int) -> int:
    assert _shared is not None
    library, dossiers, runtime = _shared
    for i in range(count):
        library.evaluate(dossiers[i % len(dossiers)], runtime=runtime).to_bytes()
    return count


def scaling(library: Library, runtime: str, count: int) -> dict[str, Any]:
    """The mix judged by 1 process, then by 2 forked ones sharing the work: wall-clock rates, the library compiled before."""
    dossiers = [load_dossier(p) for p in sorted((ROOT / "examples").glob("*/*.yaml"))]
    library.compile_all()
    for dossier in dossiers:
        library.evaluate(dossier, runtime=runtime)
    global _shared
    _shared = (library, dossiers, runtime)
    figures = {}
    for jobs in (1, 2):
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            start = time.perf_counter()
            done = sum(pool.map(_judge_share, [count // jobs] * jobs))
            figures[f"processes_{jobs}"] = round(done / (time.perf_counter() - start))
    figures["ratio_2_to_1"] = round(figures["processes_2"] / figures["processes_1"], 2)
    return {"dossiers": count, "runtime": runtime, **figures}


def batches(count: int, runtime: str) -> dict[str, Any]:
    """A portfolio through the batch path (read, parse, judge, serialise) with 1 and 2 processes; wall-clock rates."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "portfolio.jsonl"
        write_jsonl(path, portfolio(count, seed=0))
        entries = collect([path])
        figures = {}
        for jobs in (1, 2):
            library = Library.open(ROOT)  # fresh, as a new batch would be: compiling is part of the run
            start = time.perf_counter()
            results = list(judge_all(library, entries, runtime=runtime, jobs=jobs))
            seconds = time.perf_counter() - start
            assert all(r.decision is not None for r in results), "the portfolio holds only valid dossiers"
            figures[f"jobs_{jobs}"] = round(count / seconds)
    figures["ratio_2_to_1"] = round(figures["jobs_2"] / figures["jobs_1"], 2)
    return {"dossiers": count, "runtime": runtime, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per figure")
    parser.add_argument("--runtimes", default=",".join(RUNTIMES), help="comma-separated, among " + ", ".join(RUNTIMES))
    parser.add_argument("--portfolio", type=int, default=10_000, help="dossiers of the batch measure (0: skip it)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    args = parser.parse_args()
    runtimes = [r for r in args.runtimes.split(",") if r]
    library = Library.open(ROOT)
    figures: dict[str, Any] = {"machine": machine()}
    figures["procedures"] = per_procedure(library, runtimes, args.seconds)
    figures["median_excluding_carbon_account"] = {
        runtime: round(statistics.median(r[runtime] for r in figures["procedures"] if r["procedure"] != "carbon_account")) for runtime in runtimes
    }
    figures["mix"] = mix(library, runtimes, args.seconds)
    figures["scaling"] = scaling(library, "compiled", max(2000, round(figures["mix"]["compiled"] * 4 * args.seconds)) if "compiled" in runtimes else 2000)
    if args.portfolio:
        figures["batch"] = batches(args.portfolio, "compiled")
    figures["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['machine']['date']} — {figures['machine']['cpus']} CPUs, load average {figures['machine']['load_average']} "
          f"(after: {figures['machine']['load_average_after']}), Python {figures['machine']['python']}")
    print("\ndossiers/s, one process, warm, each decision serialised as compact JSON:")
    print(f"  {'scheme':26} {'procedure':22} " + " ".join(f"{r:>13}" for r in runtimes) + f" {'mean bytes':>11}")
    for row in figures["procedures"]:
        print(f"  {row['scheme']:26} {row['procedure']:22} " + " ".join(f"{row[r]:>13,}" for r in runtimes) + f" {row['mean_decision_bytes']:>11,}")
    print(f"  {'median, carbon_account apart':49} " + " ".join(f"{figures['median_excluding_carbon_account'][r]:>13,}" for r in runtimes))
    print(f"  {'the whole mix of examples':49} " + " ".join(f"{figures['mix'][r]:>13,}" for r in runtimes))
    s = figures["scaling"]
    print(f"\nthe mix, {s['dossiers']:,} dossiers ({s['runtime']}), wall clock, library compiled and inherited by fork:")
    print(f"  1 process: {s['processes_1']:,}/s   2 processes: {s['processes_2']:,}/s   ratio {s['ratio_2_to_1']}")
    if args.portfolio:
        b = figures["batch"]
        print(f"\nbatch of {b['dossiers']:,} dossiers (JSON Lines in, decisions out, {b['runtime']}), wall clock, compiling included:")
        print(f"  1 process: {b['jobs_1']:,}/s   2 processes: {b['jobs_2']:,}/s   ratio {b['ratio_2_to_1']}")


if __name__ == "__main__":
    main()
