"""Errors as RFC 9457 problem documents (`application/problem+json`), never a traceback.

Every answer that is not a success is one document: `type`, `title`, `status`,
`detail`, `instance`, and `problems`, the list `[{file, line, path, message}]`
that the CLI prints with `--format json`, with the same paths and lines. A
referee error gets the status its class says (`STATUS`); FastAPI's own
validation errors and Starlette's HTTP errors (404, 405, 413…) are turned into
the same shape; anything else is a bug, answered 500 without its stack, which
goes to the server's log only.

A request's dossier is no file: its problems name it as the request named it
(`dossier.yaml`, the uploaded file's name), and `located` finds their lines as
the CLI does, in the body itself, when there is a problem to place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import DecisionFileError, DossierError, EvaluationError, Problem, RefereeError, ReferentialError, UsageError
from engine.model.documents import locate
from engine.model.limits import Limits
from engine.store.database import StoreError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:referee:problem:"  # + a slug; docs/api.md lists them
log = logging.getLogger("referee.service")

STATUS: dict[type[RefereeError], int] = {
    DossierError: 422,  # the dossier cannot be judged as sent: its problems say where
    EvaluationError: 422,  # a rule failed on this dossier's values
    UsageError: 400,
    ReferentialError: 500,  # the server's referentials: no client can mend them
    DecisionFileError: 500,  # a stored decision no longer matches its seal: the store is at fault
    StoreError: 503,
}


class ProblemItem(BaseModel):
    """One thing wrong, where it is: as `referee --format json` gives it."""

    file: str | None = None
    line: int | None = None
    path: str | None = None
    message: str


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document, with referee's `problems` list."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    problems: list[ProblemItem] = []


PROBLEM_RESPONSE = {"model": ProblemDocument, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}}}


class HTTPProblem(Exception):
    """A problem the service itself raises: not found, not allowed, too large."""

    def __init__(self, status: int, title: str, detail: str, problems: Iterable[Problem] = (), headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.problems, self.headers = status, title, detail, tuple(problems), headers


def problem_body(status: int, title: str, detail: str, problems: Sequence[Problem] = (), instance: str | None = None) -> dict[str, Any]:
    return {
        "type": TYPE_PREFIX + "-".join(title.lower().split()),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "problems": [p.to_json() for p in problems],
    }


def problem_response(
    status: int, title: str, detail: str, problems: Sequence[Problem] = (), *, instance: str | None = None, headers: Mapping[str, str] | None = None,
) -> Response:
    body = problem_body(status, title, detail, problems, instance)
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_of(error: RefereeError) -> int:
    return next((status for kind, status in STATUS.items() if isinstance(error, kind)), 500)


def located(error: RefereeError, name: str, body: bytes, limits: Limits, folder: Path | None = None) -> RefereeError:
    """The error with each problem's line in the request's dossier, and its names as the request gave them.

    `folder`: where the request's files were placed (a dossier with its uploaded ledger); its path is
    the server's business, so it is taken out of every name and message.
    """
    prefix = f"{folder}/" if folder is not None else None

    def named(text: str) -> str:
        return text.replace(prefix, "") if prefix else text

    try:
        texts = {f"{prefix or ''}{name}": body.decode("utf-8")}  # the dossier as the engine named it
    except UnicodeDecodeError:  # a body that is not UTF-8 is refused as such: no line to find in it
        texts = {}
    problems = [replace(p, file=named(p.file) if p.file else None, message=named(p.message)) for p in locate(error.problems, limits, texts)]
    return type(error)(named(error.message), problems)


def install(app: FastAPI) -> None:
    """Every error the application can meet, answered as a problem document."""

    async def referee_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RefereeError)
        return problem_response(status_of(exc), exc.headline, exc.message, exc.problems, instance=request.url.path)

    async def http_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPProblem)
        return problem_response(exc.status, exc.title, exc.detail, exc.problems, instance=request.url.path, headers=exc.headers)

    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [Problem(str(e.get("msg", "invalid")), tuple(e.get("loc", ()))) for e in exc.errors()]
        return problem_response(422, "invalid request", "the request's parameters are not what this endpoint takes", problems, instance=request.url.path)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        title = {404: "not found", 405: "method not allowed"}.get(exc.status_code, "bad request" if exc.status_code < 500 else "server error")
        return problem_response(exc.status_code, title, str(exc.detail), instance=request.url.path, headers=exc.headers)

    async def internal(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)  # the stack goes to the server's log only
        return problem_response(
            500, "internal error", f"{type(exc).__name__}: a bug in referee; the server's log has the details", instance=request.url.path,
        )

    app.add_exception_handler(RefereeError, referee_error)
    app.add_exception_handler(HTTPProblem, http_problem)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal)

