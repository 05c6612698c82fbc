"""The fuzz suite of issue 12: seeded mutations of every bundled example dossier, each judged as `referee evaluate` would.

`generators` turns (seed, index) into a case, `judge` runs one case under the three runtimes and says what
went wrong, `runner` (`make fuzz`, `python -m tests.fuzz`) runs thousands in a child process that a segfault
cannot take down. `tests/test_fuzz.py` runs a bounded sample with a fixed seed. See docs/fuzzing.md.
"""
