"""Time and memory of reading a large FEC with engine/fec.py; prints its figures.

    python bench/fec.py [FEC] [--lines N] [--seed S] [--separator tab|pipe]

Without FEC, writes a synthetic file of N entry lines (default 1,000,000;
tests/fec_synth.py) in a temporary directory. Then summarises it with the
representative mapping of tests/fec_synth.py, twice: once plain, for the
time, and once under tracemalloc, for the peak of memory the summarising
allocates (tracemalloc slows Python down, so that run is not timed). Nothing
here asserts a time: the target (well under a minute for 1,000,000 lines) is
read by people.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the synthetic FEC generator lives beside the tests

from fec_synth import IN_SCOPE, REPRESENTATIVE_MAPPING, SEPARATORS, write_fec  # noqa: E402
from engine.adapters.fec import FecSummary, prefix_classifier, summarise_fec  # noqa: E402


def _summarise(path: Path) -> FecSummary:
    return summarise_fec(path, prefix_classifier(REPRESENTATIVE_MAPPING, IN_SCOPE))


def _measure(path: Path) -> None:
    size = path.stat().st_size
    start = time.perf_counter()
    summary = _summarise(path)
    seconds = time.perf_counter() - start
    print(f"file: {path} ({size / 2**20:.0f} MiB, {summary.lines} lines, sha256 {summary.sha256[:16]}…)")
    print(f"summarised in {seconds:.2f} s: {summary.lines / seconds:,.0f} lines/s, {size / 2**20 / seconds:.0f} MiB/s")
    print(f"valid: {summary.valid}; {len(summary.categories)} categories, {len(summary.out_of_scope)} account classes out of scope, "
          f"{len(summary.problems) + summary.problems_not_listed} problems")
    tracemalloc.start()
    _summarise(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"tracemalloc peak while summarising: {peak / 2**20:.1f} MiB")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fec", nargs="?", type=Path, help="a FEC to read (default: a synthetic one)")
    parser.add_argument("--lines", type=int, default=1_000_000, help="entry lines of the synthetic file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--separator", choices=sorted(SEPARATORS), default="tab")
    args = parser.parse_args()
    if args.fec:
        _measure(args.fec)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fec.txt"
        start = time.perf_counter()
        write_fec(path, args.lines, seed=args.seed, separator=SEPARATORS[args.separator])
        print(f"generated {args.lines:,} entry lines in {time.perf_counter() - start:.2f} s (tests/fec_synth.py)")
        _measure(path)


if __name__ == "__main__":
    main()
