"""How long `referee impact` takes over a realistic portfolio; prints its figures.

    python bench/impact.py [--scheme S] [--to NEW] [--count N] [--seed S] [--jobs 1,2] [--json]

Writes a portfolio of N realistic dossiers of the scheme (default: Bilan
Carbone, 10,000; examples/portfolios/portfolio.py, seeded) in a temporary
folder, then measures the impact of version NEW (default 2025-12-01, against
the version it supersedes) over it, as `referee impact` computes it: the
portfolio read, each dossier judged three times through the compiled batch
path (before, after, NEW forced) and compared. Each measure opens a fresh
library, so compiling is part of it. Prints wall-clock and CPU seconds per
number of processes, the dossiers per second, and the three groups. Nothing
here asserts a time: the figures are read by people, with the machine's load
printed beside them (the machine is shared; compare ratios from one run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "examples" / "portfolios")]  # the portfolio generator lives beside the examples

from portfolio import realistic, write_jsonl  # noqa: E402

from engine import Library  # noqa: E402
from engine.authoring.impact import impact_of  # noqa: E402
from engine.running.batch import collect  # noqa: E402


def _cpu_seconds() -> float:
    """CPU time of this process and of the workers it waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(path: Path, scheme: str, new: str, jobs: int) -> dict[str, Any]:
    start, cpu = time.perf_counter(), _cpu_seconds()
    library = Library.open(ROOT)
    impact = impact_of(library, scheme, new, collect([path]), jobs=jobs)
    wall, used = time.perf_counter() - start, _cpu_seconds() - cpu
    dossiers = sum(m.dossiers for g, m in impact.groups.items() if g != "forced")
    return {
        "jobs": jobs, "dossiers": dossiers, "judgements": 3 * dossiers, "wall_seconds": round(wall, 2), "cpu_seconds": round(used, 2),
        "dossiers_per_second": round(dossiers / wall), "old": impact.old, "new": impact.new,
        "groups": {g: {"dossiers": m.dossiers, "changed": m.changed} for g, m in impact.groups.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheme", default="bilan-carbone-compliance")
    parser.add_argument("--to", dest="new", default="2025-12-01")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", default="1,2", help="numbers of processes to measure, comma-separated")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    machine = {
        "date": dt.date.today().isoformat(), "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(), "platform": platform.platform(),
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{args.scheme}.jsonl"
        tally: Counter[str] = Counter()
        start = time.perf_counter()
        write_jsonl(path, realistic(Library.open(ROOT), args.scheme, args.count, seed=args.seed, tally=tally))
        generated = {"seconds": round(time.perf_counter() - start, 1), "varied": dict(tally)}
        runs = [measure(path, args.scheme, args.new, int(jobs)) for jobs in args.jobs.split(",")]
    machine["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    figures = {"machine": machine, "scheme": args.scheme, "count": args.count, "seed": args.seed, "portfolio": generated, "runs": runs}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{machine['date']} — {machine['cpus']} CPUs, load average {machine['load_average']} before, {machine['load_average_after']} after, Python {machine['python']}")
    print(f"portfolio: {args.count:,} dossiers of {args.scheme} (seed {args.seed}) written in {generated['seconds']} s; varied: {generated['varied']}")
    for run in runs:
        groups = ", ".join(f"{g} {v['dossiers']:,} ({v['changed']:,} change)" for g, v in run["groups"].items())
        print(
            f"impact of {run['new']} against {run['old']}, {run['jobs']} process(es): {run['wall_seconds']} s wall clock, {run['cpu_seconds']} s CPU, "
            f"{run['dossiers_per_second']:,} dossiers/s ({run['judgements']:,} judgements); {groups}"
        )


if __name__ == "__main__":
    main()
