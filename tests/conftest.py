"""Shared fixtures: the project's library (one per test session), a scratch copy of the tree, and the CLI."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from engine import Library, read_dossier
from engine.model.documents import _StrictLoader, load_document

ROOT = Path(__file__).resolve().parent.parent
BC = "bilan-carbone-compliance"
BC_V1 = ROOT / "referentials" / BC / "2014-05-19.yaml"
COMPLIANT = ROOT / "examples" / BC / "compliant.yaml"  # the example most tests judge: a Bilan Carbone audit, compliant
LEDGER_DOSSIER = ROOT / "examples" / "label-transmission" / "account-ledger-2025-closed.yaml"  # a carbon account read from a FEC
LEDGER_FEC = ROOT / "examples" / "label-transmission" / "ledgers" / "fec-2025-usinage.txt"  # the FEC it names


LIBRARY = Library.open(ROOT)


@pytest.fixture(scope="session")
def library() -> Library:
    """The bundled tree, compiled once for the whole run: tests that only read share it."""
    return LIBRARY


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of referentials/ and rules/ that a test may change, its versions published as in the project.

    A test that changes a published version makes it a draft first (`draft`): the helpers that write
    versions and rule files do.
    """
    shutil.copytree(ROOT / "referentials", tmp_path / "referentials")
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    return tmp_path


@contextmanager
def never_constructed() -> Iterator[None]:
    """Within it, a YAML document whose values are built fails the test: a refusal must come from its composed nodes."""
    construct = _StrictLoader.construct_document

    def refusing(loader: _StrictLoader, node: Any) -> Any:
        raise AssertionError("the document's values were built")

    _StrictLoader.construct_document = refusing  # type: ignore[method-assign]
    try:
        yield
    finally:
        _StrictLoader.construct_document = construct  # type: ignore[method-assign]


def draft(root: Path, scheme: str, version: Any) -> None:
    """Withdraw a version's lock: a test is about to change what it runs, as an author does with a draft."""
    (root / "referentials" / scheme / f"{version}.lock.json").unlink(missing_ok=True)


def drafts(root: Path) -> None:
    """Every version of the tree a draft: for a test that changes what several of them run."""
    for lock in (root / "referentials").glob("*/*.lock.json"):
        lock.unlink()


def only_version(root: Path, scheme: str, version: str) -> Path:
    """Leave `version` the only version of `scheme` in the tree: for tests that write its successors themselves."""
    for path in (root / "referentials" / scheme).glob("*.yaml"):
        if path.stem != version:
            path.unlink()
            path.with_suffix(".lock.json").unlink(missing_ok=True)
            shutil.rmtree(root / "rules" / scheme / path.stem, ignore_errors=True)
    return root


def rule_folder(root: Path, scheme: str, version: Any) -> Path:
    """Where a version's own rule files live."""
    return root / "rules" / scheme / str(version)


def write_version(root: Path, scheme: str, document: dict[str, Any]) -> Path:
    """Write a referential version document under `root` and return its path.

    A new version runs rules of its own: unless the test wrote them already, its rule folder starts as a
    copy of the one of the version it supersedes (or of the latest version's).
    """
    folder = rule_folder(root, scheme, document["id"])
    versions = sorted(p for p in (root / "rules" / scheme).glob("*") if p.is_dir()) if (root / "rules" / scheme).is_dir() else []
    if not folder.exists() and versions:
        base = rule_folder(root, scheme, document["supersedes"]) if document.get("supersedes") else versions[-1]
        shutil.copytree(base, folder)
    draft(root, scheme, document["id"])
    path = root / "referentials" / scheme / f"{document['id']}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def bc_document() -> dict[str, Any]:
    """The Bilan Carbone® 2014-05-19 version as data, to derive variants from."""
    return load_document(BC_V1)


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Any]:
    """Run `referee ARGS…` in-process; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def run(*args: str, root: Path = ROOT) -> Any:
        shared = LIBRARY if root == ROOT else None  # the bundled tree is compiled once per run
        return runner.invoke(main, ["--root", str(root), *map(str, args)], obj=shared, catch_exceptions=False)

    return run


OCO2 = "objectif-co2"


def judge(
    library: Library,
    procedure: str,
    facts: dict[str, Any],
    anchor: str,
    event: str,
    *,
    scheme: str = OCO2,
    version: str | None = None,
    runtime: str = "durable-rules",
    companions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate a dossier built from its parts; returns the decision document."""
    document = dossier_document(procedure, facts, anchor, event, scheme=scheme, companions=companions)
    return library.evaluate(read_dossier(document, f"test dossier ({procedure})"), version=version, runtime=runtime).to_json()


def dossier_document(
    procedure: str, facts: dict[str, Any], anchor: str, event: str, *, scheme: str = OCO2, companions: dict[str, Any] | None = None
) -> dict[str, Any]:
    document = {
        "scheme": scheme,
        "procedure": procedure,
        "dossier_id": f"test-{procedure}",
        "title": f"test {procedure}",
        "cycle": {"anchor": anchor},
        "event_date": event,
        "facts": facts,
    }
    if companions is not None:
        document["companions"] = companions
    return document


def write_dossier(path: Path, procedure: str, facts: dict[str, Any], anchor: str, event: str) -> Path:
    """A dossier file for the CLI; `path` may be a folder (the file is then named after the procedure)."""
    if path.is_dir():
        path = path / f"{procedure}.yaml"
    document = dossier_document(procedure, facts, anchor, event)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def bc_example_dossier(anchor: Any, event: Any, **changes: Any) -> Any:
    """The Bilan Carbone® `compliant` example with other dates (and envelope changes)."""
    document = load_document(ROOT / "examples" / BC / "compliant.yaml")
    document["cycle"]["anchor"] = anchor
    document["event_date"] = event
    document.update(changes)
    return read_dossier(document, "dossier.yaml")


def unwrapped(text: str) -> str:
    """`explain`'s text with each wrapped line joined back, by one space, to the line it continues.

    The text wraps at 100 columns (engine/decision/render.py `wrapped`): a continuation line is indented
    two columns past the tree's three-column steps, which is how it is told from a line of its own.
    """
    lines: list[str] = []
    for line in text.splitlines():
        words = line.lstrip(" │")
        if lines and words and (len(line) - len(words) - 2) % 3 == 2:
            lines[-1] += " " + words
        else:
            lines.append(line)
    return "\n".join(lines)


def flat(text: str) -> str:
    """A text unwrapped, its runs of white space made one: to find a phrase wherever the wrapping broke it."""
    return " ".join(unwrapped(text).split())


def unlined(text: str) -> str:
    """A message with the line dropped from each `FILE:LINE $.path`: for tests about the path and the words, where
    the line would only restate the fixture's layout (test_cli_errors checks the lines themselves)."""
    return re.sub(r"(\.(?:ya?ml|json)):\d+(?= )", r"\1", text)


def finding_codes(decision: dict[str, Any]) -> list[str]:
    return [f["code"] for f in decision["findings"]]


# -- decision stores: a SQLite file, and a PostgreSQL server when one is given ------------------------------------------

POSTGRES_ENV = "REFEREE_TEST_POSTGRES"  # .ci/run starts a server and sets it: postgresql://USER@/DB?host=SOCKET_FOLDER
POSTGRES_SKIP = "PostgreSQL store tests skipped"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where a test's store lives: a new SQLite file, then a new schema of the test PostgreSQL server (dropped after)."""
    if request.param == "sqlite":
        yield str(tmp_path / "referee.db")
        return
    import sqlalchemy as sa

    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_SKIP}: {POSTGRES_ENV} names no server (.ci/run starts one)")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), connect_args={"connect_timeout": 5})
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        engine.dispose()
        pytest.skip(f"{POSTGRES_SKIP}: the server of {POSTGRES_ENV} is not reachable ({str(exc.orig).strip().splitlines()[0]})")
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"  # the test's tables in its own schema
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say in the summary, with the reason, that the store's tests did not run on PostgreSQL."""
    reasons = [str(report.longrepr[2]) for report in terminalreporter.stats.get("skipped", []) if POSTGRES_SKIP in str(report.longrepr)]
    if reasons:
        terminalreporter.write_line(f"{len(reasons)} {reasons[0].removeprefix('Skipped: ')}", yellow=True, bold=True)
