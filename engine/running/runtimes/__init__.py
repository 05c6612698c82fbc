"""Forward-chaining runtimes: they decide when a rule is ready, never what it concludes.

A runtime receives the rule book, the names of the facts known at the start,
and a `fire` callback. It must call `fire(rule)` exactly once for every rule
whose premises (the facts it names) are all known, and treat the names that
`fire` returns as newly known facts. Values, conditions, conflicts and the
trail stay with the engine (`engine.running.inference`), so two runtimes can be run on
the same rules and their decisions compared. A runtime also names the evaluator of
its expressions: the Rust CEL runtime (`Scope`, the reference) or their translation to
Python (`Activation`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from engine.compilation.expressions import Scope
from engine.compilation.rules import Rule, RuleBook

Fire = Callable[[Rule], list[str]]


class Runtime(Protocol):
    name: str

    @property
    def evaluator(self) -> Callable[[Mapping[str, Any], Mapping[str, Any]], Scope]: ...  # (referential, facts) -> the evaluator

    def run(self, book: RuleBook, known: Iterable[str], fire: Fire) -> None: ...


def fire_to_fixed_point(rules: Iterable[Rule], facts: set[str], fire: Fire) -> None:
    """Pass over the rules, firing each whose facts are all known, until a pass fires none."""
    waiting = list(rules)
    progressed = True
    while waiting and progressed:
        progressed = False
        for rule in list(waiting):
            if facts.issuperset(rule.premises):
                waiting.remove(rule)
                facts.update(fire(rule))
                progressed = True


def get_runtime(name: str) -> Runtime:
    """The runtime called `name`: "durable-rules" (the default of `evaluate`), "python" or "compiled"."""
    if name == "durable-rules":
        from engine.running.runtimes.durable import shared_runtime

        return shared_runtime()
    if name == "python":
        from engine.running.runtimes.python import PythonRuntime

        return PythonRuntime()
    if name == "compiled":
        from engine.running.runtimes.compiled import CompiledRuntime

        return CompiledRuntime()
    raise ValueError(f"unknown runtime {name!r}: choose {', '.join(RUNTIMES)}")


RUNTIMES = ("durable-rules", "python", "compiled")
REFERENCE_RUNTIME = "durable-rules"  # the card's Rete runtime: what the others are checked against
