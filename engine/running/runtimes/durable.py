"""The durable-rules adapter: the only module that touches the Rete.

durable-rules 2.0.28 has hazards measured in ../shared/notes/durable-rules.md.
Each is neutralised here, and tests/test_runtime_durable.py shows each one:

- facts no rule consumes are lost: every ruleset gets a rule that consumes any
  fact, and after the run every asserted marker is checked to be in the
  session's facts;
- exceptions in actions are swallowed into the session state: actions catch
  their own failures, and the state is checked after every run; either one
  fails the evaluation, so no partial decision is ever returned;
- background timer threads: the Host's dispatch loop is never started, so
  actions run inside the assert call and are all done when it returns;
- threads crash the C core: a runtime refuses calls from any thread but the
  one that created it (parallelism is by processes);
- 1,024 live sessions per ruleset: one session per dossier, deleted in a
  `finally` whatever happened;
- fact identity is a 32-bit hash, and an identical fact is refused: markers
  carry a per-session sequence number; a refused marker is re-asserted with a
  new one, and refused again is an error, never a silent drop;
- no type checks: only markers (`{"fact": name}`) enter the Rete; values are
  validated by Cerberus and evaluated by the engine, never by the Rete;
- rulesets cannot be redefined: one ruleset per rule book, named from its
  digest, registered once per process;
- arithmetic only on the right-hand side: conditions are CEL, evaluated by the
  engine; the Rete only joins on which facts are known;
- no truth maintenance: each dossier runs in a fresh session;
- an action that runs longer than its lease (about 10 seconds; measured: a
  6 s action is followed by the next one, an 11 s one silently ends the
  chain) stops the session: after the run every rule whose facts were all
  known must have run, else the evaluation fails, naming the rules and the
  cause.
"""

from __future__ import annotations

import itertools
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from durable import engine as durable_engine

from engine.compilation.expressions import Activation
from engine.compilation.rules import Rule, RuleBook
from engine.errors import EvaluationError
from engine.running.runtimes import Fire

START = "__start__"
MAX_REASSERTS = 3


class _QuietHost(durable_engine.Host):
    """A Host without the timer loop: actions run synchronously inside assert calls."""

    def _run(self) -> None:
        pass


@dataclass
class _Session:
    book: RuleBook
    fire: Fire
    sequence: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    asserted: set[str] = field(default_factory=set)
    ran: set[int] = field(default_factory=set)  # indexes of the rules whose action was called
    failure: BaseException | None = None


def _consume(_closure: Any) -> None:
    """Consumer of every fact: a fact nothing consumes would be dropped by the Rete."""


def _premises(rule: Rule) -> tuple[str, ...]:
    """The facts a rule waits for in the Rete; a rule that reads none waits for the session's start."""
    return rule.premises or (START,)


class DurableRuntime:
    name = "durable-rules"
    evaluator = Activation  # the Rete decides when; the expressions are the translated ones

    def __init__(self) -> None:
        self._host = _QuietHost()
        self._registered: set[str] = set()
        self._sessions: dict[str, _Session] = {}
        self._session_ids = itertools.count(1)
        self._owner = threading.get_ident()

    @staticmethod
    def ruleset_name(book: RuleBook) -> str:
        return "referee-" + book.digest.removeprefix("sha256:")[:24]

    def _register(self, book: RuleBook) -> str:
        name = self.ruleset_name(book)
        if name in self._registered:
            return name
        definition: dict[str, Any] = {}
        for index, rule in enumerate(book.rules):
            premises = _premises(rule)
            definition[f"r{index}"] = {
                "all": [{f"p{i}": {"fact": fact}} for i, fact in enumerate(premises)],
                "run": self._action(index),
            }
        definition["consume_every_fact"] = {"all": [{"p0": {"$ex": {"fact": 1}}}], "run": _consume}
        self._host.register_rulesets({name: definition})
        self._registered.add(name)
        return name

    def _action(self, index: int) -> Callable[[Any], None]:
        """The action of the rule at `index`, taken from the session's own book.

        A ruleset outlives the book it was built from and serves every book with
        the same digest (the same rules in the same order, maybe from another
        tree), so the action must not keep the first book's Rule objects.
        """

        def action(closure: Any) -> None:
            session = self._sessions[closure.s["sid"]]
            session.ran.add(index)
            if session.failure is not None:
                return
            try:
                for fact in session.fire(session.book.rules[index]):
                    self._assert(closure.assert_fact, session, fact, closure.s["sid"])
            except BaseException as exc:  # kept whole; durable-rules would keep only a string
                session.failure = exc

        return action

    def _assert(self, assert_fact: Callable[[dict], Any], session: _Session, fact: str, sid: str) -> None:
        for _attempt in range(MAX_REASSERTS):
            marker = {"sid": sid, "fact": fact, "seq": next(session.sequence)}
            try:
                assert_fact(marker)
            except durable_engine.MessageObservedException:
                continue  # identity collision: a new sequence number gives a new hash
            except durable_engine.MessageNotHandledException:
                raise EvaluationError(f"the Rete refused fact {fact!r}: no rule consumes it") from None
            session.asserted.add(fact)
            return
        raise EvaluationError(f"the Rete refused fact {fact!r} {MAX_REASSERTS} times as already observed")

    def run(self, book: RuleBook, known: Iterable[str], fire: Fire) -> None:
        if threading.get_ident() != self._owner:
            raise EvaluationError(
                "the durable-rules runtime is used from a second thread; its C core is not "
                "thread-safe: run dossiers in parallel with processes, not threads"
            )
        ruleset = self._register(book)
        sid = f"d{next(self._session_ids)}"
        session = _Session(book, fire)
        self._sessions[sid] = session
        try:
            for fact in (START, *known):
                self._assert(lambda marker: self._host.assert_fact(ruleset, marker), session, fact, sid)
                if session.failure is not None:
                    break
            self._check(ruleset, sid, session)
        finally:
            del self._sessions[sid]
            failing = sys.exc_info()[0] is not None
            try:
                self._host.delete_state(ruleset, sid)
            except Exception:
                if not failing:  # a session that never started has no state; the first error is the one to report
                    raise

    def _check(self, ruleset: str, sid: str, session: _Session) -> None:
        if session.failure is not None:
            raise session.failure
        state = self._host.get_state(ruleset, sid)
        if "exception" in state:
            raise EvaluationError(f"a rule action failed inside durable-rules: {state['exception']}")
        present = {f["fact"] for f in self._host.get_facts(ruleset, sid)}
        dropped = session.asserted - present
        if dropped:
            raise EvaluationError(f"durable-rules dropped asserted facts: {', '.join(sorted(dropped))}")
        known = session.asserted | {START}
        skipped = [r.id for i, r in enumerate(session.book.rules) if i not in session.ran and set(_premises(r)) <= known]
        if skipped:
            raise EvaluationError(
                f"durable-rules did not run rule(s) {', '.join(skipped)} although their facts were known: it abandons an "
                "action that holds its lease about 10 s; no decision is given (the python runtime has no such limit)"
            )


_shared: DurableRuntime | None = None


def shared_runtime() -> DurableRuntime:
    """One runtime per process: rulesets are registered once and can never be unloaded."""
    global _shared
    if _shared is None:
        _shared = DurableRuntime()
    return _shared
