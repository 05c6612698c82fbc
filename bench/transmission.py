"""Time and memory of a Label Transmission carbon account computed from a large FEC; prints its figures.

    python bench/transmission.py [--lines N] [--seed S] [--invoices M]

Writes a synthetic FEC of N entry lines (default 1,000,000; tests/fec_synth.py)
and a dossier for the account of that year, then evaluates it with the engine
end to end: version selection, reading and classifying the ledger through the
referential's PCG mapping, and the rules. The dossier lists the year's energy
and travel with their quantities, as an accountant would from the ledger's
totals (that preparation reads the file once more and is not timed). The
evaluation runs twice: once plain, for the time, and once under tracemalloc,
for the peak of memory it allocates (tracemalloc slows Python down, so that
run is not timed). Nothing here asserts a time: the target (well under a
minute for 1,000,000 lines) is read by people.

Then the same kind of account from M purchase invoices (default 2,000) given
in the dossier itself, as YAML: the rules build the groups invoice by invoice.
"""

from __future__ import annotations

import argparse
import resource
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
Store = Library
from engine.adapters.fec import prefix_classifier, summarise_fec  # noqa: E402

# The quantity categories of the synthetic ledger, and an illustrative price per unit to turn euros into quantities.
QUANTITIES = {"electricity": ("kWh", 0.18, None), "gas": ("kWh", 0.10, None), "diesel_oil": ("L", 1.75, None),
              "passenger_transport": ("km", 0.25, "train")}


def _listed_quantities(store: Store, fec: Path) -> list[dict[str, Any]]:
    """The year's total of each quantity category, with a quantity, as the dossier lists them."""
    mapping = next(v for v in store.versions("label-transmission-pcg")).sections["mapping"]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="entry lines of the synthetic FEC")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--invoices", type=int, default=2_000, help="purchase invoices of the account given as YAML")
    args = parser.parse_args()
    store = Store(ROOT)
    with tempfile.TemporaryDirectory() as folder:
        fec = Path(folder) / "fec.txt"
        write_fec(fec, args.lines, seed=args.seed, year=2025)
        dossier = load_dossier(_dossier(Path(folder), _listed_quantities(store, fec)))
        print(f"FEC: {args.lines:,} entry lines, {fec.stat().st_size / 2**20:.0f} MiB (tests/fec_synth.py, seed {args.seed})")
        start = time.perf_counter()
        decision = evaluate(store, dossier)
        seconds = time.perf_counter() - start
        values = decision["values"]
        print(f"account evaluated in {seconds:.2f} s ({args.lines / seconds:,.0f} lines/s): outcome {decision['outcome']}, "
              f"{len(values.get('groups', []))} groups, A = {values['production_carbon']['total_kgco2e']:,.3f} kgCO2e, "
              f"sales {values['sales_eur']:,.2f} €, factor {values['factor']['g_per_eur']} g/€")
        print(f"decision: {len(decision['trail'])} trail entries; ledger sha256 {decision['digests']['ledger']['sha256'][:16]}…")
        tracemalloc.start()
        evaluate(store, dossier)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"tracemalloc peak while evaluating: {peak / 2**20:.1f} MiB")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    invoices = _invoices_dossier(args.invoices)
    for runtime in ("durable-rules", "python"):
        start = time.perf_counter()
        decision = evaluate(store, invoices, runtime=runtime)
        seconds = time.perf_counter() - start
        print(f"account of {args.invoices:,} listed invoices ({runtime}): {seconds:.2f} s, outcome {decision['outcome']}, "
              f"{len(decision['values']['groups'])} groups")


if __name__ == "__main__":
    main()
