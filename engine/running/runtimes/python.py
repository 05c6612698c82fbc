"""A plain-Python forward chainer: the reference the Rete adapter is checked against."""

from __future__ import annotations

from typing import Iterable

from engine.compilation.rules import RuleBook
from engine.running.runtimes import Fire


class PythonRuntime:
    name = "python"

    def run(self, book: RuleBook, known: Iterable[str], fire: Fire) -> None:
        facts = set(known)
        waiting = list(book.rules)
        progressed = True
        while progressed:
            progressed = False
            for rule in list(waiting):
                if facts.issuperset(rule.premises):
                    waiting.remove(rule)
                    facts.update(fire(rule))
                    progressed = True
