"""Defects of a rule book that no dossier needs to reveal: `validate` proves their absence or reports them.

- two rules that may conclude the same fact (the engine fails such a dossier at run time: the second
  conclusion contradicts the first);
- rules that wait on one another's facts in a cycle (none of them can ever fire);
- a division whose divisor may be zero (CEL fails an integer division by zero; a float one gives an
  infinity no decision may hold).

What the prover can and cannot see is said in `engine.authoring.conditions`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from engine.authoring.conditions import Prover, nonzero_constant
from engine.compilation.cel import Node
from engine.compilation.cel.nodes import Binary, Call, Comprehension, Conditional, CreateMap, Ident, Literal, Select, Unary
from engine.compilation.expressions import Expression, Template
from engine.compilation.rules import Rule, RuleBook
from engine.errors import Problem

ZERO = ("num", 0.0)


def prover_for(rules: Sequence[Rule]) -> Prover:
    """A prover reading each fact one unconditional rule defines through its definition."""
    by_fact: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.concludes:
            by_fact.setdefault(rule.concludes, []).append(rule)
    definitions = {
        name: only.conclusion.value.tree
        for name, (only, *others) in by_fact.items()
        if not others and only.condition is None and only.for_each is None and only.conclusion.value is not None
    }
    return Prover(definitions)


def conflicting_conclusions(rules: Sequence[Rule], prover: Prover) -> Iterator[Problem]:
    """Each pair of rules concluding one fact whose conditions are not provably exclusive."""
    by_fact: dict[str, list[Rule]] = {}
    for rule in rules:
        if rule.concludes:
            by_fact.setdefault(rule.concludes, []).append(rule)
    for name, concluding in by_fact.items():
        for i, first in enumerate(concluding):
            for second in concluding[i + 1:]:
                if not prover.exclusive(_condition(first), _condition(second)):
                    yield Problem(
                        f"rules {first.id} and {second.id} may both conclude {name}: their conditions are not exclusive "
                        f"({_shown(first)} / {_shown(second)}); make one exclude the other in its condition",
                        (*second.path, "when"), second.file,
                    )


def cycles(book: RuleBook) -> Iterator[Problem]:
    """The rules that wait, through one another's facts, on themselves: none of them can fire."""
    _, stuck = book.order
    concluded = {rule.concludes for rule in book.rules if rule.concludes}
    waiting = [rule for rule in stuck if any(p in concluded for p in rule.premises)]
    if waiting:
        names = ", ".join(f"{r.id} (reads {', '.join(p for p in r.premises if p in concluded)})" for r in waiting)
        first = waiting[0]
        yield Problem(f"rules wait on one another's facts in a cycle, so none of them can fire: {names}", first.path, first.file)


def unguarded_divisions(rule: Rule, parameters: Mapping[str, Sequence[Any]], inputs: Mapping[str, Any], prover: Prover) -> Iterator[Problem]:
    """Each division of the rule whose divisor is not provably non-zero.

    A divisor is non-zero when it is a non-zero constant or parameter, an input (or a field of a listed
    input's items) whose schema sets a `min` above zero, or when a condition guards the division: the
    rule's `when`, the test of a `?:`, the left side of `&&` (or, negated, of `||`). A parameter is
    non-zero when it is in every section that defines it (a framework's several methods).
    """
    guards = [(rule.condition.tree, True)] if rule.condition is not None else []
    items = {"item": rule.for_each.tree} if rule.for_each is not None else {}
    for where, expression in _expressions(rule):
        for divisor in _divisions(expression.tree, guards, items):
            node, held, bound = divisor
            if not _nonzero(node, held, bound, parameters, inputs, prover):
                yield Problem(
                    f"rule {rule.id} divides by {_source(node)}, which may be zero: guard the division "
                    f"(e.g. `{_source(node)} > 0 ? ... : ...`) or bound the input with a min above zero",
                    (*rule.path, *where), rule.file,
                )


Guard = tuple[Node, bool]


def _divisions(node: Node, guards: list[Guard], bound: dict[str, Node]) -> Iterator[tuple[Node, list[Guard], dict[str, Node]]]:
    """Every divisor in the tree, with the conditions that hold where it is evaluated and the macro variables in scope."""
    if isinstance(node, Binary):
        if node.operator in ("/", "%"):
            yield node.right, guards, bound
        if node.operator in ("&&", "||"):
            yield from _divisions(node.left, guards, bound)
            yield from _divisions(node.right, [*guards, (node.left, node.operator == "&&")], bound)
            return
        yield from _divisions(node.left, guards, bound)
        yield from _divisions(node.right, guards, bound)
    elif isinstance(node, Conditional):
        yield from _divisions(node.condition, guards, bound)
        yield from _divisions(node.if_true, [*guards, (node.condition, True)], bound)
        yield from _divisions(node.if_false, [*guards, (node.condition, False)], bound)
    elif isinstance(node, Comprehension):
        yield from _divisions(node.target, guards, bound)
        inner = {**bound, node.variable: node.target}
        if node.condition is not None:
            yield from _divisions(node.condition, guards, inner)
        if node.result is not None:
            within = [*guards, (node.condition, True)] if node.condition is not None and node.macro == "map" else guards
            yield from _divisions(node.result, within, inner)
    else:
        for child in _children(node):
            yield from _divisions(child, guards, bound)


def _children(node: Node) -> Iterator[Node]:
    for name in node.__slots__:
        value = getattr(node, name)
        if isinstance(value, tuple):
            for item in value:
                yield from (item if isinstance(item, tuple) else (item,))
        elif value is not None and not isinstance(value, (str, bool, int, float)) and hasattr(value, "__slots__"):
            yield value


def _nonzero(divisor: Node, guards: list[Guard], bound: Mapping[str, Node], parameters: Mapping[str, Sequence[Any]], inputs: Mapping[str, Any], prover: Prover) -> bool:
    node = _strip(divisor)
    if isinstance(node, Literal):
        return nonzero_constant(node.value)
    if isinstance(node, Unary) and node.operator == "-":
        return _nonzero(node.operand, guards, bound, parameters, inputs, prover)
    if isinstance(node, Select) and isinstance(node.operand, Ident) and node.operand.name == "params":
        return all(nonzero_constant(value) for value in parameters.get(node.field) or [None])
    if _positive_minimum(_schema_of(node, inputs, bound, prover.definitions)):
        return True
    if isinstance(node, Call) and node.function == "max" and any(isinstance(a, Literal) and nonzero_constant(a.value) and a.value > 0 for a in node.args):
        return True
    return any(prover.implies_not(condition if holds else Unary("!", condition), node, ZERO) for condition, holds in guards)


def _strip(node: Node) -> Node:
    while isinstance(node, Call) and node.function in ("double", "int") and node.target is None and len(node.args) == 1:
        node = node.args[0]
    return node


def _schema_of(node: Node, inputs: Mapping[str, Any], bound: Mapping[str, Node], definitions: Mapping[str, Node], depth: int = 0) -> Any:
    """The input schema of what a node reads: an input, a field of an input's mapping, a field of a list's items.

    The list may be an input, a filter of one, or a fact one unconditional rule maps from one
    (`facts.shares` made by `facts.companies.map(c, {'revenue': c.revenue})`).
    """
    if depth > 16:
        return None
    if isinstance(node, Select) and isinstance(node.operand, Ident) and node.operand.name == "facts":
        return inputs.get(node.field)
    if isinstance(node, Select) and isinstance(node.operand, Ident) and node.operand.name in bound:
        return _item_field(bound[node.operand.name], node.field, inputs, bound, definitions, depth + 1)
    if isinstance(node, Select):
        outer = _schema_of(node.operand, inputs, bound, definitions, depth + 1)
        fields = outer.get("schema") if isinstance(outer, Mapping) and outer.get("type") == "dict" else None
        return fields.get(node.field) if isinstance(fields, Mapping) else None
    return None


def _item_field(listed: Node, name: str, inputs: Mapping[str, Any], bound: Mapping[str, Node], definitions: Mapping[str, Node], depth: int) -> Any:
    if depth > 16:
        return None
    if isinstance(listed, Comprehension) and listed.macro == "filter":
        return _item_field(listed.target, name, inputs, bound, definitions, depth + 1)
    if isinstance(listed, Comprehension) and listed.macro == "map" and isinstance(listed.result, CreateMap):
        for key, value in listed.result.entries:
            if isinstance(key, Literal) and key.value == name:
                return _schema_of(value, inputs, {**bound, listed.variable: listed.target}, definitions, depth + 1)
        return None
    if isinstance(listed, Select) and isinstance(listed.operand, Ident) and listed.operand.name == "facts" and listed.field in definitions:
        return _item_field(definitions[listed.field], name, inputs, bound, definitions, depth + 1)
    schema = _schema_of(listed, inputs, bound, definitions, depth + 1)
    items = schema.get("schema") if isinstance(schema, Mapping) and schema.get("type") == "list" else None
    fields = items.get("schema") if isinstance(items, Mapping) and items.get("type") == "dict" else None
    return fields.get(name) if isinstance(fields, Mapping) else None


def _positive_minimum(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return False
    minimum = schema.get("min")
    return isinstance(minimum, (int, float)) and not isinstance(minimum, bool) and minimum > 0


def _expressions(rule: Rule) -> Iterator[tuple[tuple[str, ...], Expression]]:
    parts: list[tuple[tuple[str, ...], Expression | Template | None]] = [
        (("when",), rule.condition), (("for_each",), rule.for_each), (("then", "value"), rule.conclusion.value),
        (("then", "message"), rule.conclusion.message), (("because",), rule.because),
    ]
    for where, part in parts:
        if isinstance(part, Expression):
            yield where, part
        elif isinstance(part, Template):
            yield from ((where, p) for p in part.parts if isinstance(p, Expression))


def _condition(rule: Rule) -> Node | None:
    return rule.condition.tree if rule.condition is not None else None


def _shown(rule: Rule) -> str:
    return rule.condition.source if rule.condition is not None else "always"


def _source(node: Node) -> str:
    """A short rendering of a divisor for the message."""
    node = _strip(node)
    if isinstance(node, Select):
        return f"{_source(node.operand)}.{node.field}"
    if isinstance(node, Ident):
        return node.name
    if isinstance(node, Call):
        target = f"{_source(node.target)}." if node.target is not None else ""
        return f"{target}{node.function}({', '.join(_source(a) for a in node.args)})"
    if isinstance(node, Literal):
        return repr(node.value)
    return "an expression"
