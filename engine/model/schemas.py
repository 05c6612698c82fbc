"""The JSON Schemas that referential versions and rule files must match, each read and compiled once.

Editors use the same files (the `yaml-language-server` line at the top of
each document), so an author sees a problem as it is typed. A schema file
that cannot be read, or is not a valid schema, is the tree's fault, reported
with the file's name. jsonschema is imported only when a document is
checked: a published version's files are vouched for by its lock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import Problem, ReferentialError
from engine.model.canonical import digest, to_plain

if TYPE_CHECKING:
    import jsonschema

REFERENTIAL_SCHEMA = "referential.schema.json"
RULES_SCHEMA = "rules.schema.json"


class SchemaFile:
    """One JSON Schema (draft 2020-12) file and its compiled validator."""

    def __init__(self, path: Path):
        self.path = path

    @cached_property
    def document(self) -> dict[str, Any]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ReferentialError(f"cannot read the schema {self.path}", [Problem(exc.strerror or str(exc), (), str(self.path))]) from None
        except ValueError as exc:
            raise ReferentialError(f"{self.path} is not valid JSON", [Problem(str(exc), (), str(self.path))]) from None
        if not isinstance(document, dict):
            raise ReferentialError(f"{self.path} is not a JSON Schema", [Problem("not an object", (), str(self.path))])
        return document

    @cached_property
    def digest(self) -> str:
        return digest(self.document)

    @cached_property
    def _validator(self) -> jsonschema.Draft202012Validator:
        import jsonschema

        return jsonschema.Draft202012Validator(self.document, format_checker=jsonschema.FormatChecker())

    def problems(self, document: Any, file: str) -> list[Problem]:
        """All violations of `document`, each with its path, in path order."""
        try:
            errors = sorted(self._validator.iter_errors(to_plain(document)), key=lambda e: (list(map(str, e.absolute_path)), e.message))
        except Exception as exc:  # a schema that is not one fails while it is applied; say why it is not one
            raise self._not_a_schema(exc) from None
        return [Problem(_message(e), _path(e), file) for e in errors]

    def _not_a_schema(self, exc: Exception) -> ReferentialError:
        import jsonschema

        try:
            jsonschema.Draft202012Validator.check_schema(self.document)
        except jsonschema.SchemaError as invalid:
            return ReferentialError(f"{self.path} is not a valid JSON Schema", [Problem(invalid.message, tuple(invalid.absolute_path), str(self.path))])
        return ReferentialError(f"{self.path} cannot be applied as a JSON Schema", [Problem(f"{type(exc).__name__}: {exc}", (), str(self.path))])


def _path(error: jsonschema.ValidationError) -> tuple[str | int, ...]:
    """The path of the violation; for keys not allowed, of the first of them, so that its line can be found."""
    path = tuple(error.absolute_path)
    schema, instance = error.schema, error.instance
    if error.validator == "additionalProperties" and isinstance(schema, Mapping) and isinstance(instance, Mapping) and "patternProperties" not in schema:
        unexpected = [key for key in instance if key not in schema.get("properties", {})]
        return (*path, unexpected[0]) if unexpected else path
    return path


def _message(error: jsonschema.ValidationError) -> str:
    schema = error.schema  # holds the failed keyword, so a mapping: a boolean schema fails with no keyword
    if error.validator == "additionalProperties" and isinstance(schema, Mapping):
        allowed = sorted(schema.get("properties", {}))
        return f"{error.message}; allowed keys: {', '.join(allowed)}" if allowed else error.message
    if error.validator == "oneOf" and isinstance(error.instance, dict) and isinstance(schema, Mapping):
        return f"expected exactly one of the forms {', '.join(_one_of_keys(schema))}"
    return error.message


def _one_of_keys(schema: Mapping[str, Any]) -> list[str]:
    return ["{" + ", ".join(s.get("required", [])) + "}" for s in schema.get("oneOf", [])]
