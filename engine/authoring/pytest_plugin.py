"""pytest collects the author tests: one item per dossier that holds an `expect:` block, as openfisca's YAML tests.

Installing referee registers this module with pytest (the `pytest11` entry point in
pyproject.toml), so `pytest examples/` runs a tree's author tests as `referee test
examples/` does, and `make test` runs the bundled ones (examples/ is in `testpaths`).
A failure reads as `referee test` prints it: each expectation not met, with its line.

The referentials are those of the nearest folder above the dossier that holds
`referentials/`, or of the `referee_root` setting (ini), each opened once per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # referee is imported when a test runs, not when pytest starts a run that has none
    from engine.authoring.author_tests import Result
    from engine.library import Library

_LIBRARIES = pytest.StashKey[dict[Path, "Library"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("referee_root", "tree holding referentials/ and rules/ for the author tests (default: the nearest above each dossier)")
    parser.addini("referee_runtime", "runtime that judges the author tests", default="durable-rules")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> AuthorTestFile | None:
    from engine.authoring.author_tests import holds_expectations

    return AuthorTestFile.from_parent(parent, path=file_path) if holds_expectations(file_path) else None


class AuthorTestFile(pytest.File):
    def collect(self) -> Iterator[AuthorTest]:
        yield AuthorTest.from_parent(self, name="expect")


class ExpectationNotMet(Exception):
    """A failed or invalid author test, carrying its result for `repr_failure`."""

    def __init__(self, result: Result):
        super().__init__(result.file)
        self.result = result


class AuthorTest(pytest.Item):
    def runtest(self) -> None:
        from engine.authoring.author_tests import run

        here = self.config.invocation_params.dir
        shown = self.path.relative_to(here) if self.path.is_relative_to(here) else self.path  # as pytest names it
        result = run(self._library(), shown, self.config.getini("referee_runtime"))
        if result.status != "passed":
            raise ExpectationNotMet(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from engine.errors import RefereeError

        if isinstance(excinfo.value, ExpectationNotMet):
            result = excinfo.value.result
            return "\n".join([f"{result.file}: {result.status}" + (f" ({result.dossier_id} → {result.outcome})" if result.outcome else ""), *result.details()])
        if isinstance(excinfo.value, RefereeError):  # the tree's referentials do not open
            return excinfo.value.render()
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}: expect"

    def _library(self) -> Library:
        from engine.library import Library

        root = self._root()
        libraries = self.config.stash.setdefault(_LIBRARIES, {})
        if root not in libraries:
            libraries[root] = Library.open(root)
        return libraries[root]

    def _root(self) -> Path:
        setting = self.config.getini("referee_root")
        if setting:
            return (self.config.rootpath / setting).resolve()
        for folder in self.path.resolve().parents:
            if (folder / "referentials").is_dir():
                return folder
        from engine.errors import UsageError

        raise UsageError(f"{self.path}: no folder above it holds referentials/; set referee_root in the pytest settings")
