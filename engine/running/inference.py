"""What happens when a rule fires: condition, conclusion, conflicts.

A runtime decides *when* a rule is ready; `Inference.fire` decides *what* it
concludes, and records a firing: the rule, the fact or finding, its value and
its justification sentence, rendered once. What the rule read is not copied
here: the decision cites it (`engine.running.evaluation`). A fact is concluded
once: a second conclusion of the same fact is a defect of the rules and fails
the evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.compilation.expressions import ExpressionError, Scope
from engine.compilation.procedure import CompiledProcedure
from engine.compilation.rules import Rule
from engine.decision.model import ABSENT
from engine.errors import EvaluationError, Problem


@dataclass(slots=True)
class Firing:
    rule: Rule
    kind: str  # "fact" or "finding"
    name: str  # fact name or finding code
    value: Any  # the fact's value, or the finding's message
    because: str
    order: int
    item: Any = ABSENT  # the element of `for_each` a finding is about


@dataclass
class Inference:
    """The state of one dossier's evaluation."""

    compiled: CompiledProcedure
    inputs: Mapping[str, Any]
    scope: Scope
    facts: dict[str, Any] = field(init=False)
    firings: list[Firing] = field(default_factory=list)
    concluded_by: dict[str, Firing] = field(default_factory=dict)
    declined: list[Rule] = field(default_factory=list)  # rules whose condition was false

    def __post_init__(self) -> None:
        self.facts = self.scope.facts  # the evaluator reads the facts as they grow

    def fire(self, rule: Rule) -> list[str]:
        try:
            return self._fire(rule)
        except ExpressionError as exc:
            raise EvaluationError(
                f"rule {rule.id} ({rule.clause}) failed; no decision is given",
                [Problem(str(exc), rule.path, rule.file)],
            ) from None

    def _fire(self, rule: Rule) -> list[str]:
        scope = self.scope
        if rule.condition is not None:
            holds = scope.evaluate(rule.condition)
            if holds is not True:
                if holds is not False:
                    raise ExpressionError(f"`when` must be true or false, got {holds!r}")
                self.declined.append(rule)
                return []
        conclusion = rule.conclusion
        if conclusion.kind == "finding":
            self._raise_findings(rule)
            return []
        name = conclusion.name
        value: Any
        if rule.for_each is not None:
            value = [self._each(rule, item) for item in self._items(rule)]
        else:
            value = conclusion.constant if conclusion.value is None else scope.evaluate(conclusion.value)
        if name in self.facts:
            source = self.concluded_by.get(name)
            by = f"rule {source.rule.id}" if source else "the dossier"
            raise ExpressionError(
                f"concludes {name} = {value!r}, but {name} is already {self.facts[name]!r} from {by}: "
                f"rules concluding one fact must exclude each other"
            )
        scope.bind("value", value)
        because = scope.render(rule.because)
        scope.unbind("value")
        firing = Firing(rule, "fact", name, value, because, len(self.firings))
        self.firings.append(firing)
        self.concluded_by[name] = firing
        self.facts[name] = value
        return [name]

    def _items(self, rule: Rule) -> list[Any]:
        assert rule.for_each is not None
        items = self.scope.evaluate(rule.for_each)
        if not isinstance(items, list):
            raise ExpressionError(f"`for_each` must give a list, got {items!r}")
        return items

    def _each(self, rule: Rule, item: Any) -> Any:
        """One element of a fact concluded `for_each`: its value with `item` bound.

        Evaluated element by element, a list is built in linear time; CEL's map() over a long list
        is quadratic in the Rust binding (it copies the list it accumulates).
        """
        assert rule.conclusion.value is not None
        self.scope.bind("item", item)
        try:
            return self.scope.evaluate(rule.conclusion.value)
        finally:
            self.scope.unbind("item")

    def _raise_findings(self, rule: Rule) -> None:
        conclusion = rule.conclusion
        assert conclusion.message is not None
        each = rule.for_each is not None
        for item in self._items(rule) if each else (ABSENT,):
            self.scope.bind("item", None if item is ABSENT else item)
            message = self.scope.render(conclusion.message)
            because = self.scope.render(rule.because)
            self.scope.unbind("item")
            self.firings.append(Firing(rule, "finding", conclusion.name, message, because, len(self.firings), item))

    def missing_inputs(self) -> list[tuple[str, Rule]]:
        """Inputs left empty (null) that some rule reads: what to ask for when no outcome was reached."""
        reads: list[tuple[str, Rule]] = []
        for rule in self.compiled.rulebook.rules:
            for name in rule.premises:
                if name in self.inputs and self.inputs[name] is None:
                    reads.append((name, rule))
        return reads
