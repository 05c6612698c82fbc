"""`Store`: what referee writes into a store (append only) and reads from it.

Writing: `record_library` (a library's versions and files, once), `append` (a
flush of decisions, with their dossiers and ledgers, chained). Reading: the
decisions by row, seal, dossier or date; a dossier, a library, a version, a
file by digest; the counts of `referee store stats`; the faults of `referee
store verify`. Every database error becomes a StoreError naming the store.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.errors import DossierError, Problem
from engine.model.canonical import digest
from engine.model.documents import parse_bytes
from engine.model.limits import DEFAULT_LIMITS, Limits
from engine.store.chain import GENESIS, Fault, row_hash, walk
from engine.store.database import SCHEMA_LOCK, StoreError, connect, reading, reported, shown, store_url, writing
from engine.store.schema import FORMAT, blobs, decisions, dossiers, libraries, migrate, stored_format, versions
from engine.store.snapshot import Snapshot, VersionFiles, file_digest

ROWS_PER_READ = 2000  # rows fetched at a time when walking the whole table


@dataclass(frozen=True, slots=True)
class Record:
    """One decision as a batch hands it to the store: made in the worker that judged it, beside the decision."""

    body: str  # the decision, compact JSON
    body_digest: str  # its SHA-256, which the row's hash covers: computed in the worker, beside the body
    seal: str
    dossier: str  # the dossier's digest
    dossier_id: str
    scheme: str
    procedure: str
    event_date: str
    outcome: str
    versions: str  # each section's version, as the summary shows them
    selection: str  # the digest of the version digests used
    source: str
    content: bytes  # the dossier as received
    format: str  # yaml | json
    decided_at: str
    ledger: tuple[str, str] | None = None  # (digest of the FEC's bytes, its path) when the dossier named one


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decision row; `body` is empty when it was not asked for."""

    seq: int
    seal: str
    dossier: str
    dossier_id: str
    scheme: str
    procedure: str
    event_date: str
    outcome: str
    versions: str
    library: str
    runtime: str
    engine: str
    evaluator: str
    decided_at: str
    source: str
    ledger: str | None
    body: str = ""


@dataclass(frozen=True, slots=True)
class StoredDossier:
    digest: str
    format: str
    content: bytes
    source: str

    def document(self, limits: Limits = DEFAULT_LIMITS) -> Any:
        """The document, read as the batch read it when it received it."""
        return parse_bytes(self.content, f"dossier {self.digest}.{self.format}", DossierError, limits)


@dataclass
class Verification:
    """What `referee store verify` found: the faults, and what it walked."""

    rows: int = 0
    head: str = GENESIS
    faults: list[Fault] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)  # what else was checked -> how many

    @property
    def intact(self) -> bool:
        return not self.faults


_SUMMARY = [c for c in decisions.c if c.name not in ("body", "previous", "hash", "selection")]


class Store:
    """A store, open: a SQLite file or a PostgreSQL database holding referee's tables."""

    def __init__(self, engine: sa.Engine, url: sa.URL):
        self.engine, self.url = engine, url
        self._blobs_known: set[str] = set()

    @classmethod
    def open(cls, location: str, *, create: bool = False) -> Store:
        """The store at `location` (a path or a URL), made or migrated to this referee's format when `create`."""
        url = store_url(location)
        engine = connect(url, create=create)
        store = cls(engine, url)
        with reported(url):
            with reading(engine) as connection:
                found = stored_format(connection)
            if found is None and not create:
                raise StoreError(f"{shown(url)} is not a referee store", [Problem("it holds no referee_store table: name a store that referee batch --store wrote")])
            if found is None or found < FORMAT:
                store._migrate()
            elif found > FORMAT:
                raise StoreError(f"the store {shown(url)} has format {found}, newer than this referee's ({FORMAT})", [Problem("use the referee release that wrote it, or a newer one")])
        return store

    def _migrate(self) -> None:
        """Make or upgrade the tables, one process at a time: the others wait, then find it done."""
        with self.engine.connect().execution_options(writing=True) as connection, connection.begin():
            if self.engine.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            found = stored_format(connection)
            if found is None or found < FORMAT:
                if found is None and sa.inspect(connection).get_table_names():
                    raise StoreError(f"{shown(self.url)} holds tables of another program", [Problem("name an empty database or a new file for a referee store")])
                migrate(connection, found)

    @property
    def name(self) -> str:
        return shown(self.url)

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ----------------------------------------------------------------------------------

    def record_library(self, snapshot: Snapshot) -> None:
        """A library's versions and their files, those the store does not hold yet."""
        now = _now()
        with reported(self.url), writing(self.engine) as connection:
            _insert_new(connection, blobs, [{"digest": d, "content": c} for d, c in snapshot.blobs.items()])
            _insert_new(connection, versions, [
                {"entry": v.entry, "digest": v.digest, "scheme": v.scheme, "version": v.version, "published_on": v.published_on,
                 "in_force_from": v.in_force_from, "files": orjson.dumps(dict(v.files)).decode()}
                for v in snapshot.versions
            ])
            _insert_new(connection, libraries, [{"digest": snapshot.digest, "versions": orjson.dumps(snapshot.entries()).decode(), "recorded_at": now}])

    def decided(self, library: str) -> frozenset[str]:
        """The digests of the dossiers decided under this library: a batch that meets one again does not judge it again."""
        with reported(self.url), reading(self.engine) as connection:
            return frozenset(connection.execute(sa.select(decisions.c.dossier).where(decisions.c.library == library).distinct()).scalars())

    def append(self, records: Sequence[Record], *, library: str, runtime: str, engine: str, evaluator: str, again: bool = False) -> int:
        """Chain the records after the last row, with their dossiers and ledgers; returns how many were appended.

        Unless `again`, a record whose dossier was decided under the same version digests is left out: it
        is in the store already (another batch, running at the same time, may have appended it).
        """
        with reported(self.url), writing(self.engine) as connection:
            head = connection.execute(sa.select(decisions.c.seq, decisions.c.hash).order_by(decisions.c.seq.desc()).limit(1)).first()
            seq, previous = (head.seq, head.hash) if head is not None else (0, GENESIS)
            there: set[tuple[str, str]] = set()
            if not again:
                query = sa.select(decisions.c.dossier, decisions.c.selection).where(decisions.c.dossier.in_({r.dossier for r in records}))
                there = {(row.dossier, row.selection) for row in connection.execute(query)}
            kept = []
            for record in records:
                if again or (record.dossier, record.selection) not in there:
                    there.add((record.dossier, record.selection))
                    kept.append(record)
            ledgers = self._record_ledgers(connection, [r.ledger for r in kept if r.ledger is not None])
            rows = []
            for record in kept:
                seq += 1
                ledger = record.ledger[0] if record.ledger is not None and record.ledger[0] in ledgers else None
                row = {
                    "seq": seq, "seal": record.seal, "dossier": record.dossier, "dossier_id": record.dossier_id, "scheme": record.scheme,
                    "procedure": record.procedure, "event_date": record.event_date, "outcome": record.outcome, "versions": record.versions,
                    "selection": record.selection, "library": library, "runtime": runtime, "engine": engine, "evaluator": evaluator,
                    "decided_at": record.decided_at, "source": record.source, "ledger": ledger, "body": record.body, "previous": previous,
                }
                row["hash"] = previous = row_hash(row, record.body_digest)
                rows.append(row)
            _insert_new(connection, dossiers, [
                {"digest": r.dossier, "format": r.format, "content": r.content, "source": r.source, "received_at": r.decided_at} for r in kept
            ])
            if rows:
                connection.execute(decisions.insert(), rows)
        return len(rows)

    def _record_ledgers(self, connection: sa.Connection, ledgers: Iterable[tuple[str, str]]) -> set[str]:
        """The FEC files the dossiers named, each read once; returns those the store holds.

        A file that is gone, or changed since it was judged, is not recorded: its decision's row cites no ledger.
        """
        wanted = {d: path for d, path in ledgers}
        unknown = set(wanted) - self._blobs_known
        if unknown:
            self._blobs_known |= set(connection.execute(sa.select(blobs.c.digest).where(blobs.c.digest.in_(unknown))).scalars())
        for ledger in unknown - self._blobs_known:
            try:
                content = Path(wanted[ledger]).read_bytes()
            except OSError:
                continue
            if file_digest(content) == ledger:
                connection.execute(blobs.insert().values(digest=ledger, content=content))
                self._blobs_known.add(ledger)
        return self._blobs_known & set(wanted)

    # -- reading ----------------------------------------------------------------------------------

    def decisions(
        self, *, seq: int | None = None, seal: str | None = None, dossier: str | None = None, since: dt.date | None = None, body: bool = True,
    ) -> Iterator[StoredDecision]:
        """Decision rows in order, all or those of one row, seal, dossier (its id, or its digest) or recorded since a day."""
        columns = [*_SUMMARY, decisions.c.body] if body else _SUMMARY
        query = sa.select(*columns).order_by(decisions.c.seq)
        if seq is not None:
            query = query.where(decisions.c.seq == seq)
        if seal is not None:
            query = query.where(decisions.c.seal == seal)
        if dossier is not None:
            query = query.where(decisions.c.dossier == dossier if dossier.startswith("sha256:") else decisions.c.dossier_id == dossier)
        if since is not None:
            query = query.where(decisions.c.decided_at >= since.isoformat())
        with reported(self.url), reading(self.engine) as connection:
            for row in connection.execution_options(stream_results=True, yield_per=ROWS_PER_READ).execute(query):
                yield StoredDecision(**row._mapping)

    def dossier(self, dossier_digest: str) -> StoredDossier | None:
        with reported(self.url), reading(self.engine) as connection:
            row = connection.execute(sa.select(dossiers).where(dossiers.c.digest == dossier_digest)).first()
        return StoredDossier(row.digest, row.format, row.content, row.source) if row is not None else None

    def library(self, library_digest: str) -> list[VersionFiles] | None:
        """The versions of a recorded library, or None when the store has no such library."""
        with reported(self.url), reading(self.engine) as connection:
            listed = connection.execute(sa.select(libraries.c.versions).where(libraries.c.digest == library_digest)).scalar_one_or_none()
            if listed is None:
                return None
            entries = orjson.loads(listed)
            rows = connection.execute(sa.select(versions).where(versions.c.entry.in_(entries))).all()
        found = [_version(row) for row in rows]
        if len(found) != len(entries):
            raise StoreError(f"the store's library {library_digest} lists versions the store does not hold", [Problem("run referee store verify")])
        return found

    def versions_with_digest(self, version_digest: str) -> list[VersionFiles]:
        """The recorded forms of a version (with or without its lock, signed or not) whose digest is this."""
        with reported(self.url), reading(self.engine) as connection:
            return [_version(row) for row in connection.execute(sa.select(versions).where(versions.c.digest == version_digest))]

    def blob(self, blob_digest: str) -> bytes:
        with reported(self.url), reading(self.engine) as connection:
            content = connection.execute(sa.select(blobs.c.content).where(blobs.c.digest == blob_digest)).scalar_one_or_none()
        if content is None:
            raise StoreError(f"the store does not hold the file {blob_digest}", [Problem("run referee store verify")])
        return bytes(content)

    def stats(self) -> dict[str, Any]:
        """The counts of `referee store stats`: decisions per scheme, procedure and outcome, and what else the store holds."""
        with reported(self.url), reading(self.engine) as connection:
            per = connection.execute(
                sa.select(decisions.c.scheme, decisions.c.procedure, decisions.c.outcome, sa.func.count())
                .group_by(decisions.c.scheme, decisions.c.procedure, decisions.c.outcome)
                .order_by(decisions.c.scheme, decisions.c.procedure, decisions.c.outcome)
            ).all()
            first, last, evaluators = connection.execute(
                sa.select(sa.func.min(decisions.c.decided_at), sa.func.max(decisions.c.decided_at), sa.func.count(sa.distinct(decisions.c.evaluator)))
            ).one()
            counts = {table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() for table in (dossiers, versions, libraries, blobs)}
        return {
            "store": self.name,
            "decisions": sum(n for *_, n in per),
            **counts,
            "evaluators": evaluators,
            "first_decided_at": first,
            "last_decided_at": last,
            "outcomes": [{"scheme": s, "procedure": p, "outcome": o, "decisions": n} for s, p, o, n in per],
        }

    def verify(self, deep: bool = False) -> Verification:
        """Walk the chain of decisions, then check that what they cite is held, and every file against its digest.

        `deep`: also every decision against its seal, and every dossier against its digest (each is parsed: slower).
        """
        found = Verification()
        with reported(self.url), reading(self.engine) as connection:
            rows = connection.execution_options(stream_results=True, yield_per=ROWS_PER_READ).execute(sa.select(decisions).order_by(decisions.c.seq))
            found.faults += walk(self._counted(rows, found), deep)
            found.faults += self._dangling(connection)
            found.faults += self._files(connection, found)
            if deep:
                found.faults += self._dossiers(connection, found)
        return found

    @staticmethod
    def _counted(rows: Iterable[sa.Row[Any]], found: Verification) -> Iterator[Mapping[str, Any]]:
        for row in rows:
            found.rows += 1
            found.head = row.hash
            yield dict(row._mapping)

    @staticmethod
    def _dangling(connection: sa.Connection) -> list[Fault]:
        """Decisions whose dossier, library or ledger the store does not hold (removed)."""
        faults = []
        for column, table, what in ((decisions.c.dossier, dossiers, "dossier"), (decisions.c.library, libraries, "library"), (decisions.c.ledger, blobs, "ledger")):
            key = table.c.digest
            query = sa.select(decisions.c.seq, column).outerjoin(table, column == key).where(column.is_not(None), key.is_(None)).order_by(decisions.c.seq)
            faults += [Fault(seq, "removed", f"row {seq} cites the {what} {cited}, which the store no longer holds") for seq, cited in connection.execute(query)]
        return faults

    @staticmethod
    def _files(connection: sa.Connection, found: Verification) -> list[Fault]:
        """Files whose bytes no longer have the digest they are filed under."""
        faults = []
        for blob_digest, content in connection.execution_options(yield_per=ROWS_PER_READ).execute(sa.select(blobs.c.digest, blobs.c.content)):
            found.checked["files"] += 1
            if file_digest(bytes(content)) != blob_digest:
                faults.append(Fault(None, "altered", f"the file {blob_digest} was altered: its bytes no longer have that digest"))
        return faults

    @staticmethod
    def _dossiers(connection: sa.Connection, found: Verification) -> list[Fault]:
        """Dossiers whose content no longer has the digest they are filed under (each is parsed, as it was received)."""
        faults = []
        query = sa.select(dossiers.c.digest, dossiers.c.format, dossiers.c.content, dossiers.c.source)
        for row in connection.execution_options(yield_per=ROWS_PER_READ).execute(query):
            found.checked["dossiers"] += 1
            stored = StoredDossier(row.digest, row.format, bytes(row.content), row.source)
            try:
                same = digest(stored.document()) == stored.digest
            except Exception:  # noqa: BLE001 - whatever the bytes now hold, they are not the dossier filed under that digest
                same = False
            if not same:
                faults.append(Fault(None, "altered", f"the dossier {stored.digest} (from {stored.source}) was altered: it no longer has that digest"))
        return faults


def _version(row: sa.Row[Any]) -> VersionFiles:
    return VersionFiles(row.scheme, row.version, row.digest, row.published_on, row.in_force_from, orjson.loads(row.files))


def _insert_new(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows whose key the table does not hold yet: content-addressed rows are written once."""
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    connection.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
