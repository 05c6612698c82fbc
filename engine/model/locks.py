"""A published version's lock: the digest of every file it runs, frozen when it was published.

`referee publish SCHEME ID` writes `referentials/<scheme>/<id>.lock.json`
(`engine.authoring.publication`). From then on the version is read only if
its files still have the digests the lock lists: editing a rule file that a
published version runs, or the version itself, is refused by the library and
by `referee validate`, naming the version and the file. A new version is the
only way to change a judgement; a correction of the encoding of the same
text is an amendment, recorded in the lock with its reason.

A lock may be signed (`engine.model.signatures`): the signature covers the
lock's canonical content (every key but `signature`), whose digest is the
lock digest that decisions record, with the key's fingerprint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from engine.errors import Problem, ReferentialError
from engine.model.canonical import canonical_json, digest
from engine.model.signatures import Signature

LOCK_FORMAT = "referee.lock/1"
LOCK_SUFFIX = ".lock.json"


def contents_digest(contents: Mapping[str, str]) -> str:
    """The digest of a version: over the digests of the files it runs, by their path in the tree."""
    return digest(dict(contents))


@dataclass(frozen=True)
class Lock:
    scheme: str
    version: str
    digest: str
    files: Mapping[str, str]  # path relative to the tree -> digest of its content
    published: str  # the day it was frozen (ISO)
    amendments: tuple[Mapping[str, Any], ...] = ()
    path: Path | None = None
    signature: Signature | None = None

    def content(self) -> dict[str, Any]:
        """What the lock says, without its signature: what a signature covers."""
        return {
            "format": LOCK_FORMAT,
            "scheme": self.scheme,
            "version": self.version,
            "digest": self.digest,
            "files": dict(sorted(self.files.items())),
            "published": self.published,
            "amendments": [dict(a) for a in self.amendments],
        }

    def to_json(self) -> dict[str, Any]:
        signature = {"signature": self.signature.to_json()} if self.signature else {}
        return {**self.content(), **signature}

    def signed_bytes(self) -> bytes:
        return canonical_json(self.content()).encode("utf-8")

    @cached_property
    def lock_digest(self) -> str:
        """The digest of the lock's content, signature aside: the same whether or not, and by whom, it is signed."""
        return digest(self.content())

    def stamp(self) -> dict[str, str]:
        """What a decision records of the lock of a version it used: its digest and, when signed, the key's fingerprint."""
        return {"digest": self.lock_digest, "key": self.signature.key} if self.signature else {"digest": self.lock_digest}

    def signed_by(self, signature: Signature) -> Lock:
        return replace(self, signature=signature)

    def changes(self, contents: Mapping[str, str]) -> list[str]:
        """What differs between the files as locked and as they are now, one sentence each."""
        changed = [f"{path} changed since it was published" for path in sorted(self.files) if path in contents and contents[path] != self.files[path]]
        changed += [f"{path} is no longer run by it" for path in sorted(set(self.files) - set(contents))]
        changed += [f"{path} is run by it but was not when it was published" for path in sorted(set(contents) - set(self.files))]
        return changed


def lock_path(referential: Path) -> Path:
    return referential.with_name(referential.stem + LOCK_SUFFIX)


def read_lock(path: Path) -> Lock | None:
    """The lock beside a version file, or None when the version is a draft."""
    if not path.exists():
        return None
    file = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReferentialError(f"cannot read the lock {file}", [Problem(str(exc), (), file)]) from None
    shape = {"format": str, "scheme": str, "version": str, "digest": str, "files": dict, "published": str, "amendments": list}
    wrong = [key for key, kind in shape.items() if not isinstance(document, dict) or not isinstance(document.get(key), kind)]
    if wrong or document["format"] != LOCK_FORMAT:
        raise ReferentialError(f"{file} is not a {LOCK_FORMAT} lock", [Problem("missing or of the wrong type", (key,), file) for key in wrong or ["format"]])
    lock = Lock(
        document["scheme"], document["version"], document["digest"], document["files"], document["published"],
        tuple(document["amendments"]), path,
    )
    if "signature" not in document:
        return lock
    signature = Signature.from_json(document["signature"], file)
    if not signature.verifies(lock.signed_bytes()):
        raise ReferentialError(
            f"{file}: the signature does not match the lock's content",
            [Problem(f"the lock was changed after {signature.key} signed it: restore it as it was published", ("signature",), file)],
        )
    return lock.signed_by(signature)
