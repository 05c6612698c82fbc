"""Strict reading of YAML and JSON documents (engine/documents.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model import documents, dossier, limits
from engine.model.documents import load_document, parse_text
from engine.errors import DossierError, ReferentialError


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def refused(path: Path, error: type = DossierError) -> DossierError:
    with pytest.raises(error) as raised:
        load_document(path, error)
    return raised.value


# --- what is read --------------------------------------------------------------------------------------------


def test_yaml_dates_come_back_as_dates(tmp_path: Path) -> None:
    path = write(tmp_path, "d.yaml", "cycle:\n  anchor: 2024-03-04\nevent_date: '2024-05-21'\n")
    assert load_document(path) == {"cycle": {"anchor": dt.date(2024, 3, 4)}, "event_date": "2024-05-21"}


def test_json_is_read_as_json(tmp_path: Path) -> None:
    path = write(tmp_path, "d.json", '{"a": [1, 2.5, true, null], "b": {"c": "2024-05-21"}}')
    assert load_document(path) == {"a": [1, 2.5, True, None], "b": {"c": "2024-05-21"}}


def test_a_merge_without_repeated_keys_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  z: 3\n")
    assert load_document(path)["d"] == {"x": 1, "y": 2, "z": 3}


# --- duplicate keys ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "key", "line"),
    [
        ("a: 1\nb: 2\na: 3\n", "a", 3),
        ("scheme: x\nfacts:\n  tool_type: internal\n  score: 1\n  tool_type: commercial\n", "tool_type", 5),
        ("rows:\n  - {id: 1, id: 2}\n", "id", 2),
    ],
)
def test_a_duplicate_yaml_key_names_the_file_the_line_and_the_key(tmp_path: Path, content: str, key: str, line: int) -> None:
    path = write(tmp_path, "dup.yaml", content)
    error = refused(path)
    assert error.message == f"{path} is not valid YAML"
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert (problem.file, problem.line, problem.message) == (str(path), line, f"duplicate key {key!r}")
    assert f"{path}:{line}: duplicate key {key!r}" in error.render()


def test_a_duplicate_json_key_is_refused_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.json", '{\n  "facts": {\n    "score": 1,\n    "score": 2\n  }\n}\n')
    error = refused(path)
    assert error.message == f"{path} is not valid JSON"
    assert error.problems[0].file == str(path)
    assert "duplicate key 'score'" in error.render()


def test_a_duplicate_json_key_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.json", '{\n  "facts": {\n    "score": 1,\n    "score": 2\n  }\n}\n')
    error = refused(path)
    assert error.problems[0].line == 4
    assert f"{path}:4" in error.render()


def test_a_merge_overridden_by_an_explicit_key_is_not_a_duplicate(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  x: 3\n")
    assert load_document(path)["d"] == {"x": 3, "y": 2}


# --- syntax errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ("a: 1\nb:\n  c: 2\n   d: 3\n", 4, "mapping values are not allowed here"),
        ("a: 1\n\tb: 2\n", 2, "found character '\\t' that cannot start any token"),
        ("a: 1\nb: *nowhere\n", 2, "found undefined alias 'nowhere'"),
        ("x: 1\n---\ny: 2\n", 2, "expected a single document in the stream"),
        ("a: \"unterminated\nb: 1\n", 3, "found unexpected end of stream"),
    ],
)
def test_a_yaml_syntax_error_names_the_line(tmp_path: Path, content: str, line: int, words: str) -> None:
    path = write(tmp_path, "bad.yaml", content)
    error = refused(path)
    assert error.message == f"{path} is not valid YAML"
    problem = error.problems[0]
    assert (problem.file, problem.line) == (str(path), line)
    assert words in problem.message
    assert error.render().startswith(f"invalid dossier: {path} is not valid YAML\n  - {path}:{line}: ")


def test_a_yaml_tag_that_would_run_code_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "unsafe.yaml", "a: !!python/object/apply:os.system ['true']\n")
    error = refused(path)
    assert "could not determine a constructor for the tag" in error.problems[0].message
    assert error.problems[0].line == 1


def test_a_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", '{\n  "a": 1,\n  "b": ,\n}\n')
    error = refused(path)
    assert error.message == f"{path} is not valid JSON"
    assert (error.problems[0].file, error.problems[0].line) == (str(path), 3)
    assert error.problems[0].message == "Expecting value"


def test_the_caller_chooses_the_error_class(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.yaml", "a: 1\na: 2\n")
    error = refused(path, ReferentialError)
    assert error.render().startswith("invalid referential: ")
    assert error.exit_code == 1


def test_parse_text_names_the_given_source() -> None:
    with pytest.raises(DossierError) as raised:
        parse_text("a: 1\na: 2\n", "inline.yaml", DossierError)
    assert raised.value.problems[0].file == "inline.yaml"
    assert raised.value.problems[0].line == 2


# --- files that cannot be read as text -----------------------------------------------------------------------


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.yaml", "title: caf\xe9\n".encode("latin-1"))
    error = refused(path)
    assert error.message == f"{path} is not UTF-8 text"
    assert error.problems[0].file == str(path)
    assert "can't decode byte 0xe9" in error.problems[0].message


def test_a_utf16_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "utf16.json", '{"a": 1}'.encode("utf-16"))
    assert refused(path).message == f"{path} is not UTF-8 text"


def test_a_missing_file_and_a_directory_are_named(tmp_path: Path) -> None:
    assert refused(tmp_path / "absent.yaml").message == f"no such file: {tmp_path / 'absent.yaml'}"
    assert refused(tmp_path).message == f"{tmp_path} is a directory, not a file"


def test_an_impossible_unquoted_yaml_date_is_a_document_error(tmp_path: Path) -> None:
    path = write(tmp_path, "d.yaml", "cycle:\n  anchor: 2024-03-04\nevent_date: 2025-02-30\n")
    error = refused(path)
    assert error.problems[0].file == str(path)
    assert error.problems[0].line == 3


def test_two_written_keys_stay_duplicates_beside_a_merge(tmp_path: Path) -> None:
    path = write(tmp_path, "m2.yaml", "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n  y: 3\n")
    error = refused(path)
    assert error.problems[0].line == 5 and "duplicate key 'y'" in error.render()


def test_the_first_merged_mapping_wins_as_yaml_says(tmp_path: Path) -> None:
    path = write(tmp_path, "m3.yaml", "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nd:\n  <<: [*a, *b]\n")
    assert load_document(path)["d"] == {"x": 1, "y": 2}


def test_an_impossible_date_names_its_value_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "d2.yaml", "facts:\n  signed_on: 2024-02-29\n  closed_on: 2023-02-29\n")
    error = refused(path)
    assert (error.problems[0].line, error.problems[0].message.split(" (")[0]) == (3, "2023-02-29 is not a date that exists")


# -- the one-walk proofs agree with the exact checks ------------------------------------------------------------

_SMALL = limits.Limits(depth=4, values=30)
_TEXTS = st.sampled_from(["a", "é", "\ud800", "x\udfff", "ok"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), _TEXTS)
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(_TEXTS, inner, max_size=6)), max_leaves=40)


def _refusal(check: Any) -> str | None:
    try:
        check()
    except (DossierError, ValueError) as exc:
        return str(exc)
    return None


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_one_walk_over_json_accepts_exactly_what_the_three_checks_accept(document: Any) -> None:
    """`checked` skips its three walks when one walk proves them needless: it must never pass what they refuse."""
    def three() -> None:
        limits.check_values(document, "d.json", _SMALL, DossierError)
        documents._no_lone_surrogates(document, "d.json", DossierError)
        documents._no_infinities(document, "d.json", DossierError)

    assert documents._plain_json_within(document, _SMALL) == (_refusal(three) is None)


_KEYS = st.one_of(st.text(max_size=3), st.integers(), st.none(), st.booleans(), st.dates())
_YAMLISH = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(_YAMLISH)
def test_keys_are_text_agrees_with_the_check_that_names_the_key(document: Any) -> None:
    refused = _refusal(lambda: dossier._text_keys(document, "d.yaml"))
    assert dossier._keys_are_text(document) == (refused is None)


@pytest.mark.parametrize("text", [
    "a: 1\nb: [1, 2, {c: 3}]\n",
    "a: &x [1, 2]\nb: *x\n",  # an alias: for the exact check
    "a: [[[[[1]]]]]\n",  # deeper than the small limit
    "a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]\n",
])
def test_one_walk_over_yaml_nodes_accepts_exactly_what_the_exact_check_accepts(text: str) -> None:
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    exact = _refusal(lambda: limits._check_expanded(node, "d.yaml", _SMALL, DossierError))
    proved = limits._plain_tree_within(node, _SMALL)
    assert not proved or exact is None  # a proof is never wrong
    assert proved == (exact is None and "&" not in text)  # and it is given for every plain document within bounds
