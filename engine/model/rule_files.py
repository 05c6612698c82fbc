"""Rule files as read: the document, checked against the rules JSON Schema, and its digest.

Compiling their expressions is the next stage (`engine.compilation.rules`);
reading them is enough to name what a version runs and to digest it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import Problem, ReferentialError
from engine.model.canonical import digest
from engine.model.documents import load_document
from engine.model.limits import DEFAULT_LIMITS, Limits
from engine.model.schemas import SchemaFile


@dataclass(frozen=True)
class RuleSource:
    """One rule file's checked document; two files that mean the same have the same digest."""

    path: Path
    scheme: str
    document: Mapping[str, Any] = field(repr=False)
    digest: str

    @property
    def file(self) -> str:
        return str(self.path)


def read_rule_file(path: Path, scheme: str, schema: SchemaFile, vouched: Collection[str] = (), limits: Limits = DEFAULT_LIMITS) -> RuleSource:
    """Read one rule file of `scheme`; any problem is a ReferentialError naming the file and the path.

    A file whose digest is `vouched` for (by a lock made when it was checked against this schema) is not checked again.
    """
    file = str(path)
    document = load_document(path, ReferentialError, limits)
    document_digest = digest(document)
    if document_digest not in vouched:
        problems = schema.problems(document, file)
        if problems:
            raise ReferentialError(f"{file} does not match {schema.path.name}", problems)
    if document["scheme"] != scheme:
        raise ReferentialError(
            f"{file} belongs to scheme {document['scheme']!r}, not {scheme!r}",
            [Problem(f"expected {scheme!r}", ("scheme",), file)],
        )
    return RuleSource(path, scheme, document, document_digest)
