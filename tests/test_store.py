"""The decision store: batches that record, resume after a kill and run side by side; the chain that `store verify` walks;
history and stats; formats and migrations. Each test runs on a SQLite file and on PostgreSQL (skipped, with the
reason in the summary, when no server is given: .ci/run starts one)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import ROOT, bc_document, only_version, write_version
from portfolio import examples, write_jsonl

from engine.store import schema
from engine.store.chain import body_digest, row_hash
from engine.store.repository import Store
from engine.store.schema import blobs, decisions, dossiers, libraries, versions

BC = "bilan-carbone-compliance"
COMPLIANT = ROOT / "examples" / BC / "compliant.yaml"
BC_EXAMPLES = sorted((ROOT / "examples" / BC).glob("*.yaml"))
CHEAP = ("counter_audit", "annual_update", "random_audit")  # objectif-co2's procedures that cost the least to judge


def small_portfolio(path: Path, count: int, start: int = 0) -> Path:
    """`count` small dossiers, one a line: the examples of objectif-co2's cheapest procedures, each copy with an id of its own."""
    cheap = [d for d in examples() if d["scheme"] == "objectif-co2" and d["procedure"] in CHEAP]
    return write_jsonl(path, ({**cheap[i % len(cheap)], "dossier_id": f"{cheap[i % len(cheap)]['dossier_id']}#{i:06d}"} for i in range(start, start + count)))


def referee(*args: str) -> list[str]:
    """The command line of `referee ARGS…` in a process of its own."""
    return [sys.executable, str(ROOT / "cli.py"), "--root", str(ROOT), *args]


def query(url: str, statement: Any) -> list[Any]:
    store = Store.open(url)
    try:
        with store.engine.connect() as connection:
            return list(connection.execute(statement))
    finally:
        store.close()


def count(url: str, what: Any = None) -> int:
    return int(query(url, sa.select(sa.func.count(what) if what is not None else sa.func.count()).select_from(decisions))[0][0])


def execute(url: str, statement: Any) -> None:
    """Change the store by hand, as someone with access to the database could."""
    store = Store.open(url)
    try:
        with store.engine.begin() as connection:
            connection.execute(statement)
    finally:
        store.close()


def wait_until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not reached in {seconds} s"
        time.sleep(0.1)


def recorded(url: str) -> int:
    """The decisions in the store, 0 while the batch has not made it yet."""
    try:
        return count(url)
    except Exception:  # noqa: BLE001 - not a store yet, or its tables not yet made
        return 0


# -- a batch that records, resumes and shares --------------------------------------------------------------------


def test_a_batch_killed_mid_run_and_run_again_ends_with_each_decision_once(store_url: str, tmp_path: Path) -> None:
    portfolio = small_portfolio(tmp_path / "portfolio.jsonl", 10_000)
    command = referee("batch", str(portfolio), "--jobs", "2", f"--store={store_url}")
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: recorded(store_url) >= 2_000 or first.poll() is not None, 300)
        assert first.poll() is None, "the batch ended before it was killed: it needs more dossiers"
        os.killpg(first.pid, signal.SIGKILL)  # the batch and its workers, at once, as a crash would
    finally:
        first.wait()
    killed_at = count(store_url)
    assert 2_000 <= killed_at < 10_000

    again = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"{10_000 - killed_at} decided, 0 invalid, {killed_at} decided before (in the store already, not judged again)" in again.stderr
    assert f": {10_000 - killed_at} decisions" in again.stderr
    assert count(store_url) == 10_000
    assert count(store_url, sa.distinct(decisions.c.dossier)) == 10_000
    assert count(store_url, sa.distinct(decisions.c.dossier_id)) == 10_000
    verified = Store.open(store_url).verify()
    assert verified.intact and verified.rows == 10_000, verified.faults


def test_two_batches_recording_into_one_store_at_once_lose_and_double_nothing(store_url: str, tmp_path: Path) -> None:
    first = small_portfolio(tmp_path / "first.jsonl", 4_000)  # dossiers 0 to 3,999
    second = small_portfolio(tmp_path / "second.jsonl", 2_000, start=3_000)  # 3,000 to 4,999: a thousand in both

    def start(file: Path, name: str) -> subprocess.Popen[str]:
        return subprocess.Popen(referee("batch", str(file), f"--store={store_url}", "--evaluator", name), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    # started together, the first with twice the dossiers: it is still appending all the while the second is
    batches = [start(first, "first"), start(second, "second")]
    said = [batch.communicate(timeout=600)[1] for batch in batches]
    assert [batch.returncode for batch in batches] == [0, 0], said
    assert count(store_url) == 5_000
    assert count(store_url, sa.distinct(decisions.c.dossier)) == 5_000
    by = [row.evaluator for row in query(store_url, sa.select(decisions.c.evaluator).order_by(decisions.c.seq))]
    assert sum(a != b for a, b in zip(by, by[1:])) >= 2, "the two batches did not append in turns: they did not run at once"
    verified = Store.open(store_url).verify()
    assert verified.intact and verified.rows == 5_000, verified.faults


def test_a_dossier_decided_under_the_same_versions_is_not_decided_twice_unless_again(store_url: str, cli: Any) -> None:
    first = cli("batch", COMPLIANT, "--store", store_url, "--evaluator", "A. First")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""  # with a store, decisions go there (and to -o only when asked)
    assert f"recorded in the store {Store.open(store_url).name}: 1 decision" in first.stderr
    second = cli("batch", COMPLIANT, "--store", store_url, "--evaluator", "B. Second")
    assert "0 decided, 0 invalid, 1 decided before (in the store already, not judged again)" in second.stderr
    assert count(store_url) == 1
    third = cli("batch", COMPLIANT, "--store", store_url, "--evaluator", "B. Second", "--again")
    assert "1 decided, 0 invalid" in third.stderr
    assert count(store_url) == 2
    assert [(r.evaluator, r.dossier_id) for r in query(store_url, sa.select(decisions).order_by(decisions.c.seq))] == [
        ("A. First", "BC-2024-017"), ("B. Second", "BC-2024-017"),
    ]


def test_a_batch_records_its_dossiers_as_received_and_its_library_once(store_url: str, cli: Any, tmp_path: Path) -> None:
    assert cli("batch", *BC_EXAMPLES, "--store", store_url).exit_code == 0
    stored = {row.source: row for row in query(store_url, sa.select(dossiers))}
    assert bytes(stored[str(COMPLIANT)].content) == COMPLIANT.read_bytes()  # comments and all
    assert stored[str(COMPLIANT)].format == "yaml"
    assert query(store_url, sa.select(sa.func.count()).select_from(libraries))[0][0] == 1
    held = query(store_url, sa.select(versions.c.scheme, versions.c.version))
    assert (BC, "2014-05-19") in held and ("objectif-co2", "2017-05-24") in held  # every scheme's versions, not only those used
    files = json.loads(query(store_url, sa.select(versions.c.files).where(versions.c.scheme == BC, versions.c.version == "2014-05-19"))[0][0])
    assert {"referentials/bilan-carbone-compliance/2014-05-19.yaml", "referentials/bilan-carbone-compliance/2014-05-19.lock.json",
            "rules/bilan-carbone-compliance/2014-05-19/audit.yaml", "referentials/referential.schema.json"} <= set(files)
    blob_count = query(store_url, sa.select(sa.func.count()).select_from(blobs))[0][0]
    assert cli("batch", *BC_EXAMPLES, "--store", store_url, "--again").exit_code == 0  # the same tree: nothing new but decisions
    assert query(store_url, sa.select(sa.func.count()).select_from(blobs))[0][0] == blob_count
    assert query(store_url, sa.select(sa.func.count()).select_from(libraries))[0][0] == 1


def test_a_batch_records_the_ledger_its_dossier_names(store_url: str, cli: Any) -> None:
    example = ROOT / "examples" / "label-transmission" / "account-ledger-2025-closed.yaml"
    assert cli("batch", example, "--store", store_url).exit_code == 0
    [row] = query(store_url, sa.select(decisions.c.ledger))
    fec = ROOT / "examples" / "label-transmission" / "ledgers" / "fec-2025-usinage.txt"
    [content] = query(store_url, sa.select(blobs.c.content).where(blobs.c.digest == row.ledger))
    assert bytes(content[0]) == fec.read_bytes()


# -- store verify ------------------------------------------------------------------------------------------------


@pytest.fixture
def three(store_url: str, cli: Any) -> str:
    """A store holding three decisions."""
    assert cli("batch", *BC_EXAMPLES[:3], "--store", store_url).exit_code == 0
    return store_url


def verify(cli: Any, url: str, *options: str) -> tuple[int, str]:
    result = cli("store", "verify", "--store", url, *options)
    return result.exit_code, result.stdout


def test_an_intact_store_verifies(three: str, cli: Any) -> None:
    code, said = verify(cli, three)
    head = query(three, sa.select(decisions.c.hash).where(decisions.c.seq == 3))[0][0]
    assert code == 0
    assert said.startswith(f"store {Store.open(three).name}: intact — 3 decision rows, head {head}; checked besides: ")
    code, said = verify(cli, three, "--deep")
    assert code == 0 and "3 dossiers" in said


def test_store_verify_finds_a_row_altered_by_hand(three: str, cli: Any) -> None:
    execute(three, decisions.update().where(decisions.c.seq == 2).values(outcome="compliant"))
    code, said = verify(cli, three)
    assert code == 1
    assert "1 FAULT" in said and "altered: row 2 was altered: its content no longer matches its hash" in said


def test_store_verify_finds_a_decision_altered_by_hand(three: str, cli: Any) -> None:
    [body] = query(three, sa.select(decisions.c.body).where(decisions.c.seq == 1))[0]
    altered = body.replace('"outcome":"compliant"', '"outcome":"refused"')
    assert altered != body
    execute(three, decisions.update().where(decisions.c.seq == 1).values(body=altered))
    code, said = verify(cli, three)
    assert code == 1 and "altered: row 1 was altered: its content no longer matches its hash" in said


def test_store_verify_finds_a_row_removed(three: str, cli: Any) -> None:
    execute(three, decisions.delete().where(decisions.c.seq == 2))
    code, said = verify(cli, three)
    assert code == 1
    assert "removed: row 2 removed: the chain jumps from row 1 to row 3" in said
    assert "relinked: row 3 does not follow the row before it in the chain" in said


def test_store_verify_finds_a_row_altered_and_hashed_again(three: str, cli: Any) -> None:
    [row] = query(three, sa.select(decisions).where(decisions.c.seq == 2))
    forged = {**row._mapping, "outcome": "compliant"}
    execute(three, decisions.update().where(decisions.c.seq == 2).values(outcome="compliant", hash=row_hash(forged, body_digest(row.body))))
    code, said = verify(cli, three)
    assert code == 1
    assert "row 2 was altered" not in said  # its own hash matches: the next row's link does not
    assert "relinked: row 3 does not follow the row before it in the chain (that row was removed, or altered and hashed again)" in said


def test_store_verify_finds_a_file_or_dossier_altered_by_hand(three: str, cli: Any) -> None:
    [(digest, content)] = query(three, sa.select(blobs.c.digest, blobs.c.content).limit(1))
    execute(three, blobs.update().where(blobs.c.digest == digest).values(content=bytes(content) + b"\n# edited"))
    assert f"altered: the file {digest} was altered" in verify(cli, three)[1]
    [(dossier, text)] = query(three, sa.select(dossiers.c.digest, dossiers.c.content).limit(1))
    execute(three, dossiers.update().where(dossiers.c.digest == dossier).values(content=bytes(text).replace(b"2024", b"2023", 1)))
    assert f"the dossier {dossier}" not in verify(cli, three)[1]  # the walk reads no dossier: --deep does
    assert f"altered: the dossier {dossier}" in verify(cli, three, "--deep")[1]


def test_store_verify_finds_a_dossier_removed(three: str, cli: Any) -> None:
    [(dossier,)] = query(three, sa.select(decisions.c.dossier).where(decisions.c.seq == 3))
    execute(three, dossiers.delete().where(dossiers.c.digest == dossier))
    assert f"removed: row 3 cites the dossier {dossier}, which the store no longer holds" in verify(cli, three)[1]


# -- history and stats -------------------------------------------------------------------------------------------


def test_history_lists_the_decisions_on_a_dossier_over_time(store_url: str, cli: Any, tmp_path: Path) -> None:
    assert cli("batch", COMPLIANT, "--store", store_url, "--evaluator", "A. First").exit_code == 0
    write_jsonl(tmp_path / "other.jsonl", [{**examples()[0], "dossier_id": "other"}])  # another dossier, not in the history
    assert cli("batch", tmp_path / "other.jsonl", "--store", store_url).exit_code == 0
    assert cli("batch", COMPLIANT, "--store", store_url, "--evaluator", "B. Second", "--again", "--runtime", "durable-rules").exit_code == 0
    result = cli("history", "BC-2024-017", "--store", store_url)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "BC-2024-017: 2 decisions"
    assert lines[1].split() == ["row", "decided", "(UTC)", "by", "procedure", "event", "date", "versions", "outcome"]
    assert " ".join(lines[2].split()[2:]) == "A. First audit 2024-05-21 assessment=2014-05-19; resources=2014-05-19 compliant"
    assert lines[2].split()[0] == "1" and lines[3].split()[0] == "3" and " B. Second " in lines[3]
    assert lines[4] == "judged by referee 0.1.0 (compiled): 1, referee 0.1.0 (durable-rules): 1"
    data = json.loads(cli("history", "BC-2024-017", "--store", store_url, "--format", "json").stdout)
    assert [(d["row"], d["evaluator"], d["outcome"], d["runtime"]) for d in data["decisions"]] == [
        (1, "A. First", "compliant", "compiled"), (3, "B. Second", "compliant", "durable-rules"),
    ]
    by_digest = json.loads(cli("history", data["decisions"][0]["dossier_digest"], "--store", store_url, "--format", "json").stdout)
    assert [d["row"] for d in by_digest["decisions"]] == [1, 3]
    unknown = cli("history", "no-such-dossier", "--store", store_url)
    assert unknown.exit_code == 1 and "holds no decision on no-such-dossier" in unknown.stderr


def test_stats_count_the_decisions_per_scheme_procedure_and_outcome(store_url: str, cli: Any) -> None:
    assert cli("batch", *BC_EXAMPLES, "--store", store_url).exit_code == 0
    data = json.loads(cli("store", "stats", "--store", store_url, "--format", "json").stdout)
    assert data["decisions"] == len(BC_EXAMPLES) == data["dossiers"]
    outcomes = {(o["procedure"], o["outcome"]): o["decisions"] for o in data["outcomes"]}
    assert outcomes[("audit", "compliant")] == 2 and sum(outcomes.values()) == len(BC_EXAMPLES)
    text = cli("store", "stats", "--store", store_url).stdout
    assert f"{len(BC_EXAMPLES)} decisions on {len(BC_EXAMPLES)} dossiers, by 1 evaluator(s)" in text
    assert "bilan-carbone-compliance  audit               compliant" in text


# -- opening a store ---------------------------------------------------------------------------------------------


def test_a_store_that_is_not_there_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    result = cli("store", "stats", "--store", tmp_path / "none.db")
    assert result.exit_code == 2
    assert f"usage error: there is no store at {tmp_path / 'none.db'}" in result.stderr


def test_the_store_defaults_to_referee_store_then_referee_db(cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("batch", COMPLIANT, "--store").exit_code == 0
    assert (tmp_path / "referee.db").is_file()
    monkeypatch.setenv("REFEREE_STORE", str(tmp_path / "named.db"))
    assert cli("batch", COMPLIANT, "--store").exit_code == 0
    assert "1 decision" in cli("store", "stats").stdout.splitlines()[0]  # the one REFEREE_STORE names


def test_a_database_of_another_program_is_not_taken_for_a_store(cli: Any, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    engine = sa.create_engine(f"sqlite:///{other}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE accounts (id INTEGER)")
    engine.dispose()
    assert "is not a referee store" in cli("store", "stats", "--store", other).stderr
    result = cli("batch", COMPLIANT, "--store", other)
    assert result.exit_code == 1 and "holds tables of another program" in result.stderr


def test_a_store_of_a_newer_format_is_refused(store_url: str, cli: Any) -> None:
    assert cli("batch", COMPLIANT, "--store", store_url).exit_code == 0
    execute(store_url, schema.store_info.update().values(value=str(schema.FORMAT + 1)))
    result = cli("store", "stats", "--store", store_url)
    assert result.exit_code == 1
    assert f"has format {schema.FORMAT + 1}, newer than this referee's ({schema.FORMAT})" in result.stderr


def test_a_store_of_an_older_format_is_migrated_in_order(store_url: str, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("batch", COMPLIANT, "--store", store_url).exit_code == 0
    applied = []

    def add_a_note(connection: sa.Connection) -> None:
        connection.exec_driver_sql("ALTER TABLE decisions ADD COLUMN note TEXT")
        applied.append(schema.FORMAT)

    monkeypatch.setattr(schema, "FORMAT", 2)
    monkeypatch.setattr(schema, "MIGRATIONS", {2: add_a_note})
    monkeypatch.setattr("engine.store.repository.FORMAT", 2)
    store = Store.open(store_url)
    with store.engine.connect() as connection:
        assert schema.stored_format(connection) == 2
        assert "note" in {c["name"] for c in sa.inspect(connection).get_columns("decisions")}
    Store.open(store_url)
    assert applied == [2]  # once


def test_store_options_are_refused_where_they_mean_nothing(cli: Any) -> None:
    result = cli("batch", COMPLIANT, "--again")
    assert result.exit_code == 2 and "give --store too" in result.stderr
    result = cli("batch", "--store", COMPLIANT, COMPLIANT)  # --store took the dossier for the store
    assert result.exit_code == 2 and f"--store took {COMPLIANT} for the store" in result.stderr


def test_a_library_with_a_new_version_judges_again_and_records_only_what_differs(store_url: str, cli: Any, scratch: Path) -> None:
    only_version(scratch, BC, "2014-05-19")
    assert cli("batch", COMPLIANT, "--store", store_url, root=scratch).exit_code == 0
    later = {
        **bc_document(), "id": "2030-01-01", "published_on": "2030-01-01", "in_force_from": "2030-01-01", "supersedes": "2014-05-19",
        "changes": [{"where": "process", "change": "a later edition (test fixture)"}], "illustrative": True,
    }
    write_version(scratch, BC, later)
    again = cli("batch", COMPLIANT, "--store", store_url, root=scratch)
    assert again.exit_code == 0, again.stderr
    assert "1 decided, 0 invalid" in again.stderr  # another library: the store cannot tell it would choose the same versions
    assert "1 judged again to the same versions as a decision in the store, not recorded twice" in again.stderr
    assert query(store_url, sa.select(sa.func.count()).select_from(libraries))[0][0] == 2
    assert count(store_url) == 1


def test_a_postgresql_store_without_psycopg_says_which_extra_to_install(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as where referee is installed without its postgresql extra
    result = cli("store", "stats", "--store", "postgresql://auditor@db.example.org/referee")
    assert result.exit_code == 2
    assert "a PostgreSQL store needs psycopg 3, which is not installed" in result.stderr
    assert "pip install 'referee[postgresql]'" in result.stderr
