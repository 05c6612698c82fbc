"""The endpoints: thin, as cli.py is: they read the request, call the `Service`, and answer.

    POST /evaluate                     a dossier (JSON, YAML, or multipart with its FEC) -> the decision    evaluator
    POST /batch                        dossiers -> a job                                                    evaluator
    GET  /jobs/{id}                    a job's progress, and its result once done                           reader
    GET  /decisions/{id}               a stored decision                                                    reader
    GET  /decisions/{id}/explain       its derivation tree (?fact=)                                         reader
    GET  /decisions/{id}/report        its report, one HTML page, with its replay (?lang=)                  reader
    POST /decisions/{id}/replay        judged again under what judged it                                    evaluator
    GET  /schemes                      the schemes, their versions and procedures                           anyone
    GET  /schemes/{s}/versions         a scheme's versions (?as_of=), as `referee versions` lists them       anyone
    GET  /schemes/{s}/diff?from=&to=   what changed between two versions, as `referee diff`                  anyone
    POST /impact?scheme=&to=&from=     a portfolio -> a job: what a new version changes                     evaluator

Blocking work (judging, the store, rendering) runs in the thread pool: the
`def` endpoints are run there by FastAPI, and the `async` ones, which read the
body, hand it over with `run_in_threadpool`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from engine.decision.report import Provenance, report_html
from engine.errors import DecisionFileError
from engine.service.app import Service, now
from engine.service.auth import Evaluator, Reader
from engine.service.bodies import JSON_LINES_TYPES, JSON_TYPES, MULTIPART, YAML_TYPES, read_dossier_request, read_entries
from engine.service.jobs import JobDocument
from engine.service.problems import PROBLEM_RESPONSE, HTTPProblem

router = APIRouter()

_ANY_OBJECT: dict[str, Any] = {"type": "object"}
_DOSSIER_SCHEMA: dict[str, Any] = {
    "type": "object", "description": "A dossier (docs/referentials.md): scheme, procedure, dossier_id, cycle, event_date, facts",
    "required": ["scheme", "procedure", "dossier_id", "cycle", "event_date", "facts"],
}
_DOSSIER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            **{kind: {"schema": _DOSSIER_SCHEMA} for kind in JSON_TYPES},
            **{kind: {"schema": {"type": "string", "description": "a dossier in YAML"}} for kind in YAML_TYPES[:1]},
            MULTIPART: {"schema": {
                "type": "object", "required": ["dossier"],
                "properties": {
                    "dossier": {"type": "string", "description": "the dossier: a YAML or JSON file, or its text"},
                    "ledger": {"type": "string", "format": "binary", "description": "the FEC the dossier's `ledger:` names, for a procedure that reads one"},
                },
            }},
        },
    },
}
_DOSSIERS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            JSON_TYPES[0]: {"schema": {"type": "array", "items": _DOSSIER_SCHEMA}},
            YAML_TYPES[0]: {"schema": {"type": "string", "description": "a YAML list of dossiers"}},
            JSON_LINES_TYPES[0]: {"schema": {"type": "string", "description": "JSON Lines: one dossier a line"}},
        },
    },
}
_ERRORS: dict[int | str, dict[str, Any]] = {status: {**PROBLEM_RESPONSE, "description": why} for status, why in (
    (401, "no token, or an unknown one"), (403, "the token's role may not do this"), (404, "no such decision, job, scheme or version"),
    (413, "the body is larger than the server's limits"), (415, "a body of a type not read here"),
    (422, "the dossier or the request cannot be judged as sent: its problems say where"), (500, "a bug, or the server's referentials"),
)}


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def _wants_html(request: Request) -> bool:
    accepted = request.headers.get("accept", "")
    return "text/html" in accepted and "application/json" not in accepted


# -- judging --------------------------------------------------------------------------------------


@router.post(
    "/evaluate", tags=["judging"], openapi_extra=_DOSSIER_BODY, status_code=200,
    responses={
        200: {"description": "the decision (docs/decision.md); with `Accept: text/html`, its report", "content": {"application/json": {"schema": _ANY_OBJECT}, "text/html": {}}},
        201: {"description": "the same, recorded in the store by this request: `Location` names it"},
        **_ERRORS,
    },
)
async def evaluate(request: Request, principal: Evaluator) -> Response:
    """Judge one dossier under the version in force for its cycle, and record the decision in the store."""
    service = _service(request)
    received = await read_dossier_request(request, service.library.limits)
    try:
        judged = await run_in_threadpool(service.evaluate, received, principal)
    finally:
        if received.ledger is not None:
            await received.ledger.close()
    headers = {"Location": f"/decisions/{judged.row}"} if judged.row is not None else None
    status = 201 if judged.created else 200
    if _wants_html(request):
        provenance = Provenance(evaluator=principal.name, decided_at=now())
        page = await run_in_threadpool(_locked_report, service, judged.decision, None, provenance)
        return HTMLResponse(page, status_code=status, headers=headers)
    return Response(judged.body, status_code=status, media_type="application/json", headers=headers)


@router.post("/batch", tags=["judging"], openapi_extra=_DOSSIERS_BODY, status_code=202, response_model=JobDocument, responses=_ERRORS)
async def batch(request: Request, principal: Evaluator) -> Response:
    """Judge many dossiers in a background job (recorded in the store); poll `Location` (/jobs/{id}) for its progress and results."""
    service = _service(request)
    entries = await read_entries(request, service.library.limits)
    job = service.batch(entries, principal)
    return _json(job.to_json(), 202, {"Location": f"/jobs/{job.id}"})


@router.post("/impact", tags=["authoring"], openapi_extra=_DOSSIERS_BODY, status_code=202, response_model=JobDocument, responses=_ERRORS)
async def impact(
    request: Request, _principal: Evaluator, scheme: Annotated[str, Query()], to: Annotated[str, Query(description="the new version")],
    from_: Annotated[str | None, Query(alias="from", description="the version to compare it with (default: the one it supersedes)")] = None,
) -> Response:
    """What version `to` of `scheme` changes on a portfolio of dossiers, as `referee impact`: a background job."""
    service = _service(request)
    await run_in_threadpool(service.versions_named, scheme, to, *([from_] if from_ else []))  # before the body is read
    entries = await read_entries(request, service.library.limits)
    job = service.impact(scheme, to, from_, entries)
    return _json(job.to_json(), 202, {"Location": f"/jobs/{job.id}"})


@router.get("/jobs/{job_id}", tags=["judging"], response_model=JobDocument, responses=_ERRORS)
def job(request: Request, job_id: str, _principal: Reader) -> Response:
    """A job: its state, its progress, and once done its result (or its problem)."""
    found = _service(request).jobs.get(job_id)
    if found is None:
        raise HTTPProblem(404, "not found", f"no job {job_id}: jobs live in the server's memory, the last {_service(request).jobs.KEEP} of them")
    return _json(found.to_json())


# -- stored decisions -----------------------------------------------------------------------------


@router.get("/decisions/{decision_id}", tags=["decisions"], responses={200: {"content": {"application/json": {"schema": _ANY_OBJECT}}}, **_ERRORS})
def decision(request: Request, decision_id: str, _principal: Reader) -> Response:
    """A stored decision, by its row in the store or its seal, checked against its seal."""
    row, _ = _service(request).stored(decision_id)
    return Response(row.body, media_type="application/json")


@router.get("/decisions/{decision_id}/explain", tags=["decisions"], responses={200: {"content": {"application/json": {"schema": _ANY_OBJECT}}}, **_ERRORS})
def explain(request: Request, decision_id: str, _principal: Reader, fact: str = "outcome") -> Response:
    """How the decision reached `fact`, down to the dossier's facts and the referential's values, as `referee explain --format json`."""
    from engine.decision.explain import derivation_tree

    service = _service(request)
    _, found = service.stored(decision_id)
    try:
        with service.lock:
            tree = derivation_tree(found, service.library, fact)
    except DecisionFileError as exc:  # no rule concluded that fact
        raise HTTPProblem(404, "not found", exc.message, exc.problems) from None
    return _json(tree)


@router.get("/decisions/{decision_id}/report", tags=["decisions"], response_class=HTMLResponse, responses=_ERRORS)
def report(request: Request, decision_id: str, _principal: Reader, lang: Literal["fr", "en"] | None = None) -> HTMLResponse:
    """The applicant's report of a stored decision, judged again: one self-contained HTML page, as `referee report --store`."""
    service = _service(request)
    row, found = service.stored(decision_id)
    provenance = Provenance(evaluator=row.evaluator, decided_at=row.decided_at, replay=service.replay(row))
    return HTMLResponse(_locked_report(service, found, lang, provenance))


def _locked_report(service: Service, decision: Any, lang: str | None, provenance: Provenance) -> str:
    with service.lock:
        return report_html(decision, service.library, lang=lang, provenance=provenance)


@router.post("/decisions/{decision_id}/replay", tags=["decisions"], responses={200: {"content": {"application/json": {"schema": _ANY_OBJECT}}}, **_ERRORS})
def replay(request: Request, decision_id: str, _principal: Evaluator) -> Response:
    """Judge a stored decision again under its library as recorded: reproduced, differing (where, and why) or unverifiable."""
    service = _service(request)
    row, _ = service.stored(decision_id)
    return _json(service.replay(row).to_json())


# -- schemes --------------------------------------------------------------------------------------


@router.get("/schemes", tags=["schemes"], responses={200: {"content": {"application/json": {"schema": {"type": "array", "items": _ANY_OBJECT}}}}})
def schemes(request: Request) -> Response:
    """The schemes the server judges: their versions and procedures (public: no token needed)."""
    return _json(_service(request).schemes())


@router.get("/schemes/{scheme}/versions", tags=["schemes"], responses={200: {"content": {"application/json": {"schema": _ANY_OBJECT}}}, 404: _ERRORS[404]})
def versions(request: Request, scheme: str, as_of: dt.date | None = None) -> Response:
    """A scheme's versions with their dates, status on `as_of` (default: today) and publication, as `referee versions --format json`."""
    from engine.authoring.reports import versions_table

    service = _service(request)
    service.versions_named(scheme)
    day = as_of or dt.date.today()
    with service.lock:
        loaded = service.library.versions(scheme)
    return _json({"scheme": scheme, "as_of": day.isoformat(), "framework": loaded[0].framework, "versions": versions_table(loaded, day)})


@router.get("/schemes/{scheme}/diff", tags=["schemes"], responses={200: {"content": {"application/json": {"schema": _ANY_OBJECT}}}, 404: _ERRORS[404], 422: _ERRORS[422]})
def diff(
    request: Request, scheme: str, from_: Annotated[str, Query(alias="from", description="version A")], to: Annotated[str, Query(description="version B")],
) -> Response:
    """What changed from version `from` to version `to`, item by item, as `referee diff --format json`."""
    from engine.authoring.diff import diff_versions

    service = _service(request)
    old, new = service.versions_named(scheme, from_, to)
    with service.lock:
        return _json(diff_versions(service.library, old, new).to_json())
