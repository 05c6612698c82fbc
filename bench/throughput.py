"""Dossiers judged per second, per scheme and procedure and per runtime, on the bundled examples; prints its figures.

    python bench/throughput.py [--seconds S] [--runtimes compiled,durable-rules,python] [--portfolio N] [--json]
    python bench/throughput.py --store [--portfolio N] [--json]

Each figure is one warm process judging the examples of one procedure over and
over for S seconds (after a first pass that compiles what they need), each
decision serialised as compact JSON, as a batch writes it. Then the whole mix
of examples, per runtime, and the mean size of a decision. Then a portfolio
of N dossiers (the examples replicated with new ids, examples/portfolios/portfolio.py)
through `referee batch`'s own path with 1 and with 2 processes, and the mix
judged by 1 and by 2 forked processes without a batch's reading and writing. Nothing here
asserts a time: the figures are read by people, with the machine's load
printed beside them (this machine is shared; compare ratios from one run).

With --store, only what recording costs: the portfolio through the batch path
with its decisions written to a JSON Lines file (`referee batch -o`), then
recorded into a new SQLite store instead (`referee batch --store`), with 1 and
with 2 processes, the best of two alternated runs of each; the library
compiled and recorded within the timing, as a new batch does it.
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
sys.path[:0] = [str(ROOT), str(ROOT / "examples" / "portfolios")]  # the portfolio generator lives beside the examples

from portfolio import portfolio, write_jsonl  # noqa: E402

from engine import Library, load_dossier  # noqa: E402
from engine.model.dossier import Dossier  # noqa: E402
from engine.running.batch import Entry, collect, judge_all  # noqa: E402
from engine.store.recording import Recorder  # noqa: E402
from engine.store.repository import Store  # noqa: E402

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


def _batch_rate(entries: list[Entry], runtime: str, jobs: int, folder: Path, store: Path | None) -> float:
    """Dossiers per second, wall clock, of one batch: decisions to a JSON Lines file, or (`store`) recorded into a new store."""
    library = Library.open(ROOT)  # fresh, as a new batch would be: compiling is part of the run
    start = time.perf_counter()
    recorder = Recorder.start(Store.open(str(store), create=True), library, runtime=runtime, evaluator="bench") if store else None
    with (folder / "decisions.jsonl").open("w", encoding="utf-8") as output:
        for result in judge_all(library, entries, runtime=runtime, jobs=jobs, recording=recorder is not None):
            assert result.decision is not None, "the portfolio holds only valid dossiers"
            if recorder is None:
                output.write(result.decision + "\n")
            elif result.record is not None:
                recorder.add(result.record)
    if recorder is not None:
        recorder.flush()
        recorder.store.close()
    return len(entries) / (time.perf_counter() - start)


def recording(count: int, runtime: str, rounds: int = 2) -> dict[str, Any]:
    """The batch path without and with a SQLite store, 1 and 2 processes: the best rate of `rounds` alternated runs."""
    best: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory() as folder:
        path = write_jsonl(Path(folder) / "portfolio.jsonl", portfolio(count, seed=0))
        entries = collect([path])
        for round_ in range(rounds):
            for jobs in (1, 2):
                for store in (None, Path(folder) / f"store-{round_}-{jobs}.db"):
                    key = f"{'store' if store else 'file'}_jobs_{jobs}"
                    best[key] = max(best[key], _batch_rate(entries, runtime, jobs, Path(folder), store))
    figures: dict[str, Any] = {key: round(rate) for key, rate in best.items()}
    for jobs in (1, 2):
        figures[f"cost_jobs_{jobs}"] = round(1 - best[f"store_jobs_{jobs}"] / best[f"file_jobs_{jobs}"], 3)
    return {"dossiers": count, "runtime": runtime, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per figure")
    parser.add_argument("--runtimes", default=",".join(RUNTIMES), help="comma-separated, among " + ", ".join(RUNTIMES))
    parser.add_argument("--portfolio", type=int, default=10_000, help="dossiers of the batch measure (0: skip it)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    parser.add_argument("--store", action="store_true", help="only what recording into a SQLite store costs a batch")
    args = parser.parse_args()
    if args.store:
        print_recording(recording(args.portfolio or 10_000, "compiled"), args.json)
        return
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


def print_recording(figures: dict[str, Any], as_json: bool) -> None:
    figures = {"machine": machine(), **figures}
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    m = figures["machine"]
    print(f"{m['date']} — {m['cpus']} CPUs, load average {m['load_average']}, Python {m['python']}")
    print(f"batch of {figures['dossiers']:,} dossiers ({figures['runtime']}), wall clock, compiling and recording the library included:")
    for jobs in (1, 2):
        print(
            f"  {jobs} process{'es' if jobs > 1 else ''}: decisions to a file {figures[f'file_jobs_{jobs}']:,}/s, "
            f"recorded into SQLite {figures[f'store_jobs_{jobs}']:,}/s: recording costs {figures[f'cost_jobs_{jobs}']:.1%}"
        )


if __name__ == "__main__":
    main()
