"""A decision judged again under what judged it, and compared: `referee replay`.

A decision recorded in a store is judged again under its library as recorded:
every version that library held, written back from the store's copies of
their files (engine/store/snapshot.py), so that neither an edit of the tree
nor a version added since can reach it; its dossier as received; the runtime
it was judged by; the version it was forced to, if any. Then the two are
compared. The same seal: "reproduced". Otherwise the first difference, and the
recorded digests that explain it: a version whose files changed (named), a
lock, the ledger, the engine.

A decision file is first checked against its seal: one altered since it was
written is refused. If a store holds it (by its seal), it is replayed as
above. If not, its dossier must be in the store (by its digest), and its
library is made of the versions it names, exactly: the store's copy, or the
tree's when its digest matches, else the tree's as it is now (the difference
is then explained by it); and beside them the tree's other versions published
on or before its event date, since a decision names no version published
after its event date (engine/selection/versions.py).

A decision that cannot be judged again (its dossier or a version held
nowhere, a ledger not recorded) is "unverifiable", with the reason.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any, Self

import orjson

from engine.decision.compare import MISSING, first_difference
from engine.decision.model import Decision
from engine.errors import DecisionFileError, DossierError, RefereeError
from engine.library import Library
from engine.model.canonical import digest
from engine.model.dossier import Dossier, read_dossier
from engine.model.limits import Limits
from engine.running.runtimes import RUNTIMES
from engine.store.repository import Store, StoredDecision, StoredDossier
from engine.store.snapshot import Snapshot, VersionFiles, capture, file_digest, materialize

REPRODUCED, DIFFERING, UNVERIFIABLE = "reproduced", "differing", "unverifiable"
VERDICTS = (REPRODUCED, DIFFERING, UNVERIFIABLE)
FILE_RUNTIME = "compiled"  # a decision file does not say which runtime judged it; all give the same decision
LOCK = ".lock.json"


@dataclass(frozen=True)
class Replay:
    """One decision judged again: reproduced, differing (where first, and what explains it), or unverifiable (why)."""

    verdict: str
    dossier_id: str
    scheme: str
    procedure: str
    seal: str
    row: int | None = None  # the store's row, when the decision is recorded
    difference: str | None = None
    because: tuple[str, ...] = ()
    reason: str | None = None  # why it could not be judged again

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verdict": self.verdict, "row": self.row, "dossier_id": self.dossier_id, "scheme": self.scheme, "procedure": self.procedure, "seal": self.seal,
        }
        if self.difference is not None:
            out.update(difference=self.difference, because=list(self.because))
        if self.reason is not None:
            out["reason"] = self.reason
        return out

    def text(self) -> str:
        who = f"{f'row {self.row}: ' if self.row is not None else ''}{self.dossier_id} ({self.scheme} {self.procedure})"
        if self.verdict == REPRODUCED:
            return f"reproduced: {who}, seal {self.seal}"
        if self.verdict == UNVERIFIABLE:
            return f"unverifiable: {who}: {self.reason}"
        return "\n".join([f"DIFFERS: {who}", f"  first difference: {self.difference}", *(f"  because: {b}" for b in self.because)])


class _Unverifiable(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Replayer:
    """Judges decisions again; one library opened per library recorded, kept for the decisions that share it."""

    def __init__(self, store: Store | None, tree: Library):
        self.store, self.tree = store, tree
        self._scratch = tempfile.TemporaryDirectory(prefix="referee-replay-")
        self.folder = Path(self._scratch.name)
        self._libraries: dict[str, tuple[Library, dict[str, VersionFiles]]] = {}
        self._recorded: dict[str, list[VersionFiles] | None] = {}  # a recorded library's versions, read once from the store
        self._tree: Snapshot | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._scratch.cleanup()

    # -- what is replayed ------------------------------------------------------------------------

    def row(self, row: StoredDecision) -> Replay:
        """A decision of the store, under its library as recorded."""
        about: dict[str, Any] = {"dossier_id": row.dossier_id, "scheme": row.scheme, "procedure": row.procedure, "seal": row.seal, "row": row.seq}
        try:
            data, decision = _sealed(_json(row.body), f"row {row.seq} of the store")
            if data["seal"] != row.seal:
                raise _Unverifiable("the row's seal is not the seal of the decision it holds: run referee store verify")
            if row.library not in self._recorded:
                assert self.store is not None
                self._recorded[row.library] = self.store.library(row.library)
            versions = self._recorded[row.library]
            if versions is None:
                raise _Unverifiable(f"the store holds no library {row.library}: run referee store verify")
            assert self.store is not None
            library, used = self._library(versions, self.store.blob)
            return self._judge(about, data, decision, library, used, row.runtime, row.ledger)
        except _Unverifiable as exc:
            return Replay(UNVERIFIABLE, **about, reason=exc.reason)

    def file(self, data: Mapping[str, Any], source: str) -> Replay:
        """A decision file: refused if altered (DecisionFileError); the store's row if it holds it, else its versions by digest."""
        checked, decision = _sealed(data, source, refuse=True)
        if self.store is not None:
            recorded = next(self.store.decisions(seal=checked["seal"]), None)
            if recorded is not None:
                return self.row(recorded)
        about: dict[str, Any] = {"dossier_id": decision.dossier_id, "scheme": decision.scheme, "procedure": decision.procedure, "seal": checked["seal"]}
        try:
            library, used = self._named(decision)
            ledger = decision.digests.ledger
            return self._judge(about, checked, decision, library, used, FILE_RUNTIME, "sha256:" + ledger["sha256"] if ledger else None)
        except _Unverifiable as exc:
            return Replay(UNVERIFIABLE, **about, reason=exc.reason)

    # -- judging again ---------------------------------------------------------------------------

    def _judge(
        self, about: dict[str, Any], data: Mapping[str, Any], decision: Decision, library: Library, used: Mapping[str, VersionFiles], runtime: str,
        ledger: str | None,
    ) -> Replay:
        dossier = self._dossier(decision, library.limits, ledger)
        try:
            again = library.evaluate(dossier, version=decision.forced_version, runtime=runtime if runtime in RUNTIMES else FILE_RUNTIME)
        except RefereeError as exc:
            return Replay(DIFFERING, **about, difference=f"the dossier is refused now: {exc.message}", because=(_said(exc),))
        now = again.to_json()
        if now["seal"] == data["seal"]:
            return Replay(REPRODUCED, **about)
        return Replay(DIFFERING, **about, difference=_described(data, now, decision, again), because=tuple(self._explain(decision, again, used)))

    def _dossier(self, decision: Decision, limits: Limits, ledger: str | None) -> Dossier:
        """The dossier as received, checked against the digest the decision cites; its ledger placed where it names it."""
        if self.store is None:
            raise _Unverifiable(f"its dossier {decision.digests.dossier} is in no store: a decision holds only the facts its rules read")
        stored = self.store.dossier(decision.digests.dossier)
        if stored is None:
            raise _Unverifiable(f"the store does not hold its dossier {decision.digests.dossier}")
        try:
            document = stored.document(limits)
        except DossierError as exc:
            raise _Unverifiable(f"the store's copy of its dossier no longer reads: {exc.message}; run referee store verify") from None
        if digest(document) != stored.digest:
            raise _Unverifiable(f"the store's copy of its dossier {stored.digest} was altered: run referee store verify")
        named = document.get("ledger") if isinstance(document, Mapping) else None
        source = str(self.folder / f"dossier.{stored.format}")
        if decision.digests.ledger is not None and isinstance(named, str):
            source = self._place_ledger(stored, named, ledger)
        return read_dossier(document, source)

    def _place_ledger(self, stored: StoredDossier, named: str, ledger: str | None) -> str:
        """Write the recorded FEC where the dossier names it, relative to a folder of its own; returns the dossier's path."""
        if ledger is None:
            raise _Unverifiable(f"the ledger {named} it was judged with was not recorded (the file was gone, or changed, when it was)")
        if os.path.isabs(named):
            if not (os.path.isfile(named) and file_digest(Path(named).read_bytes()) == ledger):
                raise _Unverifiable(f"its dossier names its ledger by the absolute path {named}, which no longer holds the file it was judged with")
            return str(self.folder / f"dossier.{stored.format}")
        relative = PurePosixPath(os.path.normpath(named))
        ups = sum(part == ".." for part in relative.parts)
        base = self.folder / "ledgers" / ledger.removeprefix("sha256:")[:16] / stored.digest.removeprefix("sha256:")[:16] / Path(*(["up"] * ups or ["."]))
        target = base / relative
        if not target.exists():
            assert self.store is not None
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self.store.blob(ledger))
        return str(base / f"dossier.{stored.format}")

    # -- libraries -------------------------------------------------------------------------------

    def _library(self, versions: Sequence[VersionFiles], blob: Callable[[str], bytes]) -> tuple[Library, dict[str, VersionFiles]]:
        """A library of exactly these versions, written as a tree once and opened once."""
        key = Snapshot(tuple(versions)).digest
        if key not in self._libraries:
            folder = self.folder / "libraries" / key.removeprefix("sha256:")[:16]
            materialize(versions, blob, folder)
            self._libraries[key] = (Library.open(folder, self.tree.limits), {v.label: v for v in versions})
        return self._libraries[key]

    def _named(self, decision: Decision) -> tuple[Library, dict[str, VersionFiles]]:
        """For a decision file the store does not hold: the versions it names, and the tree's others published by its event date."""
        if self._tree is None:
            self._tree = capture(self.tree)
        tree = self._tree
        in_tree = {v.label: v for v in tree.versions}
        chosen = [v for v in tree.versions if v.label not in decision.digests.referentials and v.published_on <= decision.event_date]
        for label, version_digest in decision.digests.referentials.items():
            ours = in_tree.get(label)
            stored = self.store.versions_with_digest(version_digest) if self.store is not None and (ours is None or ours.digest != version_digest) else []
            if stored:
                locked = label in decision.digests.locks
                chosen.append(next((v for v in stored if any(p.endswith(LOCK) for p in v.files) == locked), stored[0]))
            elif ours is not None:
                chosen.append(ours)  # the same digest; or changed since, and the difference will say so
            else:
                raise _Unverifiable(f"{label} (digest {version_digest}) is neither in the store nor in the tree")

        def blob(file: str) -> bytes:
            if file in tree.blobs:
                return tree.blobs[file]
            assert self.store is not None
            return self.store.blob(file)

        return self._library(chosen, blob)

    # -- explaining ------------------------------------------------------------------------------

    def _explain(self, then: Decision, now: Decision, used: Mapping[str, VersionFiles]) -> Iterable[str]:
        """The recorded digests that differ from those of the judgement again, each in a sentence."""
        before, after = then.digests, now.digests
        said = []
        if before.dossier != after.dossier:
            said.append(f"the dossier's digest differs: {before.dossier} then, {after.dossier} now")
        changed = [label for label in before.referentials if label in after.referentials and before.referentials[label] != after.referentials[label]]
        rules = (before.rules, after.rules) if before.rules != after.rules and len(changed) == 1 else None  # the rules' digest, when one version explains it
        for label in dict.fromkeys([*before.referentials, *after.referentials]):
            old, new = before.referentials.get(label), after.referentials.get(label)
            if old == new:
                continue
            if old is None:
                said.append(f"{label} is used now, and was not then")
            elif new is None:
                said.append(f"{label} was used then, and is not now")
            else:
                said.append(self._changed(label, old, new, used.get(label), rules))
        if before.rules != after.rules and not said:
            said.append(f"the rules' digest differs: {before.rules} then, {after.rules} now")
        for label in dict.fromkeys([*before.locks, *after.locks]):
            then_lock, now_lock = before.locks.get(label, {}).get("digest"), after.locks.get(label, {}).get("digest")
            if then_lock != now_lock:
                said.append(f"the lock of {label} differs: {then_lock or 'none (a draft)'} then, {now_lock or 'none (a draft)'} now")
        if before.ledger != after.ledger:
            said.append(f"the ledger differs: {before.ledger} then, {after.ledger} now")
        if before.engine != after.engine:
            said.append(f"it was decided by {before.engine} and is judged again by {after.engine}: replay it with {before.engine} to reproduce it")
        return said or [f"every digest it records matches: what differs comes from referee's own code ({after.engine}), not from what it judged"]

    def _changed(self, label: str, old: str, new: str, current: VersionFiles | None, rules: tuple[str | None, str | None] | None) -> str:
        """What changed in a version since: its files named when a store holds it as it was, else what the digests tell."""
        recorded = self.store.versions_with_digest(old) if self.store is not None else []
        if not recorded or current is None:
            if rules is not None:
                return f"the rules of {label} changed since: their digest was {rules[0]} then, {rules[1]} now (the version's: {old} then, {new} now); no store holds it as it was"
            return f"the files of {label} changed since, its rules aside: its digest was {old} then, {new} now; no store holds it as it was"
        files, now = recorded[0].files, current.files
        changed = sorted(p for p in {*files, *now} if files.get(p) != now.get(p) and not p.endswith(LOCK))  # a lock is said apart
        what = "the rules of" if changed and all(p.startswith("rules/") for p in changed) else ""
        return f"{what or 'the files of'} {label} changed since: {', '.join(changed)}"


def _sealed(data: Any, source: str, refuse: bool = False) -> tuple[Mapping[str, Any], Decision]:
    """The decision and its content, its seal checked: a file altered is refused; a stored row altered is unverifiable."""
    try:
        decision = Decision.from_json(data, source)
    except DecisionFileError as exc:
        if refuse:
            raise
        raise _Unverifiable(f"{_said(exc)}: run referee store verify") from None
    if "seal" not in data:
        raise DecisionFileError(f"{source}: a decision written before decisions were sealed cannot be replayed")
    return data, decision


def _json(body: str) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _Unverifiable("the row holds no decision any more (not JSON): run referee store verify") from None


def _said(exc: RefereeError) -> str:
    return "; ".join([exc.message, *(p.render() for p in exc.problems)])


def _described(then: Mapping[str, Any], now: Mapping[str, Any], before: Decision, after: Decision) -> str:
    """The first difference in what the decision says, its recorded digests set aside (the `because` lines explain them); else in the digests."""
    renamed = {old: after.digests.referentials[label] for label, old in before.digests.referentials.items() if label in after.digests.referentials}
    difference = first_difference(_digests_aside(then, renamed), _digests_aside(now, {})) or first_difference(then, now)
    assert difference is not None  # the seals differ

    def shown(value: Any) -> str:
        text = "nothing" if value is MISSING else orjson.dumps(value).decode("utf-8")
        return text if len(text) <= 300 else text[:300] + "…"

    return f"{difference.where}{f' at {difference.place}' if difference.place else ''}: {shown(difference.first)} then, {shown(difference.second)} now"


def _digests_aside(value: Any, renamed: Mapping[str, str], top: bool = True) -> Any:
    """A decision without its digests and seal, each version digest it cites (in `versions`, in premises) read as `renamed` says."""
    if isinstance(value, Mapping):
        return {key: _digests_aside(item, renamed, False) for key, item in value.items() if not (top and key in ("digests", "seal"))}
    if isinstance(value, list):
        return [_digests_aside(item, renamed, False) for item in value]
    return renamed.get(value, value) if isinstance(value, str) else value
