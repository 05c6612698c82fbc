"""`referee impact` (engine/authoring/impact.py): what a new version does to a portfolio, before it is published.

The portfolio is generated (examples/portfolios/portfolio.py, seeded) from the
Bilan Carbone examples, plus dossiers made by hand: a score of exactly 70 in a
running cycle and in a new one, and two refused as input. Bilan Carbone
2025-12-01 reads "70 or more" where 2014-05-19 reads "above 70": that is the
only change the text makes to an outcome, so the running cycles must not move
(pinning), the new cycles move exactly where the score is 70, and forcing the
new version moves the 70s of every cycle. A scratch version whose assessment
section follows the event date (or applies retroactively) breaks pinning on
purpose, and impact must flag it.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BC, ROOT, write_version

from engine import Library
from engine.authoring.impact import Impact, impact_html, impact_of, impact_text
from engine.model.documents import load_document
from engine.running.batch import collect

sys.path.insert(0, str(ROOT / "examples" / "portfolios"))
from portfolio import FAULTS, realistic, write_jsonl  # noqa: E402

OLD, NEW, LATER = "2014-05-19", "2025-12-01", "2027-01-01"
GENERATED = 300
RUNNING_70 = "HAND-RUNNING-70"  # examples/…/score-70-improvement-6-months.yaml: anchored 2024-02-12, under OLD
NEW_70 = 'HAND-NEW-70 <script>alert("x")</script> & co'  # examples/…/statement-2025-score-70-compliant.yaml: anchored 2026-01-12
EXAMPLES = ROOT / "examples" / BC
SCORE_BAND_MOVES = 'fact score_band: "improvement_6_months" → "compliant" (rule score.band, process §8)'


def example(name: str, dossier_id: str) -> dict[str, Any]:
    document = copy.deepcopy(load_document(EXAMPLES / name))
    document.pop("expect")
    document["dossier_id"] = dossier_id
    return json.loads(json.dumps(document, default=str))  # dates as the JSON Lines file holds them


def by_hand() -> list[dict[str, Any]]:
    """The dossiers checked one by one: the two 70s, then one with a fact of the wrong type and one with an impossible date."""
    wrong_type = FAULTS["wrong-type"][0]({})
    wrong_type["dossier_id"] = "HAND-WRONG-TYPE"
    impossible = FAULTS["impossible-date"][0](example("compliant.yaml", "HAND-IMPOSSIBLE-DATE"))
    return [example("score-70-improvement-6-months.yaml", RUNNING_70), example("statement-2025-score-70-compliant.yaml", NEW_70), wrong_type, impossible]


@pytest.fixture(scope="module")
def portfolio(library: Library, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 generated Bilan Carbone dossiers (seed 14), then the four made by hand (lines 301-304)."""
    path = tmp_path_factory.mktemp("impact") / "portfolio.jsonl"
    return write_jsonl(path, [*realistic(library, BC, GENERATED, seed=14), *by_hand()])


@pytest.fixture(scope="module")
def impact(library: Library, portfolio: Path) -> Impact:
    return impact_of(library, BC, NEW, collect([portfolio]))


def transition(impact: Impact, group: str, dossier_id: str) -> Any:
    [found] = [t for t in impact.transitions if t.group == group and t.dossier_id == dossier_id]
    return found


def score(document: dict[str, Any]) -> float | None:
    """The score as the process text defines it, the sum of the criteria's points, computed here apart from the rules; None unaudited."""
    criteria = document["facts"].get("criteria")
    return sum(c["points"] for c in criteria.values()) if criteria else None


# --- the three groups ----------------------------------------------------------------------------------------------


def test_the_portfolio_falls_into_running_and_new_cycles_and_all_of_it_is_forced(impact: Impact, portfolio: Path) -> None:
    lines = [json.loads(line) for line in portfolio.read_text(encoding="utf-8").splitlines()]
    anchors = [d["cycle"]["anchor"] for d in lines if d["event_date"] != "2025-02-30"]  # the impossible date is in no group
    running, new, forced = (impact.groups[g].dossiers for g in ("running", "new", "forced"))
    assert (running, new) == (sum(a < NEW for a in anchors), sum(a >= NEW for a in anchors))
    assert running > 100 and new > 20  # the generator spreads the cycles over both versions
    assert forced == running + new == GENERATED + 3


def test_running_cycles_show_zero_change_pinning_keeps_them_on_the_old_version(impact: Impact) -> None:
    running = impact.groups["running"]
    assert running.changed == 0 and impact.flagged == []
    assert all(before == after for before, after in running.counts)
    assert [t for t in impact.transitions if t.group == "running" and t.difference is not None] == []


def test_a_running_cycle_scoring_70_stays_in_its_6_month_band(impact: Impact) -> None:
    running = transition(impact, "running", RUNNING_70)
    assert (running.before, running.after, running.difference) == ("improvement_6_months", "improvement_6_months", None)


def test_a_new_cycle_scoring_70_is_compliant_under_the_70_or_more_reading(impact: Impact) -> None:
    new = transition(impact, "new", NEW_70)
    assert (new.before, new.after) == ("improvement_6_months", "compliant")
    assert new.difference == SCORE_BAND_MOVES
    assert impact.groups["new"].counts["improvement_6_months", "compliant"] >= 1


def test_new_cycles_change_exactly_where_the_score_is_70(impact: Impact, portfolio: Path) -> None:
    documents = {d["dossier_id"]: d for d in map(json.loads, portfolio.read_text(encoding="utf-8").splitlines())}
    new = [t for t in impact.transitions if t.group == "new" and t.before != "(invalid)"]
    changed = {t.dossier_id for t in new if t.difference is not None}
    assert changed == {t.dossier_id for t in new if score(documents[t.dossier_id]) == 70}
    assert len(changed) >= 2  # the one by hand and at least one generated
    assert {t.difference for t in new if t.difference is not None} == {SCORE_BAND_MOVES}


def test_forcing_the_new_version_moves_the_70s_of_running_cycles_too(impact: Impact) -> None:
    forced = impact.groups["forced"]
    assert forced.changed > impact.groups["new"].changed
    running_70 = transition(impact, "forced", RUNNING_70)
    assert (running_70.before, running_70.after, running_70.difference) == ("improvement_6_months", "compliant", SCORE_BAND_MOVES)
    assert forced.counts != impact.groups["running"].counts + impact.groups["new"].counts


def test_each_changed_dossier_names_its_first_differing_trail_entry(impact: Impact) -> None:
    assert impact.changes and all(t.difference for t in impact.changes)
    assert all(t.difference.startswith("fact score_band:") for t in impact.changes)


def test_a_dossier_refused_as_input_is_reported_with_its_file_and_path_and_the_rest_is_judged(impact: Impact, portfolio: Path) -> None:
    refused = {r.source: r.message for r in impact.refused}
    assert set(refused) == {f"{portfolio}:{GENERATED + 3}", f"{portfolio}:{GENERATED + 4}"}
    assert "$.facts.resources_provided: must be of list type" in refused[f"{portfolio}:{GENERATED + 3}"]
    assert "$.event_date" in refused[f"{portfolio}:{GENERATED + 4}"] and "'2025-02-30' is not a date" in refused[f"{portfolio}:{GENERATED + 4}"]
    wrong_type = transition(impact, "running", "HAND-WRONG-TYPE")
    assert (wrong_type.before, wrong_type.after, wrong_type.difference) == ("(invalid)", "(invalid)", None)  # refused either way: no change


# --- the command and its views -------------------------------------------------------------------------------------


def test_the_text_prints_the_three_groups_the_changes_and_the_refusals(cli: Callable[..., Any], portfolio: Path, impact: Impact) -> None:
    result = cli("impact", BC, "--to", NEW, portfolio)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == impact_text(impact)
    text = result.output
    assert f"Running cycles (anchored before {NEW} came into force): pinning keeps them where they started: {impact.groups['running'].dossiers} dossiers, 0 change" in text
    assert f"New cycles (anchored from {NEW}): {impact.groups['new'].dossiers} dossiers, {impact.groups['new'].changed} change" in text
    assert f"The whole portfolio, were {NEW} forced: {GENERATED + 3} dossiers" in text
    assert re.search(r"improvement_6_months +→ compliant +\d+  \*", text)
    assert f"{portfolio}:{GENERATED + 2} ({NEW_70}, audit): improvement_6_months → compliant: {SCORE_BAND_MOVES}" in text
    assert "FLAGGED" not in text
    assert f"Refused as input under {OLD} (2;" in text and "$.facts.resources_provided" in text


def test_the_json_gives_the_groups_the_changes_and_the_refusals(cli: Callable[..., Any], portfolio: Path, impact: Impact) -> None:
    result = cli("impact", BC, "--to", NEW, "--from", OLD, portfolio, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == json.loads(json.dumps(impact.to_json()))
    assert (data["old"], data["new"], data["new_in_force_from"], data["flagged"]) == (OLD, NEW, NEW, 0)
    assert [g["group"] for g in data["groups"]] == ["running", "new", "forced"]
    assert data["groups"][0]["changed"] == 0
    assert {"from": "improvement_6_months", "to": "compliant", "dossiers": impact.groups["new"].counts["improvement_6_months", "compliant"]} in data["groups"][1]["transitions"]
    assert len(data["changes"]) == len(impact.changes) and len(data["refused"]) == 2


def test_csv_and_html_are_written_and_not_overwritten_without_force(cli: Callable[..., Any], portfolio: Path, impact: Impact, tmp_path: Path) -> None:
    table, page = tmp_path / "impact.csv", tmp_path / "impact.html"
    assert cli("impact", BC, "--to", NEW, portfolio, "--csv", table, "--html", page).exit_code == 0
    with table.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 2 * (GENERATED + 3)  # each dossier in its cycle's group and in the forced one
    assert sum(r["changed"] == "yes" for r in rows) == len(impact.changes)
    [row] = [r for r in rows if r["dossier_id"] == NEW_70 and r["group"] == "new"]
    assert (row["before"], row["after"], row["first_difference"]) == ("improvement_6_months", "compliant", SCORE_BAND_MOVES)

    table.write_text("kept", encoding="utf-8")
    refused = cli("impact", BC, "--to", NEW, portfolio, "--csv", table)
    assert refused.exit_code == 2 and f"{table} exists already: give --force to overwrite it" in refused.output
    assert table.read_text(encoding="utf-8") == "kept"
    assert cli("impact", BC, "--to", NEW, portfolio, "--html", page).exit_code == 2
    assert cli("impact", BC, "--to", NEW, portfolio, "--csv", table, "--html", page, "--force").exit_code == 0
    assert table.read_text(encoding="utf-8").startswith("group,source,dossier_id")


def test_the_html_page_is_self_contained_shows_the_three_groups_and_escapes_dossier_strings(impact: Impact) -> None:
    page = impact_html(impact)
    assert not re.search(r"<(script|link|img|iframe)\b|\b(src|href)\s*=|@import|url\(", page)  # nothing fetched, nothing run
    assert '<script>alert("x")</script>' not in page
    assert "HAND-NEW-70 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in page
    for title in (m.title for m in impact.groups.values()):
        assert f"<h2>{title}</h2>" in page
    assert "No running cycle changes" in page
    assert "$.facts.resources_provided: must be of list type" in page


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["no-such-scheme", "--to", NEW], "usage error: unknown scheme 'no-such-scheme'"),
        ([BC, "--to", "2099-01-01"], f"usage error: --to 2099-01-01: {BC} has no such version"),
        ([BC, "--to", NEW, "--from", "1999-01-01"], f"usage error: --from 1999-01-01: {NEW} does not descend from it"),
        ([BC, "--to", OLD], f"usage error: {BC} {OLD} supersedes no version: name the one to compare it with (--from)"),
    ],
)
def test_an_unknown_scheme_or_version_is_a_usage_error_naming_it(cli: Callable[..., Any], portfolio: Path, arguments: list[str], words: str) -> None:
    result = cli("impact", *arguments, portfolio)
    assert result.exit_code == 2 and words in result.output


def test_the_dossiers_come_from_a_portfolio_or_a_store_not_both_nor_neither(cli: Callable[..., Any], portfolio: Path, tmp_path: Path) -> None:
    neither = cli("impact", BC, "--to", NEW)
    both = cli("impact", BC, "--to", NEW, portfolio, "--store", tmp_path / "referee.db")
    for result, given in ((neither, "neither"), (both, "both")):
        assert result.exit_code == 2 and "name the dossiers to judge: PORTFOLIO… (files, folders, JSON Lines) or --store" in result.output
        assert f"given: {given}" in result.output


# --- the store as the portfolio ------------------------------------------------------------------------------------


def test_the_dossiers_of_a_store_filled_by_batch_give_the_same_impact(cli: Callable[..., Any], portfolio: Path, tmp_path: Path) -> None:
    some = tmp_path / "some.jsonl"
    some.write_text("".join(portfolio.read_text(encoding="utf-8").splitlines(keepends=True)[GENERATED - 60 : GENERATED + 2]), encoding="utf-8")  # the two refused left out
    store = tmp_path / "referee.db"
    for inputs in ([some, ROOT / "examples" / "objectif-co2"], [some]):  # the second batch decides nothing again: each dossier is read once
        assert cli("batch", *inputs, "--store", store, "-o", tmp_path / "decisions.jsonl", "--force").exit_code == 0
    from_file = json.loads(cli("impact", BC, "--to", NEW, some, "--format", "json").output)
    result = cli("impact", BC, "--to", NEW, "--store", store, "--format", "json")
    assert result.exit_code == 0, result.output
    from_store = json.loads(result.output)
    assert from_store["groups"] == from_file["groups"]
    assert from_store["other_schemes"] == len(list((ROOT / "examples" / "objectif-co2").glob("*.yaml")))
    assert from_store["refused"] == from_file["refused"] == []
    [changed] = [c for c in from_store["changes"] if c["dossier_id"] == NEW_70 and c["group"] == "new"]
    assert re.fullmatch(rf"{re.escape(str(some))}:62 \(sha256:[0-9a-f]{{64}}\)", changed["source"])
    assert [(c["dossier_id"], c["group"], c["first_difference"]) for c in from_store["changes"]] == [
        (c["dossier_id"], c["group"], c["first_difference"]) for c in from_file["changes"]
    ]


def test_an_empty_store_is_a_usage_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    store = tmp_path / "referee.db"
    from engine.store.repository import Store

    Store.open(str(store), create=True).close()
    result = cli("impact", BC, "--to", NEW, "--store", store)
    assert result.exit_code == 2 and f"the store {store} holds no dossier" in result.output


# --- pinning broken on purpose -------------------------------------------------------------------------------------


def compliant_from_75(document: dict[str, Any]) -> None:
    """The compliant band from 75 instead of 70: the 6-month band's upper bound and the compliant band's lower bound move."""
    bands = document["sections"]["assessment"]["bands"]["score"]["bands"]
    assert (bands[2]["bounds"], bands[3]["bounds"]) == ("[60, 70[", "[70, 100]")
    bands[2]["bounds"], bands[3]["bounds"] = "[60, 75[", "[75, 100]"


@pytest.mark.parametrize(
    "policy",
    [
        {"mode": "event_date", "clause": "process §8"},
        {"mode": "retroactive", "from": LATER, "clause": "process §8"},
    ],
    ids=["event_date", "retroactive"],
)
def test_a_version_whose_assessment_reaches_running_cycles_is_flagged(scratch: Path, cli: Callable[..., Any], tmp_path: Path, policy: dict[str, Any]) -> None:
    document = copy.deepcopy(load_document(ROOT / "referentials" / BC / f"{NEW}.yaml"))
    document.update(id=LATER, published_on=LATER, in_force_from=LATER, supersedes=NEW, changes=[])
    compliant_from_75(document)
    document["sections"]["assessment"]["time_policy"] = policy
    write_version(scratch, BC, document)
    running = example("statement-2025-score-70-compliant.yaml", "HAND-RUNNING-70-IN-2026")
    running["cycle"]["anchor"], running["event_date"] = "2026-11-02", "2027-02-01"  # a cycle under NEW, decided once LATER is in force
    folder = tmp_path / "portfolio"
    folder.mkdir()
    write_jsonl(folder / "portfolio.jsonl", [running])

    result = cli("impact", BC, "--to", LATER, folder, "--format", "json", root=scratch)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["flagged"] == 1 and data["groups"][0]["changed"] == 1
    [change] = data["changes"][:1]
    assert (change["group"], change["before"], change["after"]) == ("running", "compliant", "improvement_6_months")
    assert change["first_difference"] == (
        f"sections moved: assessment {NEW} → {LATER} ({policy['mode']}); "
        'fact score_band: "compliant" → "improvement_6_months" (rule score.band, process §8)'
    )
    page = tmp_path / "impact.html"
    text = cli("impact", BC, "--to", LATER, folder, "--html", page, root=scratch).output
    assert "FLAGGED: 1 running cycles change" in text
    assert '<p class="flag">1 running cycles change' in page.read_text(encoding="utf-8")
