"""validate reads the sentences rules write (engine/authoring/sentences.py): numbers a parameter holds, and what the bundled examples render.

Each test breaks one sentence of Bilan Carbone® 2014-05-19 in a scratch tree and expects validate to name the rule.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import BC, ROOT, draft, only_version, rule_folder

from engine import Library
from engine.authoring.checks import validate_paths
from engine.model.documents import load_document

V1 = "2014-05-19"
VERSION_FILE = Path("referentials") / BC / f"{V1}.yaml"


@pytest.fixture
def tree(scratch: Path) -> Path:
    """The scratch tree, 2014-05-19 a draft, with the scheme's examples (validate renders them)."""
    only_version(scratch, BC, V1)
    draft(scratch, BC, V1)
    shutil.copytree(ROOT / "examples" / BC, scratch / "examples" / BC)
    for example in (scratch / "examples" / BC).glob("statement-2025-*.yaml"):
        example.unlink()  # judged under 2025-12-01, which this tree leaves out
    return scratch


def rewrite(tree: Path, file: str, rule_id: str, **fields: Any) -> Path:
    path = rule_folder(tree, BC, V1) / file
    document = load_document(path)
    [rule] = [r for r in document["rules"] if r["id"] == rule_id]
    rule.update(fields)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def problems(tree: Path) -> list[str]:
    [report] = validate_paths(Library.open(tree), [tree / VERSION_FILE])
    return [p.message for p in report.problems]


def test_the_bundled_sentences_pass(tree: Path) -> None:
    assert problems(tree) == []


@pytest.mark.parametrize(("because", "flagged"), [
    ("Compliance granted on {facts.event_date} is valid 3 years, until {value}.", True),  # params.compliance_validity_years
    ("Compliance granted on {facts.event_date} is valid {params.compliance_validity_years} years, until {value}.", False),
    ("Compliance granted on {facts.event_date} is valid until {value} (abc-site §3).", False),  # a citation's number
])
def test_a_sentence_restating_a_parameter_s_number_is_an_error(tree: Path, because: str, flagged: bool) -> None:
    rewrite(tree, "consequences.yaml", "consequence.validity", because=because)
    expected = ("the sentence of rule consequence.validity writes 3, which params.compliance_validity_years holds: name it through a "
                "placeholder, so that the sentence follows the value when a version changes it")
    assert (expected in problems(tree)) == flagged


def test_a_finding_code_restating_a_parameter_s_number_is_an_error(tree: Path) -> None:
    path = rule_folder(tree, BC, V1) / "audit.yaml"
    document = load_document(path)
    finding = next(r for r in document["rules"] if "finding" in r.get("then", {}))  # a `cases:` rule has its conclusions in its cases
    finding["then"]["finding"]["code"] = "FEE_1000_DUE"
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assert any(m.startswith(f"the code of the finding of rule {finding['id']} writes 1000, which params.") for m in problems(tree))


def test_a_sentence_naming_a_band_its_value_is_not_in_is_an_error(tree: Path) -> None:
    rewrite(tree, "scoring.yaml", "score.band", because="A score of {facts.score}/100 lies in band compliant.")
    assert any(m.startswith("in ") and "the sentence of rule score.band names compliant for score_band = " in m for m in problems(tree))


def test_a_count_and_its_noun_agree(tree: Path) -> None:
    rewrite(tree, "consequences.yaml", "consequence.validity",
            because="Compliance granted on {facts.event_date} is valid {params.compliance_validity_years} year, until {value}.")
    assert any("the sentence of rule consequence.validity writes 3 year: the noun is singular for a count other than one" in m for m in problems(tree))


def test_a_placeholder_that_gives_nothing_is_an_error(tree: Path) -> None:
    rewrite(tree, "consequences.yaml", "consequence.validity", because="Valid until {value}, renewed on {facts.score > 100 ? 'never' : null}.")
    assert any("the sentence of rule consequence.validity the placeholder {facts.score > 100 ? 'never' : null} gave nothing" in m
               for m in problems(tree))


def test_validate_given_a_relative_path_renders_the_sentences_too(tree: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    rewrite(tree, "scoring.yaml", "score.band", because="A score of {facts.score}/100 lies in band compliant.")
    monkeypatch.chdir(tree)
    result = cli("validate", str(VERSION_FILE), root=tree)
    assert result.exit_code == 1 and "names compliant for score_band" in result.stdout
