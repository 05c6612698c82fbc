"""`referee replay`: a decision judged again under what judged it, from the store, and compared.

Reproduced (exit 0), or the first difference in what the decision says and the recorded digests that explain it
(exit 1), or, for many decisions, the counts of reproduced, differing and unverifiable ones. The store's copies of
the versions a decision used, not the tree's files, are what it is judged again under: edits of the rule files and
versions added since cannot reach it. Each test runs on a SQLite file and on PostgreSQL (skipped, with the reason
in the summary, when no server is given: .ci/run starts one).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from conftest import COMPLIANT, ROOT, draft, only_version, write_version
from test_store import execute, query

from engine.model.canonical import to_plain
from engine.model.documents import load_document
from engine.store.schema import decisions, dossiers

BC = "bilan-carbone-compliance"
BC_EXAMPLES = ROOT / "examples" / BC
EXAMPLES = sorted((ROOT / "examples").glob("*/*.yaml"))  # every bundled example, as `make demo` judges them
AUDIT_RULES = Path("rules") / BC / "2014-05-19" / "audit.yaml"
COMPLIANT_BECAUSE = "is in the compliant band and every mandatory criterion is validated."


def edit_rules(root: Path) -> None:
    """Reword the sentence of the rule that concludes `compliant`, in Bilan Carbone 2014-05-19, as an author editing a draft does."""
    draft(root, BC, "2014-05-19")
    path = root / AUDIT_RULES
    text = path.read_text(encoding="utf-8")
    assert COMPLIANT_BECAUSE in text
    path.write_text(text.replace(COMPLIANT_BECAUSE, "is in the compliant band; every mandatory criterion is validated."), encoding="utf-8")


def add_later_version(root: Path, version_id: str, published_on: str, in_force_from: str, supersedes: str = "2014-05-19") -> None:
    """A Bilan Carbone version after `supersedes` (its copy) that governs only cycles anchored from `in_force_from`."""
    write_version(root, BC, {
        **load_document(root / "referentials" / BC / f"{supersedes}.yaml"), "id": version_id, "published_on": published_on,
        "in_force_from": in_force_from, "supersedes": supersedes, "changes": [{"where": "process", "change": "a later edition (test fixture)"}],
        "illustrative": True,
    })


def replay(cli: Any, *args: Any, root: Path = ROOT) -> tuple[int, str, str]:
    result = cli("replay", *args, root=root)
    return result.exit_code, result.stdout, result.stderr


def evaluated(cli: Any, tmp_path: Path, name: str, root: Path = ROOT) -> Path:
    """The decision file `referee evaluate` writes for the compliant example under the tree at `root`."""
    output = tmp_path / name
    result = cli("evaluate", COMPLIANT, "-o", output, "--force", root=root)
    assert result.exit_code == 0, result.stderr
    return output


# -- one decision ----------------------------------------------------------------------------------------------------


def test_a_decision_of_the_store_and_its_file_are_reproduced(store_url: str, cli: Any, tmp_path: Path) -> None:
    assert cli("batch", COMPLIANT, "--store", store_url).exit_code == 0
    [seal] = query(store_url, sa.select(decisions.c.seal))[0]
    code, said, _ = replay(cli, "--id", "1", "--store", store_url)
    assert (code, said) == (0, f"reproduced: row 1: BC-2024-017 ({BC} audit), seal {seal}\n")
    code, said, _ = replay(cli, evaluated(cli, tmp_path, "decision.json"), "--store", store_url)
    assert (code, said) == (0, f"reproduced: row 1: BC-2024-017 ({BC} audit), seal {seal}\n")  # the file is the row's decision
    data = json.loads(replay(cli, "--dossier", "BC-2024-017", "--store", store_url, "--format", "json")[1])
    assert (data["reproduced"], data["differing"], data["unverifiable"], data["decisions"]) == (1, 0, 0, 1)


def test_a_decision_whose_rule_file_changed_since_differs_at_the_first_trail_entry_and_says_which_rules(
    store_url: str, cli: Any, tmp_path: Path, scratch: Path,
) -> None:
    assert cli("batch", COMPLIANT, "--store", store_url).exit_code == 0  # the store holds the dossier, and the bundled versions
    edit_rules(scratch)
    decision = evaluated(cli, tmp_path, "draft.json", root=scratch)  # decided under the edited draft, which no store holds
    code, said, _ = replay(cli, decision, "--store", store_url)  # judged again under the tree as it is now: the rules as published
    assert code == 1
    [entry] = [e["id"] for e in json.loads(decision.read_text())["trail"] if "band; every mandatory" in e.get("because", "")]
    lines = said.splitlines()
    assert lines[0] == f"DIFFERS: BC-2024-017 ({BC} audit)"
    assert lines[1] == (
        f"  first difference: trail entry '{entry}' at $.because: \"The score 82/100 is in the compliant band; every mandatory criterion is "
        "validated.\" then, \"The score 82/100 " + COMPLIANT_BECAUSE + "\" now"
    )
    assert lines[2].startswith(f"  because: the rules of {BC} 2014-05-19 changed since: their digest was sha256:")
    assert lines[2].endswith("; no store holds it as it was")
    assert lines[3].startswith(f"  because: the lock of {BC} 2014-05-19 differs: none (a draft) then, sha256:")
    data = json.loads(replay(cli, decision, "--store", store_url, "--format", "json")[1])
    assert data["verdict"] == "differing" and data["difference"].startswith(f"trail entry '{entry}' at $.because")


def test_a_decision_file_altered_by_hand_is_refused_before_it_is_judged_again(store_url: str, cli: Any, tmp_path: Path) -> None:
    assert cli("batch", COMPLIANT, "--store", store_url).exit_code == 0
    decision = evaluated(cli, tmp_path, "decision.json")
    data = json.loads(decision.read_text(encoding="utf-8"))
    assert data["outcome"] == "compliant"
    decision.write_text(json.dumps({**data, "outcome": "refused"}), encoding="utf-8")
    code, said, error = replay(cli, decision, "--store", store_url)
    assert code == 1 and said == ""
    assert f"invalid decision file: {decision}: decision altered" in error
    assert "Traceback" not in error


def test_a_decision_whose_dossier_no_store_holds_is_unverifiable(cli: Any, tmp_path: Path) -> None:
    code, said, _ = replay(cli, evaluated(cli, tmp_path, "decision.json"), "--store", tmp_path / "none.db")
    assert code == 2  # the store named is not there: a usage error
    code, said, _ = replay(cli, tmp_path / "decision.json")  # no store named, none in the working folder
    assert code == 1
    assert said.startswith(f"unverifiable: BC-2024-017 ({BC} audit): its dossier sha256:")
    assert said.rstrip().endswith("is in no store: a decision holds only the facts its rules read")


# -- many decisions --------------------------------------------------------------------------------------------------


def test_replay_all_counts_the_reproduced_the_differing_and_the_unverifiable(store_url: str, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("batch", *sorted(BC_EXAMPLES.glob("*.yaml"))[:3], "--store", store_url).exit_code == 0
    code, said, _ = replay(cli, "--all", "--store", store_url)
    assert code == 0
    assert said.splitlines()[:2] == ["reproduced  differing  unverifiable", "3           0          0"]
    assert said.splitlines()[2].startswith("3 decisions judged again in ")

    [(dossier,)] = query(store_url, sa.select(decisions.c.dossier).where(decisions.c.seq == 3))
    execute(store_url, dossiers.delete().where(dossiers.c.digest == dossier))  # as someone with access to the database could
    monkeypatch.setattr("engine.running.evaluation.engine_version", lambda: "referee 9.9.9")  # a later release judges them again
    code, said, _ = replay(cli, "--all", "--store", store_url)
    assert code == 1
    lines = said.splitlines()
    assert lines[0].startswith("DIFFERS: row 1: ") and lines[1] == "  first difference: 'digests' at $.engine: \"referee 0.1.0\" then, \"referee 9.9.9\" now"
    assert "  because: it was decided by referee 0.1.0 and is judged again by referee 9.9.9: replay it with referee 0.1.0 to reproduce it" in lines
    assert f"unverifiable: row 3: BC-2024-022 ({BC} audit): the store does not hold its dossier {dossier}" in lines
    assert lines[-3:-1] == ["reproduced  differing  unverifiable", "0           2          1"]


def test_replay_since_a_day_takes_the_decisions_recorded_from_that_day(store_url: str, cli: Any) -> None:
    assert cli("batch", *sorted(BC_EXAMPLES.glob("*.yaml"))[:2], "--store", store_url).exit_code == 0
    today = dt.datetime.now(dt.UTC).date()
    data = json.loads(replay(cli, "--all", "--since", today.isoformat(), "--store", store_url, "--format", "json")[1])
    assert (data["decisions"], data["reproduced"]) == (2, 2)
    code, _, error = replay(cli, "--all", "--since", (today + dt.timedelta(days=1)).isoformat(), "--store", store_url)
    assert code == 2 and "holds no such decision" in error
    code, _, error = replay(cli, "--id", "1", "--since", today.isoformat(), "--store", store_url)
    assert code == 2 and "--since chooses among many decisions" in error


# -- what reaches a replayed decision, and what does not ----------------------------------------------------------


def test_every_bundled_example_is_reproduced_from_the_store_after_the_rules_are_edited_and_a_version_added(
    store_url: str, cli: Any, tmp_path: Path, scratch: Path,
) -> None:
    recorded = cli("batch", *EXAMPLES, "--store", store_url, root=scratch)
    assert recorded.exit_code == 0, recorded.stderr
    assert f"{len(EXAMPLES)} decided, 0 invalid" in recorded.stderr
    before = evaluated(cli, tmp_path, "before.json", root=scratch)

    edit_rules(scratch)
    add_later_version(scratch, "2030-01-01", published_on="2026-01-01", in_force_from="2030-01-01", supersedes="2025-12-01")
    after = evaluated(cli, tmp_path, "after.json", root=scratch)
    assert json.loads(after.read_text())["seal"] != json.loads(before.read_text())["seal"]  # the edits change what the tree decides now

    code, said, _ = replay(cli, "--all", "--store", store_url, root=scratch)
    assert code == 0, said
    assert said.splitlines()[:2] == ["reproduced  differing  unverifiable", f"{len(EXAMPLES):<11} 0          0"]


def test_a_version_published_after_the_event_date_does_not_change_the_decision(cli: Any, tmp_path: Path, scratch: Path) -> None:
    """A pinned section's reason names the later versions that do not govern it yet, but only those published by the event date."""
    only_version(scratch, BC, "2014-05-19")
    before = json.loads(evaluated(cli, tmp_path, "before.json", root=scratch).read_text())

    def retroactive_version(published_on: str) -> None:  # reaches running cycles from 2024-12-01: after the event date, 2024-05-21
        add_later_version(scratch, "2024-06-01", published_on=published_on, in_force_from=published_on)
        path = scratch / "referentials" / BC / "2024-06-01.yaml"
        document = load_document(path)
        document["sections"]["assessment"]["time_policy"] = {"mode": "retroactive", "from": "2024-12-01", "clause": "process §8"}
        path.write_text(yaml.safe_dump(to_plain(document), sort_keys=False, allow_unicode=True), encoding="utf-8")

    retroactive_version(published_on="2024-06-01")
    after = json.loads(evaluated(cli, tmp_path, "after.json", root=scratch).read_text())
    assert after == before
    retroactive_version(published_on="2024-05-21")  # published by the event date: the reason names it
    known = json.loads(evaluated(cli, tmp_path, "known.json", root=scratch).read_text())
    assert "version 2024-06-01 applies to running cycles only from 2024-12-01 (retroactive from 2024-12-01)" in known["versions"][0]["reason"]


def test_a_version_added_since_does_not_reach_a_replayed_decision(store_url: str, cli: Any, tmp_path: Path, scratch: Path) -> None:
    only_version(scratch, BC, "2014-05-19")
    assert cli("batch", COMPLIANT, "--store", store_url, root=scratch).exit_code == 0
    [body] = query(store_url, sa.select(decisions.c.body))[0]
    # published before the event date (2024-05-21), in force after the cycle's anchor (2024-03-04), but added to the tree after
    # the decision: judged now, the decision names it ("applies from the next cycle"); replayed, it is judged under its library as recorded, without it
    add_later_version(scratch, "2024-04-01", published_on="2024-04-01", in_force_from="2024-04-01")
    now = json.loads(evaluated(cli, tmp_path, "now.json", root=scratch).read_text())
    assert "version 2024-04-01 (in force from 2024-04-01) applies from the next cycle" in now["versions"][0]["reason"]
    assert "2024-04-01" not in json.loads(body)["versions"][0]["reason"]
    code, said, _ = replay(cli, "--id", "1", "--store", store_url, root=scratch)
    assert code == 0 and said.startswith("reproduced: row 1: BC-2024-017")
