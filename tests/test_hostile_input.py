"""Hostile and broken input (engine/model/limits.py): exit 1 naming the file and the limit, never exit 3, never a decision on an impossible number.

A tiny scheme written by the fixture keeps these tests apart from the bundled ones: one procedure whose
rules read an integer, a number in a band set, a list, and compute a number too large for a float.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from conftest import ROOT, never_constructed, rule_folder

from engine import DossierError, EvaluationError, Library, read_dossier
from engine.model.documents import _WordingLoader, load_document
from engine.model.limits import DEFAULT_LIMITS, Limits

SCHEME, V1 = "probe", "2024-01-01"

VERSION = {
    "scheme": SCHEME, "id": V1, "title": "Probe", "publisher": "tests", "language": "en",
    "published_on": V1, "in_force_from": V1, "supersedes": None, "illustrative": True,
    "sources": [{"id": "probe", "title": "the probe text", "provisions": [{"id": "§1", "title": "all of it", "status": "encoded"}]}],
    "changes": [],
    "sections": {"main": {
        "title": "Main", "time_policy": {"mode": "pinned", "clause": "§1"},
        "parameters": {"scale": {"value": 1.0e308, "unit": "1", "clause": "§1"}},
        "bands": {"size": {"unit": "employees", "range": {"min": 0, "max": 1000}, "clause": "§1", "bands": [
            {"id": "small", "lower": {"value": 0, "inclusive": True}, "upper": {"value": 50, "inclusive": False}},
            {"id": "large", "lower": {"value": 50, "inclusive": True}, "upper": {"value": 1000, "inclusive": True}}]}},
        "rules": ["probe.yaml"],
        "procedures": {"judge": {
            "title": "Judge", "clause": "§1", "values": ["size"],
            "input": {
                "headcount": {"type": "integer", "required": True, "min": 0},
                "revenue": {"type": "number", "required": True, "min": 0},
                "overflow": {"type": "boolean", "default": False},
                "items": {"type": "list", "default": [], "schema": {"type": "number"}},
                "opened_on": {"type": "date", "min": "2000-01-01", "max": "2099-12-31"},
            },
            "outcomes": {"done": "judged"},
        }},
    }},
}
RULES = {"scheme": SCHEME, "title": "probe", "rules": [
    {"id": "size", "title": "Size", "clause": "§1", "then": {"fact": "size", "value": "band(bands.size, facts.headcount)"}, "because": "Size {value}."},
    {"id": "scaled", "title": "Scaled", "clause": "§1", "when": "facts.overflow",
     "then": {"fact": "scaled", "value": "facts.revenue * params.scale"}, "because": "Scaled {value}."},
    {"id": "done", "title": "Done", "clause": "§1", "then": {"outcome": "done"}, "because": "Judged, {facts.size}."},
]}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "referentials" / SCHEME).mkdir(parents=True)
    for schema in ("referentials/referential.schema.json", "rules/rules.schema.json"):
        (tmp_path / schema).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / schema).write_text((ROOT / schema).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "referentials" / SCHEME / f"{V1}.yaml").write_text(yaml.safe_dump(VERSION, sort_keys=False), encoding="utf-8")
    folder = rule_folder(tmp_path, SCHEME, V1)
    folder.mkdir(parents=True)
    (folder / "probe.yaml").write_text(yaml.safe_dump(RULES, sort_keys=False), encoding="utf-8")
    return tmp_path


def dossier(**facts: Any) -> dict[str, Any]:
    return {"scheme": SCHEME, "procedure": "judge", "dossier_id": "p-1", "cycle": {"anchor": "2024-02-01"}, "event_date": "2024-03-01",
            "facts": {"headcount": 10, "revenue": 1000.0, **facts}}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(cli: Callable[..., Any], *args: Any, root: Path) -> str:
    result = cli(*args, root=root)
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.stderr and "Traceback" not in result.output
    return result.stderr


def test_the_probe_scheme_judges(tree: Path) -> None:
    decision = Library.open(tree).evaluate(read_dossier(dossier(), "d.yaml")).to_json()
    assert (decision["outcome"], decision["values"]) == ("done", {"size": "small"})


# --- numbers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "where"), [
    ("revenue: .nan", "$.facts.revenue"), ("revenue: .inf", "$.facts.revenue"), ("revenue: -.inf", "$.facts.revenue"),
    ("revenue: 1\n  items: [1, .nan]", "$.facts.items[1]"),
])
def test_nan_and_infinities_are_refused_in_a_yaml_dossier(tree: Path, cli: Callable[..., Any], text: str, where: str) -> None:
    body = yaml.safe_dump(dossier(), sort_keys=False).replace("revenue: 1000.0", text)
    stderr = refused(cli, "evaluate", write(tree, "d.yaml", body), root=tree)
    assert "which is not a number a rule can compute with" in stderr and where in stderr


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinities_are_refused_in_a_json_dossier(tree: Path, cli: Callable[..., Any], literal: str) -> None:
    body = json.dumps(dossier()).replace("1000.0", literal)
    stderr = refused(cli, "evaluate", write(tree, "d.json", body), root=tree)
    assert "$.facts.revenue" in stderr


def test_a_boolean_is_not_an_integer(tree: Path, cli: Callable[..., Any]) -> None:
    stderr = refused(cli, "evaluate", write(tree, "d.yaml", yaml.safe_dump(dossier(headcount=True))), root=tree)
    assert "$.facts.headcount: must be of integer type" in stderr


@pytest.mark.parametrize(("headcount", "refusal"), [(1000, None), (1001, "1001 lies outside the range of band set size: from 0 to 1000 employees")])
def test_a_value_no_band_holds_is_refused_at_validation_naming_the_fact_and_the_range(tree: Path, headcount: int, refusal: str | None) -> None:
    library = Library.open(tree)
    if refusal is None:
        assert library.evaluate(read_dossier(dossier(headcount=headcount), "d.yaml")).values == {"size": "large"}
        return
    with pytest.raises(DossierError) as raised:
        library.evaluate(read_dossier(dossier(headcount=headcount), "d.yaml"))
    assert [(p.path, p.message) for p in raised.value.problems] == [(("facts", "headcount"), refusal)]


@pytest.mark.parametrize("runtime", ["durable-rules", "python", "compiled"])
def test_a_number_too_large_for_a_float_gives_no_decision_under_any_runtime(tree: Path, runtime: str) -> None:
    with pytest.raises(EvaluationError) as raised:
        Library.open(tree).evaluate(read_dossier(dossier(overflow=True), "d.yaml"), runtime=runtime)
    assert "rule scaled" in raised.value.message and "not a number" in raised.value.message


def test_a_division_that_may_divide_by_zero_is_refused_by_validate_and_nothing_is_judged_under_it(tree: Path, cli: Callable[..., Any]) -> None:
    rules = {**RULES, "rules": [*RULES["rules"], {"id": "ratio", "title": "Ratio", "clause": "§1", "when": "facts.headcount >= 0",
                                                  "then": {"fact": "ratio", "value": "facts.revenue / double(facts.headcount)"}, "because": "Ratio {value}."}]}
    (rule_folder(tree, SCHEME, V1) / "probe.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    result = cli("validate", root=tree)
    assert result.exit_code == 1 and "rule ratio divides by facts.headcount, which may be zero" in result.output
    judged = cli("evaluate", write(tree, "d.yaml", yaml.safe_dump(dossier())), root=tree)
    assert judged.exit_code == 1 and "Traceback" not in judged.output
    assert "probe has versions that `referee validate` rejects" in judged.stderr and "rule ratio divides by facts.headcount" in judged.stderr


@pytest.mark.parametrize(("opened_on", "refusal"), [
    ("1999-12-31", "min value is 2000-01-01"), ("2000-01-01", None), ("2099-12-31", None), ("2100-01-01", "max value is 2099-12-31"),
])
def test_the_bounds_of_a_date_input_bound_it(tree: Path, opened_on: str, refusal: str | None) -> None:
    """The version stores its date bounds as texts; they bound the date all the same, under both validators."""
    library = Library.open(tree)
    if refusal is None:
        assert library.evaluate(read_dossier(dossier(opened_on=opened_on), "d.yaml")).outcome == "done"
        return
    with pytest.raises(DossierError) as raised:
        library.evaluate(read_dossier(dossier(opened_on=opened_on), "d.yaml"))
    assert [(p.path, p.message) for p in raised.value.problems] == [(("facts", "opened_on"), refusal)]


@pytest.mark.parametrize(("field", "bound"), [({"type": "date"}, "1 March"), ({"type": "number"}, "ten"), ({"type": "integer"}, True)])
def test_a_bound_of_the_wrong_type_fails_validation_naming_it(tree: Path, cli: Callable[..., Any], field: dict[str, Any], bound: Any) -> None:
    version = yaml.safe_load(yaml.safe_dump(VERSION))
    version["sections"]["main"]["procedures"]["judge"]["input"]["odd"] = {**field, "min": bound}
    (tree / "referentials" / SCHEME / f"{V1}.yaml").write_text(yaml.safe_dump(version, sort_keys=False), encoding="utf-8")
    result = cli("validate", root=tree)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "input.odd.min" in result.output and "is not a" in result.output


# --- size, depth, aliases --------------------------------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_at_once(tree: Path, cli: Callable[..., Any]) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    body = yaml.safe_dump(dossier(), sort_keys=False).replace("facts:\n", "facts:\n  bomb:\n" + "".join("    " + line + "\n" for line in bomb.splitlines()), 1)
    assert len(body.encode("utf-8")) < 2000
    with never_constructed():  # refused from the composed nodes: no value is built, none expanded
        stderr = refused(cli, "evaluate", write(tree, "d.yaml", body), root=tree)
    assert "values once its aliases are expanded (the limit values)" in stderr


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_a_thousand_nested_lists_are_refused_naming_the_limit(tree: Path, cli: Callable[..., Any], suffix: str) -> None:
    nested = "[" * 1000 + "]" * 1000
    body = json.dumps(dossier(items=[])).replace('"items": []', f'"items": {nested}')
    stderr = refused(cli, "evaluate", write(tree, f"d.{suffix}", body), root=tree)
    assert "deeper than the limit depth of 64" in stderr or "exceeded maximum nesting depth" in stderr


def test_a_dossier_larger_than_the_limit_is_refused_before_it_is_read(tree: Path, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    path = tree / "big.yaml"
    with path.open("wb") as file:
        file.truncate(200 * 2**20)  # a sparse 200 MB file: its size alone refuses it
    read_bytes = Path.read_bytes

    def refusing_to_read_it(self: Path) -> bytes:
        assert self != path, "the file was read: its size alone should have refused it"
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refusing_to_read_it)
    stderr = refused(cli, "evaluate", path, root=tree)
    assert "is too large: 209,715,200 bytes, more than the limit document_bytes of 67,108,864" in stderr


def test_a_limit_is_changed_by_option(tree: Path, cli: Callable[..., Any]) -> None:
    path = write(tree, "d.yaml", yaml.safe_dump(dossier(items=[1, 2, 3])))
    stderr = refused(cli, "--limit", "document_bytes=100", "evaluate", path, root=tree)
    assert "more than the limit document_bytes of 100" in stderr
    assert cli("--limit", "document_bytes=1MiB", "evaluate", path, root=tree).exit_code == 0
    assert cli("--limit", "nope=3", "evaluate", path, root=tree).exit_code == 2


def test_limits_parse_counts_and_sizes() -> None:
    assert DEFAULT_LIMITS.with_settings({"depth": "100", "ledger_bytes": "8GiB", "csv_bytes": "500k"}) == Limits(
        depth=100, ledger_bytes=8 * 2**30, csv_bytes=500_000)
    with pytest.raises(Exception, match="is not a positive count or size"):
        DEFAULT_LIMITS.with_settings({"depth": "-3"})


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_a_device_is_never_read_as_a_document(tmp_path: Path) -> None:
    with pytest.raises(DossierError, match="is not a regular file"):
        load_document(Path("/dev/zero"))


@pytest.mark.parametrize(("value", "limit"), [
    ("facts.revenue" + " + 1" * 70, "nested deeper than the limit expression_depth of 64"),
    ("facts.revenue + " + " + ".join(["1"] * 1500), "characters, more than the limit expression_chars of 4,000"),
])
def test_an_expression_beyond_the_limits_fails_validation_naming_its_path(tree: Path, cli: Callable[..., Any], value: str, limit: str) -> None:
    rules = yaml.safe_dump({**RULES, "rules": [*RULES["rules"], {"id": "deep", "title": "Deep", "clause": "§1", "then": {"fact": "deep", "value": value}, "because": "{value}"}]})
    (rule_folder(tree, SCHEME, V1) / "probe.yaml").write_text(rules, encoding="utf-8")
    result = cli("validate", root=tree)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert limit in result.output and "rules[3].then.value" in result.output


# --- paths and outputs -----------------------------------------------------------------------------------------


def test_evaluate_refuses_to_overwrite_and_to_write_into_a_missing_folder(tree: Path, cli: Callable[..., Any]) -> None:
    path = write(tree, "d.yaml", yaml.safe_dump(dossier()))
    out = write(tree, "out.json", "keep me")
    result = cli("evaluate", path, "-o", out, root=tree)
    assert result.exit_code == 2 and "exists already: give --force" in result.stderr and out.read_text() == "keep me"
    assert cli("evaluate", path, "-o", out, "--force", root=tree).exit_code == 0 and json.loads(out.read_text())["outcome"] == "done"
    missing = cli("evaluate", path, "-o", tree / "no" / "where.json", root=tree)
    assert missing.exit_code == 2 and "there is no folder" in missing.stderr


def test_the_cli_names_a_root_without_referentials(tmp_path: Path, cli: Callable[..., Any]) -> None:
    result = cli("versions", "x", root=tmp_path)
    assert result.exit_code == 2 and "holds no referentials/ folder" in result.stderr



# --- found by the fuzz suite (tests/fuzz, docs/fuzzing.md) -------------------------------------------------------


def test_a_lone_surrogate_in_a_json_dossier_is_refused_naming_its_path(tree: Path, cli: Callable[..., Any]) -> None:
    """JSON may escape half of a UTF-16 pair alone; the text is not Unicode: the digest could not encode it (exit 3)."""
    body = json.dumps(dossier(note="x")).replace('"note": "x"', '"note": "a\\ud800b"')
    stderr = refused(cli, "evaluate", write(tree, "d.json", body), root=tree)
    assert "half of a UTF-16 surrogate pair" in stderr and "$.facts" in stderr


@pytest.mark.parametrize("key", ["1.5", "2024-01-01", "null", "3"])
def test_a_key_that_is_not_a_text_is_refused(tree: Path, cli: Callable[..., Any], key: str) -> None:
    """A YAML key may be a number, a date or null: Cerberus, sorting its errors by path, failed comparing it with a text."""
    body = yaml.safe_dump(dossier(extra=1), sort_keys=False).replace("extra: 1", f"{key}: 1")
    stderr = refused(cli, "evaluate", write(tree, "d.yaml", body), root=tree)
    assert "has a key that is not a text" in stderr and "$.facts" in stderr


def test_thousands_of_wrong_list_items_are_refused_in_linear_time(tree: Path) -> None:
    """Cerberus sorted its errors again on every error: 2,000 wrong items took 20 s.

    Counted, not timed: the Python calls made to refuse 4 times as many items grow 4 times, not 16."""
    library = Library.open(tree)
    library.evaluate(read_dossier(dossier(items=[1]), "d.yaml"))  # compiled before counting

    def calls_to_refuse(count: int) -> int:
        calls = 0

        def counting(frame: Any, event: str, arg: Any) -> None:
            nonlocal calls
            calls += event == "call"

        sys.setprofile(counting)
        try:
            with pytest.raises(DossierError) as raised:
                library.evaluate(read_dossier(dossier(items=["x"] * count), "d.yaml"))
        finally:
            sys.setprofile(None)
        assert len(raised.value.problems) == count and raised.value.problems[0].message == "must be of number type"
        return calls

    assert calls_to_refuse(2000) < 6 * calls_to_refuse(500)  # 3.8 times as measured; a sort per error made it 16


@pytest.mark.parametrize("body", ["a: " + "[" * 5000, "a: " + "[" * 900 + "\nb: ]"])
def test_flow_collections_nested_deep_are_refused_at_once(tree: Path, cli: Callable[..., Any], body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML's own parser, which words libyaml's errors, takes seconds on 500 nested `[`: it gives up at the depth limit."""
    opened = []
    start_collection = _WordingLoader.fetch_flow_collection_start

    def counting(loader: _WordingLoader, token_class: Any) -> None:
        opened.append(loader.flow_level)
        start_collection(loader, token_class)

    monkeypatch.setattr(_WordingLoader, "fetch_flow_collection_start", counting)
    refused(cli, "evaluate", write(tree, "d.yaml", body), root=tree)
    assert opened and max(opened) == DEFAULT_LIMITS.depth  # it went as deep as the limit, and no deeper


# --- lists a rule reads item by item: bounded where the reference runtime grows with their square ---------------------

BOUNDED_LISTS = [  # (example, the list, how many it may hold, what each copied item is given to stay consistent)
    ("objectif-co2/auditor-assignment-assigned.yaml", "auditors", 500, {}),
    ("objectif-co2/auditor-assignment-2016-assigned.yaml", "auditors", 500, {}),
    ("label-bas-carbone/financing-two-participants-declared-in-time.yaml", "participants", 500, {"rate_percent": 0.1}),  # 100 % at most
    ("label-bas-carbone/control-fraud-adversarial-procedure-required.yaml", "grounds", 500, {}),
]


@pytest.mark.parametrize(("example", "name", "most", "given"), BOUNDED_LISTS)
def test_a_list_is_judged_up_to_its_bound_and_refused_past_it_naming_its_path(
    library: Library, example: str, name: str, most: int, given: dict[str, Any]
) -> None:
    """The bound is common sense, not the text (the referential's `meta` says so): its last item is judged, one more refused."""
    document = yaml.safe_load((ROOT / "examples" / example).read_text(encoding="utf-8"))
    document.pop("expect", None)
    items = document["facts"][name]

    def grown(count: int) -> Any:
        copies = [{**items[i % len(items)], **given} for i in range(count)]
        for index, item in enumerate(copies):  # ids and names stay unique, as input checks require
            for key in ("id", "name"):
                if key in item:
                    item[key] = f"{item[key]}-{index}"
        return read_dossier({**document, "facts": {**document["facts"], name: copies}}, "grown.yaml")

    assert library.evaluate(grown(most), runtime="compiled").outcome
    with pytest.raises(DossierError) as refused:
        library.evaluate(grown(most + 1), runtime="compiled")
    assert [(p.path, p.message) for p in refused.value.problems] == [(("facts", name), f"max length is {most}")]
