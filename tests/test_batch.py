"""`referee batch`: many dossiers in one run, in input order, in parallel if asked; a bad dossier never stops it.

Standard output carries only decisions; standard error the bar (at a terminal), one line per dossier
in trouble, and the end table. Exit 1 if a dossier was invalid, 3 on a bug (an internal error, or a
runtime that disagrees with durable-rules on a checked dossier).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import COMPLIANT, ROOT
from portfolio import FAULTS, invalid_positions, portfolio, write_jsonl
from rich.console import Console

from cli import main
from engine import Library, load_dossier
from engine.decision.model import RuleStep
from engine.model.canonical import to_plain
from engine.model.documents import load_document
from engine.running.batch import Entry, collect, in_sample, judge_all, output_names
from engine.running.batch_view import batch_progress, progress_shown

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*/*.yaml"))  # what `make demo` judges
UNUSABLE = EXAMPLES / "label-transmission" / "unusable" / "ledger-unmapped-account-and-bad-amount.yaml"


def run(*args: Any, env: dict[str, str] | None = None) -> Any:
    """`referee batch ARGS…` in-process, standard output and standard error apart."""
    return CliRunner().invoke(main, ["--root", str(ROOT), "batch", *map(str, args)], env=env, catch_exceptions=False)


def decisions(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def plain(data: Any) -> Any:
    return json.loads(json.dumps(data, ensure_ascii=False))


def reports(stderr: str) -> dict[str, str]:
    """Source -> the line reporting it invalid (the terminal's escape sequences, if any, left out)."""
    found = {}
    for line in re.split(r"[\r\n]", ANSI.sub("", stderr)):
        if line.startswith("invalid dossier: "):
            source = line.removeprefix("invalid dossier: ").split(" ")[0].removesuffix(":")
            found[source] = line
    return found


# --- inputs and outputs -----------------------------------------------------------------------------------------


def test_the_examples_folder_gives_the_decisions_of_evaluate_in_order(library: Library, cli: Callable[..., Any]) -> None:
    result = run(EXAMPLES)
    assert result.exit_code == 1, result.stderr  # examples/label-transmission/unusable/ holds an unusable ledger
    judged = decisions(result.stdout)
    assert len(judged) == len(EXAMPLE_FILES)
    for path, decision in zip(EXAMPLE_FILES, judged):
        assert decision == plain(library.evaluate(load_dossier(path)).to_json()), path
    evaluated = cli("evaluate", COMPLIANT, "--format", "json")
    assert judged[EXAMPLE_FILES.index(COMPLIANT)] == json.loads(evaluated.stdout)
    assert f"invalid dossier: {UNUSABLE}: the ledger fec-2025-atelier.txt cannot be used" in result.stderr
    assert "fec-2025-atelier.txt:6: account 658800" in result.stderr
    total = len(EXAMPLE_FILES) + 1  # and the unusable one, in a subfolder
    assert f"{total} dossiers in" in result.stderr and f"{total - 1} decided, 1 invalid" in result.stderr


def test_inputs_are_files_folders_and_json_lines_in_order(tmp_path: Path) -> None:
    lines = write_jsonl(tmp_path / "some.jsonl", portfolio(3))
    (tmp_path / "nested").mkdir()
    shutil.copy(COMPLIANT, tmp_path / "nested" / "b.yaml")
    (tmp_path / "nested" / "a.json").write_text(json.dumps(next(portfolio(1))), encoding="utf-8")
    (tmp_path / "nested" / "notes.txt").write_text("not a dossier", encoding="utf-8")
    sources = [e.source for e in collect([COMPLIANT, tmp_path / "nested", lines])]
    assert sources == [str(COMPLIANT), f"{tmp_path}/nested/a.json", f"{tmp_path}/nested/b.yaml", f"{lines}:1", f"{lines}:2", f"{lines}:3"]


def test_json_lines_skip_blank_lines_and_name_each_dossier_file_colon_line(tmp_path: Path) -> None:
    documents = list(portfolio(3, seed=1))
    path = tmp_path / "dossiers.jsonl"
    path.write_text("\n".join([json.dumps(documents[0]), "", "  ", json.dumps(documents[1]), "{not json", json.dumps(documents[2])]) + "\n", encoding="utf-8")
    result = run(path)
    assert result.exit_code == 1
    assert [d["dossier_id"] for d in decisions(result.stdout)] == [d["dossier_id"] for d in documents]
    assert f"invalid dossier: {path}:5 is not valid JSON — {path}:5: Expecting property name enclosed in double quotes (column 2)" in result.stderr


def test_a_ledger_in_json_lines_is_read_relative_to_the_file_folder(tmp_path: Path) -> None:
    example = EXAMPLES / "label-transmission" / "account-ledger-2025-closed.yaml"
    (tmp_path / "ledgers").mkdir()
    shutil.copy(example.parent / "ledgers" / "fec-2025-usinage.txt", tmp_path / "ledgers")
    document = to_plain(load_document(example))
    assert document["ledger"] == "ledgers/fec-2025-usinage.txt"
    result = run(write_jsonl(tmp_path / "accounts.jsonl", [document]))
    assert result.exit_code == 0, result.stderr
    [decision] = decisions(result.stdout)
    assert decision["outcome"] == "closed"
    assert decision["digests"]["ledger"]["file"] == "ledgers/fec-2025-usinage.txt"


def test_folder_output_writes_one_indented_decision_per_dossier(tmp_path: Path) -> None:
    lines = write_jsonl(tmp_path / "two.jsonl", portfolio(2))
    out = tmp_path / "decisions"
    result = run(COMPLIANT, lines, COMPLIANT, "--format", "dir", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    stem = COMPLIANT.with_suffix("").as_posix().lstrip("/").replace("/", "__")
    jsonl = lines.with_suffix("").as_posix().lstrip("/").replace("/", "__")
    names = [f"{stem}.json", f"{jsonl}-000001.json", f"{jsonl}-000002.json", f"{stem}-2.json"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    text = (out / names[0]).read_text(encoding="utf-8")
    assert text.startswith('{\n  "format": "referee.decision/2",')
    assert json.loads(text) == decisions(run(COMPLIANT).stdout)[0]


def test_output_names_never_collide() -> None:
    entries = [Entry("a/b.yaml", Path("a/b.yaml")), Entry("a/b.json", Path("a/b.json")), Entry("x.jsonl:7", Path("x.jsonl"), 7)]
    assert output_names(entries) == ["a__b.json", "a__b-2.json", "x-000007.json"]


def test_the_summary_csv_has_a_row_per_dossier(tmp_path: Path) -> None:
    summary = tmp_path / "summary.csv"
    result = run(EXAMPLES, "-o", tmp_path / "decisions.jsonl", "--summary", summary)
    assert result.exit_code == 1
    table = rows(summary)
    assert [r["file"] for r in table] == sorted(map(str, [*EXAMPLE_FILES, UNUSABLE]), key=lambda s: Path(s).parts)
    by_file = {r["file"]: r for r in table}
    assert by_file[str(COMPLIANT)] == {
        "file": str(COMPLIANT), "dossier_id": "BC-2024-017", "scheme": "bilan-carbone-compliance", "procedure": "audit",
        "versions": "assessment=2014-05-19; resources=2014-05-19", "outcome": "compliant", "errors": "0", "warnings": "0", "infos": "0", "error": "",
    }
    ledger = by_file[str(EXAMPLES / "label-transmission" / "account-ledger-2025-no-quantities-incomplete.yaml")]
    assert ledger["versions"] == (
        "carbon_account=2024-01-01; method=2024-01-01; factors=label-transmission-factors 2025-01-01; mapping=label-transmission-pcg 2024-01-01"
    )
    assert (ledger["outcome"], ledger["errors"], ledger["warnings"], ledger["infos"]) == ("incomplete", "4", "1", "1")
    invalid = by_file[str(UNUSABLE)]
    assert (invalid["dossier_id"], invalid["outcome"], invalid["errors"]) == ("atelier-2025", "", "")
    assert invalid["error"].startswith(f"invalid dossier: {UNUSABLE}: the ledger fec-2025-atelier.txt cannot be used")


# --- invalid dossiers, bugs, checks -----------------------------------------------------------------------------


def test_invalid_dossiers_are_reported_with_their_path_and_do_not_stop_the_batch(tmp_path: Path) -> None:
    count, invalid = 40, len(FAULTS)
    path = write_jsonl(tmp_path / "mixed.jsonl", portfolio(count, invalid=invalid, seed=7))
    summary = tmp_path / "summary.csv"
    result = run(path, "--summary", summary)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    faults = invalid_positions(count, invalid, seed=7)
    assert sorted(faults.values()) == sorted(FAULTS)
    reported = reports(result.stderr)
    assert sorted(reported) == sorted(f"{path}:{position + 1}" for position in faults)
    for position, fault in faults.items():
        assert FAULTS[fault][1] in reported[f"{path}:{position + 1}"]
    assert len(decisions(result.stdout)) == count - invalid
    assert [i for i, r in enumerate(rows(summary)) if r["error"]] == sorted(faults)


def test_an_internal_error_is_reported_and_the_batch_finishes_with_exit_3(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluate = Library.evaluate

    def failing(self: Library, dossier: Any, **options: Any) -> Any:
        if dossier.dossier_id == "BC-2024-017":
            raise RuntimeError("boom")
        return evaluate(self, dossier, **options)

    monkeypatch.setattr(Library, "evaluate", failing)
    result = run(EXAMPLES / "bilan-carbone-compliance")
    assert result.exit_code == 3
    assert f"internal error: {COMPLIANT}: RuntimeError: boom — a bug in referee" in result.stderr
    assert len(decisions(result.stdout)) == 10
    assert "Traceback" not in result.output


def test_jobs_2_gives_what_jobs_1_gives(tmp_path: Path) -> None:
    one, two = (run(EXAMPLES, "--jobs", jobs, "--summary", tmp_path / f"{jobs}.csv") for jobs in (1, 2))
    assert (one.exit_code, two.exit_code) == (1, 1)
    assert one.stdout == two.stdout
    assert (tmp_path / "1.csv").read_text(encoding="utf-8") == (tmp_path / "2.csv").read_text(encoding="utf-8")


def test_a_full_check_sample_of_the_examples_finds_no_difference() -> None:
    result = run(*EXAMPLE_FILES, "--check-sample", 1)
    assert result.exit_code == 0, result.stderr
    assert f"checked against durable-rules: {len(EXAMPLE_FILES)} dossiers, no difference" in result.stderr


def test_a_difference_with_durable_rules_is_loud_and_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluate = Library.evaluate

    def drifting(self: Library, dossier: Any, **options: Any) -> Any:
        decision = evaluate(self, dossier, **options)
        if options.get("runtime") == "compiled":
            step = decision.trail[3]
            assert isinstance(step, RuleStep)
            step.value = "drifted"
        return decision

    monkeypatch.setattr(Library, "evaluate", drifting)
    result = run(COMPLIANT, "--check-sample", 1)
    assert result.exit_code == 3
    assert f"DIFFERENCE: {COMPLIANT}: compiled and durable-rules differ at trail entry 'd2' — a bug in referee" in result.stderr
    assert "checked against durable-rules: 1 dossier, 1 DIFFERENT" in result.stderr


def test_the_sample_is_chosen_by_the_source_alone() -> None:
    sources = [f"portfolio.jsonl:{i}" for i in range(1, 2001)]
    chosen = [s for s in sources if in_sample(s, 0.05)]
    assert chosen == [s for s in sources if in_sample(s, 0.05)]
    assert 60 <= len(chosen) <= 140
    assert all(in_sample(s, 1) for s in sources) and not any(in_sample(s, 0) for s in sources)


def test_judge_all_without_the_cli(library: Library) -> None:
    results = list(judge_all(library, collect([EXAMPLES / "bilan-carbone-compliance"]), check_share=1))
    assert [r.outcome for r in results][:2] == ["compliant", "improvement_1_month"]
    assert all(r.checked and r.difference is None and r.invalid is None for r in results)


# --- refusals before judging anything ---------------------------------------------------------------------------


def test_an_existing_output_is_never_overwritten_without_force(tmp_path: Path) -> None:
    out, summary = tmp_path / "decisions.jsonl", tmp_path / "summary.csv"
    out.write_text("keep me\n", encoding="utf-8")
    refused = run(COMPLIANT, "-o", out)
    assert refused.exit_code == 2
    assert f"usage error: {out} exists already: give --force to overwrite it" in refused.stderr
    assert out.read_text(encoding="utf-8") == "keep me\n"
    summary.write_text("keep me too\n", encoding="utf-8")
    assert run(COMPLIANT, "-o", tmp_path / "other.jsonl", "--summary", summary).exit_code == 2
    assert summary.read_text(encoding="utf-8") == "keep me too\n"
    assert run(COMPLIANT, "-o", out, "--summary", summary, "--force").exit_code == 0
    assert decisions(out.read_text(encoding="utf-8"))[0]["dossier_id"] == "BC-2024-017"
    folder = tmp_path / "dir"
    assert run(COMPLIANT, "--format", "dir", "-o", folder).exit_code == 0
    again = run(COMPLIANT, "--format", "dir", "-o", folder)
    assert again.exit_code == 2 and "1 decision file(s) exist already" in again.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("-o", "{tmp}/missing/decisions.jsonl"), "the folder {tmp}/missing does not exist"),
        (("--summary", "{tmp}/missing/summary.csv"), "the folder {tmp}/missing does not exist"),
        (("--format", "dir", "-o", "{tmp}/missing/out"), "{tmp}/missing does not exist"),
        (("--format", "dir"), "name it with -o"),
        (("--check-sample", "0.5", "--runtime", "durable-rules"), "judge with another --runtime"),
    ],
)
def test_bad_outputs_are_usage_errors_without_traceback(tmp_path: Path, args: tuple[str, ...], words: str) -> None:
    result = run(COMPLIANT, *(a.format(tmp=tmp_path) for a in args))
    assert result.exit_code == 2
    assert words.format(tmp=tmp_path) in result.stderr
    assert "Traceback" not in result.output


def test_a_folder_without_dossiers_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.exit_code == 2
    assert f"no dossiers found in {tmp_path}" in result.stderr


# --- what a person watching sees --------------------------------------------------------------------------------


def test_the_bar_shows_only_at_an_interactive_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert not progress_shown(Console(file=io.StringIO()))
    assert progress_shown(Console(file=io.StringIO(), force_terminal=True))
    monkeypatch.setenv("TERM", "dumb")
    assert not progress_shown(Console(file=io.StringIO(), force_terminal=True))


def test_the_bar_shows_the_rate_and_the_time_left() -> None:
    screen = io.StringIO()
    clock = iter(float(t) for t in range(100))
    progress = batch_progress(Console(file=screen, force_terminal=True, width=120), get_time=lambda: next(clock))
    task = progress.add_task("judging", total=1000)
    with progress:
        for _ in range(4):
            progress.advance(task, 100)
        progress.refresh()
    shown = screen.getvalue()
    assert "400/1000" in shown
    assert "dossiers/s" in shown
    assert "ETA" in shown and "0:00:0" in shown


def test_ten_thousand_dossiers_with_fifty_invalid_ones(tmp_path: Path) -> None:
    """The issue's done-when: a bar, decisions and the summary CSV; each invalid dossier reported, none stopping it."""
    count, invalid = 10_000, 50
    path = write_jsonl(tmp_path / "portfolio.jsonl", portfolio(count, invalid=invalid))
    out, summary = tmp_path / "decisions.jsonl", tmp_path / "summary.csv"
    start = time.perf_counter()
    result = run(path, "--jobs", 2, "-o", out, "--summary", summary, env={"TTY_COMPATIBLE": "1", "TERM": "xterm"})
    seconds = time.perf_counter() - start
    assert result.exit_code == 1, result.stderr[-2000:]
    assert "dossiers/s" in result.stderr and "ETA" in result.stderr  # the bar, on standard error
    assert result.stdout == ""
    assert len(out.read_text(encoding="utf-8").splitlines()) == count - invalid
    table = rows(summary)
    assert len(table) == count
    faults = invalid_positions(count, invalid)
    assert [i for i, r in enumerate(table) if r["error"]] == sorted(faults)
    reported = reports(result.stderr)
    assert len(reported) == invalid
    for position, fault in faults.items():
        assert FAULTS[fault][1] in reported[f"{path}:{position + 1}"]
    print(f"{count} dossiers, --jobs 2: {seconds:.1f} s, {count / seconds:.0f} dossiers/s")
