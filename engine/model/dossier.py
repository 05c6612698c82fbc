"""Dossiers: the envelope (scheme, procedure, cycle, dates) and the facts.

A dossier is checked twice with Cerberus: its envelope against a fixed
schema, then its facts against the input schema of the procedure in the
selected version. Every error names its path; all of them are reported at
once. Nothing unvalidated reaches the rules: durable-rules has no type checks,
and a string where a number belongs would fire the wrong rules.

An `expect:` block (what an author expects the decision to be) is carried, not
judged: it is no fact, no rule reads it, and `engine.authoring.expectations`
reads it for `referee test`. The dossier's digest covers the document as
received, the block included: a decision cites the very file it was given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cerberus

from engine.compilation.validators import CompiledSchema
from engine.errors import DossierError, Problem, ReferentialError
from engine.model.canonical import SCALAR_TYPES, digest, to_plain
from engine.model.dates import parse_date
from engine.model.documents import load_document
from engine.model.referential import Criterion, Procedure


class _Wording(cerberus.errors.BasicErrorHandler):
    """Cerberus' messages, a value outside the allowed ones followed by the allowed ones.

    Given to each validator that reports (`_reporting`): overriding the validator's __init__ instead
    would keep CompiledSchema from compiling its schemas.
    """

    def _format_message(self, field: Any, error: cerberus.errors.ValidationError) -> str:
        message = super()._format_message(field, error)
        if error.code in (cerberus.errors.UNALLOWED_VALUE.code, cerberus.errors.UNALLOWED_VALUES.code):
            return f"{message}; allowed: {', '.join(map(str, error.constraint))}"
        return message


class _Validator(cerberus.Validator):
    """Cerberus with a `date` coercion, so JSON dossiers may write dates as ISO strings, and integers that are not booleans.

    Cerberus counts `true` as an integer (a Python bool is an int): `headcount: true` would reach the rules as 1.
    """

    types_mapping = {**cerberus.Validator.types_mapping, "integer": cerberus.TypeDefinition("integer", (int,), (bool,))}

    def _error(self, *args: Any) -> None:
        """Cerberus' own, without what makes it quadratic in the errors (2,000 wrong items of a list took 20 s):
        sorting the error list again on every error added, and filing every error in the schema error tree, where
        the items of a list share one node, sorted again on every error too. Neither is read: `_problems` puts the
        messages in order, and Cerberus reads only the document error tree."""
        if len(args) != 1:  # one error described: Cerberus builds it, then adds it through the branch below
            super()._error(*args)
            return
        self._errors.extend(args[0])
        for error in args[0]:
            self.document_error_tree.add(error)
            self.error_handler.emit(error)

    def _normalize_coerce_date(self, value: Any) -> dt.date:
        return parse_date(value)

    def _check_with_companion(self, field: str, value: Any) -> None:
        """A companion is named by its scheme id, or by {scheme, version} to name a version."""
        def text(x: Any) -> bool:
            return isinstance(x, str) and x.strip() != ""

        named = text(value) or (
            isinstance(value, Mapping) and text(value.get("scheme")) and set(value) <= {"scheme", "version"}
            and ("version" not in value or text(value["version"]))
        )
        if not named:
            self._error(field, f"must be a scheme id, or {{scheme: ID, version: ID}}; got {value!r}")


def _reporting(schema: Mapping[str, Any]) -> cerberus.Validator:
    """A validator whose errors are worded for the user (a child validator reports to it with Cerberus' own handler)."""
    return _Validator(schema, error_handler=_Wording)


ENVELOPE = {
    "scheme": {"type": "string", "required": True, "empty": False},
    "procedure": {"type": "string", "required": True, "empty": False},
    "dossier_id": {"type": "string", "required": True, "empty": False},
    "title": {"type": "string"},
    "version": {"type": "string", "empty": False},
    "cycle": {
        "type": "dict",
        "required": True,
        "schema": {
            "anchor": {"type": "date", "required": True, "coerce": "date"},
            "id": {"type": "string"},
            "note": {"type": "string"},
        },
    },
    "event_date": {"type": "date", "required": True, "coerce": "date"},
    "companions": {  # role -> the companion referential's scheme, or {scheme, version} to name a version
        "type": "dict",
        "keysrules": {"type": "string", "regex": "^[a-z][a-z0-9_]*$"},
        "valuesrules": {"check_with": "companion"},
    },
    "ledger": {"type": "string", "empty": False},  # a FEC, relative to the dossier, for a procedure that reads one
    "facts": {"type": "dict", "required": True},
    "expect": {"type": "dict"},  # read by engine.authoring.expectations, never by the rules
}


_ENVELOPE = CompiledSchema.compile(ENVELOPE, _Validator)


@dataclass(frozen=True)
class Dossier:
    scheme: str
    procedure: str
    dossier_id: str
    anchor: dt.date
    event_date: dt.date
    facts: Mapping[str, Any]
    version: str | None
    digest: str
    source: str
    cycle: Mapping[str, Any]
    companions: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)  # role -> (scheme, version)
    ledger: str | None = None
    expect: Mapping[str, Any] | None = None  # the author's expectations, as written: see engine.authoring.expectations


def _messages(errors: Mapping[Any, Any], path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    for key, entries in errors.items():
        for entry in entries:
            if isinstance(entry, Mapping):
                yield from _messages(entry, (*path, key))
            else:
                yield (*path, key), entry


def _problems(validator: cerberus.Validator, prefix: tuple, file: str) -> list[Problem]:
    return [Problem(message, (*prefix, *path), file) for path, message in sorted(_messages(validator.errors), key=str)]


def _text_keys(document: Mapping[Any, Any], source: str) -> None:
    """Every key is a text, as in JSON. YAML also writes numbers, dates and null as keys, which no input declares,
    and on which Cerberus fails: it sorts its errors by path, and a number does not compare with a text."""
    if _keys_are_text(document):
        return
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        current, path = stack.pop()
        if isinstance(current, Mapping):
            for key, value in current.items():
                if not isinstance(key, str):
                    raise DossierError(f"{source} has a key that is not a text: {key!r}", [Problem(f"quote the key {key!r}: every key is a text", path, source)])
                stack.append((value, (*path, key)))
        elif isinstance(current, list):
            stack.extend((value, (*path, index)) for index, value in enumerate(current))


def _keys_are_text(document: Any) -> bool:
    """The same walk without the paths, which only an error needs: what nearly every dossier is, told faster."""
    stack = [document]
    while stack:
        current = stack.pop()
        if type(current) in SCALAR_TYPES:
            continue
        if isinstance(current, Mapping):
            for key in current:
                if type(key) is not str:
                    return False
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return True


def read_dossier(document: Any, source: str) -> Dossier:
    if not isinstance(document, Mapping):
        raise DossierError(f"{source} must be a mapping with scheme, procedure, dossier_id, cycle, event_date and facts")
    _text_keys(document, source)
    envelope = _ENVELOPE.normalise(dict(document))
    if envelope is None:  # Cerberus says what is wrong (or, rarely, accepts what the compiled check could not)
        validator = _reporting(ENVELOPE)
        if not validator.validate(dict(document)):
            raise DossierError(f"{source} is not a valid dossier", _problems(validator, (), source))
        envelope = validator.document
    return Dossier(
        scheme=envelope["scheme"],
        procedure=envelope["procedure"],
        dossier_id=envelope["dossier_id"],
        anchor=envelope["cycle"]["anchor"],
        event_date=envelope["event_date"],
        facts=envelope["facts"],
        version=envelope.get("version"),
        digest=digest(document),
        source=source,
        cycle=envelope["cycle"],
        companions={
            role: (ref, None) if isinstance(ref, str) else (ref["scheme"], ref.get("version"))
            for role, ref in (envelope.get("companions") or {}).items()
        },
        ledger=envelope.get("ledger"),
        expect=envelope.get("expect"),
    )


def load_dossier(path: Path) -> Dossier:
    return read_dossier(load_document(path, DossierError), str(path))


def _typed_schema(schema: Any, path: tuple[str | int, ...] = ()) -> Any:
    """The input schema with `type: date` coerced, and the bounds of dates and numbers of the type they bound.

    A stored version holds dates as ISO texts: a date's `min` left a text would compare with no date, and
    Cerberus lets an incomparable comparison pass, so the bound would silently bound nothing.
    """
    if isinstance(schema, list):
        return [_typed_schema(v, (*path, i)) for i, v in enumerate(schema)]
    if not isinstance(schema, Mapping):
        return schema
    out = {k: _typed_schema(v, (*path, k)) for k, v in schema.items()}
    kind = out.get("type")
    for bound in ("min", "max"):
        if bound not in out or kind not in ("date", "integer", "number"):
            continue
        value = out[bound]
        if kind == "date" and not isinstance(value, dt.date):
            try:
                out[bound] = parse_date(value)
            except ValueError:
                raise ReferentialError("the input schema bounds a date with what is not one", [Problem(f"{value!r} is not a date (YYYY-MM-DD)", (*path, bound))]) from None
        elif kind != "date" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ReferentialError("the input schema bounds a number with what is not one", [Problem(f"{value!r} is not a number", (*path, bound))])
    if kind == "date" and "coerce" not in out:
        out["coerce"] = "date"
    return out


def criteria_schema(criteria: Mapping[str, Criterion]) -> dict[str, Any]:
    """One assessment per criterion: points within the grid, validated (mandatory ones), justification."""
    return {
        "type": "dict",
        "nullable": True,  # a procedure may decide without it (e.g. an incomplete audit); rules say when it is needed
        "schema": {
            c.id: {
                "type": "dict",
                "required": True,
                "schema": {
                    "points": {"type": "number", "required": True, "min": 0, "max": c.max_points},
                    "validated": {"type": "boolean", "required": c.mandatory},
                    "justification": {"type": "string", "required": True, "empty": False},
                    "recommendation": {"type": "string"},
                },
            }
            for c in criteria.values()
        },
    }


# Facts every procedure gets from the envelope, with where they come from.
DOSSIER_FACTS = {"event_date": "$.event_date", "cycle_anchor": "$.cycle.anchor"}
LEDGER_PATH = "$.ledger"
"""Where the trail says a ledger fact comes from: the envelope's `ledger` file, not `facts`."""


def facts_schema(procedure: Procedure, criteria: Mapping[str, Criterion]) -> dict[str, Any]:
    schema = dict(_typed_schema(procedure.input, ("input",)))
    clash = [name for name in DOSSIER_FACTS if name in schema]
    if clash:
        raise ReferentialError(
            f"procedure {procedure.name!r} declares inputs reserved for the envelope",
            [Problem(f"{name} comes from the dossier's envelope", ("input", name)) for name in clash],
        )
    if procedure.criteria_input:
        schema[procedure.criteria_input] = criteria_schema(criteria)
    return schema


def make_validator(schema: Mapping[str, Any], where: str) -> cerberus.Validator:
    try:
        return _reporting(dict(schema))
    except cerberus.SchemaError as exc:
        raise ReferentialError(f"{where}: the input schema is not a valid Cerberus schema", [Problem(str(exc))]) from None


class FactsValidator:
    """A procedure's input, compiled once: checks a dossier's facts and fills what is not given.

    Building it checks the schema, which costs; the library keeps one per procedure and criteria.
    """

    def __init__(self, procedure: Procedure, criteria: Mapping[str, Criterion], where: str):
        self.procedure = procedure
        self.where = where
        schema = facts_schema(procedure, criteria)
        self._cerberus = make_validator(schema, where)
        self._compiled = CompiledSchema.compile(schema, _Validator)
        self._declared = tuple(self._cerberus.schema)

    def validate(self, dossier: Dossier) -> dict[str, Any]:
        """The facts, normalised; every declared input is present (None when not given).

        The compiled check answers for the facts Cerberus accepts, in microseconds; Cerberus is run
        for the others, to say what is wrong (or, rarely, to accept what the compiled check could not).
        """
        document = self._compiled.normalise(dict(dossier.facts))
        if document is None:
            validator = self._cerberus
            if not validator.validate(dict(dossier.facts)):
                raise DossierError(
                    f"{dossier.source}: the facts do not satisfy the input of procedure {self.procedure.name!r} ({self.where})",
                    _problems(validator, ("facts",), dossier.source),
                )
            document = validator.document
        facts: dict[str, Any] = dict.fromkeys(self._declared)
        facts.update(document)
        facts.update(event_date=dossier.event_date, cycle_anchor=dossier.anchor)
        return to_plain(facts)
