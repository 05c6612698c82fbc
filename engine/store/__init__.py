"""The decision store: dossiers, the versions that judged them and the decisions, kept so that any decision can be replayed.

    schema.py      the tables, and the numbered migrations that make and upgrade them
    database.py    where a store lives (a SQLite file, or PostgreSQL for a shared one), through SQLAlchemy Core; the writers' lock
    snapshot.py    the library as it stood: every version's files, content-addressed, and written back as a tree to replay
    chain.py       the hash chain over decision rows, and the walk that `referee store verify` reports
    repository.py  `Store`: what referee appends (dossiers, versions, decisions) and reads
    recording.py   a batch's decisions appended as they come, in transactions: a killed batch resumes
    replay.py      a decision judged again under what judged it, and compared
    reports.py     what history, replay and the store commands print

This module imports nothing heavy: the CLI reads the store's name from it before any command needs a database.
"""

import os

STORE_ENV = "REFEREE_STORE"
DEFAULT_STORE = "referee.db"  # in the working folder


def store_location(given: str | None) -> str:
    """The store a command uses: the one named (`--store`), else REFEREE_STORE, else referee.db in the working folder."""
    return given or os.environ.get(STORE_ENV) or DEFAULT_STORE
