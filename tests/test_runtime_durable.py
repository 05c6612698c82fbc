"""The durable-rules adapter neutralises each hazard of ../shared/notes/durable-rules.md.

Rule books are built from small rule files written to a temporary tree; they
run either with a recording `fire` callback or with the engine's own
`Inference` (so conditions and values are really evaluated), and a few runs
go through the full `evaluate` on a scratch copy of the project.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest
import yaml
from conftest import BC, COMPLIANT, ROOT, draft, rule_folder
from durable import engine as durable_engine

from engine import Library
from engine.compilation.expressions import Scope
from engine.compilation.procedure import CompiledProcedure
from engine.compilation.rules import Rule, RuleBook, build_rulebook, compile_rules
from engine.errors import EvaluationError, ReferentialError
from engine.model.documents import load_document
from engine.model.dossier import read_dossier
from engine.model.rule_files import read_rule_file
from engine.model.schemas import SchemaFile
from engine.running.inference import Inference
from engine.running.runtimes import durable as durable_module
from engine.running.runtimes.compiled import CompiledRuntime
from engine.running.runtimes.durable import MAX_REASSERTS, START, DurableRuntime
from engine.running.runtimes.python import PythonRuntime

SCHEME = "probe"


# --- helpers -------------------------------------------------------------------------------------


def rule(rule_id: str, then: dict[str, Any], when: str | None = None, because: str = "because.") -> dict[str, Any]:
    body: dict[str, Any] = {"id": rule_id, "title": rule_id, "clause": "probe §1", "then": then, "because": because}
    if when is not None:
        body["when"] = when
    return body


def fact(name: str, value: str) -> dict[str, Any]:
    return {"fact": name, "value": value}


def write_rules(root: Path, name: str, rules: list[dict[str, Any]]) -> Path:
    """A rule file of the probe scheme under root."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"scheme": SCHEME, "title": name, "rules": rules}, sort_keys=False), encoding="utf-8")
    return path


def book_of(root: Path, name: str, rules: list[dict[str, Any]]) -> RuleBook:
    source = read_rule_file(write_rules(root, name, rules), SCHEME, SchemaFile(ROOT / "rules" / "rules.schema.json"))
    return build_rulebook([(source, compile_rules(source))])


# A chained book: a -> b -> c -> outcome, one rule that declines, one that waits forever.
CHAIN = [
    rule("c.outcome", {"outcome": "done"}, when="facts.c > 2"),
    rule("b.from-a", fact("b", "facts.a + 1")),
    rule("c.from-b", fact("c", "facts.b + 1")),
    rule("start.constant", fact("k", "7")),
    rule("declines", fact("never", "1"), when="facts.a > 100"),
    rule("waits", fact("w", "facts.missing + 1")),
    rule("joins", fact("j", "facts.k + facts.c")),
]


class Recorder:
    """A `fire` callback that concludes each rule's fact (findings conclude nothing)."""

    def __init__(self, fail_on: str | None = None, exc: BaseException | None = None):
        self.fired: list[str] = []
        self.fail_on = fail_on
        self.exc = exc

    def __call__(self, rule: Rule) -> list[str]:
        self.fired.append(rule.id)
        if rule.id == self.fail_on:
            raise self.exc if self.exc is not None else EvaluationError(f"rule {rule.id} failed on purpose")
        return [rule.concludes] if rule.concludes else []


def inference_for(book: RuleBook, inputs: dict[str, Any]) -> Inference:
    """The engine's own Inference over a minimal compiled procedure (no referential values)."""
    scope = {"params": {}, "tables": {}, "bands": {}, "criteria": []}
    compiled = CompiledProcedure(
        procedure=None,  # type: ignore[arg-type]  (not read by Inference.fire)
        scope=scope,
        rulebook=book,
        origins={},
        cited={},
        validator=None,  # type: ignore[arg-type]
        checks=(),
        where="test",
    )
    return Inference(compiled, inputs, Scope(scope, inputs))


@pytest.fixture
def runtime() -> DurableRuntime:
    return DurableRuntime()


@pytest.fixture
def fresh_shared(monkeypatch: pytest.MonkeyPatch) -> DurableRuntime:
    """`....evaluate(runtime="durable-rules").to_json()` uses a runtime of this test only."""
    fresh = DurableRuntime()
    monkeypatch.setattr(durable_module, "_shared", fresh)
    return fresh


def example(**changes: Any) -> Any:
    document = load_document(COMPLIANT)
    document.update(changes)
    return document


# --- a fact no rule consumes is lost -------------------------------------------------------------


def test_a_concluded_fact_no_rule_consumes_is_still_known(tmp_path: Path, runtime: DurableRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    # "outcome" is concluded and read by no rule: without a consumer the Rete drops it.
    book = book_of(tmp_path, "unconsumed", [rule("decide", {"outcome": "yes"}, when="facts.x > 1")])
    seen: list[set[str]] = []
    get_facts = runtime._host.get_facts

    def spying_get_facts(ruleset: str, sid: str | None = None) -> Any:
        facts = get_facts(ruleset, sid)
        seen.append({f["fact"] for f in facts})
        return facts

    monkeypatch.setattr(runtime._host, "get_facts", spying_get_facts)
    inference = inference_for(book, {"x": 2})
    runtime.run(book, ["x"], inference.fire)

    assert inference.facts["outcome"] == "yes"
    assert seen and "outcome" in seen[-1], "the outcome marker is in the session's facts when the run is checked"
    assert {"x", START} <= seen[-1]


def test_the_outcome_of_a_full_evaluation_is_known(library: Library, fresh_shared: DurableRuntime) -> None:
    decision = library.evaluate(read_dossier(example(), str(COMPLIANT)), runtime="durable-rules").to_json()
    assert decision["outcome"] == "compliant"
    assert decision["values"]["valid_until"] == "2027-05-21"  # concluded from the outcome, consumed by nothing


def test_a_dropped_fact_is_an_error_not_a_silent_loss(tmp_path: Path, runtime: DurableRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    book = book_of(tmp_path, "dropped", [rule("decide", {"outcome": "yes"})])
    get_facts = runtime._host.get_facts

    def losing_get_facts(ruleset: str, sid: str | None = None) -> Any:
        return [f for f in get_facts(ruleset, sid) if f["fact"] != "outcome"]  # as the bare Rete would

    monkeypatch.setattr(runtime._host, "get_facts", losing_get_facts)
    with pytest.raises(EvaluationError, match="durable-rules dropped asserted facts: outcome"):
        runtime.run(book, [], Recorder())


# --- exceptions in actions are swallowed ---------------------------------------------------------


def test_a_fire_callback_that_raises_fails_the_run(tmp_path: Path, runtime: DurableRuntime) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    recorder = Recorder(fail_on="b.from-a")
    with pytest.raises(EvaluationError, match="rule b.from-a failed on purpose"):
        runtime.run(book, ["a"], recorder)
    assert "c.from-b" not in recorder.fired, "nothing is concluded after the failure"
    assert runtime._sessions == {}


def test_an_unexpected_exception_in_an_action_is_not_swallowed(tmp_path: Path, runtime: DurableRuntime) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    boom = ZeroDivisionError("a bug in fire")
    with pytest.raises(ZeroDivisionError) as raised:
        runtime.run(book, ["a"], Recorder(fail_on="c.from-b", exc=boom))
    assert raised.value is boom, "the exception is kept whole, not reduced to a string in the session state"


def test_a_rule_dividing_by_zero_gives_an_evaluation_error(tmp_path: Path, runtime: DurableRuntime) -> None:
    book = book_of(
        tmp_path,
        "divide",
        [rule("ratio", fact("ratio", "facts.a / facts.b")), rule("decide", {"outcome": "ok"}, when="facts.ratio > 0")],
    )
    inference = inference_for(book, {"a": 1, "b": 0})
    with pytest.raises(EvaluationError) as raised:
        runtime.run(book, ["a", "b"], inference.fire)
    assert "rule ratio (probe §1) failed; no decision is given" in raised.value.message
    assert "division by zero" in raised.value.render()
    assert "outcome" not in inference.facts


def test_an_evaluation_whose_rule_fails_gives_no_decision(scratch: Path, fresh_shared: DurableRuntime) -> None:
    """A rule that fails while the Rete runs (an index past the list's end: validate proves divisions, not indices)."""
    draft(scratch, BC, "2014-05-19")
    resources = rule_folder(scratch, BC, "2014-05-19") / "resources.yaml"
    document = load_document(resources)
    document["rules"].append(
        rule("resources.ratio", fact("ratio", "facts.resources_provided[size(facts.resources_provided)]"))
        | {"clause": "process §5"}
    )
    resources.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(EvaluationError) as raised:
        Library.open(scratch).evaluate(read_dossier(example(), str(COMPLIANT)), runtime="durable-rules").to_json()
    assert "rule resources.ratio (process §5) failed; no decision is given" in raised.value.message
    assert any("index out of bounds" in p.message and p.file == str(resources) for p in raised.value.problems)
    assert fresh_shared._sessions == {}


# --- background timer threads ---------------------------------------------------------------------


def test_actions_all_run_inside_run_and_no_thread_is_started(tmp_path: Path) -> None:
    before = threading.active_count()
    runtime = DurableRuntime()
    depth = 40
    rules = [rule("l0", fact("f0", "1"))] + [rule(f"l{i}", fact(f"f{i}", f"facts.f{i - 1} + 1")) for i in range(1, depth)]
    rules.append(rule("decide", {"outcome": "deep"}, when=f"facts.f{depth - 1} == {depth}"))
    book = book_of(tmp_path, "deep", rules)
    inference = inference_for(book, {})
    runtime.run(book, [], inference.fire)
    # No sleep, no wait: every action has run when `run` returns.
    assert inference.facts[f"f{depth - 1}"] == depth
    assert inference.facts["outcome"] == "deep"
    assert len(inference.firings) == depth + 1
    assert threading.active_count() == before


# --- threads crash the C core -----------------------------------------------------------------------


def test_run_from_another_thread_is_refused(tmp_path: Path, runtime: DurableRuntime) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    recorder = Recorder()
    errors: list[BaseException] = []

    def other() -> None:
        try:
            runtime.run(book, ["a"], recorder)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], EvaluationError)
    assert "second thread" in errors[0].message and "processes, not threads" in errors[0].message
    assert recorder.fired == [], "nothing reached the Rete"
    runtime.run(book, ["a"], recorder)  # the owning thread still can
    assert "c.outcome" in recorder.fired


# --- 1,024 live sessions per ruleset ------------------------------------------------------------------


def test_1100_sequential_runs_with_failures_do_not_exhaust_sessions(tmp_path: Path, runtime: DurableRuntime) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    failed = succeeded = 0
    for i in range(1100):
        recorder = Recorder(fail_on="c.from-b" if i % 7 == 0 else None)
        try:
            runtime.run(book, ["a"], recorder)
        except EvaluationError:
            failed += 1
        else:
            succeeded += 1
            assert "c.outcome" in recorder.fired
    assert failed == len(range(0, 1100, 7))
    assert succeeded == 1100 - failed
    assert runtime._sessions == {}


def test_the_session_limit_is_real_when_sessions_are_not_deleted(tmp_path: Path, runtime: DurableRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    # The control of the test above: without `delete_state`, the 1,025th session fails.
    book = book_of(tmp_path, "chain", CHAIN)
    monkeypatch.setattr(runtime._host, "delete_state", lambda *args, **kwargs: None)
    for _ in range(1024):
        runtime.run(book, ["a"], Recorder())
    with pytest.raises(MemoryError):
        runtime.run(book, ["a"], Recorder())


# --- fact identity is a 32-bit hash; identical facts are refused ---------------------------------------


def _flaky_assert(runtime: DurableRuntime, monkeypatch: pytest.MonkeyPatch, refused: str, times: int) -> list[dict]:
    """Make the host's assert refuse the marker of fact `refused`, `times` times, as a hash collision would."""
    calls: list[dict] = []
    original = runtime._host.assert_fact

    def flaky(ruleset: str, marker: dict, complete: Any = None) -> Any:
        calls.append(dict(marker))
        if marker["fact"] == refused and sum(c["fact"] == refused for c in calls) <= times:
            raise durable_engine.MessageObservedException(marker)
        return original(ruleset, marker)

    monkeypatch.setattr(runtime._host, "assert_fact", flaky)
    return calls


def test_an_observed_message_on_the_first_assert_is_retried_with_a_new_sequence_number(
    tmp_path: Path, runtime: DurableRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    calls = _flaky_assert(runtime, monkeypatch, refused=START, times=1)
    recorder = Recorder()
    runtime.run(book, ["a"], recorder)
    assert [c["fact"] for c in calls] == [START, START, "a"]
    assert calls[0]["sid"] == calls[1]["sid"]
    assert calls[1]["seq"] != calls[0]["seq"]
    assert sorted(recorder.fired) == sorted(["start.constant", "b.from-a", "c.from-b", "c.outcome", "declines", "joins"])


def test_a_message_observed_every_time_is_an_evaluation_error(tmp_path: Path, runtime: DurableRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    calls = _flaky_assert(runtime, monkeypatch, refused="a", times=10**6)
    recorder = Recorder()
    with pytest.raises(EvaluationError, match=rf"refused fact 'a' {MAX_REASSERTS} times as already observed"):
        runtime.run(book, ["a"], recorder)
    refused = [c for c in calls if c["fact"] == "a"]
    assert len(refused) == MAX_REASSERTS
    assert len({c["seq"] for c in refused}) == MAX_REASSERTS, "each attempt carries a new sequence number"
    assert "b.from-a" not in recorder.fired
    assert runtime._sessions == {}
    monkeypatch.undo()
    runtime.run(book, ["a"], recorder)  # the session was deleted; the runtime still works
    assert "c.outcome" in recorder.fired


def test_a_first_marker_observed_every_time_is_an_evaluation_error(tmp_path: Path, runtime: DurableRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    _flaky_assert(runtime, monkeypatch, refused=START, times=10**6)
    with pytest.raises(EvaluationError, match=rf"refused fact '{START}' {MAX_REASSERTS} times as already observed"):
        runtime.run(book, ["a"], Recorder())


def test_an_observed_message_inside_an_action_is_retried(tmp_path: Path, runtime: DurableRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    calls: list[dict] = []
    original = durable_engine.Closure.assert_fact

    def flaky(self: Any, ruleset_name: Any, fact: Any = None) -> Any:
        calls.append(dict(ruleset_name))
        if ruleset_name["fact"] == "b" and sum(c["fact"] == "b" for c in calls) == 1:
            raise durable_engine.MessageObservedException(ruleset_name)
        return original(self, ruleset_name, fact)

    monkeypatch.setattr(durable_engine.Closure, "assert_fact", flaky)
    recorder = Recorder()
    runtime.run(book, ["a"], recorder)
    b_markers = [c for c in calls if c["fact"] == "b"]
    assert len(b_markers) == 2 and b_markers[0]["seq"] != b_markers[1]["seq"]
    assert recorder.fired.count("c.from-b") == 1, "the retried fact fired its consumer once"
    assert "c.outcome" in recorder.fired


def test_the_same_fact_name_concluded_twice_is_not_refused(tmp_path: Path, runtime: DurableRuntime) -> None:
    # Identical markers would be refused by the Rete; the sequence number keeps them distinct.
    book = book_of(tmp_path, "twice", [rule("one", fact("x", "1")), rule("two", fact("x", "2"))])
    recorder = Recorder()
    runtime.run(book, [], recorder)
    assert sorted(recorder.fired) == ["one", "two"]


# --- rulesets cannot be redefined ----------------------------------------------------------------------


def test_registering_the_same_book_twice_reuses_its_ruleset(tmp_path: Path, runtime: DurableRuntime) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    other = book_of(tmp_path, "other", [rule("only", {"outcome": "other"}, when="facts.z == 1")])
    assert DurableRuntime.ruleset_name(book) != DurableRuntime.ruleset_name(other)
    for _ in range(3):
        first, second = Recorder(), Recorder()
        runtime.run(book, ["a"], first)  # no "already registered"
        runtime.run(other, ["z"], second)
        assert "c.outcome" in first.fired and "only" not in first.fired
        assert second.fired == ["only"]
    assert runtime._registered == {DurableRuntime.ruleset_name(book), DurableRuntime.ruleset_name(other)}
    assert set(runtime._host._ruleset_directory) == runtime._registered


def test_a_book_equal_in_content_is_named_alike(tmp_path: Path) -> None:
    first = book_of(tmp_path / "one", "chain", CHAIN)
    second = book_of(tmp_path / "two", "chain", CHAIN)
    assert DurableRuntime.ruleset_name(first) == DurableRuntime.ruleset_name(second)


def test_a_second_book_with_the_same_content_fires_its_own_rules(tmp_path: Path, runtime: DurableRuntime) -> None:
    first = book_of(tmp_path / "one", "chain", CHAIN)
    second = book_of(tmp_path / "two", "chain", CHAIN)
    # The ruleset is registered once, for the first book; the second book's session must
    # still fire the second book's Rule objects (their `file` is where the trail points).
    runtime.run(first, ["a"], Recorder())
    files: set[str] = set()

    def fire(rule: Rule) -> list[str]:
        files.add(rule.file)
        return [rule.concludes] if rule.concludes else []

    runtime.run(second, ["a"], fire)
    assert files == {second.rules[0].file}


def test_evaluating_an_identical_copy_of_the_project_after_the_project_itself(library: Library, scratch: Path, fresh_shared: DurableRuntime) -> None:
    dossier = read_dossier(example(), str(COMPLIANT))
    assert library.evaluate(dossier).to_json()["outcome"] == "compliant"
    copy_decision = Library.open(scratch).evaluate(dossier).to_json()
    assert copy_decision["outcome"] == "compliant"
    rule_entries = [e for e in copy_decision["trail"] if e["kind"] != "version-selection"]
    assert rule_entries and all(e["version"] == "2014-05-19" for e in rule_entries)


# --- arithmetic only on the right-hand side ---------------------------------------------------------------


@pytest.mark.parametrize(("a", "b", "expected"), [(0.1, 0.2, "low"), (0.2, 0.2, "high"), (0.35, 0.0, "high"), (-1, 1.34, "low")])
@pytest.mark.parametrize("make_runtime", [DurableRuntime, PythonRuntime], ids=["durable", "python"])
def test_arithmetic_on_the_left_of_a_comparison(tmp_path: Path, make_runtime: Callable[[], Any], a: float, b: float, expected: str) -> None:
    book = book_of(
        tmp_path,
        "sum",
        [
            rule("low", {"outcome": "low"}, when="(facts.a + facts.b) < 0.35"),
            rule("high", {"outcome": "high"}, when="(facts.a + facts.b) >= 0.35"),
            rule("gap", fact("gap", "0.35 - (facts.a + facts.b)"), when="facts.a * 2.0 + facts.b * -1.0 < 10.0"),
        ],
    )
    inference = inference_for(book, {"a": float(a), "b": float(b)})
    make_runtime().run(book, ["a", "b"], inference.fire)
    assert inference.facts["outcome"] == expected
    assert inference.facts["gap"] == pytest.approx(0.35 - (a + b))


# --- no truth maintenance ---------------------------------------------------------------------------------


def test_two_runs_in_a_row_do_not_share_facts(tmp_path: Path, runtime: DurableRuntime) -> None:
    book = book_of(
        tmp_path,
        "fresh",
        [
            rule("from-a", fact("fa", "1")),
            rule("from-a-read", fact("fa2", "facts.a")),
            rule("from-b-read", fact("fb", "facts.b")),
            rule("both", fact("ab", "facts.a + facts.b")),
        ],
    )
    first, second = Recorder(), Recorder()
    runtime.run(book, ["a"], first)
    runtime.run(book, ["b"], second)
    assert "from-a-read" in first.fired and "from-b-read" not in first.fired
    assert "from-b-read" in second.fired and "from-a-read" not in second.fired
    assert "both" not in first.fired and "both" not in second.fired, "a from the first run leaked into the second"


def test_two_evaluations_in_a_row_do_not_leak(library: Library, fresh_shared: DurableRuntime) -> None:
    compliant = library.evaluate(read_dossier(example(), str(COMPLIANT))).to_json()
    incomplete_doc = example(dossier_id="BC-INCOMPLETE")
    incomplete_doc["facts"] = dict(incomplete_doc["facts"], resources_provided=["tool_access"])
    incomplete = library.evaluate(read_dossier(incomplete_doc, "incomplete.yaml")).to_json()
    again = library.evaluate(read_dossier(example(), str(COMPLIANT))).to_json()
    assert compliant["outcome"] == again["outcome"] == "compliant"
    assert incomplete["outcome"] == "incomplete"
    assert "valid_until" not in incomplete["values"] and "grants" not in incomplete["values"]
    assert incomplete["values"]["missing_resources"] == ["test_cases", "documentation", "mobilisation_materials"]
    assert {f["code"] for f in incomplete["findings"]} == {"RESOURCE_MISSING"}
    assert compliant == again
    assert fresh_shared._sessions == {}


# --- the Rete adapter against the reference runtime -------------------------------------------------------


def _fired(make_runtime: Callable[[], Any], book: RuleBook, known: Iterable[str]) -> list[str]:
    recorder = Recorder()
    make_runtime().run(book, list(known), recorder)
    return recorder.fired


@pytest.mark.parametrize("known", [["a"], [], ["a", "missing"], ["k"]])
def test_the_three_runtimes_fire_the_same_rules(tmp_path: Path, known: list[str]) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    durable = _fired(DurableRuntime, book, known)
    python = _fired(PythonRuntime, book, known)
    compiled = _fired(CompiledRuntime, book, known)
    assert sorted(durable) == sorted(python) == sorted(compiled)
    assert len(durable) == len(set(durable)), "each ready rule fires exactly once"
    if known == ["a"]:
        assert set(python) == {"start.constant", "b.from-a", "c.from-b", "c.outcome", "declines", "joins"}
    if known == ["a", "missing"]:
        assert "waits" in python


def test_the_compiled_order_puts_every_conclusion_before_its_readers(tmp_path: Path) -> None:
    book = book_of(tmp_path, "chain", CHAIN)
    order, cyclic = book.order
    assert cyclic == ()
    place = {rule.id: i for i, rule in enumerate(order)}
    assert place["b.from-a"] < place["c.from-b"] < place["c.outcome"] and place["c.from-b"] < place["joins"]
    assert place["start.constant"] < place["joins"]
    assert [r.id for r in order][:2] == ["b.from-a", "c.from-b"]  # the book's own order where nothing forbids it


def test_rules_reading_each_other_in_a_cycle_fire_as_the_forward_chainers_fire_them(tmp_path: Path) -> None:
    cycle = [
        rule("x.from-y", fact("x", "facts.y + 1")),
        rule("y.from-x", fact("y", "facts.x + 1")),
        rule("z.from-x", fact("z", "facts.x * 2")),
        rule("w.from-a", fact("w", "facts.a")),
    ]
    book = book_of(tmp_path, "cycle", cycle)
    order, cyclic = book.order
    assert [r.id for r in order] == ["w.from-a"] and [r.id for r in cyclic] == ["x.from-y", "y.from-x", "z.from-x"]
    for known in (["a"], ["a", "y"]):
        fired = {name: sorted(_fired(make, book, known)) for name, make in (("python", PythonRuntime), ("compiled", CompiledRuntime))}
        assert fired["python"] == fired["compiled"], known
    assert sorted(_fired(CompiledRuntime, book, ["a", "y"])) == ["w.from-a", "x.from-y", "y.from-x", "z.from-x"]


def test_python_and_durable_runtimes_give_identical_decisions(library: Library, fresh_shared: DurableRuntime) -> None:
    dossier = read_dossier(example(), str(COMPLIANT))
    durable = library.evaluate(dossier, runtime="durable-rules").to_json()
    python = library.evaluate(dossier, runtime="python").to_json()
    assert [e["id"] for e in durable["trail"]] == [e["id"] for e in python["trail"]]
    assert durable == python


@pytest.mark.parametrize("runtime_name", ["durable-rules", "python"])
def test_the_same_dossier_gives_byte_identical_decisions(library: Library, fresh_shared: DurableRuntime, runtime_name: str) -> None:
    document = example()
    for criterion in ("A.1", "A.2", "A.3", "D.1"):
        document["facts"]["criteria"][criterion]["validated"] = False
    dossier = read_dossier(document, "four-mandatory-missing.yaml")
    # CEL iterates maps in no fixed order: nothing of that order may reach the decision.
    decisions = {json.dumps(library.evaluate(dossier, runtime=runtime_name).to_json()) for _ in range(8)}
    assert len(decisions) == 1
    decision = json.loads(decisions.pop())
    assert decision["values"]["failed_mandatory"] == ["A.1", "A.2", "A.3", "D.1"]
    assert [f.get("item") for f in decision["findings"]] == ["A.1", "A.2", "A.3", "D.1"]


# --- a fact concluded for each element of a list ----------------------------------------------------------


def test_a_fact_for_each_element_is_the_list_of_its_values(tmp_path: Path) -> None:
    each = rule("doubles", fact("doubled", "{'ref': item.ref, 'twice': item.n * 2, 'limit': facts.limit}"), because="{size(value)} doubled.")
    each["for_each"] = "facts.xs"
    book = book_of(tmp_path, "each", [each, rule("done", {"outcome": "done"}, when="size(facts.doubled) == 3")])
    xs = [{"ref": "a", "n": 1}, {"ref": "b", "n": 2}, {"ref": "c", "n": 3}]
    for runtime in (DurableRuntime(), PythonRuntime()):
        inference = inference_for(book, {"xs": xs, "limit": 9})
        runtime.run(book, ["xs", "limit"], inference.fire)
        assert inference.facts["doubled"] == [{"limit": 9, "ref": r, "twice": 2 * n} for r, n in (("a", 1), ("b", 2), ("c", 3))]
        assert inference.facts["outcome"] == "done"
        derivation = inference.concluded_by["doubled"]
        assert derivation.because == "3 doubled."  # item is not bound in the justification
        assert derivation.rule.premises == ("limit", "xs")


def test_for_each_is_refused_on_an_outcome(tmp_path: Path) -> None:
    bad = rule("bad", {"outcome": "done"})
    bad["for_each"] = "facts.xs"
    with pytest.raises(ReferentialError) as raised:
        book_of(tmp_path, "bad", [bad])
    assert [p.message for p in raised.value.problems] == ["for_each makes a list of values or of findings: an outcome has one value"]


# --- an action chain is abandoned after about 10 s of one action -------------------------------------------


def test_a_rule_durable_rules_abandoned_fails_the_evaluation(tmp_path: Path, runtime: DurableRuntime) -> None:
    """Measured: an action holding its lease 11 s ends the chain, silently; the adapter names what did not run."""
    book = book_of(tmp_path, "slow", [rule("slow", fact("b", "facts.a + 1")), rule("after", fact("c", "facts.b + 1"))])
    slow = Recorder()

    def fire(rule: Rule) -> list[str]:
        if rule.id == "slow":
            time.sleep(11)
        return slow(rule)

    with pytest.raises(EvaluationError, match=r"did not run rule\(s\) after although their facts were known"):
        runtime.run(book, ["a"], fire)
    assert slow.fired == ["slow"]
