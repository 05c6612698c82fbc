"""The hash chain over decision rows: each row's hash covers its content and the hash of the row before.

`row_hash(previous, row)` is the SHA-256 of the previous row's hash and of the
canonical JSON of every column but `hash` (the body by its own SHA-256). The
first row follows `GENESIS`. Changing any column of a row changes its hash;
re-hashing it breaks the link from the row after; removing a row leaves a gap
in `seq` and a broken link. `walk` checks all of it (and, `deep`, each body
against the seal it holds): what `referee store verify` reports.

What a chain cannot show by itself is the removal of the newest rows: for
that, note the head (`verify` prints it, with the number of rows) and compare.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from engine.decision.model import seal

GENESIS = "sha256:" + "0" * 64
HASHED = (
    "seq", "seal", "dossier", "dossier_id", "scheme", "procedure", "event_date", "outcome", "versions", "selection", "library",
    "runtime", "engine", "evaluator", "decided_at", "source", "ledger", "body", "previous",
)


def body_digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def row_hash(row: Mapping[str, Any], body: str) -> str:
    """The hash of a decision row, from its columns (`previous` included; `hash` not), its body by its `body_digest`."""
    content = {name: row[name] for name in HASHED}
    content["body"] = body
    return "sha256:" + hashlib.sha256(row["previous"].encode("ascii") + orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class Fault:
    """One thing wrong in the store: at one row of the chain, or (no `seq`) in a file or dossier it cites."""

    seq: int | None
    kind: str  # altered | relinked | removed | seal
    message: str


def walk(rows: Iterable[Mapping[str, Any]], deep: bool = False) -> Iterator[Fault]:
    """The faults of the chain, rows given in `seq` order; a row's fault does not hide the next row's.

    `deep`: each body is also read and checked against its seal, which costs five times the walk: a body
    altered is found without it (its hash changes); with it, one that was sealed and hashed again.
    """
    expected_seq, previous = 1, GENESIS
    for row in rows:
        seq = row["seq"]
        if seq > expected_seq:
            removed = f"row {expected_seq}" if seq == expected_seq + 1 else f"rows {expected_seq} to {seq - 1}"
            yield Fault(expected_seq, "removed", f"{removed} removed: the chain jumps from row {expected_seq - 1} to row {seq}")
        if row["previous"] != previous:
            yield Fault(seq, "relinked", f"row {seq} does not follow the row before it in the chain (that row was removed, or altered and hashed again)")
        if row_hash(row, body_digest(row["body"])) != row["hash"]:
            yield Fault(seq, "altered", f"row {seq} was altered: its content no longer matches its hash")
        elif deep and (fault := _seal_fault(row)) is not None:
            yield Fault(seq, "seal", fault)
        expected_seq, previous = seq + 1, row["hash"]


def _seal_fault(row: Mapping[str, Any]) -> str | None:
    """A body whose content is not what its seal says, or whose seal is not the row's: written so, not altered since."""
    try:
        body = orjson.loads(row["body"])
        written = body.pop("seal")
        content = seal(body)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return f"row {row['seq']} holds no sealed decision"
    if written != content or written != row["seal"]:
        return f"row {row['seq']} holds a decision whose seal does not match its content"
    return None
