"""Many dossiers judged in one run: found, judged (in parallel processes if asked), written, counted.

`collect` lists the dossiers its inputs name, in a stable order: files,
folders (recursively, sorted) and JSON Lines files (one dossier a line, named
`FILE:LINE`). `judge_all` judges them and yields one `DossierResult` per
dossier, in input order; an invalid dossier is a result like the others and
never stops the batch. With several jobs, the workers are forked from the
process that opened the library, so they inherit whatever it has compiled;
each result crosses back small, its decision already written as JSON.
`Outputs` writes the decisions (JSON Lines, or one file per dossier) and the
summary CSV, every target checked before the first dossier is judged: a long
batch must not fail at its end on a file that exists. `Tally` counts, for the
end table and the exit status.

A share of the dossiers may be judged again by durable-rules, the reference
runtime, and the two decisions compared: any difference is a bug of referee.

A batch that records into a store (`referee batch --store`, engine/store/)
gets, with each decision, the `Record` the store keeps: the decision, the
dossier as received, its digests. A dossier the store has decided under the
same library already is not judged again: its result says it is `stored`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import multiprocessing
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self

import orjson

from engine.decision.compare import first_difference
from engine.errors import DossierError, Problem, RefereeError, UsageError
from engine.model.documents import checked, parse_bytes, read_bytes, reject_duplicate_keys
from engine.model.dossier import Dossier, read_dossier
from engine.model.limits import Limits, too_large
from engine.running.runtimes import REFERENCE_RUNTIME

if TYPE_CHECKING:
    from engine.decision.model import Decision
    from engine.library import Library
    from engine.store.repository import Record

DOSSIER_SUFFIXES = (".yaml", ".yml", ".json")
JSON_LINES = ".jsonl"
INVALID, INTERNAL_ERROR = 1, 3  # the CLI's exit statuses
CSV_COLUMNS = ("file", "dossier_id", "scheme", "procedure", "versions", "outcome", "errors", "warnings", "infos", "error")


# -- what to judge ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """A dossier to judge, not yet read: reading and parsing happen in the worker, in parallel."""

    source: str  # how errors and outputs name it: the file, or FILE:LINE for a line of a JSON Lines file
    path: Path
    line: int | None = None
    text: bytes | None = None  # the line, for a JSON Lines entry

    @property
    def format(self) -> str:
        """How its text is read: json for a JSON file or a line of JSON Lines, else yaml."""
        return "json" if self.text is not None or self.path.suffix.lower() == ".json" else "yaml"

    def read(self, limits: Limits) -> tuple[bytes, Any]:
        """The dossier's bytes as received, and the document they hold."""
        if self.text is None:
            raw = read_bytes(self.path, DossierError, limits)
            return raw, parse_bytes(raw, str(self.path), DossierError, limits)
        if len(self.text) > limits.document_bytes:
            raise too_large(self.source, len(self.text), limits.document_bytes, "document_bytes", DossierError)
        try:
            document = json.loads(self.text, object_pairs_hook=reject_duplicate_keys)
        except RecursionError:
            raise DossierError(f"{self.source} nests mappings and lists deeper than the limit depth of {limits.depth}") from None
        except ValueError as exc:  # a syntax error, a duplicate key, bytes that are not UTF-8
            message = f"{exc.msg} (column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise DossierError(f"{self.source} is not valid JSON", [Problem(message, file=str(self.path), line=self.line)]) from None
        return self.text, checked(document, self.source, DossierError, limits)


def collect(inputs: Sequence[Path]) -> list[Entry]:
    """Every dossier the inputs name, in order: a folder's *.yaml, *.yml, *.json and *.jsonl files, recursively and sorted.

    A JSON Lines entry is named `FILE:LINE`, whose parent is the file's folder: a `ledger:` path in it is
    read, as in a dossier file, relative to the folder holding it.
    """
    entries: list[Entry] = []
    for given in inputs:
        if given.is_dir():
            files = sorted(p for p in given.rglob("*") if p.suffix.lower() in (*DOSSIER_SUFFIXES, JSON_LINES) and p.is_file())
        else:
            files = [given]
        for path in files:
            entries += _json_lines(path) if path.suffix.lower() == JSON_LINES else [Entry(str(path), path)]
    if not entries:
        raise UsageError(f"no dossiers found in {', '.join(map(str, inputs))}", [Problem("give dossier files (YAML, JSON), JSON Lines files or folders holding them")])
    return entries


def _json_lines(path: Path) -> list[Entry]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    return [Entry(f"{path}:{number}", path, number, text) for number, text in enumerate(data.splitlines(), start=1) if text.strip()]


# -- judging ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DossierResult:
    """One dossier's result, small enough to cross back from a worker: the decision comes already written.

    Exactly one of `decision`, `invalid`, `internal` and `stored` is set. A dossier that was checked against the
    reference runtime has `checked`, and `difference` when the two disagreed. A batch that records has the
    decision's `record` for the store.
    """

    source: str
    dossier_id: str = ""
    scheme: str = ""
    procedure: str = ""
    versions: str = ""  # e.g. "assessment=2014-05-19; factors=label-transmission-factors 2025-01-01"
    outcome: str = ""
    findings: Mapping[str, int] = field(default_factory=dict)  # severity -> count
    decision: str | None = None  # the decision as JSON text
    invalid: str | None = None  # why the dossier could not be judged, on one line
    internal: str | None = None  # an unexpected exception: a bug
    checked: bool = False
    difference: str | None = None
    record: Record | None = None
    stored: bool = False  # the store holds a decision on this dossier under the same library: not judged again

    def csv_row(self) -> list[Any]:
        counts = [self.findings.get(s, 0) for s in ("error", "warning", "info")] if self.decision is not None else ["", "", ""]
        error = self.invalid or (f"internal error: {self.internal}" if self.internal else "") or ("in the store already" if self.stored else "")
        return [self.source, self.dossier_id, self.scheme, self.procedure, self.versions, self.outcome, *counts, error]


@dataclass(frozen=True)
class Judge:
    """Judges one entry. Forked workers inherit it, with its library, by fork: it is never pickled."""

    library: Library
    runtime: str = "compiled"
    check_share: float = 0.0  # the share of dossiers judged again by the reference runtime
    indent: int | None = None  # of the decision's JSON: None writes one compact line
    recording: bool = False  # each decision comes with its record for the store
    decided_before: frozenset[str] = frozenset()  # digests of dossiers the store has decided under this library

    def __call__(self, entry: Entry) -> DossierResult:
        try:
            return self._judge(entry)
        except Exception as exc:  # noqa: BLE001 - a bug in referee: reported with its dossier, and the batch goes on
            return DossierResult(entry.source, internal=f"{type(exc).__name__}: {exc}")

    def _judge(self, entry: Entry) -> DossierResult:
        document = None
        try:
            raw, document = entry.read(self.library.limits)
            dossier = read_dossier(document, entry.source)
        except RefereeError as exc:
            return DossierResult(entry.source, *_named(document), invalid=one_line(exc, entry.source))
        if dossier.digest in self.decided_before:
            return DossierResult(entry.source, *_named(document), stored=True)
        verdict = self._verdict(dossier, self.runtime)
        if isinstance(verdict, RefereeError):
            result = DossierResult(entry.source, *_named(document), invalid=one_line(verdict, entry.source))
        else:
            data = verdict.to_json()
            compact = orjson.dumps(data)
            text = compact.decode("utf-8") if self.indent is None else json.dumps(data, indent=self.indent, ensure_ascii=False)
            result = _decided(entry.source, verdict, text)
            if self.recording:
                result = replace(result, record=store_record(entry, raw, dossier, verdict, compact, data["seal"]))
        if not in_sample(entry.source, self.check_share):
            return result
        reference = self._verdict(dossier, REFERENCE_RUNTIME)
        return replace(result, checked=True, difference=_difference(_as_json(verdict), _as_json(reference), self.runtime))

    def _verdict(self, dossier: Dossier, runtime: str) -> Decision | RefereeError:
        try:
            return self.library.evaluate(dossier, runtime=runtime)
        except RefereeError as exc:
            return exc


def store_record(entry: Entry, raw: bytes, dossier: Dossier, decision: Decision, body: bytes, seal: str) -> Record:
    """What the store keeps of a decision: made here, in the worker, so that the batch's parent only appends it."""
    from engine.store.repository import Record
    from engine.store.snapshot import file_digest

    ledger = decision.digests.ledger
    named = dossier.ledger if ledger is not None else None
    return Record(
        body=body.decode("utf-8"), body_digest=hashlib.sha256(body).hexdigest(), seal=seal, dossier=dossier.digest, dossier_id=decision.dossier_id, scheme=decision.scheme, procedure=decision.procedure,
        event_date=decision.event_date, outcome=decision.outcome, versions=versions_text(decision),
        selection=file_digest(orjson.dumps(sorted(decision.digests.referentials.values()))), source=entry.source, content=raw,
        format=entry.format, decided_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        ledger=("sha256:" + ledger["sha256"], str(Path(dossier.source).parent / named)) if ledger is not None and named is not None else None,
    )


def in_sample(source: str, share: float) -> bool:
    """Whether the dossier named `source` is checked: a hash of its name, so a re-run checks the same ones."""
    if share <= 0:
        return False
    value = int.from_bytes(hashlib.sha256(source.encode("utf-8")).digest()[:8], "big")
    return value < share * 2**64


def one_line(exc: RefereeError, source: str) -> str:
    """An error as one line naming the dossier and the path of each problem: one line per dossier in a long log."""
    message = exc.message if source in exc.message else f"{source}: {exc.message}"
    where = "; ".join((replace(p, file=None) if p.file == source and p.line is None else p).render() for p in exc.problems)
    return (f"{exc.headline}: {message}" + (f" — {where}" if where else "")).replace("\n", " ")


def _named(document: Any) -> tuple[str, str, str]:
    """The dossier_id, scheme and procedure an invalid dossier gives, where it gives them legibly: for its CSV row."""
    said = document if isinstance(document, Mapping) else {}

    def text(key: str) -> str:
        return said[key] if isinstance(said.get(key), str) else ""

    return text("dossier_id"), text("scheme"), text("procedure")


def _decided(source: str, decision: Decision, text: str) -> DossierResult:
    return DossierResult(
        source,
        dossier_id=decision.dossier_id,
        scheme=decision.scheme,
        procedure=decision.procedure,
        versions=versions_text(decision),
        outcome=decision.outcome,
        findings=dict(Counter(f.severity for f in decision.findings)),
        decision=text,
    )


def versions_text(decision: Decision) -> str:
    """Each section's version; a section of another referential (a companion) says which."""
    parts = []
    for used in decision.versions:
        name = used.section or used.referential
        version = used.version if used.referential == decision.scheme else f"{used.referential} {used.version}"
        parts.append(f"{name}={version}")
    return "; ".join(parts)


def _as_json(verdict: Decision | RefereeError) -> dict[str, Any]:
    return {"error": verdict.to_json()} if isinstance(verdict, RefereeError) else verdict.to_json()


def _difference(judged: dict[str, Any], reference: dict[str, Any], runtime: str) -> str | None:
    """Where two verdicts first differ: the first differing trail entry, else the first differing top-level key."""
    if ("error" in judged) != ("error" in reference):
        def said(verdict: dict[str, Any]) -> str:
            return f"refused it ({verdict['error']['message']})" if "error" in verdict else f"decided {verdict['outcome']!r}"

        return f"{runtime} {said(judged)}, {REFERENCE_RUNTIME} {said(reference)}"
    difference = first_difference(judged, reference)
    return None if difference is None else f"{runtime} and {REFERENCE_RUNTIME} differ at {difference.where}"


_worker: Judge | None = None


def _adopt(judge: Judge) -> None:
    """Run in each forked worker: the judge, with its library, comes by fork, never pickled."""
    global _worker
    _worker = judge


def _judge_in_worker(entry: Entry) -> DossierResult:
    assert _worker is not None
    return _worker(entry)


def chunk_size(count: int, jobs: int) -> int:
    """Entries sent to a worker at once: few round trips per dossier, yet several chunks a worker to share the load."""
    return max(1, min(64, count // (jobs * 8)))


def judge_all(
    library: Library, entries: Sequence[Entry], *, runtime: str = "compiled", jobs: int = 1, check_share: float = 0.0, indent: int | None = None,
    recording: bool = False, decided_before: frozenset[str] = frozenset(),
) -> Iterator[DossierResult]:
    """One result per entry, in input order; with `jobs` > 1, judged in that many forked processes.

    `recording`: each decision comes with its record for a store; `decided_before`: the digests of the
    dossiers not to judge again (the store has decided them under this library).
    Processes, not threads: durable-rules' C core is not thread-safe, and the rules are CPU-bound Python.
    A worker that dies (not an exception: a crash) stops the batch with BrokenProcessPool.
    """
    judge = Judge(library, runtime, check_share, indent, recording, decided_before)
    if jobs == 1 or len(entries) == 1:
        yield from map(judge, entries)
        return
    library.compile_all()  # once, here: the workers inherit it by fork instead of each compiling its own
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_adopt, initargs=(judge,))
    try:
        yield from pool.map(_judge_in_worker, entries, chunksize=chunk_size(len(entries), jobs))
    finally:
        pool.shutdown(cancel_futures=True)


# -- writing ------------------------------------------------------------------------------------


def output_names(entries: Sequence[Entry]) -> list[str]:
    """A file name per entry for `--format dir`, from its source: the path with `/` as `__`, the line for JSON Lines.

    Names never collide: a name taken already (the same file given twice) gets a counter.
    """
    names: list[str] = []
    taken: set[str] = set()
    for entry in entries:
        stem = Path(entry.path).with_suffix("").as_posix().lstrip("/").replace("/", "__")
        base = stem if entry.line is None else f"{stem}-{entry.line:06d}"
        name, count = f"{base}.json", 1
        while name in taken:
            count += 1
            name = f"{base}-{count}.json"
        taken.add(name)
        names.append(name)
    return names


def _open_new(path: Path, force: bool) -> IO[str]:
    """A file to write, never overwriting one without `force`; an unwritable place is a usage error, not a traceback."""
    try:
        return path.open("w" if force else "x", encoding="utf-8", newline="")
    except FileExistsError:
        raise UsageError(f"{path} exists already: give --force to overwrite it") from None
    except FileNotFoundError:
        raise UsageError(f"cannot write {path}: the folder {path.parent} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


class Outputs:
    """Where a batch writes: decisions as JSON Lines (to `stream` or the file `output`), or one file each in
    the folder `output` (`folder`), and the summary CSV. Every target is checked when this is made. No
    `stream` and no `output`: the decisions go nowhere here (a batch that records them into a store).
    """

    def __init__(self, entries: Sequence[Entry], *, stream: IO[str] | None, output: Path | None = None, folder: bool = False, summary: Path | None = None, force: bool = False):
        self._files: list[IO[str]] = []
        self._folder: Path | None = None
        self._names: Iterator[str] = iter(())
        self._lines: IO[str] | None = None
        self._csv: Any = None
        try:
            if folder:
                if output is None:
                    raise UsageError("--format dir writes one file per dossier into a folder: name it with -o")
                self._folder = output
                self._names = iter(self._prepare_folder(output, output_names(entries), force))
            elif output is None:
                self._lines = stream
            else:
                self._lines = self._open(output, force)
            if summary is not None:
                self._csv = csv.writer(self._open(summary, force))
                self._csv.writerow(CSV_COLUMNS)
        except BaseException:
            self.close()
            raise

    def _open(self, path: Path, force: bool) -> IO[str]:
        file = _open_new(path, force)
        self._files.append(file)
        return file

    @staticmethod
    def _prepare_folder(folder: Path, names: list[str], force: bool) -> list[str]:
        try:
            folder.mkdir(exist_ok=True)
        except FileNotFoundError:
            raise UsageError(f"cannot make the folder {folder}: {folder.parent} does not exist") from None
        except FileExistsError:
            raise UsageError(f"{folder} is a file, not a folder: --format dir writes into a folder") from None
        except OSError as exc:
            raise UsageError(f"cannot make the folder {folder}: {exc.strerror}") from None
        existing = [name for name in names if (folder / name).exists()]
        if existing and not force:
            raise UsageError(
                f"{len(existing)} decision file(s) exist already in {folder}: give --force to overwrite them",
                [Problem(f"e.g. {folder / name}") for name in existing[:3]],
            )
        return names

    def write(self, result: DossierResult) -> None:
        """The result's decision and CSV row: call once per entry, in input order (a file's name is the entry's)."""
        if self._folder is not None:
            name = next(self._names)
            if result.decision is not None:
                (self._folder / name).write_text(result.decision + "\n", encoding="utf-8")
        elif self._lines is not None and result.decision is not None:
            self._lines.write(result.decision + "\n")
        if self._csv is not None:
            self._csv.writerow(result.csv_row())

    def close(self) -> None:
        for file in self._files:
            file.close()
        self._files = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


# -- counting -----------------------------------------------------------------------------------


@dataclass
class Tally:
    """The batch counted as its results arrive: outcomes per scheme and procedure, problems, and the exit status."""

    outcomes: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (scheme, procedure, outcome) -> dossiers
    invalid: int = 0
    internal: int = 0
    checked: int = 0
    differences: int = 0
    stored: int = 0  # in the store already: not judged again

    def add(self, result: DossierResult) -> None:
        if result.decision is not None:
            self.outcomes[result.scheme, result.procedure, result.outcome] += 1
        self.stored += result.stored
        self.invalid += result.invalid is not None
        self.internal += result.internal is not None
        self.checked += result.checked
        self.differences += result.difference is not None

    @property
    def decided(self) -> int:
        return sum(self.outcomes.values())

    @property
    def total(self) -> int:
        return self.decided + self.invalid + self.internal + self.stored

    @property
    def exit_code(self) -> int:
        """3 for a bug (an internal error, runtimes that disagree), else 1 if a dossier was invalid, else 0."""
        if self.internal or self.differences:
            return INTERNAL_ERROR
        return INVALID if self.invalid else 0
