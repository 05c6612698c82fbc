"""Author tests: the dossiers that hold an `expect:` block, found, judged and held to it.

`referee test` and the pytest plugin (`engine.authoring.pytest_plugin`) run the
same files the same way, through `collect` and `run`; they differ only in how
they show the results. A file is an author test when it is a YAML or JSON
dossier with `expect:` at its top; in a folder, other files are not tests (a
ledger, a CSV, a dossier without expectations), while a file named on its own
must be one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.authoring.expectations import Difference, ExpectedFinding, differences, read_expectation
from engine.errors import DossierError, Problem, RefereeError
from engine.library import Library
from engine.model.documents import load_document, locate
from engine.model.limits import DEFAULT_LIMITS, Limits
from engine.running.evaluation import ENGINE_FINDINGS

SUFFIXES = (".yaml", ".yml", ".json")
_TOP_LEVEL_EXPECT = re.compile(r'^expect\s*:|"expect"\s*:', re.MULTILINE)


def holds_expectations(path: Path, limits: Limits = DEFAULT_LIMITS) -> bool:
    """Whether a file is an author test. A file that mentions a top-level `expect:` but cannot be read is one:
    running it says what is wrong, where skipping it would hide a broken test."""
    if path.suffix.lower() not in SUFFIXES or not path.is_file():
        return False
    try:
        if path.stat().st_size > limits.document_bytes:
            return True
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    if not _TOP_LEVEL_EXPECT.search(text):
        return False
    try:
        document = load_document(path, DossierError, limits)
    except RefereeError:
        return True
    return isinstance(document, Mapping) and "expect" in document


def collect(paths: Iterable[Path], limits: Limits = DEFAULT_LIMITS) -> list[Path]:
    """The author tests under `paths`: a file as named, a folder's tests recursively (hidden folders skipped), sorted."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            inside = (f for f in sorted(path.rglob("*")) if not any(part.startswith(".") for part in f.relative_to(path).parts))
            found.update(dict.fromkeys(f for f in inside if holds_expectations(f, limits)))
        else:
            found[path] = None
    return list(found)


@dataclass(frozen=True)
class Result:
    """One author test: passed, failed (with what differed) or in error (the dossier or its block is invalid)."""

    file: str
    dossier_id: str | None = None
    outcome: str | None = None
    differences: tuple[Difference, ...] = ()
    error: RefereeError | None = None

    @property
    def status(self) -> str:
        return "error" if self.error is not None else "failed" if self.differences else "passed"

    def details(self) -> list[str]:
        """What went wrong, one line each: the differences, or the error and its problems."""
        if self.error is not None:
            return self.error.render().splitlines()
        return [d.render(self.file) for d in self.differences]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "dossier_id": self.dossier_id,
            "outcome": self.outcome,
            "differences": [d.to_json() for d in self.differences],
            "error": self.error.to_json() if self.error is not None else None,
        }


def run(library: Library, path: Path, runtime: str = "durable-rules") -> Result:
    """Judge the dossier at `path` and hold the decision to its expect: block; every place named with its line."""
    source = str(path)
    try:
        dossier = library.load_dossier(path)
        if dossier.expect is None:
            raise DossierError(f"{source} holds no expect: block", [Problem("write what the decision must be under expect: (docs/author-tests.md)", (), source)])
        expectation = read_expectation(dossier.expect, source)
        decision = library.evaluate(dossier, runtime=runtime).to_json()
        _raisable(library, dossier.scheme, expectation.absent, source)
    except RefereeError as exc:
        exc.problems = locate(exc.problems, library.limits)
        return Result(source, error=exc)
    found = differences(expectation, decision)
    placed = locate((Problem(d.message, d.path, source) for d in found), library.limits)
    return Result(source, dossier.dossier_id, decision["outcome"], tuple(replace(d, line=p.line) for d, p in zip(found, placed)))


def _raisable(library: Library, scheme: str, absent: Iterable[ExpectedFinding], source: str) -> None:
    """A finding expected absent must be one a rule of the scheme (or the engine) can raise: a misspelt code
    would always be absent, and the test could never fail."""
    codes = set(ENGINE_FINDINGS)
    for version in library.versions(scheme):
        for rule_source in library.rule_sources(version):
            codes.update(r.conclusion.name for r in library.rules(rule_source.path, scheme) if r.conclusion.kind == "finding")
    unknown = [f for f in absent if f.code not in codes]
    if unknown:
        raise DossierError(
            f"{source}: the expect: block says absent a finding no rule of {scheme} raises",
            [Problem(f"no rule of any version of {scheme} raises {f.code}: a finding that cannot occur is always absent", f.path, source) for f in unknown],
        )


def summary(results: Iterable[Result]) -> dict[str, int]:
    """How many passed, failed and were in error."""
    statuses = [result.status for result in results]
    return {"passed": statuses.count("passed"), "failed": statuses.count("failed"), "errors": statuses.count("error")}
