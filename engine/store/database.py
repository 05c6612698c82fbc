"""Where a store lives, and the connection to it: one layer (SQLAlchemy Core) over SQLite and PostgreSQL.

A store is named by a path (a SQLite file, the default: one evaluator, one
machine) or by a URL (`postgresql://user@host/db`: a store shared by several
machines, through psycopg 3). `REFEREE_STORE` names it when `--store` does not.

Writers take one lock for the length of a transaction: SQLite's `BEGIN
IMMEDIATE`, a PostgreSQL transaction-level advisory lock (which readers do not
wait for, and which needs no privilege beyond INSERT: a role granted no UPDATE
or DELETE on the tables can record). So two batches appending to one store take
turns: each reads the head of the chain and the decisions already there, then
appends, and nothing is lost or doubled. SQLite runs in WAL mode, which lets
readers read while a batch writes, and whose commits survive a killed process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

from engine.errors import Problem, RefereeError, UsageError
from engine.store import STORE_ENV

POSTGRESQL = "postgresql+psycopg"
WRITERS_LOCK = 0x7265_6665_7265_64  # "refered": the advisory lock every writer of a PostgreSQL store takes
SCHEMA_LOCK = 0x7265_6665_7265_65  # "referee": the one that making or migrating the tables takes
WAIT_SECONDS = 120  # how long a writer waits for another one's transaction before it gives up


class StoreError(RefereeError):
    """A store that cannot be used: unreachable, not a referee store, of a newer format, or altered."""

    headline = "store error"


def store_url(location: str) -> URL:
    """The SQLAlchemy URL of a store named by a path or a URL; a PostgreSQL URL goes through psycopg 3."""
    if "://" not in location:
        return URL.create("sqlite", database=str(Path(location).expanduser().resolve()))
    try:
        url = make_url(location)
    except sa.exc.ArgumentError:
        raise UsageError(f"--store {location!r} is neither a path nor a database URL") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return url.set(drivername=POSTGRESQL)
    if backend == "sqlite" and url.database:
        return url
    raise UsageError(f"--store {shown(url)}: referee keeps its store in SQLite (a path) or PostgreSQL (postgresql://…)")


def shown(url: URL) -> str:
    """A store's URL as messages show it: a SQLite store by its path, a password never."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return unquote(url.set(drivername="postgresql").render_as_string(hide_password=True))


def connect(url: URL, *, create: bool) -> sa.Engine:
    """An engine for the store at `url`; a SQLite file that does not exist is made only when `create`."""
    if url.get_backend_name() == "sqlite":
        path = Path(str(url.database))
        if not create and not path.is_file():
            raise UsageError(f"there is no store at {path}", [Problem(f"record decisions into one with `referee batch --store {path}`, or name it with --store or {STORE_ENV}")])
        if create and not path.parent.is_dir():
            raise UsageError(f"cannot make the store {path}: there is no folder {path.parent}")
        engine = sa.create_engine(url, connect_args={"timeout": WAIT_SECONDS})
        event.listen(engine, "connect", _sqlite_connection)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return sa.create_engine(url, connect_args={"connect_timeout": 10}, pool_pre_ping=True)
    except ImportError:
        raise UsageError(f"--store {shown(url)}: a PostgreSQL store needs psycopg 3, which is not installed", [
            Problem("install referee with its PostgreSQL extra: pip install 'referee[postgresql]'"),
        ]) from None


def _sqlite_connection(connection: Any, _record: Any) -> None:
    connection.isolation_level = None  # SQLAlchemy, not the driver, says when a transaction begins: below
    connection.execute("PRAGMA page_size=65536")  # for a new store: a decision (~10 KB) fits a page; a quarter of the time to append
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: a commit survives the process, if not the machine


def _sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get("writing") else "BEGIN")


@contextmanager
def writing(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that holds the writers' lock: one writer at a time appends to the chain."""
    with engine.connect().execution_options(writing=True) as connection, connection.begin():
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITERS_LOCK})
        yield connection


@contextmanager
def reading(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A transaction that reads one consistent state of the store."""
    with engine.connect() as connection, connection.begin():
        yield connection


@contextmanager
def reported(url: URL) -> Iterator[None]:
    """A database error as a StoreError naming the store, without a traceback."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        cause = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        raise StoreError(f"the store {shown(url)} cannot be used", [Problem(cause)]) from None
