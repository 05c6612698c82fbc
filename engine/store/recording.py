"""A batch's decisions appended to a store as they come, so that a batch killed mid-run loses nothing it decided.

`Recorder.start` records the library (its versions and files, once) and reads
which dossiers the store holds decisions for under that very library: the
batch does not judge those again. Then each decision is buffered and appended
in a transaction every `EVERY` decisions or `SECONDS` seconds, and at the end.
A batch killed (even by SIGKILL) has its committed transactions in the store;
run again, it judges what is missing. A decision another batch appended
meanwhile (the same dossier under the same version digests) is left out by
`Store.append`, which checks under the writers' lock.
"""

from __future__ import annotations

import getpass
import os
import time
from dataclasses import dataclass, field

from engine.library import Library
from engine.running.evaluation import engine_version
from engine.store.repository import Record, Store
from engine.store.snapshot import capture

EVALUATOR_ENV = "REFEREE_EVALUATOR"


def evaluator_name(given: str | None) -> str:
    """Who decides: `--evaluator`, else REFEREE_EVALUATOR, else the login name."""
    if given:
        return given
    try:
        return os.environ.get(EVALUATOR_ENV) or getpass.getuser()
    except (KeyError, OSError):  # no login name for this user id (a container)
        return f"uid {os.getuid()}"


@dataclass
class Recorder:
    store: Store
    library: str  # the digest of the library's snapshot
    runtime: str
    evaluator: str
    again: bool = False
    decided_before: frozenset[str] = frozenset()  # dossier digests the store holds decisions for under this library
    appended: int = 0
    left_out: int = 0  # judged to the same versions as a decision in the store (another batch's, or under another library)
    _buffer: list[Record] = field(default_factory=list)
    _flushed_at: float = field(default_factory=time.monotonic)

    EVERY = 500
    SECONDS = 1.0

    @classmethod
    def start(cls, store: Store, library: Library, *, runtime: str, evaluator: str, again: bool = False) -> Recorder:
        snapshot = capture(library)
        store.record_library(snapshot)
        before = frozenset() if again else store.decided(snapshot.digest)
        return cls(store, snapshot.digest, runtime, evaluator, again, before)

    def add(self, record: Record) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= self.EVERY or time.monotonic() - self._flushed_at >= self.SECONDS:
            self.flush()

    def summary(self) -> str:
        meanwhile = f"; {self.left_out} judged again to the same versions as a decision in the store, not recorded twice" if self.left_out else ""
        return f"recorded in the store {self.store.name}: {self.appended} decision{'' if self.appended == 1 else 's'}{meanwhile}"

    def flush(self) -> None:
        if self._buffer:
            appended = self.store.append(
                self._buffer, library=self.library, runtime=self.runtime, engine=engine_version(), evaluator=self.evaluator, again=self.again,
            )
            self.appended += appended
            self.left_out += len(self._buffer) - appended
            self._buffer = []
        self._flushed_at = time.monotonic()
