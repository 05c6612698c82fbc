"""The compiled fast path of dossier validation against Cerberus, its reference.

The one promise: whenever `CompiledSchema.normalise` returns a document, Cerberus accepts
the same input and its `validator.document` is that document, key order and Python types
included (`True` is not `1`, `1` is not `1.0`). Checked on every bundled example (each must
take the fast path), on mutations of them, on generated schemas, and rule by rule on the
edge cases read in Cerberus' source (cerberus/validator.py, 1.3).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections import Counter, OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cerberus
import pytest
from conftest import LIBRARY, ROOT
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.compilation.validators import CompiledSchema
from engine.errors import DossierError
from engine.model.documents import load_document
from engine.model.dossier import ENVELOPE, _Validator, facts_schema, load_dossier
from engine.model.referential import Procedure, ReferentialVersion
from engine.selection.procedures import select_for

NAN, INF = float("nan"), float("inf")
DAY = dt.date(2024, 1, 15)
MOMENT = dt.datetime(2024, 1, 15, 9, 30)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same Python types and key order at every level (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(map(type, a)) == list(map(type, b)) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def cerberus_document(validator: cerberus.Validator, document: Any) -> Any:
    """Cerberus' normalised document, or None when it refuses (or fails on) the document."""
    try:
        return validator.document if validator.validate(copy.deepcopy(document)) else None
    except Exception:  # noqa: BLE001 (Cerberus crashing on a document is a refusal the fast path must not contradict)
        return None


def plain(value: Any) -> bool:
    """Made of dicts and lists only: no tuple, no bytes, no other kind of mapping (the fast path leaves those to Cerberus)."""
    if type(value) is dict:
        return all(plain(v) for v in value.values())
    if type(value) is list:
        return all(plain(v) for v in value)
    return not isinstance(value, (tuple, bytes, list, Mapping))


def outcome(fast: Any, reference: Any) -> str:
    """Where the fast path and Cerberus stand on a document; a fast document must be Cerberus' own."""
    if fast is not None:
        assert reference is not None, "the fast path accepts what Cerberus refuses"
        assert same(fast, reference)
        return "both accept"
    if reference is None:
        return "both refuse"
    return "only Cerberus accepts" if plain(reference) else "only Cerberus accepts, a tuple, bytes or a dict subclass"


def agree(schema: Mapping[str, Any], document: Any) -> tuple[Any, Any]:
    """The fast path's answer and Cerberus' on one document; both are None for a refusal."""
    compiled = CompiledSchema.compile(schema, _Validator)
    assert compiled.fallback is None, compiled.fallback
    return compiled.normalise(document), cerberus_document(_Validator(copy.deepcopy(dict(schema))), document)


# -- the bundled referentials and examples ------------------------------------------------------


def criteria_of(procedure: Procedure, version_of: Any) -> dict[str, Any]:
    """The criteria of the procedure's sections, gathered as the library does for its validator."""
    return {c.id: c for name in procedure.sections for c in version_of(name).sections[name].criteria.values()}


@dataclass
class Case:
    """A document and the schema the engine validates it with."""

    name: str
    schema: dict[str, Any]
    document: dict[str, Any]
    compiled: CompiledSchema
    validator: cerberus.Validator

    @classmethod
    def of(cls, name: str, schema: dict[str, Any], document: dict[str, Any]) -> Case:
        return cls(name, schema, document, CompiledSchema.compile(schema, _Validator), _Validator(copy.deepcopy(schema)))


def example_cases() -> list[Case]:
    """Each example twice: its envelope, and its facts against the procedure the engine selects for it."""
    cases = []
    for path in sorted((ROOT / "examples").glob("*/*.yaml")):
        name = f"{path.parent.name}/{path.name}"
        cases.append(Case.of(f"{name}:envelope", ENVELOPE, dict(load_document(path, DossierError))))
        dossier = load_dossier(path)
        selection, procedure = select_for(LIBRARY.versions(dossier.scheme), dossier.procedure, dossier.anchor, dossier.event_date, dossier.version)
        if procedure is None:  # the version that governs it is not encoded: it has no input
            continue
        version_of = (lambda _, base=selection.base: base) if selection.refusal else selection.version_of
        cases.append(Case.of(f"{name}:facts", facts_schema(procedure, criteria_of(procedure, version_of)), dict(dossier.facts)))
    return cases


CASES = example_cases()


def all_procedures() -> list[tuple[ReferentialVersion, Procedure]]:
    return [(version, procedure) for scheme in LIBRARY.schemes() for version in LIBRARY.versions(scheme)
            for procedure in version.procedures().values()]


@pytest.mark.parametrize("version, procedure", all_procedures(), ids=lambda x: getattr(x, "label", None) or x.name)
def test_every_procedure_input_is_compiled(version: ReferentialVersion, procedure: Procedure) -> None:
    schema = facts_schema(procedure, criteria_of(procedure, lambda _: version))
    assert CompiledSchema.compile(schema, _Validator).fallback is None


def test_the_envelope_is_compiled() -> None:
    assert CompiledSchema.compile(ENVELOPE, _Validator).fallback is None


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_bundled_example_takes_the_fast_path_to_cerberus_document(case: Case) -> None:
    fast = case.compiled.normalise(case.document)
    assert fast is not None
    assert same(fast, cerberus_document(case.validator, case.document))


# -- mutations of the examples ------------------------------------------------------------------

COMMON_VALUES = [
    None, True, False, 0, 1, -1, 0.0, 1.5, -0.5, 10**12, NAN, INF, -INF,
    "", "text", "2024-02-30", "2024-01-15", " 2024-01-15 ", "15/01/2024", DAY, MOMENT,
    [], {}, ["text"], [None], {"unknown": 1}, {"scheme": "objectif-co2"},
]


def variants(value: Any, rules: Any) -> st.SearchStrategy[Any]:
    """Values to put where `value` was: common ones, ones derived from it, and the rules' own constants."""
    derived: list[Any] = []
    if isinstance(value, bool):
        derived += [not value, int(value), str(value).lower()]
    elif isinstance(value, int):
        derived += [float(value), value + 1, -value - 1, bool(value), str(value)]
    elif isinstance(value, float):
        derived += [int(value), -value, value * 1e9] if math.isfinite(value) else []
    elif isinstance(value, str):
        derived += ["", value + "\n", value.upper(), f" {value}", value[:1]]
    elif isinstance(value, dt.datetime):
        derived += [value.date(), value.isoformat()]
    elif isinstance(value, dt.date):
        derived += [value.isoformat(), dt.datetime.combine(value, dt.time(12)), value.replace(day=1).isoformat()[:7]]
    elif isinstance(value, list):
        derived += [[], value[:1], value * 2, tuple(value), [*value, None]]
    elif isinstance(value, dict):
        derived += [{}, dict(list(value.items())[:1]), {**value, "unknown": 1}, {k: None for k in value}]
    if isinstance(rules, Mapping):
        derived += list(rules.get("allowed", ())) + [rules.get("default")]
        for bound in (rules.get("min"), rules.get("max")):
            if isinstance(bound, (int, float)):
                derived += [bound, bound - 1, bound + 0.5, float(bound)]
    return st.sampled_from(COMMON_VALUES + derived)


def containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every dict and list of a document, with its path."""
    found = [(path, node)]
    children = node.items() if isinstance(node, dict) else enumerate(node)
    for key, child in children:
        if isinstance(child, (dict, list)):
            found += containers(child, (*path, key))
    return found


def rules_within(schema: Mapping[str, Any], document: Any, path: tuple[Any, ...]) -> dict[Any, Any]:
    """What the schema says of the keys (of a dict) or items (of a list) at `path`; {} where it says nothing."""
    rules_of: dict[Any, Any] = dict(schema)
    node = document
    for step in path:
        rules = rules_of.get(step)
        node = node[step]
        rules = rules if isinstance(rules, Mapping) else {}
        if isinstance(node, list):
            rules_of = {i: rules.get("schema", {}) for i in range(len(node))}
        elif rules.get("type") == "dict" and "schema" in rules:
            rules_of = dict(rules["schema"])
        else:
            rules_of = {key: rules.get("valuesrules", {}) for key in node}
    return rules_of


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Case, Any]:
    """An example's envelope or facts after one to three changes anywhere in it."""
    case = draw(st.sampled_from(CASES))
    document = copy.deepcopy(case.document)
    for _ in range(draw(st.integers(1, 3))):
        path, node = draw(st.sampled_from(containers(document)))
        rules_of = rules_within(case.schema, document, path)
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        change = draw(st.sampled_from(["drop", "replace", "replace", "add", "unknown"]))
        if change == "drop" and keys:
            del node[draw(st.sampled_from(keys))]
        elif change == "replace" and keys:
            key = draw(st.sampled_from(keys))
            node[key] = copy.deepcopy(draw(variants(node[key], rules_of.get(key))))
        elif change == "add" and isinstance(node, dict) and rules_of:
            key = draw(st.sampled_from(list(rules_of)))
            node[key] = copy.deepcopy(draw(variants(node.get(key), rules_of[key])))
        elif isinstance(node, dict):
            node[draw(st.sampled_from(["unknown", "Scheme", 1, None]))] = copy.deepcopy(draw(st.sampled_from(COMMON_VALUES)))
        else:
            node.append(copy.deepcopy(node[0]) if node else None)
    return case, document


def test_mutated_examples_agree_with_cerberus() -> None:
    """A fast document is Cerberus' document; a fast refusal of a plain document Cerberus accepts would be a miss."""
    outcomes: Counter[str] = Counter()

    @settings(max_examples=1000, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(mutated())
    def check(mutation: tuple[Case, Any]) -> None:
        case, document = mutation
        outcomes[outcome(case.compiled.normalise(document), cerberus_document(case.validator, document))] += 1

    check()
    print(dict(outcomes))
    assert outcomes["only Cerberus accepts"] == 0
    assert outcomes["both accept"] > 100 and outcomes["both refuse"] > 100


# -- generated schemas --------------------------------------------------------------------------

FIELD_NAMES = ["a", "b", "c"]
SCALARS = [None, True, False, 0, 1, -1, 2, 0.0, 1.0, 1.5, NAN, INF, -INF,
           "", "x", "y", "abc", "a\n", "2024-01-15", "2024-02-30", " 2024-01-15 ", DAY, MOMENT, b"", b"x"]
values = st.recursive(
    st.sampled_from(SCALARS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from([*FIELD_NAMES, "x", 1]), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def field_rules(draw: st.DrawFn, depth: int) -> dict[str, Any]:
    """A random combination of the compiled rules."""
    kind = draw(st.sampled_from([None, "string", "number", "integer", "boolean", "date", "list", "dict"]))
    rules: dict[str, Any] = {} if kind is None else {"type": kind}

    def maybe(rule: str, strategy: st.SearchStrategy[Any]) -> None:
        if draw(st.integers(0, 3)) == 0:
            rules[rule] = draw(strategy)

    maybe("nullable", st.booleans())
    maybe("required", st.booleans())
    maybe("empty", st.booleans())
    maybe("default", st.sampled_from([*SCALARS, [], {}, ["x"]]))
    maybe("min", st.sampled_from([0, 1, -1, 0.5, "b", DAY]))
    maybe("max", st.sampled_from([0, 1, 2, 1.5, "b", DAY]))
    maybe("allowed", st.lists(st.sampled_from([*SCALARS, *FIELD_NAMES]), max_size=4))
    maybe("minlength", st.integers(0, 2))
    maybe("maxlength", st.integers(0, 2))
    maybe("regex", st.sampled_from(["[a-z]+", "^x$", "a|b", "\\d{4}-\\d{2}-\\d{2}"]))
    maybe("coerce", st.just("date"))
    maybe("check_with", st.just("companion"))
    maybe("meta", st.just({"note": "ignored"}))
    if kind == "list" and depth and draw(st.booleans()):
        rules["schema"] = draw(field_rules(depth - 1))
    if kind == "dict" and depth:
        container = draw(st.sampled_from(["schema", "valuesrules", "keysrules", "none"]))
        if container == "schema":
            rules["schema"] = draw(st.dictionaries(st.sampled_from(FIELD_NAMES), field_rules(depth - 1), max_size=3))
        elif container != "none":
            rules[container] = draw(field_rules(depth - 1))
    return rules


KIND_VALUES: dict[str | None, list[Any]] = {"string": ["", "x", "abc"], "number": [0, 1, 0.5, -1], "integer": [0, 1, 2, True], "boolean": [True, False],
               "date": [DAY, MOMENT, "2024-01-15"], None: SCALARS}


def value_for(rules: Any) -> st.SearchStrategy[Any]:
    """A value shaped by the rules (so that nested documents are accepted too), or now and then any value."""
    if not isinstance(rules, Mapping):
        return values
    kind = rules.get("type")
    shaped: st.SearchStrategy[Any]
    if kind == "dict" and isinstance(rules.get("schema"), Mapping):
        shaped = st.fixed_dictionaries({}, optional={name: value_for(r) for name, r in rules["schema"].items()})
    elif kind == "dict" and "valuesrules" in rules:
        shaped = st.dictionaries(st.sampled_from(["a", "method", "Method"]), value_for(rules["valuesrules"]), max_size=2)
    elif kind == "list" and "schema" in rules:
        shaped = st.lists(value_for(rules["schema"]), max_size=3)
    else:
        constants = [*rules.get("allowed", ()), *([rules["default"]] if "default" in rules else [])]
        shaped = st.sampled_from([*KIND_VALUES.get(kind, [[], {}, ["x"]]), *constants, None])
    return st.one_of(shaped, values) if kind is not None else shaped


def test_generated_schemas_agree_with_cerberus() -> None:
    """Rule combinations the bundled schemas do not have yet, on documents shaped by the schema or not at all."""
    outcomes: Counter[str] = Counter()

    @settings(max_examples=800, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(st.dictionaries(st.sampled_from(FIELD_NAMES), field_rules(2), min_size=1, max_size=3), st.data())
    def check(schema: dict[str, Any], data: st.DataObject) -> None:
        try:
            validator = _Validator(copy.deepcopy(schema))
        except cerberus.SchemaError:
            assume(False)
        compiled = CompiledSchema.compile(schema, _Validator)
        document = data.draw(value_for({"type": "dict", "schema": schema}) | st.dictionaries(st.sampled_from([*FIELD_NAMES, "x"]), values, max_size=3))
        judged = outcome(compiled.normalise(document), cerberus_document(validator, document))
        outcomes["fallback" if compiled.fallback is not None else judged] += 1

    check()
    print(dict(outcomes))
    assert outcomes["only Cerberus accepts"] == 0
    assert outcomes["both accept"] > 100 and outcomes["both refuse"] > 100


# -- rule by rule: what Cerberus does, and the fast path with it ---------------------------------

INTEGER, NUMBER, STRING, BOOLEAN = {"type": "integer"}, {"type": "number"}, {"type": "string"}, {"type": "boolean"}
DATE = {"type": "date", "coerce": "date"}
REFUSED = None

EDGE_CASES = [
    # defaults (validator.py:947): missing fields are appended, in schema order, after the given ones
    ({"a": {**INTEGER, "default": 1}, "b": STRING, "c": {**BOOLEAN, "default": False}}, {"b": "x"}, {"b": "x", "a": 1, "c": False}),
    # ... and a None in a field that is not nullable is replaced where it stands
    ({"a": {**INTEGER, "default": 1}, "b": STRING}, {"b": "x", "a": None}, {"b": "x", "a": 1}),
    ({"a": {**INTEGER, "nullable": True, "default": 1}}, {"a": None}, {"a": None}),
    ({"a": {**INTEGER, "default": None}}, {}, REFUSED),  # a default of None still needs `nullable`
    ({"a": {**INTEGER, "default": "1"}}, {}, REFUSED),  # the default is validated like a given value
    ({"d": {**DATE, "default": "2024-02-29"}}, {}, {"d": dt.date(2024, 2, 29)}),  # ... and coerced first
    ({"a": {**INTEGER, "required": True, "default": 3}}, {}, {"a": 3}),
    ({"a": {**INTEGER, "required": True, "nullable": True}}, {"a": None}, {"a": None}),  # None is present
    ({"a": {**INTEGER, "required": True}}, {}, REFUSED),
    # unknown keys, and required ones, at every level
    ({"a": INTEGER}, {"z": 1}, REFUSED),
    ({"a": {"type": "dict", "schema": {"b": INTEGER}}}, {"a": {"b": 1, "c": 2}}, REFUSED),
    ({"a": {"type": "dict", "schema": {"b": {**INTEGER, "required": True}}}}, {"a": {}}, REFUSED),
    ({"a": {"type": "list", "schema": {"type": "dict", "schema": {"b": {"required": True}}}}}, {"a": [{"b": 1}, {}]}, REFUSED),
    ({"a": {"type": "list", "schema": {"type": "dict", "schema": {"b": {**INTEGER, "default": 0}, "c": STRING}}}},
     {"a": [{"c": "x"}]}, {"a": [{"c": "x", "b": 0}]}),
    ({"a": {"type": "list", "schema": {**INTEGER, "default": 0}}}, {"a": [1, None]}, {"a": [1, 0]}),  # items get defaults too
    ({"a": {"type": "list", "schema": INTEGER}}, {"a": [1, None]}, REFUSED),
    # types (validator.py:122-128)
    ({"a": NUMBER}, {"a": True}, REFUSED),
    ({"a": INTEGER}, {"a": True}, REFUSED),  # bool is an int to Cerberus; referee's validator excludes it (headcount: true)
    ({"a": {**INTEGER, "max": 0}}, {"a": True}, REFUSED),
    ({"a": INTEGER}, {"a": 1.0}, REFUSED),
    ({"a": NUMBER}, {"a": 1}, {"a": 1}),
    ({"a": NUMBER}, {"a": 1.0}, {"a": 1.0}),
    ({"a": {"type": "list"}}, {"a": b"xy"}, {"a": b"xy"}),  # any Sequence but str: bytes too
    ({"a": {"type": "list"}}, {"a": "xy"}, REFUSED),
    ({"a": {"type": "date"}}, {"a": MOMENT}, {"a": MOMENT}),  # a datetime is a date, kept as it is
    ({"a": STRING}, {"a": 1}, REFUSED),
    # min and max (validator.py:1343): NaN passes both, infinities their own side, incomparable types pass
    ({"a": {**NUMBER, "min": 0, "max": 1}}, {"a": NAN}, {"a": NAN}),
    ({"a": {**NUMBER, "min": 0}}, {"a": INF}, {"a": INF}),
    ({"a": {**NUMBER, "max": 10}}, {"a": INF}, REFUSED),
    ({"a": {**NUMBER, "min": 0}}, {"a": -INF}, REFUSED),
    ({"a": {**STRING, "min": 3}}, {"a": "abc"}, {"a": "abc"}),
    ({"a": {**STRING, "min": "b"}}, {"a": "a"}, REFUSED),
    ({"a": {"min": 0}}, {"a": [1]}, {"a": [1]}),
    # empty (validator.py:1225): absent means allowed; True skips the length, allowed, regex and check_with rules; not min
    ({"a": STRING}, {"a": ""}, {"a": ""}),
    ({"a": {**STRING, "minlength": 1}}, {"a": ""}, REFUSED),
    ({"a": {**STRING, "empty": False}}, {"a": ""}, REFUSED),
    ({"a": {**STRING, "empty": True, "minlength": 2}}, {"a": ""}, {"a": ""}),
    ({"a": {**STRING, "empty": True, "minlength": 2}}, {"a": "x"}, REFUSED),
    ({"a": {**STRING, "empty": True, "regex": "x+"}}, {"a": ""}, {"a": ""}),
    ({"a": {**STRING, "empty": True, "allowed": ["x"]}}, {"a": ""}, {"a": ""}),
    ({"a": {**STRING, "empty": True, "min": "b"}}, {"a": ""}, REFUSED),
    ({"a": {"type": "list", "empty": False}}, {"a": []}, REFUSED),
    ({"a": {"type": "dict", "empty": False}}, {"a": {}}, REFUSED),
    ({"a": {"type": "dict", "empty": False, "schema": {"b": {**INTEGER, "default": 1}}}}, {"a": {}}, {"a": {"b": 1}}),
    # allowed (validator.py:1128): each element of a list, each key of a dict; membership is equality
    ({"a": {"type": "list", "allowed": ["x", "y"]}}, {"a": ["x", "x"]}, {"a": ["x", "x"]}),
    ({"a": {"type": "list", "allowed": ["x", "y"]}}, {"a": ["z"]}, REFUSED),
    ({"a": {"type": "dict", "allowed": ["x"]}}, {"a": {"x": 5}}, {"a": {"x": 5}}),
    ({"a": {"allowed": [1, 2]}}, {"a": True}, {"a": True}),
    ({"a": {"allowed": [1, 2]}}, {"a": 2.0}, {"a": 2.0}),
    ({"a": {**STRING, "allowed": ["x"]}}, {"a": "X"}, REFUSED),
    # regex (validator.py:1429): anchored at the start by match, at the end by an appended $, which a final newline satisfies
    ({"a": {**STRING, "regex": "[a-z]+"}}, {"a": "abc1"}, REFUSED),
    ({"a": {**STRING, "regex": "[a-z]+"}}, {"a": "1abc"}, REFUSED),
    ({"a": {**STRING, "regex": "[a-z]+"}}, {"a": "abc\n"}, {"a": "abc\n"}),
    ({"a": {"regex": "x"}}, {"a": 5}, {"a": 5}),
    # nullable (validator.py:1371): None skips every rule but check_with
    ({"a": {**STRING, "nullable": True, "empty": False, "allowed": ["x"], "minlength": 3}}, {"a": None}, {"a": None}),
    ({"a": {}}, {"a": None}, REFUSED),
    ({"a": {"nullable": True, "check_with": "companion"}}, {"a": None}, REFUSED),
    ({"a": {**STRING, "empty": True, "check_with": "companion"}}, {"a": ""}, {"a": ""}),
    # coercion (validator.py:712): before the type; a failure refuses, but not for None in a nullable field
    ({"d": {**DATE, "nullable": True}}, {"d": None}, {"d": None}),
    ({"d": DATE}, {"d": None}, REFUSED),
    ({"d": DATE}, {"d": "2024-02-30"}, REFUSED),
    ({"d": DATE}, {"d": "2024-1-5"}, REFUSED),
    ({"d": DATE}, {"d": 20240105}, REFUSED),
    ({"d": DATE}, {"d": " 2024-01-05 "}, {"d": dt.date(2024, 1, 5)}),
    ({"d": DATE}, {"d": MOMENT}, {"d": MOMENT.date()}),
    ({"d": {"type": "list", "schema": DATE}}, {"d": ["2024-01-05", DAY]}, {"d": [dt.date(2024, 1, 5), DAY]}),
    # keysrules and valuesrules: the envelope's companions
    ({"c": ENVELOPE["companions"]}, {"c": {"method": "lbc-haies"}}, {"c": {"method": "lbc-haies"}}),
    ({"c": ENVELOPE["companions"]}, {"c": {"method": {"scheme": "x", "version": "1"}}}, {"c": {"method": {"scheme": "x", "version": "1"}}}),
    ({"c": ENVELOPE["companions"]}, {"c": {"method": {"scheme": "x", "extra": 1}}}, REFUSED),
    ({"c": ENVELOPE["companions"]}, {"c": {"method": " "}}, REFUSED),
    ({"c": ENVELOPE["companions"]}, {"c": {"Method": "x"}}, REFUSED),
    ({"c": ENVELOPE["companions"]}, {"c": {"method\n": "x"}}, {"c": {"method\n": "x"}}),
    ({"c": ENVELOPE["companions"]}, {"c": {1: "x"}}, REFUSED),
    ({"c": ENVELOPE["companions"]}, {"c": {"method": None}}, REFUSED),
    ({"a": {"type": "dict", "valuesrules": DATE}}, {"a": {"x": "2024-01-05"}}, {"a": {"x": dt.date(2024, 1, 5)}}),
    ({"a": {"type": "dict", "valuesrules": {**INTEGER, "default": 0}}}, {"a": {"x": None}}, {"a": {"x": 0}}),
]


@pytest.mark.parametrize("schema, document, expected", EDGE_CASES)
def test_an_edge_case_is_judged_as_cerberus_does(schema: dict[str, Any], document: dict[str, Any], expected: Any) -> None:
    fast, reference = agree(schema, document)
    assert same(reference, expected), f"Cerberus gives {reference!r}"
    assert same(fast, expected)


def test_the_criteria_schema_reads_points_within_the_grid() -> None:
    schema = {"criteria": {"type": "dict", "nullable": True, "schema": {"A": {"type": "dict", "required": True, "schema": {
        "points": {"type": "number", "required": True, "min": 0, "max": 5},
        "justification": {"type": "string", "required": True, "empty": False}}}}}}
    given = {"points": 5, "justification": "j"}
    assert same(agree(schema, {"criteria": {"A": given}}), ({"criteria": {"A": given}},) * 2)
    assert agree(schema, {"criteria": None}) == ({"criteria": None},) * 2
    assert agree(schema, {"criteria": {"A": {**given, "points": 5.5}}}) == (None, None)
    assert agree(schema, {"criteria": {}}) == (None, None)


def test_a_mutable_default_is_fresh_in_every_document() -> None:
    compiled = CompiledSchema.compile({"a": {"type": "list", "default": []}, "b": {"type": "list", "default": [["x"]]}}, _Validator)
    first = compiled.normalise({})
    assert first is not None
    first["a"].append(1)
    first["b"][0].append("y")
    assert compiled.normalise({}) == {"a": [], "b": [["x"]]}


def test_neither_the_document_nor_the_schema_is_changed() -> None:
    schema = {"a": {"type": "list", "schema": {"type": "dict", "schema": {"d": {**DATE, "default": "2024-01-01"}}}}}
    document = {"a": [{"d": "2024-02-01"}, {}]}
    schema_before, document_before = copy.deepcopy(schema), copy.deepcopy(document)
    assert CompiledSchema.compile(schema, _Validator).normalise(document) == {"a": [{"d": dt.date(2024, 2, 1)}, {"d": dt.date(2024, 1, 1)}]}
    assert (schema, document) == (schema_before, document_before)


# -- what is left to Cerberus -------------------------------------------------------------------


class _LaxNumbers(_Validator):
    def _validate_min(self, min_value: Any, field: str, value: Any) -> None:
        """{'nullable': False }"""


@pytest.mark.parametrize("schema, document", [
    ({"a": {"type": "string", "rename": "b"}}, {"a": "x"}),
    ({"a": {"anyof": [{"type": "string"}, {"type": "integer"}]}}, {"a": "x"}),
    ({"a": {"type": ["string", "integer"]}}, {"a": "x"}),
    ({"a": {"type": "dict", "allow_unknown": True, "schema": {}}}, {"a": {}}),
    ({"a": {"type": "string", "excludes": "b"}, "b": {"type": "string"}}, {"a": "x"}),
    ({"a": {"type": "string", "coerce": str.strip}}, {"a": "x"}),
    ({"a": {"schema": {"type": "string"}}}, {"a": ["x"]}),
    ({"a": {"type": "dict", "keysrules": {"type": "string", "coerce": "date"}}}, {"a": {}}),
    ({"a": {"type": "dict", "schema": {"b": {"type": "string"}}, "valuesrules": {"type": "string"}}}, {"a": {"b": "x"}}),
    ({"a": {"type": "string", "check_with": "no_such_check"}}, {"a": "x"}),
])
def test_a_schema_outside_the_subset_always_goes_to_cerberus(schema: dict[str, Any], document: dict[str, Any]) -> None:
    compiled = CompiledSchema.compile(schema, _Validator)
    assert compiled.fallback is not None
    assert compiled.normalise(document) is None


def test_a_validator_class_that_changes_a_rule_goes_to_cerberus() -> None:
    compiled = CompiledSchema.compile({"a": {"type": "integer", "min": 0}}, _LaxNumbers)
    assert compiled.fallback is not None and "_validate_min" in compiled.fallback
    assert compiled.normalise({"a": 1}) is None


LIST_OF_STRINGS = {"a": {"type": "list", "schema": {"type": "string"}}}


@pytest.mark.parametrize("schema, document", [
    (LIST_OF_STRINGS, {"a": ("x",)}),  # Cerberus keeps a tuple
    (LIST_OF_STRINGS, {"a": b""}),  # bytes are a Sequence: empty ones pass as an empty list
    ({"a": {"type": "dict", "schema": {"x": {"type": "string"}}}}, {"a": OrderedDict(x="y")}),
], ids=["tuple", "bytes", "OrderedDict"])
def test_containers_other_than_json_ones_go_to_cerberus(schema: dict[str, Any], document: dict[str, Any]) -> None:
    """Stricter than Cerberus, on purpose: YAML and JSON give lists and dicts; nothing else needs the fast path."""
    assert CompiledSchema.compile(schema, _Validator).normalise(document) is None
    assert cerberus_document(_Validator(schema), document) is not None


def test_a_document_that_is_not_a_dict_goes_to_cerberus() -> None:
    compiled = CompiledSchema.compile({"a": {"type": "string"}}, _Validator)
    assert compiled.normalise(OrderedDict(a="x")) is None
    assert compiled.normalise(["a"]) is None  # type: ignore[arg-type]
