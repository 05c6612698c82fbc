"""The store's tables, and the numbered migrations that keep an existing store in step with them.

Everything but `decisions` is content-addressed (its key is the digest of its
content) and only ever inserted: the same dossier, file or version received
twice is kept once. `decisions` is append-only and chained: each row holds the
hash of the one before (engine/store/chain.py). No code path updates or
deletes a row of any table.

    blobs       files, by the SHA-256 of their bytes: referential versions, lock files, rule files,
                JSON Schemas, and the ledgers (FEC) that dossiers name
    versions    a version of a scheme as a manifest: its path in the tree -> blob, for every file it runs
                and its lock; keyed by the digest of that manifest (`entry`), with the version's own digest
    libraries   the versions a library held when it judged (a list of version entries), by its digest:
                what a replay rebuilds, later versions excluded
    dossiers    dossiers as received (bytes, YAML or JSON), by the dossier digest decisions cite
    decisions   one row per decision, in order (`seq`): its JSON (`body`) and seal, what judged it, who,
                when, and the chain's `previous` and `hash`
    referee_store   the store's format, for migrations

A store records its format. Opening one of an older format applies the
migrations after it, in order, in one transaction; one of a newer format than
this referee knows is refused (a newer referee wrote it). A new store is made
at the current format directly.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

FORMAT = 1  # the format this referee reads and writes

DIGEST = sa.String(71)  # "sha256:" and 64 hex digits

metadata = sa.MetaData()

store_info = sa.Table(
    "referee_store", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

blobs = sa.Table(
    "blobs", metadata,
    sa.Column("digest", DIGEST, primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
)

versions = sa.Table(
    "versions", metadata,
    sa.Column("entry", DIGEST, primary_key=True),
    sa.Column("digest", DIGEST, nullable=False, index=True),
    sa.Column("scheme", sa.Text, nullable=False),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("published_on", sa.String(10), nullable=False),
    sa.Column("in_force_from", sa.String(10), nullable=False),
    sa.Column("files", sa.Text, nullable=False),  # JSON: {path in the tree: blob digest}
)

libraries = sa.Table(
    "libraries", metadata,
    sa.Column("digest", DIGEST, primary_key=True),
    sa.Column("versions", sa.Text, nullable=False),  # JSON: [version entry, …], sorted
    sa.Column("recorded_at", sa.String(32), nullable=False),
)

dossiers = sa.Table(
    "dossiers", metadata,
    sa.Column("digest", DIGEST, primary_key=True),
    sa.Column("format", sa.String(4), nullable=False),  # yaml | json
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("source", sa.Text, nullable=False),  # where it was first received from
    sa.Column("received_at", sa.String(32), nullable=False),
)

decisions = sa.Table(
    "decisions", metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("seal", DIGEST, nullable=False, index=True),
    sa.Column("dossier", DIGEST, nullable=False),
    sa.Column("dossier_id", sa.Text, nullable=False, index=True),
    sa.Column("scheme", sa.Text, nullable=False),
    sa.Column("procedure", sa.Text, nullable=False),
    sa.Column("event_date", sa.String(10), nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("versions", sa.Text, nullable=False),  # each section's version, as a batch's summary shows them
    sa.Column("selection", DIGEST, nullable=False),  # the digest of the version digests used
    sa.Column("library", DIGEST, nullable=False),
    sa.Column("runtime", sa.Text, nullable=False),
    sa.Column("engine", sa.Text, nullable=False),
    sa.Column("evaluator", sa.Text, nullable=False),
    sa.Column("decided_at", sa.String(32), nullable=False),  # ISO 8601, UTC
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("ledger", DIGEST, nullable=True),  # the blob of the FEC the dossier named
    sa.Column("previous", DIGEST, nullable=False),
    sa.Column("hash", DIGEST, nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the decision, compact JSON; last, so that the columns before read without it
    sa.Index("decisions_judged", "dossier", "selection"),
    sa.Index("decisions_library", "library", "dossier"),
)

# Migration n brings a store from format n - 1 to n; none yet: format 1 is the first.
MIGRATIONS: dict[int, Callable[[sa.Connection], None]] = {}


def stored_format(connection: sa.Connection) -> int | None:
    """The store's format; None for a database that holds no referee store yet."""
    if not sa.inspect(connection).has_table(store_info.name):
        return None
    value = connection.execute(sa.select(store_info.c.value).where(store_info.c.name == "format")).scalar_one_or_none()
    return int(value) if value is not None else None


def migrate(connection: sa.Connection, found: int | None) -> None:
    """Make a new store, or bring one of an older format to this one; within the caller's transaction."""
    if found is None:
        metadata.create_all(connection)
        connection.execute(store_info.insert().values(name="format", value=str(FORMAT)))
        return
    for number in range(found + 1, FORMAT + 1):
        MIGRATIONS[number](connection)
    connection.execute(store_info.update().where(store_info.c.name == "format").values(value=str(FORMAT)))
