"""Time, size and memory of a Label Transmission carbon account, from listed invoices and from a large FEC; prints its figures.

    python bench/transmission.py [--invoices 1000,2000,…,64000] [--runtime R] [--lines N] [--seed S]

First the account of a company whose purchase invoices are listed in the
dossier, for each size (doubling from 1,000 to 64,000 by default), each in a
fresh process: the CPU time of the evaluation and of writing the decision as
JSON, the decision's size and the process's peak RSS, with the ratio to the
size before (linear growth gives about 2).

Then a synthetic FEC of N entry lines (default 1,000,000; tests/fec_synth.py)
and a dossier for the account of that year, evaluated with the engine
end to end: version selection, reading and classifying the ledger through the
referential's PCG mapping, and the rules. The dossier lists the year's energy
and travel with their quantities, as an accountant would from the ledger's
totals (that preparation reads the file once more and is not timed). The
evaluation runs twice: once plain, for the time, and once under tracemalloc,
for the peak of memory it allocates (tracemalloc slows Python down, so that
run is not timed). Nothing here asserts a time: the target (well under a
minute for 1,000,000 lines) is read by people.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the synthetic FEC generator lives beside the tests

from fec_synth import write_fec  # noqa: E402
from engine import Library, load_dossier, read_dossier  # noqa: E402
from engine.adapters.fec import prefix_classifier, summarise_fec  # noqa: E402

# The quantity categories of the synthetic ledger, and an illustrative price per unit to turn euros into quantities.
QUANTITIES = {"electricity": ("kWh", 0.18, None), "gas": ("kWh", 0.10, None), "diesel_oil": ("L", 1.75, None),
              "passenger_transport": ("km", 0.25, "train")}


def _listed_quantities(library: Library, fec: Path) -> list[dict[str, Any]]:
    """The year's total of each quantity category, with a quantity, as the dossier lists them."""
    mapping = next(v for v in library.versions("label-transmission-pcg")).sections["mapping"]
    rows = mapping.tables["account_categories"].rows
    summary = summarise_fec(fec, prefix_classifier({p: r["category"] for p, r in rows.items()},
                                                   mapping.parameters["ledger_account_classes"].value))
    listed = []
    for category, (unit, price, mode) in QUANTITIES.items():
        euros = summary.categories[category].net
        entry = {"ref": f"{category} 2025 (year total)", "category": category, "amount_eur": float(euros),
                 "quantity": round(float(euros) / price)}
        listed.append({**entry, "mode": mode} if mode else entry)
    return listed


def _dossier(folder: Path, purchases: list[dict[str, Any]]) -> Path:
    document = {
        "scheme": "label-transmission", "procedure": "carbon_account", "dossier_id": "bench-ledger",
        "cycle": {"anchor": "2025-01-01"}, "event_date": "2026-03-02",
        "companions": {"factors": "label-transmission-factors", "mapping": "label-transmission-pcg"},
        "ledger": "fec.txt",
        "facts": {
            "activity": {"name": "Usinage (synthetic)", "nace": "C25", "kind": "production"},
            "financial_year_end": "2025-12-31", "direct_emissions": {"kgco2e": 0},
            "settings": {"other_invoices_factor": "manufactured_goods_eur"}, "purchases": purchases,
        },
    }
    path = folder / "dossier.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _invoices_dossier(count: int) -> Any:
    """An account whose purchases and sales are listed one by one: mostly other invoices, some energy and travel."""
    purchases = []
    for i in range(count):
        kind = i % 10
        entry: dict[str, Any] = {"ref": f"FA25-{i:05d}", "amount_eur": 100 + i % 900}
        if kind == 0:
            entry.update(category="electricity", quantity=500 + i % 300)
        elif kind == 1:
            entry.update(category="passenger_transport", mode="train", quantity=300)
        elif kind == 2:
            entry.update(category="other_invoices", supplier_kgco2e=20)
        else:
            entry.update(category="other_invoices")
        purchases.append(entry)
    return read_dossier({
        "scheme": "label-transmission", "procedure": "carbon_account", "dossier_id": "bench-invoices",
        "cycle": {"anchor": "2025-01-01"}, "event_date": "2026-03-02", "companions": {"factors": "label-transmission-factors"},
        "facts": {
            "activity": {"name": "Conseil (synthetic)", "nace": "M70", "kind": "production"},
            "financial_year_end": "2025-12-31", "direct_emissions": {"kgco2e": 0},
            "settings": {"other_invoices_factor": "business_services_eur"}, "purchases": purchases,
            "sales": [{"ref": f"VE25-{i:05d}", "amount_eur": 5000} for i in range(max(1, count // 10))],
        },
    }, "bench-invoices")


def _one_account(count: int, runtime: str) -> dict[str, Any]:
    """Judge the account of `count` listed invoices in this process; its CPU time, decision size and peak RSS."""
    library = Library.open(ROOT)
    library.compile_all()  # compiling is not the account's cost
    dossier = _invoices_dossier(count)
    start = time.process_time()
    decision = library.evaluate(dossier, runtime=runtime)
    size = len(decision.to_bytes())
    seconds = time.process_time() - start
    return {"invoices": count, "runtime": runtime, "cpu_seconds": round(seconds, 3), "decision_bytes": size,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), "outcome": decision.outcome,
            "groups": len(decision.values.get("groups", []))}


def _accounts(sizes: list[int], runtime: str) -> None:
    """Each size in a process of its own, so that its peak RSS is its own."""
    print(f"account from listed invoices ({runtime}), each in a fresh process; CPU time of the evaluation and its serialisation:")
    print(f"  {'invoices':>8} {'CPU s':>8} {'×':>6} {'decision':>12} {'×':>6} {'peak RSS':>9}")
    previous: dict[str, Any] | None = None
    for count in sizes:
        run = subprocess.run([sys.executable, __file__, "--one", str(count), "--runtime", runtime], capture_output=True, text=True, check=True)
        row = json.loads(run.stdout)
        time_ratio = f"{row['cpu_seconds'] / previous['cpu_seconds']:.2f}" if previous else ""
        size_ratio = f"{row['decision_bytes'] / previous['decision_bytes']:.2f}" if previous else ""
        print(f"  {count:>8,} {row['cpu_seconds']:>8.2f} {time_ratio:>6} {row['decision_bytes'] / 2**20:>8.2f} MiB {size_ratio:>6} {row['peak_rss_mib']:>5} MiB"
              f"   ({row['outcome']}, {row['groups']} groups)")
        previous = row


def _ledger_account(lines: int, seed: int) -> None:
    library = Library.open(ROOT)
    with tempfile.TemporaryDirectory() as folder:
        fec = Path(folder) / "fec.txt"
        write_fec(fec, lines, seed=seed, year=2025)
        dossier = load_dossier(_dossier(Path(folder), _listed_quantities(library, fec)))
        print(f"FEC: {lines:,} entry lines, {fec.stat().st_size / 2**20:.0f} MiB (tests/fec_synth.py, seed {seed})")
        start = time.perf_counter()
        decision = library.evaluate(dossier).to_json()
        seconds = time.perf_counter() - start
        values = decision["values"]
        print(f"account evaluated in {seconds:.2f} s ({lines / seconds:,.0f} lines/s): outcome {decision['outcome']}, "
              f"{len(values.get('groups', []))} groups, A = {values['production_carbon']['total_kgco2e']:,.3f} kgCO2e, "
              f"sales {values['sales_eur']:,.2f} €, factor {values['factor']['g_per_eur']} g/€")
        print(f"decision: {len(decision['trail'])} trail entries; ledger sha256 {decision['digests']['ledger']['sha256'][:16]}…")
        tracemalloc.start()
        library.evaluate(dossier)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"tracemalloc peak while evaluating: {peak / 2**20:.1f} MiB")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", default="1000,2000,4000,8000,16000,32000,64000", help="sizes of the accounts from listed invoices")
    parser.add_argument("--runtime", default="compiled", help="runtime of the accounts from listed invoices")
    parser.add_argument("--lines", type=int, default=1_000_000, help="entry lines of the synthetic FEC (0: skip the ledger account)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one account, in a process of its own: prints JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one_account(args.one, args.runtime)))
        return
    print(f"{dt.datetime.now().isoformat(timespec='seconds')} — {os.cpu_count()} CPUs, load average {[round(x, 2) for x in os.getloadavg()]}")
    _accounts([int(n) for n in args.invoices.split(",") if n], args.runtime)
    if args.lines:
        print()
        _ledger_account(args.lines, args.seed)


if __name__ == "__main__":
    main()
