"""Cerberus' verdict without Cerberus, for the documents it accepts.

A Cerberus `validate` call costs milliseconds: it re-checks its schema and builds a
child validator for every nested field. `CompiledSchema` turns a schema into closures
once; `normalise` then gives, in microseconds, the document `validator.document` would
give (same keys in the same order, same values, same Python types), or None whenever
Cerberus could reject the document. None is not a verdict: the caller runs Cerberus
for its error messages, and takes its document should it accept after all. Being
stricter than Cerberus only costs time; being laxer would be a bug.

Cerberus 1.3 behaviour mirrored here (line numbers in cerberus/validator.py, 1.3.8):

- All normalisation precedes all validation, and validation sees the normalised
  document (`validate`, 1009). Normalisation of a mapping (`__normalize_mapping`, 690):
  defaults, then coercion, then containers.
- `default` fills a field that is missing, or present with None and not `nullable`
  (947-953); missing fields are appended in schema order. The default is then coerced,
  normalised and validated like any value: `default: null` without `nullable` is an error.
- `coerce` runs before the `type` check; a failure is an error, except for None in a
  nullable field, which stays None (764-766). The project's `date` coercion turns an ISO
  string or a `datetime` into a `date`; without coercion, `type: date` accepts a
  `datetime` as it is (it subclasses `date`).
- Containers are normalised before any rule is checked (769): a dict with `schema` or
  `valuesrules`, a list with `schema`, become new objects of the same type (850, 864);
  a dict or list without them is the caller's very object.
- Rule order per field (1080-1103): `nullable` first (always, even when absent: 107);
  None skips every rule but `check_with` (1371). Then `type` (a mismatch skips the
  rest, 1560), then `empty`, which for an empty (Sized, len 0) value skips `allowed`,
  `minlength`, `maxlength`, `regex` and `check_with` (1225) but not `min`, `max` or
  `schema`. Emptiness is judged after normalisation: defaults can fill an empty dict.
- `type: number` refuses bools but `type: integer` accepts them (126-128); `list` is
  any Sequence but str. NaN passes `min` and `max` (every comparison is false) and
  ±inf passes the bound on its own side; `min`/`max` between incomparable types (a
  string against a number) pass silently (1343-1356).
- `allowed` on a list, a dict (its keys) or any non-string iterable checks each
  element (1128); `regex` only tests strings, anchored at both ends by appending `$`
  (which still matches before a final newline) (1429-1434).
- `required` counts only `is True` (1454); a required field present with None is
  present. Unknown keys are refused at every level; list items and `valuesrules`
  entries get the same default/coerce/nullable treatment as fields.

Compiled subset: type (one name, from the validator class' `types_mapping`),
required, default, nullable, empty, min, max, allowed, minlength, maxlength, regex,
schema (dict fields, or the item rules of a list), keysrules (validation only),
valuesrules, meta (ignored), coerce and check_with naming a method of the validator
class. Coercers and checks are taken to be functions of the value alone (defaults
are normalised once, when compiling): they run on an instance with no document,
whose `_error` raises (a check reading the document fails, and so falls back).

A schema using anything else (another rule, a rules set or schema named from a
registry, a list of types, a container rule without its `type`, `schema` beside
`keysrules`/`valuesrules`, a validator class overriding a rule's handler) compiles
to an object that always answers None, with `fallback` saying why: all of Cerberus
or none of it, so a partly compiled schema can never disagree with it. Only a plain
`dict` document, and plain `dict`s and `list`s under `schema`, `keysrules` and
`valuesrules`, take the fast path (not a tuple, bytes or an OrderedDict there: JSON
never gives them, nor YAML unless tagged). The schema is read once: later changes
to it are not seen.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sized
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import cerberus

Normaliser = Callable[[Any], Any]  # a value -> its normalised form, or _INVALID
Check = Callable[[Any], bool]

_INVALID: Any = object()  # what a normaliser returns when Cerberus could refuse the value
_UNBOUNDED: Any = object()  # no `min`, or no `max`

_DROPPED_BY_EMPTY = ("allowed", "minlength", "maxlength", "regex", "check_with")  # validator.py:1228
_RULES = frozenset(
    ("type", "required", "default", "nullable", "empty", "min", "max", "allowed", "minlength", "maxlength",
     "regex", "schema", "keysrules", "valuesrules", "meta", "coerce", "check_with")
)
# Handlers whose Cerberus semantics this module copies: a validator class must not override them.
_HANDLERS = ("__init__", "validate", "_normalize_coerce", "_normalize_default") + tuple(
    f"_validate_{rule}" for rule in sorted(_RULES - {"coerce", "default", "meta", "required"})
)
_IMMUTABLE = (str, int, float, bool, type(None), dt.date, dt.datetime)
# What YAML and JSON give: their classes are tested by identity, any other by isinstance (an ABC's costs ~120 ns).
_PLAIN: frozenset[type] = frozenset((str, int, float, bool, type(None), list, dict, dt.date, dt.datetime, bytes, set, tuple))
_SIZED = frozenset(t for t in _PLAIN if issubclass(t, Sized))
_ITERABLE = frozenset(t for t in _PLAIN if issubclass(t, Iterable))


class _Unsupported(Exception):
    """A schema outside the compiled subset: Cerberus must judge every document."""


class _Rejected(Exception):
    """A coercer or a check reported an error through the validator's `_error`."""


def _reject(_self: Any, *_args: Any) -> None:
    raise _Rejected


@dataclass(frozen=True)
class _Field:
    normalise: Normaliser
    unchanged: frozenset[type]  # classes whose values pass as they are: the call to `normalise` is saved
    missing: Callable[[], Any] | None  # the value a missing field gets (its normalised default); None: no default
    required: bool


class CompiledSchema:
    """A Cerberus schema compiled into closures; see the module docstring for the exact contract."""

    def __init__(self, normalise_root: Normaliser, fallback: str | None):
        self._normalise_root = normalise_root
        self.fallback = fallback  # why every document goes to Cerberus; None when compiled

    @classmethod
    def compile(cls, schema: Mapping[str, Any], validator_class: type[cerberus.Validator]) -> CompiledSchema:
        """All the work that depends only on the schema, done once; a schema outside the subset gets `fallback`."""
        try:
            return cls(_Compiler(validator_class).mapping(schema, ""), None)
        except _Unsupported as exc:
            return cls(lambda _document: _INVALID, str(exc))

    def normalise(self, document: Mapping[str, Any]) -> dict[str, Any] | None:
        """The document Cerberus' `validator.document` would give, or None when Cerberus could reject it."""
        result = self._normalise_root(document)
        return None if result is _INVALID else result


class _Compiler:
    """Rules into closures; `_Unsupported` at the first thing Cerberus alone can judge."""

    def __init__(self, validator_class: type[cerberus.Validator]):
        overridden = [name for name in _HANDLERS if getattr(validator_class, name) is not getattr(cerberus.Validator, name)]
        if overridden:
            raise _Unsupported(f"{validator_class.__name__} overrides {', '.join(overridden)}")
        if (validator_class.priority_validations, validator_class.mandatory_validations) != (
            cerberus.Validator.priority_validations, cerberus.Validator.mandatory_validations
        ):
            raise _Unsupported(f"{validator_class.__name__} changes the order of rules")
        self.validator_class = validator_class

    @cached_property
    def probe(self) -> cerberus.Validator:
        """An instance to call the class' named coercers and checks on; any error it reports raises `_Rejected`."""
        return type(f"_Probing{self.validator_class.__name__}", (self.validator_class,), {"_error": _reject})()

    def mapping(self, schema: Any, path: str) -> Normaliser:
        """A dict against fields: unknown keys refused, defaults appended in schema order, required ones present."""
        if not isinstance(schema, Mapping):
            raise _Unsupported(f"{path or 'the schema'}: a schema by registry name")
        fields = {name: self.field(rules, f"{path}.{name}" if path else str(name), in_mapping=True)
                  for name, rules in schema.items()}
        plans = {name: (f.unchanged, f.normalise) for name, f in fields.items()}
        defaults = tuple((name, f.missing) for name, f in fields.items() if f.missing is not None)
        required = frozenset(name for name, f in fields.items() if f.required and f.missing is None)

        def normalise_mapping(document: Any) -> Any:
            if type(document) is not dict:
                return _INVALID
            out = {}
            for key, value in document.items():
                plan = plans.get(key)
                if plan is None:
                    return _INVALID
                unchanged, normalise = plan
                if type(value) not in unchanged:
                    value = normalise(value)
                    if value is _INVALID:
                        return _INVALID
                out[key] = value
            for name, missing in defaults:
                if name not in out:
                    value = missing()
                    if value is _INVALID:
                        return _INVALID
                    out[name] = value
            return _INVALID if required and not out.keys() >= required else out

        return normalise_mapping

    def field(self, rules: Any, path: str, in_mapping: bool = False) -> _Field:
        """One value's rules (a field's, a list item's, a dict value's): default, coerce, container, then checks."""
        if not isinstance(rules, Mapping):
            raise _Unsupported(f"{path}: a rules set by registry name")
        unknown = sorted(map(str, set(rules) - _RULES))
        if unknown:
            raise _Unsupported(f"{path}: rule {', '.join(unknown)} is not compiled")
        nullable = bool(rules.get("nullable", False))
        coerce = self.coercer(rules["coerce"], path) if "coerce" in rules else None
        included, excluded = self.type_of(rules, path)
        accepted = frozenset(t for t in _PLAIN - {type(None)} if issubclass(t, included) and not issubclass(t, excluded))
        container = self.container(rules, path)
        empty = rules.get("empty")
        if empty is not None and not isinstance(empty, bool):
            raise _Unsupported(f"{path}: empty must be a boolean")
        checks = self.checks(rules, path)
        all_checks = tuple(check for _, check in checks)
        checks_on_empty = tuple(check for rule, check in checks if rule not in _DROPPED_BY_EMPTY)
        checks_on_none = tuple(check for rule, check in checks if rule == "check_with")

        def process(value: Any) -> Any:
            if coerce is not None:
                try:
                    value = coerce(value)
                except _Rejected:
                    return _INVALID
                except Exception:  # noqa: BLE001 (as Cerberus, validator.py:764)
                    if not (nullable and value is None):
                        return _INVALID
            if value is None:
                if not nullable:
                    return _INVALID
                for check in checks_on_none:
                    if not check(None):
                        return _INVALID
                return None
            kind = type(value)
            if kind not in accepted and (kind in _PLAIN or not isinstance(value, included) or isinstance(value, excluded)):
                return _INVALID
            if container is not None:
                value = container(value)
                if value is _INVALID:
                    return _INVALID
            checks = all_checks
            if empty is not None and (kind in _SIZED or kind not in _PLAIN and isinstance(value, Sized)) and len(value) == 0:
                if not empty:
                    return _INVALID
                checks = checks_on_empty
            for check in checks:
                if not check(value):
                    return _INVALID
            return value

        missing = _fresh(process(rules["default"])) if "default" in rules else None
        normalise = _none_defaulted(process, missing) if missing is not None and not nullable else process
        required = rules.get("required", False) is True
        if coerce is not None or container is not None or checks:
            unchanged: frozenset[type] = frozenset()
        else:
            unchanged = accepted - _SIZED if empty is False else accepted
        return _Field(normalise, unchanged, missing if in_mapping else None, required and in_mapping)

    def type_of(self, rules: Mapping[str, Any], path: str) -> tuple[type | tuple[type, ...], type | tuple[type, ...]]:
        """The classes a value must be an instance of, and those it must not be (`bool` for a number)."""
        if "type" not in rules:
            if rules.keys() & {"schema", "keysrules", "valuesrules"}:
                raise _Unsupported(f"{path}: a container rule without a type")
            return object, ()
        name = rules["type"]
        definition = self.validator_class.types_mapping.get(name) if isinstance(name, str) else None
        if definition is None:
            raise _Unsupported(f"{path}: type {name!r} is not compiled")
        return definition.included_types, definition.excluded_types

    def container(self, rules: Mapping[str, Any], path: str) -> Normaliser | None:
        """How a dict's or list's content is normalised and checked: `schema`, `keysrules`, `valuesrules`."""
        kind = rules.get("type")
        if "schema" in rules:
            if rules.keys() & {"keysrules", "valuesrules"}:
                raise _Unsupported(f"{path}: schema beside keysrules or valuesrules")
            if kind == "dict":
                return self.mapping(rules["schema"], path)
            if kind == "list":
                return _list_of(self.field(rules["schema"], f"{path}[]").normalise)
            raise _Unsupported(f"{path}: schema on type {kind!r}")
        if rules.keys() & {"keysrules", "valuesrules"}:
            if kind != "dict":
                raise _Unsupported(f"{path}: keysrules or valuesrules on type {kind!r}")
            keys = self.keys(rules["keysrules"], path) if "keysrules" in rules else None
            values = self.field(rules["valuesrules"], f"{path}.*").normalise if "valuesrules" in rules else None
            return _dict_of(keys, values)
        return None

    def keys(self, rules: Any, path: str) -> Normaliser:
        """Keys are only checked: a key rule that would rename them (default, coerce) is left to Cerberus."""
        if isinstance(rules, Mapping) and rules.keys() & {"default", "coerce"}:
            raise _Unsupported(f"{path}: keysrules that normalise keys")
        return self.field(rules, f"{path}.<key>").normalise

    def checks(self, rules: Mapping[str, Any], path: str) -> list[tuple[str, Check]]:
        """The rules that only judge the normalised value, each with its name (`empty` drops some)."""
        checks: list[tuple[str, Check]] = []
        if "min" in rules or "max" in rules:
            checks.append(("min/max", _within(rules.get("min", _UNBOUNDED), rules.get("max", _UNBOUNDED))))
        for rule, constraint in rules.items():
            if rule == "allowed":
                if isinstance(constraint, str) or not isinstance(constraint, Iterable):
                    raise _Unsupported(f"{path}: allowed must list the values")
                checks.append((rule, _among(tuple(constraint))))
            elif rule in ("minlength", "maxlength"):
                if type(constraint) is not int:
                    raise _Unsupported(f"{path}: {rule} must be an integer")
                checks.append((rule, _longer_than(constraint) if rule == "minlength" else _shorter_than(constraint)))
            elif rule == "regex":
                if not isinstance(constraint, str):
                    raise _Unsupported(f"{path}: regex must be a string")
                checks.append((rule, _matching(constraint)))
            elif rule == "check_with":
                checks.append((rule, self.check_with(constraint, path)))
        return checks

    def method(self, rule: str, prefix: str, name: Any, path: str) -> Callable[..., Any]:
        """A coercer or a check named in the schema, bound to the probe (as Cerberus' `__get_rule_handler`)."""
        found: Callable[..., Any] | None = getattr(self.probe, prefix + name.replace(" ", "_"), None) if isinstance(name, str) else None
        if not callable(found):
            raise _Unsupported(f"{path}: {rule} {name!r} is not compiled (only the name of a method)")
        return found

    def coercer(self, name: Any, path: str) -> Normaliser:
        return self.method("coerce", "_normalize_coerce_", name, path)

    def check_with(self, name: Any, path: str) -> Check:
        method = self.method("check_with", "_check_with_", name, path)
        field = path.rsplit(".", 1)[-1]

        def passes(value: Any) -> bool:
            try:
                method(field, value)
            except Exception:  # noqa: BLE001 (`_Rejected`, or a check Cerberus itself would crash on: let Cerberus say)
                return False
            return True

        return passes


def _fresh(value: Any) -> Callable[[], Any]:
    """A maker of the normalised default: each document gets its own copy of a mutable one."""
    if value is _INVALID or isinstance(value, _IMMUTABLE):
        return lambda: value
    if type(value) in (list, dict) and not value:
        return type(value)
    return lambda: copy.deepcopy(value)


def _is_iterable(value: Any) -> bool:
    kind = type(value)
    return kind in _ITERABLE or kind not in _PLAIN and isinstance(value, Iterable)


def _none_defaulted(process: Normaliser, default: Callable[[], Any]) -> Normaliser:
    """A non-nullable field given None gets its default, as a missing one does (validator.py:953)."""

    def normalise(value: Any) -> Any:
        return default() if value is None else process(value)

    return normalise


def _list_of(item: Normaliser) -> Normaliser:
    def normalise_list(value: Any) -> Any:
        if type(value) is not list:
            return _INVALID
        out = []
        for element in value:
            element = item(element)
            if element is _INVALID:
                return _INVALID
            out.append(element)
        return out

    return normalise_list


def _dict_of(keys: Normaliser | None, values: Normaliser | None) -> Normaliser:
    """`keysrules` check the keys, the dict unchanged; `valuesrules` normalise its values into a new dict."""

    def normalise_dict(value: Any) -> Any:
        if type(value) is not dict:
            return _INVALID
        if keys is not None:
            for key in value:
                if keys(key) is _INVALID:
                    return _INVALID
        if values is None:
            return value
        out = {}
        for key, element in value.items():
            element = values(element)
            if element is _INVALID:
                return _INVALID
            out[key] = element
        return out

    return normalise_dict


def _within(lower: Any, upper: Any) -> Check:
    """`min` and `max`; a comparison between incomparable types passes, as in Cerberus (validator.py:1343-1356)."""

    def within(value: Any) -> bool:
        try:
            if lower is not _UNBOUNDED and value < lower:
                return False
        except TypeError:
            pass
        try:
            return upper is _UNBOUNDED or not value > upper
        except TypeError:
            return True

    return within


def _among(allowed: tuple[Any, ...]) -> Check:
    def among(value: Any) -> bool:
        if not isinstance(value, str) and _is_iterable(value):  # each element (a dict: each key)
            return all(element in allowed for element in value)
        return value in allowed

    return among


def _longer_than(length: int) -> Check:
    def long_enough(value: Any) -> bool:
        return not (_is_iterable(value) and len(value) < length)

    return long_enough


def _shorter_than(length: int) -> Check:
    def short_enough(value: Any) -> bool:
        return not (_is_iterable(value) and len(value) > length)

    return short_enough


def _matching(pattern: str) -> Check:
    compiled = re.compile(pattern if pattern.endswith("$") else pattern + "$")

    def matching(value: Any) -> bool:
        return not isinstance(value, str) or compiled.match(value) is not None

    return matching
