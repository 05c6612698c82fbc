"""The application: `create_app(library, store, tokens)`, and the `Service` its endpoints call.

The library is compiled when the application is made (`Library.compile_all`),
and every request is judged by it: a request does only the work that depends
on its dossier. Its caches and input validators are not made for two threads
at once, so the requests use it under one lock; judging is CPU-bound Python,
which threads would not run in parallel anyway. The work runs in Starlette's
thread pool, never in the event loop. Jobs (batch, impact) run in a thread of
their own, on a library of their own (engine/service/jobs.py). The server
reads no ledger but those uploaded with their dossier (`confine_ledgers`).

Decisions are judged by the `compiled` runtime, which gives the decisions of
durable-rules (the reference) and is safe in any thread. With a store, each
decision is recorded as a batch records it, with its dossier as received and
its uploaded ledger, under the evaluator's name; a dossier the store has
judged under the same versions already is not recorded twice.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI

from engine import __version__
from engine.decision.model import Decision
from engine.errors import DossierError, Problem, RefereeError, ReferentialError, UsageError
from engine.library import Library
from engine.model.documents import parse_bytes
from engine.model.dossier import read_dossier
from engine.model.referential import ReferentialVersion
from engine.running.batch import DossierResult, Entry, judge_all, store_record
from engine.running.evaluation import engine_version
from engine.service.access_log import AccessLog
from engine.service.auth import Principal, Tokens
from engine.service.bodies import Received, ledger_place
from engine.service.jobs import Job, Jobs
from engine.service.problems import HTTPProblem, located
from engine.store.replay import Replay, Replayer
from engine.store.repository import Record, Store, StoredDecision
from engine.store.snapshot import capture

RUNTIME = "compiled"


@dataclass(frozen=True)
class Judged:
    decision: Decision
    body: bytes  # the decision as compact JSON, as the store keeps it
    row: int | None  # the store's row, when recorded
    created: bool  # recorded by this request (False: the store held the same decision already)


class Service:
    """What the endpoints call: the compiled library, the store, the tokens and the jobs of one server."""

    def __init__(self, library: Library, store: Store | None, tokens: Tokens):
        if not library.confine_ledgers:  # a view sharing all that is compiled, as Library.with_versions makes
            library = copy.copy(library)
            library.confine_ledgers = True
        self.library, self.store, self.tokens = library, store, tokens
        self.lock = threading.Lock()  # the library is used by one request at a time
        self.jobs = Jobs()
        self._job_library: Library | None = None
        self._replayer: Replayer | None = None
        self._replay_lock = threading.Lock()
        library.compile_all()
        self.library_digest: str | None = None  # the library as recorded in the store
        if store is not None:
            snapshot = capture(library)
            store.record_library(snapshot)
            self.library_digest = snapshot.digest
        self.jobs.run_first(self.job_library)

    def close(self) -> None:
        self.jobs.shutdown()
        if self._replayer is not None:
            self._replayer.__exit__(None, None, None)

    # -- judging -----------------------------------------------------------------------------------

    def evaluate(self, received: Received, principal: Principal) -> Judged:
        """Judge the dossier a request sent, and record the decision; a refusal is the CLI's, named as the request named it."""
        folder = Path(tempfile.mkdtemp(prefix="referee-request-")) if received.ledger is not None else None
        try:
            try:
                document = parse_bytes(received.body, received.name, DossierError, self.library.limits)
                place = ledger_place(document, received)
                source = received.name
                if folder is not None and place is not None and received.ledger is not None:
                    source = str(folder / received.name)
                    (folder / received.name).write_bytes(received.body)
                    target = folder / place
                    target.parent.mkdir(parents=True, exist_ok=True)
                    received.ledger.file.seek(0)
                    with target.open("wb") as copied:
                        shutil.copyfileobj(received.ledger.file, copied)
                dossier = read_dossier(document, source)
                with self.lock:
                    decision = self.library.evaluate(dossier, runtime=RUNTIME)
            except RefereeError as exc:
                raise located(exc, received.name, received.body, self.library.limits, folder) from None
            data = decision.to_json()
            body = orjson.dumps(data)
            if self.store is None:
                return Judged(decision, body, None, False)
            entry = Entry(f"HTTP {received.name}", Path(received.name))
            row, created = self._record(store_record(entry, received.body, dossier, decision, body, data["seal"]), principal)
            return Judged(decision, body, row, created)
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    def _record(self, record: Record, principal: Principal) -> tuple[int, bool]:
        """The row of this decision in the store: a new one, or the one that holds it already.

        The store leaves out a decision on a dossier it has judged under the same versions (as a batch's);
        if what it holds is another decision (another engine's), this one is recorded all the same.
        """
        assert self.store is not None and self.library_digest is not None

        def append(again: bool) -> int:
            assert self.store is not None and self.library_digest is not None
            return self.store.append([record], library=self.library_digest, runtime=RUNTIME, engine=engine_version(), evaluator=principal.name, again=again)

        appended = append(again=False)
        held = list(self.store.decisions(seal=record.seal, body=False))
        if not held:  # left out for another decision on the same dossier and versions
            appended = append(again=True)
            held = list(self.store.decisions(seal=record.seal, body=False))
        return held[-1 if appended else 0].seq, bool(appended)

    def job_library(self) -> Library:
        """The jobs' own library, compiled in the jobs' thread (first thing it does)."""
        if self._job_library is None:
            self._job_library = Library.open(self.library.root, self.library.limits, confine_ledgers=True)
            self._job_library.compile_all()
        return self._job_library

    def batch(self, entries: list[Entry], principal: Principal) -> Job:
        def work(job: Job) -> dict[str, Any]:
            from engine.store.recording import Recorder

            recorder = Recorder(self.store, self.library_digest, RUNTIME, principal.name) if self.store and self.library_digest else None
            results, outcomes = [], Counter[str]()
            for result in judge_all(self.job_library(), entries, runtime=RUNTIME, recording=recorder is not None):
                results.append(_result(result))
                outcomes[result.outcome or "(invalid)"] += 1
                job.done += 1
                if recorder is not None and result.record is not None:
                    recorder.add(result.record)
            if recorder is not None:
                recorder.flush()
            return {"outcomes": dict(outcomes), "recorded": recorder.appended if recorder else 0, "results": results}

        return self.jobs.submit("batch", len(entries), work)

    def impact(self, scheme: str, new_id: str, old_id: str | None, entries: list[Entry]) -> Job:
        from engine.authoring.impact import impact_of

        def work(job: Job) -> dict[str, Any]:
            found = impact_of(self.job_library(), scheme, new_id, entries, old_id=old_id).to_json()
            job.done = job.total
            return found

        return self.jobs.submit("impact", len(entries), work)

    # -- reading -----------------------------------------------------------------------------------

    def stored(self, decision_id: str) -> tuple[StoredDecision, Decision]:
        """A decision of the store, by its row or its seal, checked against its seal."""
        if self.store is None:
            raise HTTPProblem(404, "not found", "this server keeps no store: start it with `referee serve --store PATH|URL`")
        if decision_id.isdigit() and len(decision_id) < 19:
            rows = list(self.store.decisions(seq=int(decision_id)))
        elif decision_id.startswith("sha256:"):
            rows = list(self.store.decisions(seal=decision_id))[:1]
        else:
            raise HTTPProblem(404, "not found", f"{decision_id!r} is no decision id", [Problem("a decision is named by its row in the store, or by its seal (sha256:…)")])
        if not rows:
            raise HTTPProblem(404, "not found", f"the store holds no decision {decision_id}")
        return rows[0], Decision.from_json(orjson.loads(rows[0].body), f"decision {rows[0].seq} of the store")

    def replay(self, row: StoredDecision) -> Replay:
        """A stored decision judged again under its library as recorded (one replayer, its libraries kept, one replay at a time)."""
        with self._replay_lock:
            if self._replayer is None:
                self._replayer = Replayer(self.store, self.library)
            return self._replayer.row(row)

    def schemes(self) -> list[dict[str, Any]]:
        """Each scheme with its versions and procedures (the latest version's words for each), or why it cannot be read."""
        listed: list[dict[str, Any]] = []
        with self.lock:
            for scheme in self.library.schemes():
                try:
                    versions = self.library.versions(scheme)
                except (ReferentialError, UsageError) as exc:
                    listed.append({"scheme": scheme, "problem": exc.message})
                    continue
                procedures: dict[str, dict[str, Any]] = {
                    name: {"name": name, "title": p.title, "reads_ledger": p.ledger is not None, "inputs": sorted({*p.input, *filter(None, [p.criteria_input])})}
                    for version in versions for name, p in version.procedures().items()
                }
                listed.append({
                    "scheme": scheme, "title": versions[-1].title, "framework": versions[-1].framework,
                    "versions": [v.id for v in versions], "procedures": list(procedures.values()),
                })
        return listed

    def versions_named(self, scheme: str, *ids: str) -> list[ReferentialVersion]:
        """The versions of `scheme` with these ids; an unknown scheme or id is not found (404), naming the known ones."""
        with self.lock:
            if scheme not in self.library.schemes():  # checked here: the library's message names the server's folder
                raise HTTPProblem(404, "not found", f"unknown scheme {scheme!r}", [Problem(f"known schemes: {', '.join(self.library.schemes())}")])
            try:
                return self.library.versions_named(scheme, *ids)
            except UsageError as exc:
                raise HTTPProblem(404, "not found", exc.message, list(exc.problems)) from None


def _result(result: DossierResult) -> dict[str, Any]:
    """One dossier of a batch job: what it is, and its decision or why it has none."""
    return {
        "source": result.source, "dossier_id": result.dossier_id, "scheme": result.scheme, "procedure": result.procedure,
        "versions": result.versions, "outcome": result.outcome or None, "findings": dict(result.findings),
        "decision": orjson.loads(result.decision) if result.decision is not None else None,
        "error": result.invalid or (f"internal error: {result.internal}" if result.internal else None),
    }


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def create_app(library: Library, store: Store | None = None, tokens: Tokens | None = None) -> FastAPI:
    """referee's HTTP API over a library (compiled here, once), recording into `store` when given (docs/api.md)."""
    from engine.service import page, problems, routes

    service = Service(library, store, tokens if tokens is not None else Tokens())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()

    app = FastAPI(
        title="referee", version=__version__, lifespan=lifespan, redoc_url=None,
        description="Decisions of certification schemes from versioned referentials: evaluate dossiers, read, explain, report and replay "
                    "stored decisions, list schemes, versions and their differences, weigh a new version's impact. "
                    "Errors are RFC 9457 problem documents. See docs/api.md.",
    )
    app.state.service = service
    app.state.tokens = service.tokens
    problems.install(app)
    app.add_middleware(AccessLog)
    app.include_router(page.router)
    app.include_router(routes.router)
    return app
