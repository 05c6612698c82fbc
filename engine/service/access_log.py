"""The access log: one JSON line per request, for programs that collect logs.

Each line holds the time, the method, the path (never the query string, nor a
header: a token cannot reach the log), the status, the duration in
milliseconds and the role the token gave (`anonymous` without one). It is an
ASGI middleware of its own, not uvicorn's access log, which writes the query
string and is no JSON.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from typing import IO

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "referee.access"
log = logging.getLogger(ACCESS_LOGGER)


class AccessLog:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        state = scope.setdefault("state", {})  # the auth dependency writes the role here (request.state)
        status = 500  # unless a response starts: an exception that escaped every handler

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            log.info(orjson.dumps({
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                "role": state.get("role", "anonymous"),
            }).decode())


def log_to(stream: IO[str] = sys.stderr) -> None:
    """Write the service's logs (the access log, and the internal errors with their stack) as they are: one record a line."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in (ACCESS_LOGGER, "referee.service"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
