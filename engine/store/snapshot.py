"""The library as it stood when it judged: every version of every scheme, as the files it is made of.

A version is recorded as a manifest, its path in the tree -> the SHA-256 of the
file's bytes, for every file it runs (its YAML, its rule files, the JSON
Schemas: what its digest covers) and its lock when it is published (a decision
cites the lock too). A library is the list of its versions' manifests. Both
are content-addressed, and so is every file: a batch records what is new, and
the same tree judging again records nothing but its decisions.

A replay writes a library back as a tree (`materialize`) and opens it: the
versions a decision used, exactly, and the ones that existed beside them then,
not those added since. Selection reads the versions beside the one chosen
(a later version "applies from the next cycle"; a forced version is compared
with the one the rules of time give): a replay under today's tree would not
read the same ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import orjson

from engine.errors import Problem, ReferentialError, UsageError
from engine.library import Library
from engine.model.referential import ReferentialVersion
from engine.store.database import StoreError


def file_digest(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class VersionFiles:
    """A version as recorded: who it is, its digest (as decisions cite it), and its files by path."""

    scheme: str
    version: str
    digest: str
    published_on: str
    in_force_from: str
    files: Mapping[str, str]  # path in the tree -> digest of the file's bytes

    @property
    def entry(self) -> str:
        """The digest of the manifest: a version's digest does not cover its lock, this does."""
        return "sha256:" + hashlib.sha256(orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.scheme} {self.version}"

    def to_json(self) -> dict[str, object]:
        return {
            "scheme": self.scheme, "version": self.version, "digest": self.digest, "published_on": self.published_on,
            "in_force_from": self.in_force_from, "files": dict(self.files),
        }


@dataclass(frozen=True)
class Snapshot:
    """The versions of a library; `blobs` holds the files' bytes when it was just captured (not when read back)."""

    versions: tuple[VersionFiles, ...]
    blobs: Mapping[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def digest(self) -> str:
        return file_digest(orjson.dumps(self.entries()))

    def entries(self) -> list[str]:
        return sorted(v.entry for v in self.versions)


def capture(library: Library) -> Snapshot:
    """Every version the library holds, with its files; a scheme that does not load is left out, as it judges nothing."""
    versions, blobs = [], {}
    for scheme in library.schemes():
        try:
            loaded = library.versions(scheme)
        except (ReferentialError, UsageError):
            continue
        for version in loaded:
            files = {}
            for path, source in _files(library, version):
                content = source.read_bytes()
                files[path] = file_digest(content)
                blobs[files[path]] = content
            versions.append(VersionFiles(
                version.scheme, version.id, version.digest, version.published_on.isoformat(), version.in_force_from.isoformat(), files,
            ))
    return Snapshot(tuple(versions), blobs)


def _files(library: Library, version: ReferentialVersion) -> Iterable[tuple[str, Path]]:
    """(path in the tree, file to read) for what the version runs and its lock; a JSON Schema may be one referee ships."""
    schemas = {f"{s.path.parent.name}/{s.path.name}": s.path for s in (library.referential_schema, library.rules_schema)}
    for path in version.contents:
        yield path, schemas.get(path, library.root / path)
    if version.lock is not None and version.lock.path is not None:
        yield version.lock.path.relative_to(library.root).as_posix(), version.lock.path


def materialize(versions: Iterable[VersionFiles], blob: Callable[[str], bytes], folder: Path) -> None:
    """Write the versions' files as a tree in `folder`, each checked against its digest."""
    for version in versions:
        for path, digest in version.files.items():
            target = folder / _inside(path, version)
            content = blob(digest)
            if file_digest(content) != digest:
                raise StoreError(f"the store's copy of {path} ({version.label}) is altered", [Problem(f"its bytes no longer have the digest {digest}")])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)


def _inside(path: str, version: VersionFiles) -> PurePosixPath:
    """A recorded path, refused if it would write outside the tree (a store is data, and may be hostile)."""
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise StoreError(f"the store records {version.label} with a file outside its tree", [Problem(f"{path!r} is not a path within a tree")])
    return relative
