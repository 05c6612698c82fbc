"""The compiled library: a tree of referentials and rules, opened once, judging many dossiers.

`Library.open(root)` is the one object that reads and compiles: referential
versions (checked against their JSON Schema), the rule files each version
runs (digested into the version's digest, checked against its lock when it
is published), compiled rules, input validators and the assembled procedures
of each selection of versions. Each is built the first time it is needed and
kept, so a scheme the dossier does not need is never read, and nothing is
read or compiled twice. Judging a dossier then does only the work that
depends on it (`Library.evaluate`).

A tree need not hold the JSON Schemas: one that lacks them is checked against
those referee ships (`bundled_root`), under the same names in locks.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.compilation.rules import Rule, RuleBook, build_rulebook, compile_rules
from engine.errors import DossierError, Problem, ReferentialError, UsageError
from engine.model.documents import load_document
from engine.model.limits import DEFAULT_LIMITS, Limits
from engine.model.locks import Lock, contents_digest, lock_path, read_lock
from engine.model.referential import ReferentialVersion, RuleFile, load_referential
from engine.model.rule_files import RuleSource, read_rule_file
from engine.model.schemas import REFERENTIAL_SCHEMA, RULES_SCHEMA, SchemaFile

if TYPE_CHECKING:
    from engine.compilation.procedure import CompiledCheck, CompiledProcedure
    from engine.decision.model import Decision
    from engine.model.dossier import Dossier, FactsValidator
    from engine.model.referential import Procedure
    from engine.running.runtimes import Runtime
    from engine.selection.versions import Selection


class Library:
    """A project tree holding `referentials/` and `rules/`, compiled on demand and once."""

    def __init__(self, root: Path, limits: Limits = DEFAULT_LIMITS, confine_ledgers: bool = False):
        self.root = Path(root)
        self.limits = limits
        self.confine_ledgers = confine_ledgers  # a dossier's ledger must lie within its folder
        self.referentials_dir = self.root / "referentials"
        self.rules_dir = self.root / "rules"
        self.referential_schema = _schema(self.referentials_dir, REFERENTIAL_SCHEMA)
        self.rules_schema = _schema(self.rules_dir, RULES_SCHEMA)
        self._schemes: list[str] | None = None
        self._versions: dict[str, list[ReferentialVersion]] = {}
        self._sources: dict[Path, RuleSource] = {}
        self._rules: dict[Path, tuple[Rule, ...]] = {}
        self._books: dict[tuple[Path, ...], RuleBook] = {}
        self._validators: dict[tuple[int, tuple[Any, ...]], tuple[Procedure, FactsValidator]] = {}
        self._compiled: dict[tuple[Any, ...], CompiledProcedure] = {}
        self._checks: dict[int, tuple[Procedure, tuple[CompiledCheck, ...]]] = {}
        self._checked: set[str] = set()

    @classmethod
    def open(cls, root: Path | str, limits: Limits = DEFAULT_LIMITS, confine_ledgers: bool = False) -> Library:
        """The tree at `root`; `limits` bound what it reads, its files and the dossiers it judges (docs/limits.md).

        `confine_ledgers`: a FEC a dossier names must lie within the dossier's folder (a server sets it).
        """
        root = Path(root)
        if not (root / "referentials").is_dir():
            raise UsageError(f"{root} holds no referentials/ folder", [Problem("point --root (or REFEREE_ROOT) at a tree holding referentials/ and rules/")])
        return cls(root, limits, confine_ledgers)

    def load_dossier(self, path: Path) -> Dossier:
        """A dossier file, read within the library's limits."""
        from engine.model.dossier import read_dossier

        return read_dossier(load_document(path, DossierError, self.limits), str(path))

    # -- schemes and versions -------------------------------------------------------------------

    def schemes(self) -> list[str]:
        """The schemes of the tree, listed once: a folder of referentials/ holding versions."""
        if self._schemes is None:
            folder = self.referentials_dir
            self._schemes = sorted(p.name for p in folder.iterdir() if p.is_dir() and any(p.glob("*.yaml"))) if folder.is_dir() else []
        return self._schemes

    def versions(self, scheme: str) -> list[ReferentialVersion]:
        """Every version of `scheme`, oldest in force first, with the digest of everything it runs."""
        if scheme not in self._versions:
            if scheme not in self.schemes():
                raise UsageError(
                    f"unknown scheme {scheme!r}",
                    [Problem(f"known schemes: {', '.join(self.schemes()) or 'none'} (in {self.referentials_dir})")],
                )
            loaded = [self.load_version(p) for p in sorted((self.referentials_dir / scheme).glob("*.yaml"))]
            self._versions[scheme] = sorted(loaded, key=lambda v: (v.in_force_from, v.id))
        return self._versions[scheme]

    def versions_named(self, scheme: str, *ids: str) -> list[ReferentialVersion]:
        """The versions of `scheme` with these ids, in their order; an unknown scheme or id is a usage error naming the known ones."""
        versions = {v.id: v for v in self.versions(scheme)}
        unknown = [i for i in ids if i not in versions]
        if unknown:
            raise UsageError(f"{scheme} has no version {', '.join(unknown)}", [Problem(f"known versions of {scheme}: {', '.join(versions)}")])
        return [versions[i] for i in ids]

    def checked(self, scheme: str) -> list[ReferentialVersion]:
        """The versions of `scheme`, if `referee validate` finds no error in them: no dossier is judged under one it rejects.

        A published version was validated when published and is vouched for by its lock; a draft is
        checked here, once per library, but for its change log, which documents it and cannot change a
        judgement (its author weighs a draft's impact before writing it). The chain of versions (dates,
        `supersedes`) is checked always.
        """
        versions = self.versions(scheme)
        if scheme not in self._checked:
            from engine.selection.chain import check_chain

            problems = check_chain(versions)
            drafts = [v for v in versions if v.lock is None]
            if drafts:  # the checks of authoring are imported only then: a published tree judges without them
                from engine.authoring.checks import check_version

                for version in drafts:
                    problems += check_version(self, version, log=False).problems  # a draft's impact is weighed before its log is written
            if problems:
                raise ReferentialError(f"{scheme} has versions that `referee validate` rejects: no dossier is judged under them", problems)
            self._checked.add(scheme)
        return versions

    def load_version(self, path: Path, *, check_lock: bool = True) -> ReferentialVersion:
        """One version file, read with its rule files and checked against its lock when published.

        Only publication reads a version without checking its lock, to amend it.
        """
        lock = read_lock(lock_path(path))
        vouched = self._vouched(lock)
        version = load_referential(path, self.referential_schema, vouched, self.limits)
        if version.framework is not None:
            _data_only(version)
        contents = {self._relative(path): version.digest, _schema_key(self.referential_schema): self.referential_schema.digest}
        sources = self.rule_sources(version, vouched)
        if sources:
            contents[_schema_key(self.rules_schema)] = self.rules_schema.digest
        contents.update((self._relative(s.path), s.digest) for s in sources)
        digest = contents_digest(contents)
        if check_lock and lock is not None and lock.digest != digest:
            raise ReferentialError(
                f"version {version.id} of {version.scheme} was published, and what it runs has changed since: "
                "publish a new version to change a judgement",
                (
                    [Problem(f"published version {version.id}: {change}; publish a new version to change a judgement", (), str(path)) for change in lock.changes(contents)]
                    or [Problem(f"published version {version.id}: its digest is now {digest}, the lock says {lock.digest}", (), str(path))]
                ) + self._shipped_schemas_changed(lock, contents),
            )
        return version.frozen(digest=digest, contents=contents, lock=lock)

    def _shipped_schemas_changed(self, lock: Lock, contents: dict[str, str]) -> list[Problem]:
        """Why a schema the tree does not hold changed: the referee that reads it is not the one it was published with."""
        from engine import __version__

        changed = {key for key, digest in lock.files.items() if contents.get(key, digest) != digest}
        shipped = [_schema_key(s) for s in (self.referential_schema, self.rules_schema) if not s.path.is_relative_to(self.root)]
        return [
            Problem(f"not in the tree: referee {__version__} reads its own, which differs from the one the version was published with; "
                    "read it with that referee, or keep that schema file in the tree", (), str(self.root / key))
            for key in shipped if key in changed
        ]

    def _vouched(self, lock: Lock | None) -> frozenset[str]:
        """The digests a lock vouches for: the files it froze were checked against the schemas it names.

        Only if those schemas are still the ones in force: a file is then not checked against them again.
        """
        if lock is None:
            return frozenset()
        for schema in (self.referential_schema, self.rules_schema):
            listed = lock.files.get(_schema_key(schema))
            if listed is not None and listed != schema.digest:
                return frozenset()
        return frozenset(lock.files.values())

    def version(self, scheme: str, version_id: str) -> ReferentialVersion:
        from engine.selection.versions import version_by_id

        return version_by_id(self.versions(scheme), version_id)

    def with_versions(self, scheme: str, versions: Sequence[ReferentialVersion]) -> Library:
        """This tree as if `scheme` had only `versions` (e.g. before a new one was added), sharing all that is compiled.

        The versions are checked first, all of them: a view judges under no version the whole tree rejects.
        """
        self.checked(scheme)
        view = copy.copy(self)
        view._versions = {**self._versions, scheme: sorted(versions, key=lambda v: (v.in_force_from, v.id))}
        return view

    def companion_schemes(self, scheme: str, role: str) -> list[str]:
        """The schemes whose versions all declare themselves a `role` of `scheme` (reads every scheme)."""
        return [candidate for candidate in self.schemes() if self.is_companion(candidate, scheme, role)]

    def is_companion(self, candidate: str, scheme: str, role: str) -> bool:
        try:
            versions = self.versions(candidate)
        except (ReferentialError, UsageError):  # a scheme that does not load is reported by its own validation
            return False
        return all(v.framework == {"scheme": scheme, "role": role} for v in versions)

    # -- rules ----------------------------------------------------------------------------------

    def rule_path(self, version: ReferentialVersion, ref: RuleFile) -> Path:
        return self.rules_dir / version.scheme / ref.folder(version.id) / ref.file

    def rule_refs(self, version: ReferentialVersion) -> dict[RuleFile, str]:
        """Every rule file the version lists, once each in listing order, with who lists it first."""
        refs: dict[RuleFile, str] = {}
        for section in version.sections.values():
            for ref in section.rule_files:
                refs.setdefault(ref, f"section '{section.name}'")
            for procedure in section.procedures.values():
                for ref in procedure.rule_files:
                    refs.setdefault(ref, f"procedure {procedure.name}")
        return refs

    def rule_sources(self, version: ReferentialVersion, vouched: frozenset[str] = frozenset()) -> list[RuleSource]:
        """The rule files a version runs, read; all problems at once (a missing file, a shared file that changed)."""
        sources, problems = [], []
        for ref, who in self.rule_refs(version).items():
            path = self.rule_path(version, ref)
            if not path.is_file():
                problems.append(Problem(f"{who} lists rule file {path}, which does not exist", ("sections",), str(version.path)))
                continue
            try:
                source = self.rule_source(path, version.scheme, vouched)
            except ReferentialError as exc:
                problems += list(exc.problems) or [Problem(exc.message, (), str(path))]
                continue
            if ref.digest is not None and ref.digest != source.digest:
                problems.append(Problem(
                    f"{who} shares {path} of version {ref.version} with digest {ref.digest}, but its content now has digest {source.digest}",
                    ("sections",), str(version.path)))
                continue
            sources.append(source)
        if problems:
            raise ReferentialError(f"{version.path}: the rule files of version {version.id} cannot be read", problems)
        return sources

    def rule_source(self, path: Path, scheme: str, vouched: frozenset[str] = frozenset()) -> RuleSource:
        if path not in self._sources:
            self._sources[path] = read_rule_file(path, scheme, self.rules_schema, vouched, self.limits)
        return self._sources[path]

    def rules(self, path: Path, scheme: str) -> tuple[Rule, ...]:
        """The compiled rules of one file."""
        if path not in self._rules:
            self._rules[path] = compile_rules(self.rule_source(path, scheme), self.limits)
        return self._rules[path]

    def rulebook(self, paths: Sequence[Path], scheme: str) -> RuleBook:
        """The rules of several files, in order, compiled once per list of files."""
        key = tuple(paths)
        if key not in self._books:
            self._books[key] = build_rulebook((self.rule_source(p, scheme), self.rules(p, scheme)) for p in paths)
        return self._books[key]

    # -- what a dossier is judged by ------------------------------------------------------------

    def validator(self, procedure: Procedure, version_of: Callable[[str], ReferentialVersion]) -> FactsValidator:
        """The procedure's input validator, with the criteria of its sections' versions; built once each."""
        from engine.model.dossier import FactsValidator

        criteria = {c.id: c for name in procedure.sections for c in version_of(name).sections[name].criteria.values()}
        key = (id(procedure), tuple(criteria.values()))
        cached = self._validators.get(key)
        if cached is None or cached[0] is not procedure:
            cached = (procedure, FactsValidator(procedure, criteria, f"{version_of(procedure.section).label}, procedure {procedure.name}"))
            self._validators[key] = cached
        return cached[1]

    def input_checks(self, procedure: Procedure, version: ReferentialVersion) -> tuple[CompiledCheck, ...]:
        """The input checks of `version`'s `procedure`, compiled once each: only when a dossier or a check needs them."""
        from engine.compilation.procedure import compile_checks

        cached = self._checks.get(id(procedure))
        if cached is None or cached[0] is not procedure:
            cached = (procedure, compile_checks(procedure, version, self.limits))
            self._checks[id(procedure)] = cached
        return cached[1]

    def compiled(self, selection: Selection, procedure: Procedure) -> CompiledProcedure:
        """The procedure compiled for a selection of versions, once per selection."""
        from engine.compilation.procedure import compile_procedure

        key = (procedure.name, procedure.section, tuple((c.section, c.version.scheme, c.version.digest) for c in selection.choices.values()))
        if key not in self._compiled:
            self._compiled[key] = compile_procedure(self, selection, procedure)
        return self._compiled[key]

    def compile_all(self) -> None:
        """Read every scheme and compile every rule file and input validator now, not when first needed.

        For a process about to fork workers, which then inherit all of it instead of each compiling
        its own; and for a server, so that its first requests are not slower. A scheme that does not
        load is left to the dossiers that need it, which report why.
        """
        for scheme in self.schemes():
            try:
                versions = self.versions(scheme)
            except (ReferentialError, UsageError):
                continue
            for version in versions:
                try:
                    self._compile_version(version)
                except ReferentialError:
                    continue

    def _compile_version(self, version: ReferentialVersion) -> None:
        for ref in self.rule_refs(version):
            self.rules(self.rule_path(version, ref), version.scheme)
        for procedure in version.procedures().values():
            if all(s in version.sections for s in procedure.sections):
                self.validator(procedure, lambda _: version)
                self.input_checks(procedure, version)

    def evaluate(self, dossier: Dossier, version: str | None = None, runtime: str | Runtime = "durable-rules") -> Decision:
        """Judge one dossier; `version` forces a version of its scheme."""
        from engine.running.evaluation import evaluate

        return evaluate(self, dossier, version=version, runtime=runtime)

    def _relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def bundled_root() -> Path:
    """The tree of schemes referee ships: engine/_bundled in an installed wheel, the project itself in a checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "_bundled"
    return installed if (installed / "referentials").is_dir() else package.parent


def _schema(folder: Path, name: str) -> SchemaFile:
    """The tree's own schema file when it has one, else the one referee ships."""
    own = folder / name
    return SchemaFile(own if own.is_file() else bundled_root() / folder.name / name)


def _schema_key(schema: SchemaFile) -> str:
    """A schema's name in a version's contents: `referentials/referential.schema.json`, wherever it was read from."""
    return f"{schema.path.parent.name}/{schema.path.name}"


def _data_only(version: ReferentialVersion) -> None:
    """A companion (a method of a decree) is data its framework's procedures read: it runs nothing itself."""
    role = version.framework["role"] if version.framework else ""
    running = [s.name for s in version.sections.values() if s.rule_files or s.procedures]
    if running:
        raise ReferentialError(
            f"{version.path}: a {role} carries data only",
            [Problem(f"a {role} carries data only: section '{name}' has rules or procedures", ("sections", name), str(version.path)) for name in running],
        )
