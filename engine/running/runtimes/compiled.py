"""The compiled runtime: each rule book is ordered once, and a dossier is one pass over that order.

A rule is ready when every fact it reads is known. Ordered so that every
rule concluding a fact comes before every rule reading it (a topological
order of the book's dependency graph, ties kept in book order), one pass
fires exactly the rules the forward chainers fire: when a rule's turn comes,
every rule that could conclude one of its facts has had its turn. A book
whose rules read each other in a cycle cannot be ordered so; its rules in a
cycle are then run to a fixed point after the pass, as the plain forward
chainer runs them. Conditions and values are evaluated by the expressions
translated to Python (`engine.compilation.cel`), chosen by the evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.compilation.expressions import Activation
from engine.compilation.rules import RuleBook
from engine.running.runtimes import Fire, fire_to_fixed_point


class CompiledRuntime:
    name = "compiled"
    evaluator = Activation

    def run(self, book: RuleBook, known: Iterable[str], fire: Fire) -> None:
        facts = set(known)
        order, cyclic = book.order
        for rule in order:
            if facts.issuperset(rule.premises):
                facts.update(fire(rule))
        fire_to_fixed_point(cyclic, facts, fire)
