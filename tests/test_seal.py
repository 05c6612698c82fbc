"""The seal of a decision (issue 12, point 5): SHA-256 of its canonical body, verified whenever a decision is read.

A `referee.decision/2` decision ends with `"seal": "sha256:<hex>"`, the digest of every other key in
canonical JSON (orjson's, keys sorted), so that neither key order nor whitespace counts.
`explain` refuses a decision whose content no longer matches it ("decision altered", exit 1); a `/1`
decision, older than seals, is explained with a warning (docs/decision.md, "The seal").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from conftest import COMPLIANT, LIBRARY, ROOT, unlined

from engine import Decision, DecisionFileError, Library, load_dossier
from engine.decision.model import seal
from engine.model.documents import load_document

DECISION_1 = ROOT / "tests" / "data" / "decision-1-bilan-carbone-compliant.json"
DECISION_2 = ROOT / "tests" / "data" / "decision-2-bilan-carbone-compliant.json"  # written by `referee evaluate COMPLIANT -o`
SEAL = re.compile(r"sha256:[0-9a-f]{64}")
# one example per scheme that has examples (the four schemes; companions, such as the factor bases, have none)
EXAMPLES = [sorted(folder.glob("*.yaml"))[0] for scheme in LIBRARY.schemes() if any((folder := ROOT / "examples" / scheme).glob("*.yaml"))]


@pytest.fixture(scope="module")
def decision(library: Library) -> dict[str, Any]:
    return library.evaluate(load_dossier(COMPLIANT)).to_json()


def body(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "seal"}


def written(tmp_path: Path, data: Any, **dump: Any) -> Path:
    file = tmp_path / "decision.json"
    file.write_text(json.dumps(data, ensure_ascii=False, **dump), encoding="utf-8")
    return file


def refused_as_altered(result: Any, file: Path) -> str:
    assert result.exit_code == 1, result.output
    assert "internal error" not in unlined(result.stderr) and "Traceback" not in unlined(result.output)
    assert result.stdout == ""
    assert f"invalid decision file: {file}: decision altered" in unlined(result.stderr)
    assert f"{file} $.seal: " in unlined(result.stderr)
    return str(result.stderr)


def test_the_examples_cover_the_four_schemes() -> None:
    assert {path.parent.name for path in EXAMPLES} == {"bilan-carbone-compliance", "label-bas-carbone", "label-transmission", "objectif-co2"}


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.parent.name for path in EXAMPLES])
def test_a_decision_of_each_scheme_ends_with_a_seal_that_explain_verifies(cli: Callable[..., Any], tmp_path: Path, example: Path) -> None:
    file = tmp_path / "decision.json"
    assert cli("evaluate", example, "-o", file).exit_code == 0
    data = json.loads(file.read_text(encoding="utf-8"))
    assert list(data)[-1] == "seal" and SEAL.fullmatch(data["seal"])
    assert data["seal"] == seal(body(data))
    assert data["digests"]["dossier"].startswith("sha256:")  # the body covers the dossier's digest, spelt as the seal is
    explained = cli("explain", file)
    assert explained.exit_code == 0, explained.output
    assert explained.stderr == ""


def test_a_round_trip_keeps_the_seal(decision: dict[str, Any]) -> None:
    again = Decision.from_json(json.loads(json.dumps(decision)), "decision.json").to_json()
    assert again == decision and again["seal"] == decision["seal"]


def test_the_seal_is_the_sha256_of_the_body_in_canonical_json(decision: dict[str, Any]) -> None:
    """Keys sorted at every level, compact UTF-8, numbers in their shortest form; a date read from YAML as its ISO text."""
    canonical = orjson.dumps(body(decision), option=orjson.OPT_SORT_KEYS)
    assert decision["seal"] == "sha256:" + hashlib.sha256(canonical).hexdigest()
    assert orjson.dumps({"b": [1.0, 1e-5, "é"], "a": {"d": None, "c": True}}, option=orjson.OPT_SORT_KEYS) == '{"a":{"c":true,"d":null},"b":[1.0,0.00001,"é"]}'.encode()
    assert seal({"day": dt.date(2024, 5, 21)}) == seal({"day": "2024-05-21"})


def test_the_recipe_of_the_docs_verifies_a_decision(decision: dict[str, Any], tmp_path: Path) -> None:
    docs = (ROOT / "docs" / "decision.md").read_text(encoding="utf-8")
    recipe = re.search(r"## The seal\n.*?```python\n(.*?)```", docs, re.S)
    assert recipe is not None, "docs/decision.md shows how to verify a seal in Python"
    written(tmp_path, decision, indent=2)
    result = subprocess.run([sys.executable, "-c", recipe.group(1)], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize(
    "dump",
    [{"sort_keys": True, "indent": 4}, {"indent": "\t"}, {"separators": (",", ":")}, {"ensure_ascii": True}],
    ids=["sorted-indented", "tabs", "compact", "ascii-escapes"],
)
def test_key_order_and_whitespace_do_not_count(decision: dict[str, Any], cli: Callable[..., Any], tmp_path: Path, dump: dict[str, Any]) -> None:
    reordered = dict(reversed(list(decision.items())))  # the seal first, the format last
    file = tmp_path / "decision.json"
    file.write_text(json.dumps(reordered, **{"ensure_ascii": False, **dump}), encoding="utf-8")
    result = cli("explain", file)
    assert result.exit_code == 0, result.output
    assert Decision.from_json(load_document(file, DecisionFileError), str(file)).to_json() == decision


def test_a_float_keeps_its_seal_through_json(library: Library) -> None:
    """2.0 is written `2.0` (by json, and by orjson as a batch writes it) and read back a float: the same canonical text."""
    decision = Decision.from_json(library.evaluate(load_dossier(COMPLIANT)).to_json(), "decision")
    decision.values["ratio"] = 2.0
    sealed = decision.to_json()
    texts = [(decision.to_bytes().decode("utf-8"), json.loads), (json.dumps(sealed, indent=2), json.loads), (yaml.safe_dump(sealed), yaml.safe_load)]
    for text, read in texts:
        back = read(text)
        assert back["values"]["ratio"] == 2.0 and isinstance(back["values"]["ratio"], float)
        assert seal(body(back)) == sealed["seal"]
        assert Decision.from_json(back, "decision").to_json() == sealed


def _put(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set the value at `path`: what a hand edit does."""

    def change(data: Any) -> None:
        for key in path[:-1]:
            data = data[key]
        data[path[-1]] = value

    return change


ALTERATIONS = {
    "outcome": _put("outcome", value="refused"),
    "a-value": _put("values", "score", value=99),
    "the-dossier-digest": _put("digests", "dossier", value="sha256:" + "0" * 64),
    "a-version-digest": _put("versions", 0, "digest", value="sha256:" + "0" * 64),
    "a-because": _put("trail", 3, "because", value="Checked by hand."),
    "dossier-id": _put("dossier_id", value="BC-2024-018"),
    "a-finding-added": lambda d: d["findings"].append(
        {"code": "WAIVED", "severity": "info", "message": "waived by hand", "clause": None, "rule": None}
    ),
    "a-key-added": lambda d: d.__setitem__("note", "approved"),
    "no-seal": lambda d: d.pop("seal"),
    "seal-not-a-text": lambda d: d.__setitem__("seal", 1),
}


@pytest.mark.parametrize("change", ALTERATIONS.values(), ids=ALTERATIONS.keys())
def test_a_decision_changed_by_hand_is_refused_as_altered(
    decision: dict[str, Any], cli: Callable[..., Any], tmp_path: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    altered = json.loads(json.dumps(decision))
    change(altered)
    assert altered != decision
    file = written(tmp_path, altered, indent=2)
    stderr = refused_as_altered(cli("explain", file), file)
    assert ("missing" in stderr) == ("seal" not in altered)
    with pytest.raises(DecisionFileError) as raised:
        Decision.from_json(altered, str(file))
    assert "decision altered" in raised.value.message and [p.path for p in raised.value.problems] == [("seal",)]


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_an_altered_decision_is_refused_whatever_is_asked(decision: dict[str, Any], cli: Callable[..., Any], tmp_path: Path, output_format: str) -> None:
    """--fact and --lines read the decision as the tree does: they never show an altered one."""
    file = written(tmp_path, {**decision, "outcome": "refused"})
    for extra in (("--fact", "score"), ("--lines", "other_invoices")):
        result = cli("explain", file, *extra, "--format", output_format)
        assert result.exit_code == 1 and result.stdout == ""
        assert "decision altered" in unlined(result.stderr) and str(file) in unlined(result.stderr)
    if output_format == "json":
        assert json.loads(result.stderr)["problems"][0]["path"] == "$.seal"


def test_a_batch_line_carries_a_seal_that_verifies(cli: Callable[..., Any], tmp_path: Path) -> None:
    lines = cli("batch", *EXAMPLES).stdout.splitlines()
    assert len(lines) == len(EXAMPLES)
    for line in lines:
        data = json.loads(line)
        assert SEAL.fullmatch(data["seal"]) and data["seal"] == seal(body(data))
    folder = tmp_path / "decisions"
    assert cli("batch", COMPLIANT, "--format", "dir", "-o", folder).exit_code == 0
    (file,) = folder.glob("*.json")
    assert cli("explain", file).exit_code == 0


def test_a_stored_decision_2_still_verifies(cli: Callable[..., Any]) -> None:
    """Written by the CLI when seals began: a change to the canonical form would make every decision written since unreadable."""
    result = cli("explain", DECISION_2)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_a_decision_1_is_explained_with_a_warning_that_it_is_unsealed(cli: Callable[..., Any]) -> None:
    for output_format in ("text", "json"):
        result = cli("explain", DECISION_1, "--format", output_format)
        assert result.exit_code == 0, result.output
        assert result.stderr == (
            f"warning: {DECISION_1} is a referee.decision/1 decision, written before decisions were sealed: referee cannot tell whether it was altered\n"
        )
    assert "seal" not in json.loads(DECISION_1.read_text(encoding="utf-8"))


def test_a_decision_1_read_and_written_again_is_sealed_as_a_decision_2() -> None:
    """The upgrade seals what was read: from then on, a change to the file is seen."""
    upgraded = Decision.from_json(json.loads(DECISION_1.read_text(encoding="utf-8")), str(DECISION_1)).to_json()
    assert upgraded["format"] == "referee.decision/2" and upgraded["seal"] == seal(body(upgraded))


def test_a_value_json_cannot_hold_is_refused_naming_its_path(decision: dict[str, Any], cli: Callable[..., Any], tmp_path: Path) -> None:
    """A decision given as YAML may hold a set: no seal covers it, and it is not an internal error."""
    file = tmp_path / "decision.yaml"
    text = yaml.safe_dump(decision, allow_unicode=True, sort_keys=False)
    file.write_text(text.replace("values:\n", "values:\n  waived: !!set {RESOURCE_MISSING: null}\n", 1), encoding="utf-8")
    result = cli("explain", file)
    assert result.exit_code == 1 and "internal error" not in unlined(result.stderr)
    assert f"{file} $.values.waived: not a JSON value" in unlined(result.stderr)
    file.write_text(text, encoding="utf-8")
    assert cli("explain", file).exit_code == 0  # the same decision as YAML: its seal verifies
