"""Declarative rules, compiled into a representation no runtime owns.

A rule file (`rules/<scheme>/*.yaml`) lists rules: an id, the clause it
encodes, an optional CEL condition, one conclusion (a fact with its value, an
outcome, or a finding) and a justification sentence; its sugar (`defaults:`,
`let:`, `cases:`) is first rewritten into such core rules (`engine.compilation.sugar`),
each remembering where it is written. A rule is ready to fire
when every fact it names is known; this is what a runtime matches on (see
`engine.running.runtimes`). Compiling checks syntax and names; the semantic checks that
need the referential (does `params.x` exist?) live in `engine.authoring.checks`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from engine.compilation.expressions import Expression, ExpressionError, Template
from engine.compilation.sugar import SugarError, core_rules
from engine.errors import PathLike, Problem, ReferentialError, format_path
from engine.model.canonical import digest
from engine.model.limits import DEFAULT_LIMITS, Limits
from engine.model.rule_files import RuleSource

OUTCOME = "outcome"


@dataclass(frozen=True)
class Conclusion:
    kind: str  # "fact" (outcomes are the fact named "outcome") or "finding"
    name: str  # the fact's name, or the finding's code
    value: Expression | None = None
    constant: str | None = None
    severity: str = ""
    message: Template | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    clause: str
    file: str
    index: int
    condition: Expression | None
    for_each: Expression | None
    conclusion: Conclusion
    because: Template
    readings: tuple[str, ...] = ()  # the ids of the recorded readings (the version's `decisions`) it applies
    place: PathLike = ()  # where in its written rule, when sugar derived it: ("cases", 2), ("let", "NAME")

    @property
    def path(self) -> PathLike:
        """Where the rule is written in its file: the rule, or the case or let it derives from."""
        return ("rules", self.index, *self.place)

    @property
    def let(self) -> bool:
        """Derived from a `let:` entry: the fact it concludes is its rule's intermediate, no other rule's."""
        return self.place[:1] == ("let",)

    @cached_property
    def expressions(self) -> tuple[Expression | Template, ...]:
        parts = (self.condition, self.for_each, self.conclusion.value, self.conclusion.message, self.because)
        return tuple(p for p in parts if p is not None)

    @cached_property
    def references(self) -> frozenset[tuple[str, str]]:
        refs: set[tuple[str, str]] = set()
        for part in self.expressions:
            refs |= part.references
        return frozenset(refs)

    @cached_property
    def premises(self) -> tuple[str, ...]:
        """The facts this rule reads: it fires once all of them are known."""
        return tuple(sorted(name for ns, name in self.references if ns == "facts"))

    @cached_property
    def concludes(self) -> str | None:
        return self.conclusion.name if self.conclusion.kind == "fact" else None

    @property
    def where(self) -> str:
        return f"{self.file} {format_path(self.path)} ({self.id})"


@dataclass(frozen=True)
class RuleBook:
    """The rules one procedure runs, and the digest that names their compiled form."""

    rules: tuple[Rule, ...]
    digest: str
    index: Mapping[str, int]  # rule id -> its place in the book

    @cached_property
    def order(self) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
        """(rules in an order where every rule concluding a fact precedes its readers; rules in a cycle).

        Kahn's algorithm, taking the earliest rule of the book among those ready, so that the order is
        the book's own wherever the dependencies allow it.
        """
        producers: dict[str, list[int]] = {}
        for i, rule in enumerate(self.rules):
            if rule.concludes:
                producers.setdefault(rule.concludes, []).append(i)
        waits_on = [{p for name in rule.premises for p in producers.get(name, ()) if p != i} for i, rule in enumerate(self.rules)]
        readers: dict[int, list[int]] = {}
        for i, producers_of_i in enumerate(waits_on):
            for p in producers_of_i:
                readers.setdefault(p, []).append(i)
        pending = [len(w) for w in waits_on]
        ready = [i for i, n in enumerate(pending) if n == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            i = heapq.heappop(ready)
            order.append(self.rules[i])
            for reader in readers.get(i, ()):
                pending[reader] -= 1
                if pending[reader] == 0:
                    heapq.heappush(ready, reader)
        placed = {id(rule) for rule in order}
        return tuple(order), tuple(rule for rule in self.rules if id(rule) not in placed)


def compile_rules(source: RuleSource, limits: Limits = DEFAULT_LIMITS) -> tuple[Rule, ...]:
    """Compile the rules of one file, its sugar rewritten: every expression and template, all problems at once."""
    try:
        cores = core_rules(source.document)
    except SugarError as exc:
        raise ReferentialError(f"{source.file} has rules that do not compile", [Problem(exc.message, exc.path, source.file)]) from None
    rules, problems = [], []
    for core in cores:
        try:
            rules.append(_compile_rule(core.body, source.file, core.index, limits, core.place))
        except _RuleProblem as exc:
            problems.append(Problem(exc.message, ("rules", core.index, *core.place, *exc.path), source.file))
    if problems:
        raise ReferentialError(f"{source.file} has rules that do not compile", problems)
    return tuple(rules)


class _RuleProblem(Exception):
    def __init__(self, path: tuple, message: str):
        self.path, self.message = path, message


def _expression(limits: Limits, body: Mapping[str, Any], *path: str) -> Expression:
    source: Any = body
    for key in path:
        source = source[key]
    try:
        return Expression.compile(source, limits)
    except ExpressionError as exc:
        raise _RuleProblem(path, str(exc)) from None


def _template(limits: Limits, source: str, *path: str) -> Template:
    try:
        return Template.compile(source, limits)
    except ExpressionError as exc:
        raise _RuleProblem(path, f"in a {{placeholder}}: {exc}") from None


def _compile_rule(body: Mapping[str, Any], file: str, index: int, limits: Limits, place: PathLike = ()) -> Rule:
    then = body["then"]
    if "fact" in then:
        conclusion = Conclusion("fact", then["fact"], value=_expression(limits, body, "then", "value"))
    elif OUTCOME in then:
        conclusion = Conclusion("fact", OUTCOME, constant=then[OUTCOME])
    else:
        finding = then["finding"]
        conclusion = Conclusion(
            "finding",
            finding["code"],
            severity=finding["severity"],
            message=_template(limits, finding["message"], "then", "finding", "message"),
        )
    if "for_each" in body and conclusion.constant is not None:
        raise _RuleProblem(("for_each",), "for_each makes a list of values or of findings: an outcome has one value")
    if conclusion.name in {"value", "item"}:
        raise _RuleProblem(("then", "fact"), f"{conclusion.name!r} is reserved in expressions")
    return Rule(
        id=body["id"],
        title=body["title"],
        clause=body["clause"],
        file=file,
        index=index,
        condition=_expression(limits, body, "when") if "when" in body else None,
        for_each=_expression(limits, body, "for_each") if "for_each" in body else None,
        conclusion=conclusion,
        because=_template(limits, body["because"], "because"),
        readings=tuple(body.get("readings") or ()),
        place=place,
    )


def build_rulebook(files: Iterable[tuple[RuleSource, tuple[Rule, ...]]]) -> RuleBook:
    """The rules of several compiled files, in order, with duplicate ids refused, and a `let` fact no other rule's."""
    rules: list[Rule] = []
    digests: list[str] = []
    seen: dict[str, Rule] = {}
    problems: list[Problem] = []
    for source, file_rules in files:
        digests.append(source.digest)
        for rule in file_rules:
            if rule.id in seen:
                problems.append(Problem(f"rule id {rule.id!r} is already used at {seen[rule.id].where}", (*rule.path, "id"), rule.file))
            seen[rule.id] = rule
            rules.append(rule)
    if problems:
        raise ReferentialError("rule ids must be unique within a procedure", problems)
    lets = {rule.concludes: rule for rule in rules if rule.let}
    for rule in rules:
        let = lets.get(rule.concludes or "")
        if let is not None and let is not rule:
            problems.append(Problem(f"let {let.concludes!r} is a fact rule {rule.id} also concludes: give the intermediate a name of its own", let.path, let.file))
    if problems:
        raise ReferentialError("a let names a fact of its own", problems)
    # in file order: two books with one digest hold the same rules in the same order
    return RuleBook(rules=tuple(rules), digest=digest(digests), index={rule.id: i for i, rule in enumerate(rules)})
