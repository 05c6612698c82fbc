"""Publication: a version owns what it runs, and a published version cannot change (engine/model/locks.py, engine/authoring/publication.py).

A version runs the rule files of its own folder, or another version's named with their digest; its digest
covers them and the schemas. `referee publish` freezes those digests in a lock beside the version; from then
on the library and `referee validate` refuse the version if anything it runs changes, naming the version and
the file. The bundled versions are all published.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import ROOT, rule_folder

from engine import Library, ReferentialError
from engine.model.documents import load_document
from engine.model.schemas import SchemaFile

OCO2 = "objectif-co2"
EXAMPLE = ROOT / "examples" / OCO2 / "audit-cost-193-employees-medium.yaml"


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A copy of the tree with its locks: every version is published."""
    shutil.copytree(ROOT / "referentials", tmp_path / "referentials")
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    return tmp_path


def edit_rules(path: Path) -> None:
    document = load_document(path)
    document["rules"][0]["because"] += " (edited)"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_every_bundled_version_is_published(library: Library) -> None:
    for scheme in library.schemes():
        for version in library.versions(scheme):
            assert version.lock is not None, version.label
            assert version.lock.digest == version.digest


def test_the_digest_of_a_version_covers_its_rule_files_and_the_schemas(library: Library) -> None:
    v2016 = library.version(OCO2, "2016-06-10")
    files = set(v2016.contents)
    assert f"referentials/{OCO2}/2016-06-10.yaml" in files
    assert {"referentials/referential.schema.json", "rules/rules.schema.json"} <= files
    assert f"rules/{OCO2}/2016-06-10/admissibility.yaml" in files
    assert f"rules/{OCO2}/2017-05-24/audit_cost.yaml" in files  # shared with 2017, by digest


def test_editing_a_rule_file_of_a_published_version_fails_validate_naming_the_version_and_the_file(published: Path, cli: Callable[..., Any]) -> None:
    edited = rule_folder(published, OCO2, "2017-05-24") / "random_audit.yaml"
    edit_rules(edited)
    result = cli("validate", root=published)
    assert result.exit_code == 1
    assert f"{published}/referentials/{OCO2}/2017-05-24.yaml: INVALID" in result.stdout
    assert f"published version 2017-05-24: rules/{OCO2}/2017-05-24/random_audit.yaml changed since it was published" in result.stdout
    assert f"{published}/referentials/{OCO2}/2016-06-10.yaml: valid" in result.stdout  # 2016 does not run that file


def test_editing_a_shared_rule_file_fails_both_versions_that_run_it(published: Path, cli: Callable[..., Any]) -> None:
    edit_rules(rule_folder(published, OCO2, "2017-05-24") / "audit_cost.yaml")
    output = cli("validate", root=published).stdout
    assert "published version 2017-05-24: rules/objectif-co2/2017-05-24/audit_cost.yaml changed since it was published" in output
    assert "procedure audit_cost shares" in output and "of version 2017-05-24 with digest sha256:" in output  # 2016's reference


def test_a_changed_published_version_is_never_judged(published: Path, cli: Callable[..., Any]) -> None:
    edit_rules(rule_folder(published, OCO2, "2017-05-24") / "audit_cost.yaml")
    result = cli("evaluate", EXAMPLE, root=published)
    assert result.exit_code == 1 and result.stdout == ""
    assert "invalid referential" in result.stderr and f"rules/{OCO2}/2017-05-24/audit_cost.yaml" in result.stderr


def test_editing_the_referential_of_a_published_version_is_refused(published: Path) -> None:
    path = published / "referentials" / OCO2 / "2017-05-24.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    with pytest.raises(ReferentialError) as raised:
        Library.open(published).versions(OCO2)
    assert [p.message for p in raised.value.problems] == [
        f"published version 2017-05-24: referentials/{OCO2}/2017-05-24.yaml changed since it was published; publish a new version to change a judgement"
    ]


def test_a_comment_or_a_new_quoting_is_not_a_change(published: Path) -> None:
    path = published / "referentials" / OCO2 / "2017-05-24.yaml"
    path.write_text("# a comment changes nothing the version says\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert Library.open(published).version(OCO2, "2017-05-24").lock is not None


def test_a_published_file_is_vouched_for_by_its_lock_and_a_draft_is_checked(published: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = SchemaFile.problems

    def recording(self: SchemaFile, document: Any, file: str) -> list[Any]:
        checked.append(file)
        return real(self, document, file)

    monkeypatch.setattr(SchemaFile, "problems", recording)
    Library.open(published).versions(OCO2)
    assert checked == []  # the same content was checked against the same schemas when it was published
    (published / "referentials" / OCO2 / "2017-05-24.lock.json").unlink()
    Library.open(published).versions(OCO2)
    assert str(published / "referentials" / OCO2 / "2017-05-24.yaml") in checked


def test_publish_freezes_a_draft_and_amend_records_a_correction(published: Path, cli: Callable[..., Any]) -> None:
    lock = published / "referentials" / OCO2 / "2017-05-24.lock.json"
    before = json.loads(lock.read_text(encoding="utf-8"))
    again = cli("publish", OCO2, "2017-05-24", root=published)
    assert again.exit_code == 0 and "unchanged" in again.stdout
    edit_rules(rule_folder(published, OCO2, "2017-05-24") / "random_audit.yaml")
    refused = cli("publish", OCO2, "2017-05-24", root=published)
    assert refused.exit_code == 2
    assert "give --amend REASON" in refused.stderr
    amended = cli("publish", OCO2, "2017-05-24", "--amend", "a sentence of random_audit reworded", "--format", "json", root=published)
    assert amended.exit_code == 0, amended.output
    after = json.loads(lock.read_text(encoding="utf-8"))
    assert after["digest"] != before["digest"] and after["published"] == before["published"]
    assert after["amendments"][-1]["previous_digest"] == before["digest"]
    assert after["amendments"][-1]["reason"] == "a sentence of random_audit reworded"
    assert Library.open(published).version(OCO2, "2017-05-24").digest == after["digest"]


def test_an_invalid_version_is_not_published(published: Path, cli: Callable[..., Any]) -> None:
    (published / "referentials" / OCO2 / "2017-05-24.lock.json").unlink()
    rules = rule_folder(published, OCO2, "2017-05-24") / "random_audit.yaml"
    document = load_document(rules)
    document["rules"][0]["clause"] = "no such provision"
    rules.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = cli("publish", OCO2, "2017-05-24", root=published)
    assert result.exit_code == 1
    assert "is not valid: it cannot be published" in result.stderr
    assert not (published / "referentials" / OCO2 / "2017-05-24.lock.json").exists()


def test_publishing_an_unknown_version_is_a_usage_error(cli: Callable[..., Any]) -> None:
    result = cli("publish", OCO2, "2099-01-01")
    assert result.exit_code == 2
    assert "no version 2099-01-01 of objectif-co2" in result.stderr and "known: 2016-06-10, 2017-05-24" in result.stderr


@pytest.mark.parametrize(
    ("content", "words"),
    [("{nope", "is not valid JSON"), ('{"type": 12}', "is not a valid JSON Schema"), ("[]", "is not a JSON Schema")],
)
def test_a_broken_schema_file_is_an_invalid_referential_naming_it(published: Path, cli: Callable[..., Any], content: str, words: str) -> None:
    schema = published / "referentials" / "referential.schema.json"
    schema.write_text(content, encoding="utf-8")
    for lock in (published / "referentials").glob("*/*.lock.json"):
        lock.unlink()  # drafts: their documents are checked against the schema
    result = cli("evaluate", EXAMPLE, root=published)
    assert result.exit_code == 1, result.output
    assert f"{schema} {words}" in result.stderr or f"{schema}: " in result.stderr
    assert "internal error" not in result.stderr


def chain(tmp_path: Path, cli: Callable[..., Any], supersedes: dict[str, str | None]) -> Any:
    """A repository made by `referee init`, with one version per key of `supersedes`, each superseding its value; validated."""
    repo = tmp_path / "repo"
    assert cli("init", repo, "--scheme", "demo-label", "--id", "2026-01-01").exit_code == 0
    first = repo / "referentials" / "demo-label" / "2026-01-01.yaml"
    template = first.read_text(encoding="utf-8")
    first.unlink()
    for version, previous in supersedes.items():
        text = template.replace("2026-01-01", version).replace("supersedes: null", f"supersedes: {json.dumps(previous)}")
        (repo / "referentials" / "demo-label" / f"{version}.yaml").write_text(text, encoding="utf-8")
        if version != "2026-01-01":
            shutil.copytree(rule_folder(repo, "demo-label", "2026-01-01"), rule_folder(repo, "demo-label", version))
    return cli("validate", "--format", "json", root=repo)


def test_a_cycle_of_supersedes_is_an_error_of_each_version_in_it(tmp_path: Path, cli: Callable[..., Any]) -> None:
    result = chain(tmp_path, cli, {"2026-01-01": "2027-01-01", "2027-01-01": "2026-01-01"})
    assert result.exit_code == 1
    for report in json.loads(result.stdout):
        assert any("supersedes goes round in a cycle: 2026-01-01 → 2027-01-01 → 2026-01-01" in p["message"] for p in report["problems"]), report
        assert any("no first version: every version supersedes another" in p["message"] for p in report["problems"]), report


def test_a_version_that_supersedes_itself_is_a_cycle(tmp_path: Path, cli: Callable[..., Any]) -> None:
    result = chain(tmp_path, cli, {"2026-01-01": None, "2027-01-01": "2027-01-01"})
    [first, second] = json.loads(result.stdout)
    assert first["valid"] and not second["valid"]
    assert any("supersedes goes round in a cycle: 2027-01-01 → 2027-01-01" in p["message"] for p in second["problems"])


def test_a_gap_in_the_chain_is_an_error_of_the_version_after_it(tmp_path: Path, cli: Callable[..., Any]) -> None:
    result = chain(tmp_path, cli, {"2026-01-01": None, "2028-01-01": "2027-01-01"})
    [first, last] = json.loads(result.stdout)
    assert first["valid"] and not last["valid"]
    assert any("supersedes '2027-01-01', which is not a version of demo-label" in p["message"] for p in last["problems"])


def test_two_first_versions_are_an_error_of_each(tmp_path: Path, cli: Callable[..., Any]) -> None:
    result = chain(tmp_path, cli, {"2026-01-01": None, "2027-01-01": None})
    assert result.exit_code == 1
    for report in json.loads(result.stdout):
        assert any("several first versions (supersedes: null): 2026-01-01, 2027-01-01" in p["message"] for p in report["problems"]), report
