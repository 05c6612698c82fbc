"""One case judged as `referee evaluate` judges it, under each runtime, and what went wrong.

The exit status is `cli.guarded`'s: a RefereeError exits with its own code (1, or 2 for usage), any other
exception is exit 3, an internal error. What the command writes is produced too (the decision as JSON and
as text, or the error's message), since a failure there is as much an internal error to the user.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from cli import INTERNAL_ERROR
from engine import Library, RefereeError
from engine.decision.render import decision_text
from engine.errors import format_path
from engine.model.limits import non_finite
from tests.fuzz.generators import Case

RUNTIMES = ("durable-rules", "python", "compiled")
SLOW = 5.0  # CPU seconds a case may take, its three runs together (CPU: other work on the machine does not count)
TRACEBACK = -1  # what no exit status covers: an error while reporting an error, which escapes `guarded`

# What counts against a run, in the order the figures list them.
INTERNAL, CRASH, USAGE, OVERTIME, NON_FINITE, DISAGREEMENT = (
    "internal errors (exit 3)", "crashes", "usage errors (exit 2)", "runs over 5 s", "decisions with a non-finite number", "runtime disagreements",
)
FAILURES = (INTERNAL, CRASH, USAGE, OVERTIME, NON_FINITE, DISAGREEMENT)


@dataclass(frozen=True)
class Run:
    """One runtime's answer: the exit status, and the decision's JSON or the error's message."""

    exit: int
    text: str
    non_finite: str | None = None  # where the decision holds NaN or an infinity


@dataclass(frozen=True)
class Outcome:
    index: int
    example: str
    mutations: tuple[str, ...]
    runs: tuple[tuple[str, Run], ...]
    seconds: float
    failures: tuple[str, ...]

    def detail(self) -> str:
        """What failed, for the failures list: each distinct answer once, with the runtimes that gave it."""
        answers: dict[Run, list[str]] = {}
        for runtime, run in self.runs:
            answers.setdefault(run, []).append(runtime)
        return "\n".join(f"  {', '.join(names)}: exit {run.exit}: {run.text[:600]}" for run, names in answers.items())


def _guarded(work: Callable[[], Run]) -> Run:
    try:
        return work()
    except RefereeError as exc:
        try:  # what `guarded` prints, in text and in JSON
            json.dumps(exc.to_json(), indent=2, ensure_ascii=False)
            return Run(exc.exit_code, exc.render())
        except Exception as reporting:
            return Run(TRACEBACK, f"reporting {type(exc).__name__} raised {type(reporting).__name__}: {reporting}")
    except Exception as exc:
        return Run(INTERNAL_ERROR, f"{type(exc).__name__}: {exc}")


def _decided(library: Library, path: Path, runtime: str) -> Run:
    """`referee evaluate PATH --runtime RUNTIME [--format json]`, as far as what it writes to standard output."""
    decision = library.evaluate(library.load_dossier(path), runtime=runtime)
    document = decision.to_json()
    written = json.dumps(document, indent=2, ensure_ascii=False)
    (written + decision_text(decision)).encode("utf-8")  # standard output is UTF-8: a lone surrogate cannot be written
    bad = next(non_finite(document), None)
    return Run(0, written, None if bad is None else f"{format_path(bad[0])} = {bad[1]!r}")


def judge_case(library: Library, case: Case, folder: Path, runtimes: tuple[str, ...] = RUNTIMES) -> Outcome:
    """Write the case into `folder` (a stage, see `runner.stage`) and judge it under `runtimes`."""
    path = folder / case.example.parent.name / case.name
    path.write_bytes(case.content)
    start = time.process_time()
    try:
        runs = tuple((runtime, _guarded(partial(_decided, library, path, runtime))) for runtime in runtimes)
    finally:
        path.unlink()
    seconds = time.process_time() - start
    exits = {run.exit for _, run in runs}
    failures = [kind for kind, failed in (
        (INTERNAL, INTERNAL_ERROR in exits),
        (CRASH, TRACEBACK in exits),
        (USAGE, 2 in exits),
        (OVERTIME, seconds > SLOW),
        (NON_FINITE, any(run.non_finite for _, run in runs)),
        (DISAGREEMENT, len({run for _, run in runs}) > 1),
    ) if failed]
    return Outcome(case.index, f"{case.example.parent.name}/{case.example.name}", case.mutations, runs, seconds, tuple(failures))


def stage(folder: Path, examples: Iterable[Path]) -> Path:
    """One folder per example folder, through which the examples' ledgers are reached by the same relative paths."""
    for example_dir in {path.parent for path in examples}:
        target = folder / example_dir.name
        target.mkdir(parents=True, exist_ok=True)
        for entry in example_dir.iterdir():
            if entry.is_dir() and not (target / entry.name).exists():
                (target / entry.name).symlink_to(entry.resolve(), target_is_directory=True)
    return folder
