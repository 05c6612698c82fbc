"""Publishing a version: freezing what it runs in a lock, so that no judgement under it can change.

`referee publish SCHEME ID` writes `referentials/<scheme>/<id>.lock.json`
with the digest of every file the version runs (the version, its rule files,
the schemas). The library then refuses the version if any of them changes
(`engine.model.locks`). A valid version only is published. A published
version whose encoding must be corrected (the text did not change, its
reading did) is amended: `--amend REASON` writes a new lock that keeps the
previous digest, the day and the reason, so that the correction is on record
and decisions taken before it still name the digest they were taken under.
"""

from __future__ import annotations

import datetime as dt
import json

from engine.authoring.checks import check_version
from engine.errors import Problem, ReferentialError, UsageError
from engine.library import Library
from engine.model.locks import Lock, lock_path, read_lock


def publish(library: Library, scheme: str, version_id: str, *, amend: str | None = None, today: dt.date | None = None) -> tuple[Lock, str]:
    """Write the version's lock; returns it and what was done ("published", "amended" or "unchanged")."""
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
            return previous, "unchanged"
        if not amend:
            raise UsageError(
                f"version {version_id} of {scheme} is published, and what it runs has changed since",
                [Problem(change, (), str(version.path)) for change in previous.changes(version.contents)]
                + [Problem("publish a new version to change a judgement; to correct the encoding of this same text, give --amend REASON")],
            )
        amendments.append({"on": day, "previous_digest": previous.digest, "reason": amend})
    elif amend:
        raise UsageError(f"version {version_id} of {scheme} is not published: there is nothing to amend", [])
    lock = Lock(scheme, version_id, version.digest, dict(version.contents), previous.published if previous else day, tuple(amendments), path)
    path.write_text(json.dumps(lock.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return lock, "amended" if previous else "published"
