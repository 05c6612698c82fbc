"""`make fuzz`: thousands of cases judged in a child process, the figures printed, every failing case kept.

The child opens the library once and judges one case at a time; the parent sends only an index, since a
case is rebuilt from (seed, index). A segfault (the CEL evaluator has had one) or a hang then costs that
case, not the run: the parent counts it and starts a new child. `FUZZ_SEED` and `FUZZ_CASES` set the run,
and the seed is printed, so that any run can be repeated.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from engine import Library
from tests.fuzz.generators import Case, Corpus, make_case
from tests.fuzz.judge import CRASH, FAILURES, OVERTIME, RUNTIMES, Outcome, Run, judge_case, stage

ROOT = Path(__file__).resolve().parents[2]
KEPT = ROOT / "build" / "fuzz-failures"
HANG = 60.0  # seconds without an answer before the child is killed and its case counted over 5 s


@dataclass
class Tally:
    """The figures of a run."""

    cases: int = 0
    refused: int = 0
    decided: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    failing: list[Outcome] = field(default_factory=list)
    slowest: Outcome | None = None
    start: float = field(default_factory=time.perf_counter)

    def add(self, outcome: Outcome) -> None:
        self.cases += 1
        exits = {run.exit for _, run in outcome.runs}
        self.refused += exits == {1}
        self.decided += exits == {0}
        self.counts.update(outcome.failures)
        if outcome.failures:
            self.failing.append(outcome)
        if self.slowest is None or outcome.seconds > self.slowest.seconds:
            self.slowest = outcome

    def figures(self) -> str:
        rows = [("cases", f"{self.cases:,}"), ("refused (exit 1)", f"{self.refused:,}"), ("decided", f"{self.decided:,}")]
        rows += [(kind, f"{self.counts[kind]:,}") for kind in FAILURES]
        rows.append(("wall time", f"{time.perf_counter() - self.start:,.1f} s"))
        if self.slowest is not None:
            rows.append(("slowest case", f"#{self.slowest.index}, {self.slowest.seconds:.2f} s of CPU ({self.slowest.example}: {'; '.join(self.slowest.mutations)})"))
        return "\n".join(f"  {name:<36} {value}" for name, value in rows)

    def failures(self, limit: int = 20) -> str:
        shown = [f"#{o.index} {o.example} ({', '.join(o.failures)}): {'; '.join(o.mutations)}\n{o.detail()}" for o in self.failing[:limit]]
        more = len(self.failing) - limit
        return "\n".join(shown + ([f"… and {more} more"] if more > 0 else []))


def _serve(connection: Connection, corpus: Corpus, seed: int, staged: Path) -> None:
    """The child: judge each index received until the parent hangs up."""
    library = Library.open(ROOT)
    library.compile_all()
    while True:
        try:
            index = connection.recv()
        except EOFError:
            return
        connection.send(judge_case(library, make_case(corpus, seed, index), staged))


class Worker:
    """A child process judging cases one at a time; a crash or a hang costs that case, and a new child takes over."""

    def __init__(self, corpus: Corpus, seed: int, staged: Path) -> None:
        self.corpus, self.seed, self.staged = corpus, seed, staged  # the parent's stage: a child that dies leaves nothing behind
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("fork")  # the child inherits the corpus already read
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.corpus, self.seed, self.staged), daemon=True)
        self._process.start()
        child.close()

    def judge(self, index: int) -> Outcome:
        start = time.perf_counter()
        self._connection.send(index)
        if self._connection.poll(HANG):
            try:
                outcome: Outcome = self._connection.recv()
                return outcome
            except EOFError:
                pass
        self._process.kill()
        self._process.join()
        status = self._process.exitcode or 0
        hung = status == -signal.SIGKILL  # killed here; a child that died (writing its core may outlast HANG) has its own status
        why = f"no answer within {HANG:.0f} s: killed" if hung else f"the child process died (exit status {status})"
        self._connection.close()
        self._start()
        case = make_case(self.corpus, self.seed, index)
        example = f"{case.example.parent.name}/{case.example.name}"
        return Outcome(index, example, case.mutations, (("child", Run(status, why)),), time.perf_counter() - start, (OVERTIME if hung else CRASH,))

    def close(self) -> None:
        self._connection.close()
        self._process.join(10)


def keep(case: Case, outcome: Outcome) -> Path:
    """Write a failing case where `referee evaluate` reproduces it, and say why in failures.txt."""
    path = KEPT / case.example.parent.name / case.name
    path.write_bytes(case.content)
    with (KEPT / "failures.txt").open("a", encoding="utf-8", errors="backslashreplace") as log:
        log.write(f"{path.relative_to(ROOT)} ({', '.join(outcome.failures)}; {outcome.seconds:.2f} s)\n")
        log.write(f"  mutations of {outcome.example}: {'; '.join(outcome.mutations)}\n{outcome.detail()}\n\n")
    return path


def _setting(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    if not text:
        return default
    if not text.isdigit():
        sys.exit(f"fuzz: {name}={text!r} is not a whole number")
    return int(text)


def main() -> int:
    seed = _setting("FUZZ_SEED", secrets.randbelow(10**9))
    cases = _setting("FUZZ_CASES", 10_000)
    print(f"fuzz: seed {seed}, {cases:,} cases, each under {', '.join(RUNTIMES)}; "
          f"repeat with FUZZ_SEED={seed} FUZZ_CASES={cases} make fuzz", flush=True)
    corpus = Corpus.load(ROOT)
    shutil.rmtree(KEPT, ignore_errors=True)
    stage(KEPT, (path for path, _ in corpus.examples))
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="referee-fuzz-") as folder:
        worker = Worker(corpus, seed, stage(Path(folder), (path for path, _ in corpus.examples)))
        try:
            for index in range(cases):
                outcome = worker.judge(index)
                tally.add(outcome)
                if outcome.failures:
                    keep(make_case(corpus, seed, index), outcome)
                if (index + 1) % 1000 == 0:
                    print(f"  … {index + 1:,} cases, {len(tally.failing):,} failing", flush=True)
        finally:
            worker.close()
    print(f"fuzz: seed {seed}\n{tally.figures()}")
    if tally.failing:
        print(f"\n{len(tally.failing):,} failing cases, written to {KEPT.relative_to(ROOT)}/ (failures.txt says why):\n{tally.failures()}")
        return 1
    return 0
