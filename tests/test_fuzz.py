"""A bounded sample of the fuzz suite (tests/fuzz, docs/fuzzing.md): the first cases of one fixed seed.

`make fuzz` judges 10,000 cases with a new seed; `make test` judges these, about a minute on two cores,
the same way (in a child process, which a segfault or a hang cannot take down) and asserts what
`make fuzz` counts: each mutated example is refused (exit 1) or decided, never an internal error nor a
crash, never a hang (no answer within a minute), with no NaN nor infinity in its decision, and the three
runtimes agree. The 5 s of CPU a case may take is a figure of speed: `make fuzz` prints it and fails on
it; a test asserts no time (the slowest case of this sample takes about half of it, and this machine's
speed varies twice over from one hour to the next).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from tests.fuzz.generators import Corpus, make_case
from tests.fuzz.judge import OVERTIME, stage
from tests.fuzz.runner import HANG, Tally, Worker

SEED = 20_261_206
CASES = 1_500


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus.load(ROOT)


def test_a_case_is_rebuilt_from_its_seed_and_index(corpus: Corpus) -> None:
    """The child process and the parent that keeps a failing case build the same bytes; another seed, others."""
    assert make_case(corpus, SEED, 7) == make_case(corpus, SEED, 7)
    assert [make_case(corpus, SEED, i).content for i in range(5)] != [make_case(corpus, SEED + 1, i).content for i in range(5)]


def test_a_sample_of_mutated_examples_is_refused_or_judged_alike(corpus: Corpus, tmp_path: Path) -> None:
    assert CASES >= len(corpus.examples), "the sample mutates every example at least once"
    worker = Worker(corpus, SEED, stage(tmp_path, (path for path, _ in corpus.examples)))
    tally = Tally()
    try:
        for index in range(CASES):
            tally.add(worker.judge(index))
    finally:
        worker.close()
    failing = [o for o in tally.failing if o.failures != (OVERTIME,) or o.seconds >= HANG]  # slow but answered: a figure, not a failure
    assert not failing, f"seed {SEED}\n{tally.figures()}\n{tally.failures()}"
    assert tally.refused and tally.decided
