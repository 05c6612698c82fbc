"""Errors that reach the user: each names the file, the path and the problem.

One base class; every subclass carries structured problems and the exit code
the CLI uses (1: invalid dossier or referential, 2: usage). Nothing else may
escape to the user: the CLI turns any other exception into an internal error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PathLike = tuple[str | int, ...]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_path(path: Iterable[str | int]) -> str:
    """Render a path tuple as `$.facts.criteria["A.1"].points`."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}"
        else:
            out += f'["{part}"]'
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong, at one place."""

    message: str
    path: PathLike = ()
    file: str | None = None
    line: int | None = None

    def render(self) -> str:
        where = []
        if self.file:
            where.append(self.file if self.line is None else f"{self.file}:{self.line}")
        if self.path:
            where.append(format_path(self.path))
        prefix = " ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message

    def to_json(self) -> dict[str, Any]:
        """The form programs read, in errors and in validate's reports alike."""
        return {"file": self.file, "line": self.line, "path": format_path(self.path) if self.path else None, "message": self.message}


class RefereeError(Exception):
    """Base of every error the user may see."""

    exit_code = 1
    headline = "error"

    def __init__(self, message: str, problems: Iterable[Problem] = ()):
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)

    def __reduce__(self) -> tuple[Any, ...]:
        """Whole across processes (a pickled exception keeps only its first argument otherwise)."""
        return (type(self), (self.message, self.problems))

    def render(self) -> str:
        lines = [f"{self.headline}: {self.message}"]
        lines += [f"  - {p.render()}" for p in self.problems]
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "error": self.headline,
            "message": self.message,
            "problems": [p.to_json() for p in self.problems],
        }


class ReferentialError(RefereeError):
    """A referential version or a rule file is invalid."""

    headline = "invalid referential"


class DossierError(RefereeError):
    """A dossier is unreadable or does not satisfy its input schema."""

    headline = "invalid dossier"


class DecisionFileError(RefereeError):
    """A decision file given to `explain` is unreadable or not a decision."""

    headline = "invalid decision file"


class EvaluationError(RefereeError):
    """A rule failed while evaluating: no decision is produced."""

    headline = "evaluation failed"


class UsageError(RefereeError):
    """The command was called wrongly (unknown option value, unknown scheme on the command line).

    A dossier or decision file that cannot be read is invalid input (exit 1), not a usage error.
    """

    exit_code = 2
    headline = "usage error"
