"""What a decision store costs to read back: `referee replay --all` and `referee store verify`; prints its figures.

    python bench/store.py [--decisions N] [--rows M] [--store PATH|URL] [--json]

A portfolio of N dossiers (the bundled examples replicated with new ids,
examples/portfolios/portfolio.py) is recorded into a new store through
`referee batch --store`'s own path (2 processes). Then:

- replay: every decision judged again under its library as recorded, and
  compared (what `referee replay --all` does): decisions per second;
- verify: the store grown to M decision rows by appending the same decisions
  again (as `referee batch --again` does: the chain, the bodies and their size
  are those of real decisions), then the chain walked and every file checked
  (`referee store verify`), and with `--deep` (each body against its seal,
  each dossier against its digest): seconds.

The store is a new SQLite file in a temporary folder unless --store names one
(a PostgreSQL URL must name an empty database). Nothing here asserts a time:
the figures are read by people, with the machine's load printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "examples" / "portfolios")]

from portfolio import portfolio, write_jsonl  # noqa: E402
from throughput import machine  # noqa: E402

from engine import Library  # noqa: E402
from engine.running.batch import collect, judge_all  # noqa: E402
from engine.store.chain import body_digest  # noqa: E402
from engine.store.recording import Recorder  # noqa: E402
from engine.store.replay import Replayer  # noqa: E402
from engine.store.repository import Record, Store  # noqa: E402
from engine.store.schema import decisions, dossiers  # noqa: E402


def record(library: Library, store: Store, count: int, folder: Path) -> float:
    """Record a portfolio of `count` dossiers as `referee batch --store --jobs 2` does; returns the seconds it took."""
    entries = collect([write_jsonl(folder / "portfolio.jsonl", portfolio(count, seed=0))])
    start = time.perf_counter()
    recorder = Recorder.start(store, library, runtime="compiled", evaluator="bench")
    for result in judge_all(library, entries, runtime="compiled", jobs=2, recording=True):
        assert result.record is not None, "the portfolio holds only valid dossiers"
        recorder.add(result.record)
    recorder.flush()
    return time.perf_counter() - start


def replay_all(library: Library, store: Store) -> tuple[Counter[str], float]:
    start = time.perf_counter()
    verdicts: Counter[str] = Counter()
    with Replayer(store, library) as replayer:
        for row in store.decisions():
            verdicts[replayer.row(row).verdict] += 1
    return verdicts, time.perf_counter() - start


def grow(store: Store, rows: int) -> int:
    """Append the store's decisions again (`--again`), in order, until it holds `rows` rows; returns how many it holds."""
    query = sa.select(decisions, dossiers.c.content, dossiers.c.format).join(dossiers, dossiers.c.digest == decisions.c.dossier).order_by(decisions.c.seq)
    with store.engine.connect() as connection:
        first = list(connection.execute(query))
    library = first[0].library
    held = len(first)
    while held < rows:
        batch = first[: rows - held]
        for start in range(0, len(batch), Recorder.EVERY):
            records = [
                Record(
                    r.body, body_digest(r.body), r.seal, r.dossier, r.dossier_id, r.scheme, r.procedure, r.event_date, r.outcome, r.versions, r.selection,
                    r.source, bytes(r.content), r.format, r.decided_at,
                )
                for r in batch[start:start + Recorder.EVERY]
            ]
            held += store.append(records, library=library, runtime="compiled", engine=first[0].engine, evaluator="bench", again=True)
    return held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=10_000, help="dossiers recorded, then replayed")
    parser.add_argument("--rows", type=int, default=100_000, help="decision rows the store is grown to for verify (0: skip)")
    parser.add_argument("--store", metavar="PATH|URL", help="an empty store to fill (default: a new SQLite file)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON document")
    args = parser.parse_args()
    figures: dict[str, Any] = {"machine": machine()}
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(args.store or str(Path(folder) / "referee.db"), create=True)
        figures["store"] = store.name if args.store else "a new SQLite file"
        library = Library.open(ROOT)
        recorded = record(library, store, args.decisions, Path(folder))
        figures["recorded"] = {"decisions": args.decisions, "seconds": round(recorded, 1), "per_second": round(args.decisions / recorded)}
        verdicts, seconds = replay_all(library, store)
        figures["replay"] = {**verdicts, "seconds": round(seconds, 1), "per_second": round(sum(verdicts.values()) / seconds)}
        if args.rows:
            start = time.perf_counter()
            held = grow(store, args.rows)
            figures["grow"] = {"rows": held, "seconds": round(time.perf_counter() - start, 1)}
            for deep in (False, True):
                start = time.perf_counter()
                found = store.verify(deep)
                figures["verify_deep" if deep else "verify"] = {
                    "rows": found.rows, "intact": found.intact, **found.checked, "seconds": round(time.perf_counter() - start, 1),
                }
        if store.url.get_backend_name() == "sqlite":
            figures["sqlite_bytes"] = Path(str(store.url.database)).stat().st_size
        store.close()
    figures["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    m = figures["machine"]
    print(f"{m['date']} — {m['cpus']} CPUs, load average {m['load_average']} (after: {m['load_average_after']}), Python {m['python']}; store: {figures['store']}")
    r = figures["recorded"]
    print(f"recorded {r['decisions']:,} decisions (batch --store, 2 processes, compiled): {r['seconds']} s, {r['per_second']:,}/s")
    p = figures["replay"]
    print(f"replay --all: {sum(p.get(v, 0) for v in ('reproduced', 'differing', 'unverifiable')):,} decisions in {p['seconds']} s, {p['per_second']:,}/s "
          f"(reproduced {p.get('reproduced', 0):,}, differing {p.get('differing', 0):,}, unverifiable {p.get('unverifiable', 0):,})")
    if args.rows:
        print(f"grown to {figures['grow']['rows']:,} rows by appending the same decisions again: {figures['grow']['seconds']} s")
        for key, name in (("verify", "store verify"), ("verify_deep", "store verify --deep")):
            v = figures[key]
            intact = "intact" if v["intact"] else "FAULTS"
            print(f"{name}: {v['rows']:,} rows ({intact}; {v.get('files', 0):,} files, {v.get('dossiers', 0):,} dossiers checked besides) in {v['seconds']} s")
    if "sqlite_bytes" in figures:
        print(f"SQLite file: {figures['sqlite_bytes'] / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
