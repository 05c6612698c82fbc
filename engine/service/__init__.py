"""referee as a service: the HTTP API of `referee serve` (docs/api.md).

    app.py         create_app(library, store, tokens): the FastAPI application, and the Service its endpoints call
    routes.py      the endpoints, thin: read the request, call the Service, answer
    bodies.py      what a request sends, read within the CLI's limits: a dossier (JSON, YAML, multipart with its FEC), a batch
    auth.py        bearer tokens, two roles (reader, evaluator), compared in constant time
    problems.py    every error as an RFC 9457 problem document, with the CLI's paths and lines
    jobs.py        background jobs (batch, impact), polled at /jobs/{id}
    access_log.py  one JSON line per request, never a token
    page.py        the page at `/` (static/index.html)
"""

from engine.service.app import create_app
from engine.service.auth import Tokens

__all__ = ["Tokens", "create_app"]
