"""A plain-Python forward chainer: the reference the Rete adapter is checked against.

It evaluates expressions with the Rust CEL runtime, so that the translated expressions the two other
runtimes use are checked against the reference on every example.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.compilation.expressions import Scope
from engine.compilation.rules import RuleBook
from engine.running.runtimes import Fire, fire_to_fixed_point


class PythonRuntime:
    """Repeated passes over the book until nothing fires; expressions by the Rust CEL runtime, the reference."""

    name = "python"
    evaluator = Scope

    def run(self, book: RuleBook, known: Iterable[str], fire: Fire) -> None:
        fire_to_fixed_point(book.rules, set(known), fire)
