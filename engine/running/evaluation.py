"""From a dossier to a decision: select, validate, infer, decide.

Only the work that depends on the dossier happens here; what depends on the
versions alone was compiled once by the library (`Library.compiled`). The
trail starts with the version selection, then lists every conclusion in a
canonical order (by depth in the derivation graph, then by rule), so that the
runtimes, or two runs, give byte-identical decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from engine import __version__
from engine.compilation.expressions import ExpressionError, format_value
from engine.compilation.procedure import CompiledProcedure
from engine.compilation.rules import OUTCOME
from engine.decision.model import NOT_ENCODED_OUTCOME, REPEALED_OUTCOME, Decision, Digests, Finding, Premise, RuleStep, VersionStep, VersionUsed
from engine.errors import DossierError, EvaluationError, Problem, ReferentialError, format_path
from engine.model.canonical import to_plain
from engine.model.dossier import DOSSIER_FACTS, LEDGER_PATH, Dossier
from engine.model.limits import non_finite
from engine.model.referential import ReferentialVersion
from engine.running.inference import Firing, Inference
from engine.running.runtimes import Runtime, get_runtime
from engine.selection.procedures import select_for, with_companions
from engine.selection.versions import Selection

if TYPE_CHECKING:
    from engine.adapters.ledger import LedgerInput
    from engine.library import Library


ENGINE = f"referee {__version__}"


def engine_version() -> str:
    return ENGINE


def evaluate(library: Library, dossier: Dossier, version: str | None = None, runtime: str | Runtime = "durable-rules") -> Decision:
    """Judge one dossier. `version` forces a version (it overrides the dossier's own `version`)."""
    if dossier.scheme not in library.schemes():
        raise DossierError(
            f"{dossier.source}: unknown scheme {dossier.scheme!r}",
            [Problem(f"known schemes: {', '.join(library.schemes()) or 'none'}", ("scheme",), dossier.source)],
        )
    forced = version or dossier.version
    versions = library.checked(dossier.scheme)
    try:
        selection, procedure = select_for(versions, dossier.procedure, dossier.anchor, dossier.event_date, forced)
    except DossierError as exc:
        raise _in_dossier(exc, dossier) from None
    if selection.refusal:
        base = selection.base
        assert base is not None
        if procedure is not None:  # a version that is not encoded has no input to check the facts against
            library.validator(procedure, lambda section: _defining(versions, base, section)).validate(dossier)
        return _refusal(dossier, selection)
    assert procedure is not None
    try:
        companion = with_companions(library, selection, procedure, dossier)
    except DossierError as exc:
        raise _in_dossier(exc, dossier) from None
    if companion.refusal:  # e.g. a method repealed before the project's cycle started
        library.compiled(selection, procedure).validator.validate(dossier)
        return _refusal(dossier, companion)
    selection = companion
    compiled = library.compiled(selection, procedure)
    inputs = compiled.validator.validate(dossier)
    _check_ranges(compiled, inputs, dossier)
    ledger = _ledger(library, dossier, compiled)
    origins: dict[str, str] = {}
    if ledger is not None:
        assert procedure.ledger is not None
        inputs[procedure.ledger.fact] = ledger.fact
        origins[procedure.ledger.fact] = LEDGER_PATH
    engine = get_runtime(runtime) if isinstance(runtime, str) else runtime
    inference = Inference(compiled, inputs, engine.evaluator(compiled.scope, inputs))
    _check_inputs(inference, dossier)
    engine.run(compiled.rulebook, list(inputs), inference.fire)
    _check_finite(inference)
    _check_outcome(inference, dossier)
    return _decision(dossier, selection, inference, origins, ledger)


def _in_dossier(exc: DossierError, dossier: Dossier) -> DossierError:
    """Selection knows dates, not files: the same error, naming the dossier."""
    return DossierError(f"{dossier.source}: {exc.message}", [replace(p, file=p.file or dossier.source) for p in exc.problems])


def _ledger(library: Library, dossier: Dossier, compiled: CompiledProcedure) -> LedgerInput | None:
    """The FEC the dossier names, read for a procedure that declares a ledger; None when it names none."""
    spec = compiled.procedure.ledger
    if spec is None:
        if dossier.ledger is not None:
            raise DossierError(
                f"{dossier.source}: procedure {compiled.procedure.name!r} reads no ledger",
                [Problem("remove it: this procedure takes its inputs from facts only", ("ledger",), dossier.source)],
            )
        return None
    if spec.fact in dossier.facts:
        raise DossierError(
            f"{dossier.source}: facts.{spec.fact} is read from a FEC, not written in the dossier",
            [Problem(f"name the FEC file under `ledger:` instead ({spec.clause})", ("facts", spec.fact), dossier.source)],
        )
    if dossier.ledger is None:
        return None
    from engine.adapters.ledger import read_ledger  # the FEC reader, imported only by the dossiers that name one

    return read_ledger(spec, compiled.scope, dossier.ledger, dossier.source, library.limits, library.confine_ledgers)


def _check_ranges(compiled: CompiledProcedure, inputs: dict[str, Any], dossier: Dossier) -> None:
    """Inputs a rule places in a band set lie within its range: else no band holds them, and the dossier is at fault."""
    problems = []
    for limit in compiled.ranges:
        value = inputs.get(limit.fact)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not limit.minimum <= value <= limit.maximum:
            problems.append(Problem(
                f"{format_value(value)} lies outside the range of band set {limit.bands}: "
                f"from {format_value(limit.minimum)} to {format_value(limit.maximum)} {limit.unit}",
                ("facts", limit.fact), dossier.source))
    if problems:
        raise DossierError(f"{dossier.source}: the facts do not satisfy the input of procedure {compiled.procedure.name!r} ({compiled.where})", problems)


def _check_inputs(inference: Inference, dossier: Dossier) -> None:
    """The procedure's input checks, all at once: inputs that are each well typed but impossible together."""
    procedure = inference.compiled.procedure
    problems = []
    for check in inference.compiled.checks:
        try:
            holds = inference.scope.evaluate(check.check)
            # the message may read inputs that only exist when the check fails (e.g. an optional date)
            message = None if holds is True else inference.scope.render(check.message)
        except ExpressionError as exc:
            raise EvaluationError(f"an input check of procedure {procedure.name!r} failed", [Problem(str(exc))]) from None
        if message is not None:
            problems.append(Problem(f"{message} ({check.clause})", ("facts", *check.input.split(".")), dossier.source))
    if problems:
        raise DossierError(f"{dossier.source}: the inputs of procedure {procedure.name!r} are inconsistent", problems)


def _check_finite(inference: Inference) -> None:
    """No decision holds NaN or an infinity: a rule that computed one (a division by zero) fails the evaluation."""
    for firing in inference.firings:
        for path, value in non_finite(firing.value):
            rule = firing.rule
            where = format_path(("value", *path)) if path else "its value"
            raise EvaluationError(
                f"rule {rule.id} ({rule.clause}) concluded {firing.name} with {value!r} at {where}, which is not a number: "
                "no decision is given (a division by zero? guard it in the rule)",
                [Problem(f"{value!r} is not finite", rule.path, rule.file)],
            )


def _check_outcome(inference: Inference, dossier: Dossier) -> None:
    compiled = inference.compiled
    procedure = compiled.procedure
    outcome = inference.facts.get(OUTCOME)
    if outcome is None:
        missing = inference.missing_inputs()
        if missing:
            raise DossierError(
                f"{dossier.source}: cannot decide {procedure.name!r}: inputs are missing",
                [Problem(f"needed by rule {rule.id} ({rule.clause})", ("facts", name), dossier.source) for name, rule in missing],
            )
        declined = ", ".join(r.id for r in inference.declined) or "none"
        raise EvaluationError(
            f"no rule concluded an outcome for procedure {procedure.name!r} ({compiled.where})",
            [Problem(f"rules whose condition was false: {declined}")],
        )
    if outcome not in procedure.outcomes:
        rule = inference.concluded_by[OUTCOME].rule
        raise ReferentialError(
            f"rule {rule.id} concluded outcome {outcome!r}, which procedure {procedure.name!r} does not list",
            [Problem(f"listed outcomes: {', '.join(procedure.outcomes)}", rule.path, rule.file)],
        )


def _selection_steps(selection: Selection) -> list[VersionStep]:
    return [
        VersionStep(f"version:{c.section}", c.section, c.version.id, c.mode, c.clause or None, c.reason)
        for c in selection.choices.values()
    ]


def _versions_used(selection: Selection) -> list[VersionUsed]:
    return [
        VersionUsed(c.section, c.version.scheme, c.version.id, c.version.digest, c.mode, c.reason, c.clause or None)
        for c in selection.choices.values()
    ]


def _selection_findings(selection: Selection) -> list[Finding]:
    return [Finding(FORCED_FINDING, "warning", w) for w in selection.warnings]


def _canonical_order(inference: Inference) -> list[Firing]:
    """By depth in the derivation graph, then by rule, then by firing: the same whatever fired first."""
    index = inference.compiled.rulebook.index
    concluded_by = inference.concluded_by
    depth: list[int] = []
    for firing in inference.firings:  # firings are appended after those they read, in `order`
        deepest = 0
        for name in firing.rule.premises:
            producer = concluded_by.get(name)
            if producer is not None and depth[producer.order] > deepest:
                deepest = depth[producer.order]
        depth.append(deepest + 1)
    return sorted(inference.firings, key=lambda f: (depth[f.order], index[f.rule.id], f.order))


def _decision(dossier: Dossier, selection: Selection, inference: Inference, origins: dict[str, str], ledger: LedgerInput | None) -> Decision:
    compiled = inference.compiled
    ordered = _canonical_order(inference)
    trail_id = {f.order: f"d{i}" for i, f in enumerate(ordered, start=1)}
    concluded_by = inference.concluded_by
    trail: list[Any] = _selection_steps(selection)
    findings = _selection_findings(selection)
    read: dict[str, None] = {}
    cited, origins_of = compiled.cited, compiled.origins
    for firing in ordered:
        rule = firing.rule
        premises = []
        for name in rule.premises:
            source = concluded_by.get(name)
            if source is not None:
                premises.append(Premise("fact", name, trail=trail_id[source.order]))
            else:
                read[name] = None
                premises.append(Premise("fact", name, path=origins.get(name) or DOSSIER_FACTS.get(name) or f"$.facts.{name}"))
        premises += cited[rule.id]
        origin = origins_of[rule.file]
        step_id = trail_id[firing.order]
        trail.append(RuleStep(
            step_id, firing.kind, firing.name, firing.value, rule.id, rule.title, rule.clause, origin.version, origin.section,
            premises, firing.because, list(rule.readings),
        ))
        if firing.kind == "finding":
            conclusion = rule.conclusion
            findings.append(Finding(conclusion.name, conclusion.severity, firing.value, rule.clause, rule.id, step_id, firing.item))
    procedure = compiled.procedure
    facts = inference.facts
    outcome = facts[OUTCOME]
    return Decision(
        **_about(dossier),
        outcome=outcome,
        outcome_meaning=procedure.outcomes[outcome],
        values={n: facts[n] for n in procedure.values if facts.get(n) is not None},
        findings=findings,
        versions=_versions_used(selection),
        forced_version=selection.forced,
        inputs={name: facts[name] for name in sorted(read)},
        trail=trail,
        digests=_digests(dossier, selection, compiled.rulebook.digest, ledger),
    )


def _about(dossier: Dossier) -> dict[str, Any]:
    """What every decision says of its dossier, first."""
    return {
        "scheme": dossier.scheme,
        "procedure": dossier.procedure,
        "dossier_id": dossier.dossier_id,
        "cycle": to_plain(dict(dossier.cycle)),
        "event_date": dossier.event_date.isoformat(),
    }


def _digests(dossier: Dossier, selection: Selection, rules: str | None, ledger: LedgerInput | None) -> Digests:
    versions = [c.version for c in selection.choices.values()]
    if not selection.choices and selection.base is not None:
        versions = [selection.base]
    referentials = {v.label: v.digest for v in versions}
    locks = {v.label: v.lock.stamp() for v in versions if v.lock is not None}
    # the FEC is cited by its digest: the dossier's own digest covers only its name
    return Digests(dossier.digest, rules, referentials, engine_version(), ledger.digest if ledger else None, locks)


def _defining(versions: Sequence[ReferentialVersion], refusing: ReferentialVersion, section: str) -> ReferentialVersion:
    """The version whose input checks a refused dossier's facts: the refusing one, or the last before it that defines the section.

    A version not encoded that refuses a section following the event date does not define it.
    """
    return max((v for v in versions if section in v.sections and v.in_force_from <= refusing.in_force_from), key=lambda v: v.in_force_from)


_REFUSALS = {  # mode -> (outcome, its meaning, the finding's code)
    "repealed": (REPEALED_OUTCOME, "no version governs a cycle that starts after the repeal of the version in force", "VERSION_REPEALED"),
    "not_encoded": (NOT_ENCODED_OUTCOME, "the version that governs this cycle is not encoded: no decision can be taken under it", "VERSION_NOT_ENCODED"),
}
FORCED_FINDING = "VERSION_FORCED"
ENGINE_FINDINGS = frozenset({FORCED_FINDING, *(code for _, _, code in _REFUSALS.values())})  # the codes no rule raises: the engine does


def _refusal(dossier: Dossier, selection: Selection) -> Decision:
    base, mode, clause, reason = selection.base, selection.refusal_mode, selection.refusal_clause, selection.refusal
    assert base is not None and reason is not None
    outcome, meaning, code = _REFUSALS[mode]
    return Decision(
        **_about(dossier),
        outcome=outcome,
        outcome_meaning=meaning,
        values={},
        findings=[Finding(code, "error", reason, clause)],
        versions=[VersionUsed(None, base.scheme, base.id, base.digest, mode, reason, clause)],
        forced_version=None,
        inputs={},
        trail=[VersionStep(f"version:{mode.replace('_', '-')}", None, base.id, mode, clause, reason, referential=base.scheme)],
        digests=_digests(dossier, Selection({}, base), None, None),
    )

