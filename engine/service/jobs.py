"""Background jobs: a batch or an impact, accepted at once (202), run in turn, polled at /jobs/{id}.

Jobs run one at a time in a thread of their own, on a library of their own
(`Service.job_library`): a long impact never holds up /evaluate, and no
compiled library is used by two threads at once. A job says its state
(queued, running, done, failed), how many dossiers it has and has judged
(an impact says so only at its end), and, once done, its result; a failed one
its problem document. Jobs live in the server's memory: the last `KEEP` are
kept, and a restart forgets them (the decisions a batch recorded stay in the
store). At most `WAITING` wait at once; more are refused (429).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from engine.errors import RefereeError
from engine.service.problems import HTTPProblem, ProblemDocument, problem_body, status_of

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
log = logging.getLogger("referee.service")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Job:
    id: str
    kind: str  # batch | impact
    total: int  # dossiers sent
    state: str = QUEUED
    done: int = 0  # dossiers judged so far
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    result: Any = None
    problem: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "state": self.state, "total": self.total, "done": self.done,
            "created_at": self.created_at, "started_at": self.started_at, "finished_at": self.finished_at,
            "result": self.result, "problem": self.problem,
        }


class JobDocument(BaseModel):
    """A job as GET /jobs/{id} shows it (`result`: the batch's or the impact's, once done)."""

    id: str
    kind: str
    state: str
    total: int
    done: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    result: Any = None
    problem: ProblemDocument | None = None


class Jobs:
    KEEP = 100
    WAITING = 16

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="referee-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, kind: str, total: int, work: Callable[[Job], Any]) -> Job:
        """Queue `work`, which returns the job's result and counts `job.done` as it goes."""
        with self._lock:
            if sum(j.state in (QUEUED, RUNNING) for j in self._jobs.values()) >= self.WAITING:
                raise HTTPProblem(429, "too many jobs", f"{self.WAITING} jobs are queued or running already: poll them, then send this one again")
            job = Job(secrets.token_hex(16), kind, total)
            self._jobs[job.id] = job
            finished = [j.id for j in self._jobs.values() if j.state in (DONE, FAILED)]
            for old in finished[: max(0, len(self._jobs) - self.KEEP)]:
                del self._jobs[old]
        self._executor.submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def run_first(self, work: Callable[[], Any]) -> None:
        """Work for the jobs' thread before any job (compiling its library), so that the first job does not wait for it."""
        self._executor.submit(work)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(job: Job, work: Callable[[Job], Any]) -> None:
        job.state, job.started_at = RUNNING, _now()
        try:
            job.result = work(job)
            job.state = DONE
        except RefereeError as exc:
            job.problem = problem_body(status_of(exc), exc.headline, exc.message, exc.problems)
            job.state = FAILED
        except Exception as exc:  # noqa: BLE001 - a bug: the job says so, the log has the stack
            log.error("internal error in job %s", job.id, exc_info=exc)
            job.problem = problem_body(500, "internal error", f"{type(exc).__name__}: a bug in referee; the server's log has the details")
            job.state = FAILED
        finally:
            job.finished_at = _now()

