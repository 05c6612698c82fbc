"""Who may call what: bearer tokens with two roles, read from a file or the environment.

A reader reads: stored decisions, their explanation and report, jobs. An
evaluator does everything a reader does, and judges (evaluate, batch, impact,
replay), writing to the store. Without a token only the page, the docs, the
OpenAPI document and `/schemes` (with its versions and diffs: the referentials
are public texts) answer.

Tokens are written one a line, `ROLE TOKEN [NAME]` (`#` starts a comment), in
the file `referee serve --tokens FILE` names, or in REFEREE_TOKENS, where `;`
also separates entries. NAME is who decides, as the store records it (default:
the role). A token is at least 16 characters of the RFC 6750 alphabet. A token
is compared in constant time with every known one (`hmac.compare_digest` of
their SHA-256), and never written anywhere: not in a message, not in the log.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.errors import Problem, UsageError
from engine.service.problems import HTTPProblem

READER, EVALUATOR = "reader", "evaluator"
ROLES = (READER, EVALUATOR)
TOKENS_ENV = "REFEREE_TOKENS"
MINIMUM_LENGTH = 16
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/-]+=*$")  # RFC 6750's b64token
REALM = 'Bearer realm="referee"'


@dataclass(frozen=True)
class Principal:
    """Who a request's token says is calling."""

    role: str
    name: str

    def may(self, role: str) -> bool:
        return self.role == EVALUATOR or role == READER


class Tokens:
    """The known tokens, kept as their SHA-256 only."""

    def __init__(self, entries: dict[bytes, Principal] | None = None):
        self._entries = dict(entries or {})

    def __len__(self) -> int:
        return len(self._entries)

    @classmethod
    def parse(cls, text: str, source: str) -> Tokens:
        """`ROLE TOKEN [NAME]` entries, one a line (or separated by `;`); every bad line is named at once."""
        entries: dict[bytes, Principal] = {}
        problems = []
        for number, line in enumerate(text.splitlines(), start=1):
            for entry in line.split("#", 1)[0].split(";"):
                words = entry.split(maxsplit=2)
                if not words:
                    continue
                if len(words) < 2 or words[0] not in ROLES:
                    problems.append(Problem(f"an entry is `ROLE TOKEN [NAME]`, ROLE one of {', '.join(ROLES)}", (), source, number))
                elif len(words[1]) < MINIMUM_LENGTH or not _TOKEN.match(words[1]):
                    problems.append(Problem(f"a token is at least {MINIMUM_LENGTH} characters of letters, digits and -._~+/ (the token is not shown)", (), source, number))
                elif _hashed(words[1]) in entries:
                    problems.append(Problem("this token is given twice", (), source, number))
                else:
                    entries[_hashed(words[1])] = Principal(words[0], words[2].strip() if len(words) > 2 else words[0])
        if problems:
            raise UsageError(f"the tokens in {source} cannot be read", problems)
        return cls(entries)

    @classmethod
    def read(cls, path: Path) -> Tokens:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read the tokens file {path}: {exc.strerror or exc}") from None
        return cls.parse(text, str(path))

    @classmethod
    def configured(cls, path: Path | None) -> Tokens:
        """The tokens of `--tokens FILE`, else of REFEREE_TOKENS, else none."""
        if path is not None:
            return cls.read(path)
        return cls.parse(os.environ.get(TOKENS_ENV, ""), TOKENS_ENV)

    def holder(self, token: str) -> Principal | None:
        """The principal of `token`, compared with every known token in constant time."""
        given = _hashed(token)
        found = None
        for known, principal in self._entries.items():
            if hmac.compare_digest(given, known):
                found = principal
        return found


def _hashed(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


_bearer = HTTPBearer(auto_error=False, description="A token from the server's tokens file or REFEREE_TOKENS (docs/api.md).")


def _required(role: str) -> Callable[..., Principal]:
    def dependency(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
        tokens: Tokens = request.app.state.tokens
        if credentials is None:
            raise HTTPProblem(401, "unauthorized", f"{request.url.path} needs a bearer token (role {role} or above)", headers={"WWW-Authenticate": REALM})
        principal = tokens.holder(credentials.credentials)
        if principal is None:
            raise HTTPProblem(401, "unauthorized", "the bearer token is not one this server knows", headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'})
        request.state.role = principal.role  # for the access log
        if not principal.may(role):
            raise HTTPProblem(403, "forbidden", f"{request.url.path} needs the role {role}; the token has the role {principal.role}")
        return principal

    return dependency


reader = _required(READER)
evaluator = _required(EVALUATOR)
Reader = Annotated[Principal, Depends(reader)]
Evaluator = Annotated[Principal, Depends(evaluator)]
