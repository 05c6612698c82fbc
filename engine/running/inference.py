"""What happens when a rule fires: condition, conclusion, conflicts, trail.

A runtime decides *when* a rule is ready; `Inference.fire` decides *what* it
concludes, and records a derivation holding the rule, its clause, every
premise it read (facts with their source, referential values with their
version and clause) and its justification sentence. A fact is concluded once:
a second conclusion of the same fact is a defect of the rules and fails the
evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from engine.compilation.assembly import Assembly
from engine.model.dossier import DOSSIER_FACTS
from engine.errors import EvaluationError, Problem
from engine.compilation.expressions import ExpressionError, Scope
from engine.compilation.rules import Rule


@dataclass
class Derivation:
    rule: Rule
    kind: str  # "fact" or "finding"
    name: str  # fact name or finding code
    value: Any
    premises: list[dict[str, Any]]
    because: str
    order: int
    finding: dict[str, Any] | None = None


@dataclass
class Inference:
    """The state of one dossier's evaluation."""

    assembly: Assembly
    inputs: Mapping[str, Any]
    origins: Mapping[str, str] = field(default_factory=dict)  # input fact -> where it comes from, when not $.facts
    facts: dict[str, Any] = field(init=False)
    derivations: list[Derivation] = field(default_factory=list)
    concluded_by: dict[str, Derivation] = field(default_factory=dict)
    declined: list[Rule] = field(default_factory=list)  # rules whose condition was false

    def __post_init__(self) -> None:
        self.facts = dict(self.inputs)
        self.scope = Scope(self.assembly.scope, self.facts)

    def fire(self, rule: Rule) -> list[str]:
        try:
            return self._fire(rule)
        except ExpressionError as exc:
            raise EvaluationError(
                f"rule {rule.id} ({rule.clause}) failed; no decision is given",
                [Problem(str(exc), ("rules", rule.index), rule.file)],
            ) from None

    def _fire(self, rule: Rule) -> list[str]:
        if rule.condition is not None:
            holds = rule.condition.evaluate(self.scope)
            if not isinstance(holds, bool):
                raise ExpressionError(f"`when` must be true or false, got {holds!r}")
            if not holds:
                self.declined.append(rule)
                return []
        premises = self._premises(rule)
        if rule.conclusion.kind == "finding":
            self._raise_findings(rule, premises)
            return []
        name = rule.conclusion.name
        if rule.for_each is not None:
            value = [self._each(rule, item) for item in self._items(rule)]
        else:
            value = rule.conclusion.constant if rule.conclusion.value is None else rule.conclusion.value.evaluate(self.scope)
        if name in self.facts:
            source = self.concluded_by.get(name)
            by = f"rule {source.rule.id}" if source else "the dossier"
            raise ExpressionError(
                f"concludes {name} = {value!r}, but {name} is already {self.facts[name]!r} from {by}: "
                f"rules concluding one fact must exclude each other"
            )
        self.scope.bind("value", value)
        because = rule.because.render(self.scope)
        self.scope.unbind("value")
        derivation = Derivation(rule, "fact", name, value, premises, because, len(self.derivations))
        self.derivations.append(derivation)
        self.concluded_by[name] = derivation
        self.facts[name] = value
        self.scope.add_fact(name, value)
        return [name]

    def _items(self, rule: Rule) -> list[Any]:
        assert rule.for_each is not None
        items = rule.for_each.evaluate(self.scope)
        if not isinstance(items, list):
            raise ExpressionError(f"`for_each` must give a list, got {items!r}")
        return items

    def _each(self, rule: Rule, item: Any) -> Any:
        """One element of a fact concluded `for_each`: its value with `item` bound.

        Evaluated element by element, a list is built in linear time; CEL's map() over a long list
        is quadratic in the binding the engine uses (it copies the list it accumulates).
        """
        assert rule.conclusion.value is not None
        self.scope.bind("item", item)
        try:
            return rule.conclusion.value.evaluate(self.scope)
        finally:
            self.scope.unbind("item")

    def _raise_findings(self, rule: Rule, premises: list[dict[str, Any]]) -> None:
        conclusion = rule.conclusion
        items = [None] if rule.for_each is None else self._items(rule)
        for item in items:
            self.scope.bind("item", item)
            message = conclusion.message.render(self.scope)
            because = rule.because.render(self.scope)
            self.scope.unbind("item")
            finding = {
                "code": conclusion.name,
                "severity": conclusion.severity,
                "message": message,
                "clause": rule.clause,
                "rule": rule.id,
            }
            if rule.for_each is not None:
                finding["item"] = item
            self.derivations.append(
                Derivation(rule, "finding", conclusion.name, message, premises, because, len(self.derivations), finding)
            )

    def _premises(self, rule: Rule) -> list[dict[str, Any]]:
        premises = []
        for name in rule.premises:
            source = self.concluded_by.get(name)
            premise = {"kind": "fact", "name": name, "value": self.facts[name]}
            if source is None:
                premise.update(source="dossier", path=self.origins.get(name) or DOSSIER_FACTS.get(name, f"$.facts.{name}"))
            else:
                premise.update(source="rule", rule=source.rule.id)
            premises.append(premise)
        for key in sorted(rule.references):
            if key[0] != "facts" and key in self.assembly.provenance:
                premises.append(dict(self.assembly.provenance[key]))
        return premises

    def missing_inputs(self) -> list[tuple[str, Rule]]:
        """Inputs left empty (null) that some rule reads: what to ask for when no outcome was reached."""
        reads: list[tuple[str, Rule]] = []
        for rule in self.assembly.rulebook.rules:
            for name in rule.premises:
                if name in self.inputs and self.inputs[name] is None:
                    reads.append((name, rule))
        return reads
