"""Where the time of one dossier goes, warm and from a cold process; prints its figures.

    python bench/one_dossier.py [--scheme objectif-co2] [--procedure audit_cost] [--loops 3000] [--runs 10] [--json]

Warm: one process judges the bundled examples of one procedure in a loop with
the compiled runtime and prints microseconds per dossier for each stage a
batch pays: judging (`Library.evaluate`), the typed decision to its JSON
form with its seal (`Decision.to_json`), and the sealed bytes
(`Decision.to_bytes`). It then prints the floor of serialising the same
decisions with no Python around it: orjson with sorted keys, SHA-256 of
that (the seal), orjson again (the bytes written); and the ceiling in
dossiers per second that this floor alone leaves.

Cold: the CPU time of whole processes, `RUNS` each in turn: `referee
evaluate` of the first example, and Python importing the CLI and nothing
else (the floor of any command). Medians are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Library, load_dossier  # noqa: E402
from engine.decision.model import Decision  # noqa: E402
from engine.model.dossier import Dossier  # noqa: E402


def per_dossier(dossiers: list[Any], loops: int, stage: Callable[[Any], Any]) -> float:
    """Microseconds of CPU per call of `stage`, over `loops` calls cycling through `dossiers`."""
    start = time.process_time()
    for i in range(loops):
        stage(dossiers[i % len(dossiers)])
    return (time.process_time() - start) / loops * 1e6


def examples(scheme: str, procedure: str) -> list[Dossier]:
    """The bundled examples of one procedure, read."""
    found = [d for d in (load_dossier(p) for p in sorted((ROOT / "examples" / scheme).glob("*.yaml"))) if d.procedure == procedure]
    if not found:
        raise SystemExit(f"no bundled example of {scheme} {procedure}")
    return found


def warm(dossiers: list[Dossier], loops: int) -> dict[str, Any]:
    library = Library.open(ROOT)
    decisions: list[Decision] = [library.evaluate(d, runtime="compiled") for d in dossiers]  # compiles, outside the timing
    bodies = [{k: v for k, v in d.to_json().items() if k != "seal"} for d in decisions]

    def floor(body: dict[str, Any]) -> tuple[str, bytes]:
        return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest(), orjson.dumps(body)

    figures = {
        "examples": len(dossiers),
        "mean_decision_bytes": round(statistics.fmean(len(d.to_bytes()) for d in decisions)),
        "whole_us": per_dossier(dossiers, loops, lambda d: library.evaluate(d, runtime="compiled").to_bytes()),
        "judging_us": per_dossier(dossiers, loops, lambda d: library.evaluate(d, runtime="compiled")),
        "to_json_with_seal_us": per_dossier(decisions, loops, lambda d: d.to_json()),
        "to_bytes_us": per_dossier(decisions, loops, lambda d: d.to_bytes()),
        "serialisation_floor_us": per_dossier(bodies, loops, floor),
    }
    figures["ceiling_of_the_floor_per_s"] = 1e6 / figures["serialisation_floor_us"]
    figures["whole_per_s"] = 1e6 / figures["whole_us"]
    return figures


def cold(example: Path, runs: int) -> dict[str, Any]:
    """Median CPU seconds (user + system) of whole processes, the two commands in turn."""
    python = sys.executable
    commands = {
        "referee_evaluate": [python, str(ROOT / "cli.py"), "evaluate", str(example)],
        "import_cli_only": [python, "-c", "import cli"],
    }
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs + 1):  # the first round warms the bytecode cache and is not counted
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            seconds[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {name: round(statistics.median(values[1:]), 3) for name, values in seconds.items()} | {"runs": runs, "example": str(example.relative_to(ROOT))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scheme", default="objectif-co2")
    parser.add_argument("--procedure", default="audit_cost")
    parser.add_argument("--loops", type=int, default=3000, help="calls per warm figure")
    parser.add_argument("--runs", type=int, default=10, help="whole processes per cold figure (0: skip them)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    args = parser.parse_args()
    machine = {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version()}
    dossiers = examples(args.scheme, args.procedure)
    figures: dict[str, Any] = {"machine": machine, "warm": warm(dossiers, args.loops)}
    if args.runs:
        figures["cold"] = cold(Path(dossiers[0].source), args.runs)
    figures["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    w = figures["warm"]
    print(f"{args.scheme} {args.procedure}: {w['examples']} examples, decisions of {w['mean_decision_bytes']:,} bytes on average; "
          f"{machine['cpus']} CPUs, load average {machine['load_average']} (after: {machine['load_average_after']}), Python {machine['python']}")
    print(f"warm, compiled runtime, µs of CPU a dossier over {args.loops:,} calls:")
    print(f"  judged and written as sealed JSON bytes  {w['whole_us']:8.1f}   ({w['whole_per_s']:,.0f} dossiers/s)")
    print(f"  judged (the typed decision)              {w['judging_us']:8.1f}")
    print(f"  the decision's JSON form, sealed         {w['to_json_with_seal_us']:8.1f}")
    print(f"  the decision's sealed bytes              {w['to_bytes_us']:8.1f}")
    print(f"  floor: sorted dump + SHA-256 + dump      {w['serialisation_floor_us']:8.1f}   (that alone: at most {w['ceiling_of_the_floor_per_s']:,.0f} dossiers/s)")
    if "cold" in figures:
        c = figures["cold"]
        print(f"cold, median CPU of {c['runs']} whole processes each:")
        print(f"  referee evaluate {c['example']}  {c['referee_evaluate']:.3f} s")
        print(f"  python -c 'import cli' (the floor of any command)  {c['import_cli_only']:.3f} s")


if __name__ == "__main__":
    main()
