"""Publishing a version: freezing what it runs in a lock, so that no judgement under it can change; verifying locks.

`referee publish SCHEME ID` writes `referentials/<scheme>/<id>.lock.json`
with the digest of every file the version runs (the version, its rule files,
the schemas). The library then refuses the version if any of them changes
(`engine.model.locks`). A valid version only is published. A published
version whose encoding must be corrected (the text did not change, its
reading did) is amended: `--amend REASON` writes a new lock that keeps the
previous digest, the day and the reason, so that the correction is on record
and decisions taken before it still name the digest they were taken under.

`--key FILE` signs the lock with an Ed25519 key (`engine.model.signatures`);
the key of an already published version signs its lock as it is. A signed
version stays signed: its amendment must be signed too.

`referee verify` reads every lock again, checks it against what its version
runs and its signature against its content, and, given trusted public keys,
that each published version is signed by one of them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.authoring.checks import check_version
from engine.errors import Problem, RefereeError, ReferentialError, UsageError, format_path
from engine.library import Library
from engine.model.locks import LOCK_SUFFIX, Lock, lock_path, read_lock
from engine.model.signatures import fingerprint, read_private_key, read_public_key, sign


def publish(
    library: Library, scheme: str, version_id: str, *, amend: str | None = None, key: Path | None = None, today: dt.date | None = None
) -> tuple[Lock, str]:
    """Write the version's lock, signed with `key` if given; returns it and what was done.

    What was done: "published", "amended", "signed" (a published version's lock, as it was) or
    "unchanged", the first two followed by " and signed" when signed.
    """
    private_key = read_private_key(key) if key is not None else None
    file = library.referentials_dir / scheme / f"{version_id}.yaml"
    if scheme not in library.schemes() or not file.is_file():
        known = sorted(p.stem for p in file.parent.glob("*.yaml")) if scheme in library.schemes() else library.schemes()
        raise UsageError(f"no version {version_id} of {scheme} in {library.referentials_dir}", [Problem(f"known: {', '.join(known) or 'none'}")])
    version = library.load_version(file, check_lock=False)
    report = check_version(library, version)
    if report.problems:
        raise ReferentialError(f"version {version_id} of {scheme} is not valid: it cannot be published", report.problems)
    path = lock_path(version.path)
    previous = read_lock(path)
    day = (today or dt.date.today()).isoformat()
    amendments = list(previous.amendments) if previous else []
    if previous is not None:
        if previous.digest == version.digest:
            if private_key is None or (previous.signature is not None and previous.signature.key == fingerprint(private_key.public_key())):
                return previous, "unchanged"
            return _write(previous.signed_by(sign(private_key, previous.signed_bytes()))), "signed"
        if not amend:
            raise UsageError(
                f"version {version_id} of {scheme} is published, and what it runs has changed since",
                [Problem(change, (), str(version.path)) for change in previous.changes(version.contents)]
                + [Problem("publish a new version to change a judgement; to correct the encoding of this same text, give --amend REASON")],
            )
        if previous.signature is not None and private_key is None:
            raise UsageError(f"version {version_id} of {scheme} is signed by {previous.signature.key}: give --key FILE to sign its amendment", [])
        amendments.append({"on": day, "previous_digest": previous.digest, "reason": amend})
    elif amend:
        raise UsageError(f"version {version_id} of {scheme} is not published: there is nothing to amend", [])
    lock = Lock(scheme, version_id, version.digest, dict(version.contents), previous.published if previous else day, tuple(amendments), path)
    done = "amended" if previous else "published"
    if private_key is None:
        return _write(lock), done
    return _write(lock.signed_by(sign(private_key, lock.signed_bytes()))), f"{done} and signed"


def _write(lock: Lock) -> Lock:
    assert lock.path is not None  # a lock being written was made for its version's file
    lock.path.write_text(json.dumps(lock.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return lock


@dataclass
class VersionCheck:
    """What `referee verify` found for one version: its publication, its signature, and what is wrong."""

    scheme: str
    version: str
    file: str
    status: str  # "draft", "published" or "signed"
    lock_digest: str | None = None
    key: str | None = None
    trusted: bool | None = None  # None when no key is trusted (no --trust), or the version is unsigned
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme, "version": self.version, "file": self.file, "status": self.status,
            "lock_digest": self.lock_digest, "key": self.key, "trusted": self.trusted,
            "problems": [{"file": p.file, "line": p.line, "path": format_path(p.path) if p.path else None, "message": p.message} for p in self.problems],
        }


def verify(library: Library, scheme: str | None = None, version_id: str | None = None, trust: Sequence[Path] = ()) -> list[VersionCheck]:
    """Check the locks of the tree (or of one scheme, or one version) against what the versions run, and their signatures.

    With `trust`, every published version must be signed by one of those public keys. A draft is
    listed, not faulted, unless it was asked for by its id: it claims nothing.
    """
    trusted = {fingerprint(read_public_key(path)) for path in trust}
    if scheme is not None and scheme not in library.schemes():
        raise UsageError(f"unknown scheme {scheme!r}", [Problem(f"known schemes: {', '.join(library.schemes()) or 'none'} (in {library.referentials_dir})")])
    checks = []
    for name in [scheme] if scheme is not None else library.schemes():
        folder = library.referentials_dir / name
        files = sorted(folder.glob("*.yaml"))
        if version_id is not None:
            files = [f for f in files if f.stem == version_id]
            if not files:
                known = ", ".join(sorted(f.stem for f in folder.glob("*.yaml")))
                raise UsageError(f"no version {version_id} of {name} in {library.referentials_dir}", [Problem(f"known: {known}")])
        checks += [_check(library, file, trusted, asked=version_id is not None) for file in files]
        if version_id is None:
            checks += [_orphan(name, lock) for lock in sorted(folder.glob("*" + LOCK_SUFFIX)) if not lock.with_name(lock.name.removesuffix(LOCK_SUFFIX) + ".yaml").exists()]
    return checks


def _check(library: Library, file: Path, trusted: set[str], *, asked: bool) -> VersionCheck:
    check = VersionCheck(file.parent.name, file.stem, str(file), "draft")
    try:
        lock = read_lock(lock_path(file))  # first on its own: a lock that reads well names its signer even if its version changed
        if lock is not None:
            check.status, check.lock_digest = ("signed" if lock.signature else "published"), lock.lock_digest
            check.key = lock.signature.key if lock.signature else None
        version = library.load_version(file)
    except RefereeError as exc:
        check.status = _status_as_written(lock_path(file))
        check.problems += list(exc.problems) or [Problem(exc.message, (), str(file))]
        return check
    if lock is None:
        if asked:
            check.problems.append(Problem(f"version {version.id} is a draft: it was never published", (), str(file)))
        return check
    if trusted:
        check.trusted = check.key in trusted
        if check.key is None:
            check.problems.append(Problem(f"published version {version.id} is not signed", (), str(lock.path)))
        elif not check.trusted:
            check.problems.append(Problem(f"published version {version.id} is signed by {check.key}, which is not a trusted key", ("signature", "key"), str(lock.path)))
    return check


def _status_as_written(lock: Path) -> str:
    """What a lock that could not be verified claims: a draft's has none, a signed lock names a signature."""
    if not lock.exists():
        return "draft"
    try:
        claims_signature = "signature" in json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        claims_signature = False
    return "signed" if claims_signature else "published"


def _orphan(scheme: str, lock: Path) -> VersionCheck:
    version = lock.name.removesuffix(LOCK_SUFFIX)
    return VersionCheck(scheme, version, str(lock), "published", problems=[Problem(f"a lock of version {version}, which is not in the tree", (), str(lock))])
