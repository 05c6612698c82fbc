"""From a dossier to a decision: select, assemble, validate, infer, report.

The decision is plain JSON-ready data (format documented in docs/decision.md).
Its trail starts with the version selection, then lists every derivation in
a canonical order (by depth in the derivation graph, then by rule), so that
two runtimes, or two runs, give byte-identical decisions.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from engine.compilation.assembly import Assembly, assemble, select_for, with_companions
from engine.model.canonical import to_plain
from engine.model.dossier import Dossier, load_dossier, validate_facts
from engine.errors import DossierError, EvaluationError, Problem, ReferentialError
from engine.compilation.expressions import ExpressionError
from engine.running.inference import Derivation, Inference
from engine.adapters.ledger import LEDGER_PATH, LedgerInput, read_ledger
from engine.model.referential import Procedure, ReferentialVersion
from engine.compilation.rules import OUTCOME
from engine.running.runtimes import get_runtime
from engine.selection.versions import Selection
from engine.library import Store

DECISION_FORMAT = "referee.decision/1"
REPEALED_OUTCOME = "version_repealed"


def engine_version() -> str:
    try:
        return f"referee {metadata.version('referee')}"
    except metadata.PackageNotFoundError:  # running from a source tree that was not installed
        return "referee (not installed)"


def evaluate_file(store: Store, path: Path, version: str | None = None, runtime: str = "durable-rules") -> dict[str, Any]:
    return evaluate(store, load_dossier(path), version=version, runtime=runtime)


def evaluate(store: Store, dossier: Dossier, version: str | None = None, runtime: str = "durable-rules") -> dict[str, Any]:
    """Judge one dossier. `version` forces a version (it overrides the dossier's own `version`)."""
    if dossier.scheme not in store.schemes():
        raise DossierError(
            f"{dossier.source}: unknown scheme {dossier.scheme!r}",
            [Problem(f"known schemes: {', '.join(store.schemes()) or 'none'}", ("scheme",), dossier.source)],
        )
    forced = version or dossier.version
    versions = store.versions(dossier.scheme)
    try:
        selection, procedure = select_for(versions, dossier.procedure, dossier.anchor, dossier.event_date, forced)
    except DossierError as exc:
        raise _in_dossier(exc, dossier) from None
    if selection.refusal:
        assert selection.base is not None
        base = selection.base
        _validated(dossier, procedure, lambda _: base)
        return _refusal(dossier, selection)
    try:
        companion = with_companions(store, selection, procedure, dossier)
    except DossierError as exc:
        raise _in_dossier(exc, dossier) from None
    if companion.refusal:  # e.g. a method repealed before the project's cycle started
        _validated(dossier, procedure, selection.version_of)
        return _refusal(dossier, companion)
    selection = companion
    assembly = assemble(store, selection, procedure)
    inputs, where = _validated(dossier, procedure, selection.version_of)
    ledger = _ledger(dossier, assembly)
    origins = {}
    if ledger is not None:
        assert procedure.ledger is not None
        inputs[procedure.ledger.fact] = ledger.fact
        origins[procedure.ledger.fact] = LEDGER_PATH
    inference = Inference(assembly, inputs, origins)
    _check_inputs(inference, dossier)
    get_runtime(runtime).run(assembly.rulebook, [name for name, value in inputs.items()], inference.fire)
    _check_outcome(inference, dossier, where)
    return _decision(dossier, assembly, inference, ledger)


def _in_dossier(exc: DossierError, dossier: Dossier) -> DossierError:
    """Selection knows dates, not files: the same error, naming the dossier."""
    return DossierError(f"{dossier.source}: {exc.message}", [replace(p, file=p.file or dossier.source) for p in exc.problems])


def _validated(dossier: Dossier, procedure: Procedure, version_of: Callable[[str], ReferentialVersion]) -> tuple[dict[str, Any], str]:
    """The dossier's facts checked against the procedure's input; and where that input comes from."""
    where = f"{version_of(procedure.section).label}, procedure {procedure.name}"
    criteria = {c.id: c for name in procedure.sections for c in version_of(name).sections[name].criteria.values()}
    return validate_facts(dossier, procedure, criteria, where), where


def _ledger(dossier: Dossier, assembly: Assembly) -> LedgerInput | None:
    """The FEC the dossier names, read for a procedure that declares a ledger; None when it names none."""
    spec = assembly.procedure.ledger
    if spec is None:
        if dossier.ledger is not None:
            raise DossierError(
                f"{dossier.source}: procedure {assembly.procedure.name!r} reads no ledger",
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
    return read_ledger(spec, assembly.scope, dossier.ledger, dossier.source)


def _check_inputs(inference: Inference, dossier: Dossier) -> None:
    """The procedure's input checks, all at once: inputs that are each well typed but impossible together."""
    procedure = inference.assembly.procedure
    problems = []
    for check in procedure.input_checks:
        try:
            holds = check.check.evaluate(inference.scope)
            # the message may read inputs that only exist when the check fails (e.g. an optional date)
            message = None if holds is True else check.message.render(inference.scope)
        except ExpressionError as exc:
            raise EvaluationError(f"an input check of procedure {procedure.name!r} failed", [Problem(str(exc))]) from None
        if message is not None:
            problems.append(Problem(f"{message} ({check.clause})", ("facts", *check.input.split(".")), dossier.source))
    if problems:
        raise DossierError(f"{dossier.source}: the inputs of procedure {procedure.name!r} are inconsistent", problems)


def _check_outcome(inference: Inference, dossier: Dossier, where: str) -> None:
    procedure = inference.assembly.procedure
    outcome = inference.facts.get(OUTCOME)
    if outcome is None:
        missing = inference.missing_inputs()
        if missing:
            raise DossierError(
                f"{dossier.source}: cannot decide {procedure.name!r}: inputs are missing",
                [
                    Problem(f"needed by rule {rule.id} ({rule.clause})", ("facts", name), dossier.source)
                    for name, rule in missing
                ],
            )
        declined = ", ".join(r.id for r in inference.declined) or "none"
        raise EvaluationError(
            f"no rule concluded an outcome for procedure {procedure.name!r} ({where})",
            [Problem(f"rules whose condition was false: {declined}")],
        )
    if outcome not in procedure.outcomes:
        rule = inference.concluded_by[OUTCOME].rule
        raise ReferentialError(
            f"rule {rule.id} concluded outcome {outcome!r}, which procedure {procedure.name!r} does not list",
            [Problem(f"listed outcomes: {', '.join(procedure.outcomes)}", ("rules", rule.index), rule.file)],
        )


def _selection_trail(selection: Selection) -> list[dict[str, Any]]:
    return [
        {
            "id": f"version:{choice.section}",
            "kind": "version-selection",
            "section": choice.section,
            "version": choice.version.id,
            "mode": choice.mode,
            "clause": choice.clause or None,
            "because": choice.reason,
        }
        for choice in selection.choices.values()
    ]


def _versions(selection: Selection) -> list[dict[str, Any]]:
    return [
        {
            "section": c.section,
            "referential": c.version.scheme,
            "version": c.version.id,
            "digest": c.version.digest,
            "mode": c.mode,
            "reason": c.reason,
            "clause": c.clause or None,
        }
        for c in selection.choices.values()
    ]


def _selection_findings(selection: Selection) -> list[dict[str, Any]]:
    return [
        {"code": "VERSION_FORCED", "severity": "warning", "message": w, "clause": None, "rule": None}
        for w in selection.warnings
    ]


def _canonical_order(inference: Inference) -> list[Derivation]:
    index = {rule.id: i for i, rule in enumerate(inference.assembly.rulebook.rules)}
    depth: dict[int, int] = {}
    for d in inference.derivations:  # derivations are appended after their premises
        parents = [inference.concluded_by[p["name"]].order for p in d.premises if p.get("source") == "rule"]
        depth[d.order] = 1 + max((depth[o] for o in parents), default=0)
    return sorted(inference.derivations, key=lambda d: (depth[d.order], index[d.rule.id], d.order))


def _decision(dossier: Dossier, assembly: Assembly, inference: Inference, ledger: LedgerInput | None) -> dict[str, Any]:
    ordered = _canonical_order(inference)
    trail_id = {d.order: f"d{i}" for i, d in enumerate(ordered, start=1)}
    origin = assembly.rule_origin
    trail = _selection_trail(assembly.selection)
    findings = _selection_findings(assembly.selection)
    for d in ordered:
        premises = []
        for premise in d.premises:
            premise = dict(premise)
            if premise.get("source") == "rule":
                premise["trail"] = trail_id[inference.concluded_by[premise["name"]].order]
            premises.append(premise)
        choice = origin[d.rule.file]
        trail.append(
            {
                "id": trail_id[d.order],
                "kind": d.kind,
                "fact": d.name if d.kind == "fact" else None,
                "finding": d.finding,
                "value": d.value,
                "rule": d.rule.id,
                "title": d.rule.title,
                "clause": d.rule.clause,
                "version": choice.version.id,
                "section": choice.section,
                "premises": premises,
                "because": d.because,
            }
        )
        if d.finding:
            findings.append(d.finding)
    procedure = assembly.procedure
    outcome = inference.facts[OUTCOME]
    return _document(
        dossier,
        outcome=outcome,
        outcome_meaning=procedure.outcomes[outcome],
        values={n: inference.facts[n] for n in procedure.values if inference.facts.get(n) is not None},
        findings=findings,
        versions=_versions(assembly.selection),
        forced_version=assembly.selection.forced,
        trail=trail,
        rules_digest=assembly.rulebook.digest,
        referentials={c.version.label: c.version.digest for c in assembly.selection.choices.values()},
        ledger=ledger.digest if ledger else None,
    )


def _document(
    dossier: Dossier, *, rules_digest: str | None, referentials: dict[str, str], ledger: dict[str, Any] | None = None, **body: Any
) -> dict[str, Any]:
    """The decision in its documented key order (docs/decision.md)."""
    header = {
        "format": DECISION_FORMAT,
        "scheme": dossier.scheme,
        "procedure": dossier.procedure,
        "dossier_id": dossier.dossier_id,
        "cycle": dict(dossier.cycle),
        "event_date": dossier.event_date,
    }
    digests = {"dossier": dossier.digest, "rules": rules_digest, "referentials": referentials, "engine": engine_version()}
    if ledger is not None:  # the file is cited by its digest: the dossier's own digest covers only its name
        digests["ledger"] = ledger
    return to_plain({**header, **body, "digests": digests})


def _refusal(dossier: Dossier, selection: Selection) -> dict[str, Any]:
    base = selection.base
    assert base is not None
    return _document(
        dossier,
        outcome=REPEALED_OUTCOME,
        outcome_meaning="no version governs a cycle that starts after the repeal of the version in force",
        values={},
        findings=[{"code": "VERSION_REPEALED", "severity": "error", "message": selection.refusal, "clause": None, "rule": None}],
        versions=[
            {"section": None, "referential": base.scheme, "version": base.id, "digest": base.digest,
             "mode": "repealed", "reason": selection.refusal, "clause": None}
        ],
        forced_version=None,
        trail=[
            {"id": "version:repealed", "kind": "version-selection", "section": None, "referential": base.scheme,
             "version": base.id, "mode": "repealed", "clause": None, "because": selection.refusal}
        ],
        rules_digest=None,
        referentials={base.label: base.digest},
    )
