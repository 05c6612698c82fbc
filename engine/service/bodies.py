"""What a request sends, read within the CLI's limits before anything parses it.

A body is read with a cap: a `Content-Length` over the limit is refused before
a byte is read, and a body sent in chunks is refused as soon as it passes it
(413). The cap is `document_bytes`, the limit of a dossier file; a multipart
request may carry besides a FEC up to `ledger_bytes`. The bytes are then
parsed by the engine's reader (engine/model/documents.py), so the depth, alias
and value limits refuse a hostile dossier over HTTP with the CLI's words.

A dossier comes as JSON (`application/json`), as YAML (`application/yaml`),
or as `multipart/form-data` with a `dossier` field (a file, or pasted text)
and, for a procedure that reads a ledger, a `ledger` file. A ledger is
uploaded, never named: the dossier's `ledger:` says where the upload is
placed, in a folder of the request's own, and may name no folder above it.
A batch or an impact portfolio comes as a JSON array or YAML list of
dossiers, or as JSON Lines (`application/x-ndjson`), one dossier a line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request

from engine.errors import DossierError, Problem
from engine.model.documents import parse_bytes, reject_duplicate_keys
from engine.model.limits import Limits
from engine.running.batch import Entry
from engine.service.problems import HTTPProblem

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
MULTIPART = "multipart/form-data"
MULTIPART_OVERHEAD = 2**20  # boundaries and part headers, beyond the dossier and the ledger
UPLOAD_NAME = "dossier.yaml"  # a dossier sent without a name of its own (a body, a pasted text)
LEDGER_INPUT = "the dossier and its FEC as multipart/form-data: fields `dossier` and `ledger`"


class _TooLarge(Exception):
    pass


@dataclass
class Received:
    """A dossier as a request sent it: its name (for messages and the parser), its bytes, its uploaded ledger."""

    name: str
    body: bytes
    ledger: UploadFile | None = None

    @property
    def format(self) -> str:
        return "json" if self.name.endswith(".json") else "yaml"


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def too_large(limit: int, names: str) -> HTTPProblem:
    return HTTPProblem(
        413, "request too large", f"the request body is larger than the limit {names} of {limit:,} bytes",
        [Problem(f"the server's limits are raised with `referee --limit {names.split(' + ')[0]}=SIZE serve` (docs/limits.md)")],
    )


def unsupported(kind: str, accepted: tuple[str, ...]) -> HTTPProblem:
    return HTTPProblem(415, "unsupported media type", f"{kind or 'a body without a Content-Type'} is not read here", [Problem(f"send one of: {', '.join(accepted)}")])


async def read_capped(request: Request, limit: int, names: str) -> bytes:
    """The body, if it is no larger than `limit`: refused (413) on its declared length, or as soon as it passes the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit, names)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit, names)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_dossier_request(request: Request, limits: Limits) -> Received:
    """The dossier a request to /evaluate sends, within the limits."""
    kind = media_type(request)
    if kind in JSON_TYPES or kind.endswith("+json"):
        return Received("dossier.json", await read_capped(request, limits.document_bytes, "document_bytes"))
    if kind in YAML_TYPES:
        return Received(UPLOAD_NAME, await read_capped(request, limits.document_bytes, "document_bytes"))
    if kind == MULTIPART:
        return await _multipart(request, limits)
    raise unsupported(kind, (*JSON_TYPES, *YAML_TYPES, MULTIPART))


async def _multipart(request: Request, limits: Limits) -> Received:
    limit = limits.document_bytes + limits.ledger_bytes + MULTIPART_OVERHEAD
    names = "document_bytes + ledger_bytes"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit, names)
    size = 0

    async def receive() -> Any:
        nonlocal size
        message = await request.receive()
        size += len(message.get("body", b""))
        if size > limit:
            raise _TooLarge
        return message

    try:
        form = await Request(request.scope, receive).form(max_files=2, max_fields=2, max_part_size=limits.document_bytes)
    except _TooLarge:
        raise too_large(limit, names) from None
    unknown = sorted(set(form) - {"dossier", "ledger"})
    if unknown or "dossier" not in form:
        raise HTTPProblem(
            422, "invalid request", "a multipart request holds the field `dossier` and, for a procedure that reads one, `ledger`",
            [Problem(f"unknown field {name!r}", ("form", name)) for name in unknown] or [Problem("missing", ("form", "dossier"))],
        )
    dossier, ledger = form["dossier"], form.get("ledger")
    if ledger is not None and not isinstance(ledger, UploadFile):
        raise HTTPProblem(422, "invalid request", "the field `ledger` is a file upload (the FEC), not a text", [Problem("send a file", ("form", "ledger"))])
    if ledger is not None and (ledger.size or 0) > limits.ledger_bytes:
        raise too_large(limits.ledger_bytes, "ledger_bytes")
    if isinstance(dossier, UploadFile):
        body = await dossier.read(limits.document_bytes + 1)
        if len(body) > limits.document_bytes:
            raise too_large(limits.document_bytes, "document_bytes")
        return Received(_file_name(dossier.filename), body, ledger)
    return Received(UPLOAD_NAME, dossier.encode("utf-8"), ledger)


def _file_name(given: str | None) -> str:
    """An uploaded dossier's name as messages show it: its last part only, and read as JSON only if it says .json."""
    name = PurePosixPath((given or "").replace("\\", "/")).name
    return name if name and name not in (".", "..") and name.lower().endswith((".json", ".yaml", ".yml")) else UPLOAD_NAME


def ledger_place(document: Any, received: Received) -> PurePosixPath | None:
    """Where the request's ledger goes, relative to its dossier: the dossier's `ledger:`, checked.

    A dossier that names a ledger without uploading it names a file of the server: refused, as is a
    name that climbs out of the request's folder, and an upload the dossier does not name.
    """
    named = document.get("ledger") if isinstance(document, Mapping) else None
    if not isinstance(named, str):  # none, or not a text: the envelope's validation says so
        if received.ledger is not None:
            raise DossierError(
                f"{received.name}: a ledger was uploaded, and the dossier names none",
                [Problem("write `ledger: FILE`: the uploaded FEC is placed under that name beside the dossier", ("ledger",), received.name)],
            )
        return None
    if received.ledger is None:
        raise DossierError(
            f"{received.name}: a ledger is uploaded with its dossier, never named by a path on the server",
            [Problem(f"send {LEDGER_INPUT}", ("ledger",), received.name)],
        )
    place = PurePosixPath(os.path.normpath(named.replace("\\", "/")))
    if place.is_absolute() or not place.parts or place.parts[0] in (".", "..") or place == PurePosixPath(received.name):
        raise DossierError(
            f"{received.name}: the ledger's name {named!r} climbs out of the dossier's folder",
            [Problem("name the uploaded FEC by a file name, or a path below the dossier's folder", ("ledger",), received.name)],
        )
    return place


# -- batches and portfolios ---------------------------------------------------------------------


async def read_entries(request: Request, limits: Limits) -> list[Entry]:
    """The dossiers of a batch or a portfolio, as the batch reads them, each named `batch.json[INDEX]` or `batch.jsonl:LINE`."""
    kind = media_type(request)
    if kind in JSON_LINES_TYPES:
        body = await read_capped(request, limits.document_bytes, "document_bytes")
        name = "batch.jsonl"
        entries = [Entry(f"{name}:{n}", Path(name), n, text) for n, text in enumerate(body.splitlines(), start=1) if text.strip()]
    elif kind in JSON_TYPES or kind in YAML_TYPES:
        name = "batch.json" if kind in JSON_TYPES else "batch.yaml"
        document = parse_bytes(await read_capped(request, limits.document_bytes, "document_bytes"), name, DossierError, limits)
        if not isinstance(document, list):
            raise DossierError(f"{name} is not a list of dossiers", [Problem("send an array of dossiers, or JSON Lines", (), name)])
        entries = [Entry(f"{name}[{i}]", Path(name), None, _json(item, i, name)) for i, item in enumerate(document)]
    else:
        raise unsupported(kind, (*JSON_TYPES, *YAML_TYPES, *JSON_LINES_TYPES))
    if not entries:
        raise DossierError(f"{name} holds no dossier", [Problem("send one dossier or more", (), name)])
    _no_ledgers(entries)
    return entries


def _json(item: Any, index: int, name: str) -> bytes:
    """One dossier of a list, as the batch reads a line of JSON Lines."""
    try:
        return orjson.dumps(item)
    except TypeError as exc:  # YAML writes keys that are not texts, which no dossier has
        raise DossierError(f"{name}[{index}] cannot be read as a dossier", [Problem(str(exc), (index,), name)]) from None


def _no_ledgers(entries: list[Entry]) -> None:
    """A batch uploads no ledger: a dossier of it that names one would name a file of the server."""
    named = []
    for entry in entries:
        try:
            document = json.loads(entry.text or b"", object_pairs_hook=reject_duplicate_keys)
        except (ValueError, RecursionError):  # the batch reports it, with the others, as an invalid dossier
            continue
        if isinstance(document, Mapping) and "ledger" in document:
            named.append(Problem(f"a ledger is uploaded with its dossier to /evaluate ({LEDGER_INPUT}), never named", ("ledger",), entry.source))
    if named:
        raise DossierError("dossiers of the batch name a ledger, that is a file of the server", named)
