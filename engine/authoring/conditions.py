"""What `validate` can prove about rule conditions: that two cannot hold at once, that a divisor is not zero.

A condition is put in disjunctive normal form over atoms: a term compared with constants (`facts.score
>= 70`, `facts.band in ['a', 'b']`, `size(facts.gaps) == 0`), or a relation between two terms
(`facts.audit_on < facts.deadline`), or any other boolean expression taken whole. Two conditions are
exclusive when every pair of their clauses constrains one term to no common value. A fact concluded by
one unconditional rule is read through its definition (`facts.prerequisites_met` is
`facts.resources_complete && facts.self_assessment_done`), a few levels deep.

The proof is sound, not complete: `exclusive` answering False means "not proven". Rules an author knows to
be exclusive for a reason the prover cannot see are then written so that it can (the reason in the
condition), which also tells the reader.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.compilation.cel import Node
from engine.compilation.cel.nodes import Binary, Call, CreateList, Ident, Literal, Select, Unary

MAX_CLAUSES = 512  # beyond, a condition's normal form is not built: nothing is proven about it
MAX_INLINING = 4  # facts read through their definitions, within one another

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}

Constant = tuple[str, Any]  # (kind, value): kinds keep true apart from 1, and 1 together with 1.0


def _constant(node: Node) -> Constant | None:
    if isinstance(node, Unary) and node.operator == "-" and isinstance(node.operand, Literal):
        inner = _constant(node.operand)
        return ("num", -inner[1]) if inner and inner[0] == "num" else None
    if not isinstance(node, Literal):
        return None
    value = node.value
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("num", float(value))
    if isinstance(value, str):
        return ("str", value)
    return None


@dataclass(frozen=True)
class Domain:
    """The values a term may take under one clause: a set (or any), minus some, within an interval of numbers."""

    allowed: frozenset[Constant] | None = None
    excluded: frozenset[Constant] = frozenset()
    low: tuple[float, bool] | None = None  # (bound, inclusive)
    high: tuple[float, bool] | None = None

    def meet(self, other: Domain) -> Domain:
        allowed = self.allowed if other.allowed is None else other.allowed if self.allowed is None else self.allowed & other.allowed
        return Domain(allowed, self.excluded | other.excluded, _tighter(self.low, other.low, max), _tighter(self.high, other.high, min))

    def holds(self, value: Constant) -> bool:
        if value in self.excluded:
            return False
        if self.low is None and self.high is None:
            return True
        if value[0] != "num":
            return False  # an order on the term makes it a number
        number = value[1]
        if self.low is not None and (number < self.low[0] or (number == self.low[0] and not self.low[1])):
            return False
        return not (self.high is not None and (number > self.high[0] or (number == self.high[0] and not self.high[1])))

    @property
    def empty(self) -> bool:
        if self.allowed is not None:
            return not any(self.holds(v) for v in self.allowed)
        if self.low is not None and self.high is not None:
            (low, low_in), (high, high_in) = self.low, self.high
            return low > high or (low == high and not (low_in and high_in and self.holds(("num", low))))
        return False


def _tighter(a: tuple[float, bool] | None, b: tuple[float, bool] | None, pick: Any) -> tuple[float, bool] | None:
    if a is None or b is None:
        return a or b
    if a[0] == b[0]:
        return (a[0], a[1] and b[1])
    return a if pick(a[0], b[0]) == a[0] else b


def _comparison(operator: str, value: Constant) -> Domain:
    if operator == "==":
        return Domain(allowed=frozenset({value}))
    if operator == "!=":
        return Domain(excluded=frozenset({value}))
    if value[0] != "num":
        return Domain()  # an order on texts or null: not reasoned about
    bound = value[1]
    return {
        "<": Domain(high=(bound, False)), "<=": Domain(high=(bound, True)),
        ">": Domain(low=(bound, False)), ">=": Domain(low=(bound, True)),
    }[operator]


Clause = Mapping[str, Domain]  # term (its tree's repr) -> its domain; all must hold
TRUE: tuple[Clause, ...] = ({},)
FALSE: tuple[Clause, ...] = ()


class _TooLarge(Exception):
    pass


class Prover:
    """Normal forms of the conditions of one rule book, with its single-definition facts read through."""

    def __init__(self, definitions: Mapping[str, Node] | None = None):
        self.definitions = dict(definitions or {})

    def normal_form(self, node: Node, positive: bool = True, depth: int = 0) -> tuple[Clause, ...] | None:
        """The condition (or its negation) as clauses, or None if too large to build."""
        try:
            return self._form(node, positive, depth)
        except _TooLarge:
            return None

    def exclusive(self, first: Node | None, second: Node | None) -> bool:
        """Whether the two conditions (None: always) provably never hold together."""
        a = TRUE if first is None else self.normal_form(first)
        b = TRUE if second is None else self.normal_form(second)
        if a is None or b is None:
            return False
        return all(_contradicts(x, y) for x in a for y in b)

    def implies_not(self, condition: Node | None, term: Node, value: Constant) -> bool:
        """Whether the condition provably keeps `term` from being `value` (a divisor from zero)."""
        if condition is None:
            return False
        form = self.normal_form(condition)
        if form is None:
            return False
        key = repr(_strip_casts(term))
        return all(not clause.get(key, Domain()).holds(value) for clause in form)

    def _form(self, node: Node, positive: bool, depth: int) -> tuple[Clause, ...]:
        if isinstance(node, Unary) and node.operator == "!":
            return self._form(node.operand, not positive, depth)
        if isinstance(node, Binary) and node.operator in ("&&", "||"):
            left, right = self._form(node.left, positive, depth), self._form(node.right, positive, depth)
            conjunction = (node.operator == "&&") == positive
            return _and(left, right) if conjunction else _or(left, right)
        if isinstance(node, Literal) and isinstance(node.value, bool):
            return TRUE if node.value == positive else FALSE
        defined = self._definition(node, depth)
        if defined is not None:
            return self._form(defined, positive, depth + 1)
        return self._atom(node, positive)

    def _definition(self, node: Node, depth: int) -> Node | None:
        if depth >= MAX_INLINING or not _is_fact(node):
            return None
        assert isinstance(node, Select)
        return self.definitions.get(node.field)

    def _atom(self, node: Node, positive: bool) -> tuple[Clause, ...]:
        if isinstance(node, Binary) and node.operator in _NEGATE:
            operator = node.operator if positive else _NEGATE[node.operator]
            left, right = _strip_casts(node.left), _strip_casts(node.right)
            on_right, on_left = _constant(right), _constant(left)
            if on_right is not None and on_left is None:
                return ({repr(left): _comparison(operator, on_right)},)
            if on_left is not None and on_right is None:
                return ({repr(right): _comparison(_FLIP[operator], on_left)},)
            if on_left is None and on_right is None:
                return (_relation(left, operator, right),)
        if isinstance(node, Binary) and node.operator == "in" and isinstance(node.right, CreateList):
            members = [_constant(e) for e in node.right.elements]
            if all(m is not None for m in members):
                values = frozenset(m for m in members if m is not None)
                domain = Domain(allowed=values) if positive else Domain(excluded=values)
                return ({repr(_strip_casts(node.left)): domain},)
        return ({repr(node): Domain(allowed=frozenset({("bool", positive)}))},)


def _relation(left: Node, operator: str, right: Node) -> Clause:
    """`a < b` and `b > a` as one atom, and `a >= b` as its negation."""
    if operator in ("==", "!="):
        pair = sorted((repr(left), repr(right)))
        return {f"{pair[0]} == {pair[1]}": Domain(allowed=frozenset({("bool", operator == "==")}))}
    if operator in (">", "<="):
        left, right, operator = right, left, _FLIP[operator]
    return {f"{left!r} < {right!r}": Domain(allowed=frozenset({("bool", operator == "<")}))}


def _strip_casts(node: Node) -> Node:
    """`double(x)` and `int(x)` compare as `x`: a cast changes no value's sign."""
    while isinstance(node, Call) and node.function in ("double", "int") and node.target is None and len(node.args) == 1:
        node = node.args[0]
    return node


def _is_fact(node: Node) -> bool:
    return isinstance(node, Select) and isinstance(node.operand, Ident) and node.operand.name == "facts"


def _and(left: tuple[Clause, ...], right: tuple[Clause, ...]) -> tuple[Clause, ...]:
    if len(left) * len(right) > MAX_CLAUSES:
        raise _TooLarge
    out = []
    for a in left:
        for b in right:
            merged = dict(a)
            for term, domain in b.items():
                merged[term] = merged[term].meet(domain) if term in merged else domain
            if not any(d.empty for d in merged.values()):
                out.append(merged)
    return tuple(out)


def _or(left: tuple[Clause, ...], right: tuple[Clause, ...]) -> tuple[Clause, ...]:
    if len(left) + len(right) > MAX_CLAUSES:
        raise _TooLarge
    return left + right


def _contradicts(a: Clause, b: Clause) -> bool:
    return any(term in b and domain.meet(b[term]).empty for term, domain in a.items())


def nonzero_constant(value: Any) -> bool:
    """A constant a rule may divide by."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value != 0
