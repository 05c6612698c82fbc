"""The decision as typed data: one class per part, one serialiser (`to_json`) and one reader (`from_json`).

Format `referee.decision/2` (docs/decision.md). A decision cites rather than
copies: a premise that a rule concluded cites the trail entry that concluded
it; a fact of the dossier is held once, under `inputs`, and cited by its path;
a value of the referential is cited by the digest of its version and its path
in the version's document, with small values (a number, a text) written
beside the citation. A decision therefore grows linearly with its inputs.

A `/2` decision ends with its seal, the SHA-256 of the canonical JSON of
everything before it (engine/model/canonical.py: whatever the key order or the
indentation): `from_json` refuses a `/2` decision whose content no longer
matches its seal, or that has none ("decision altered"). The seal detects an
edit; it does not say who wrote the file (anyone can compute one).

`from_json` reads `/2`, and `/1` decisions (written before, never sealed) by
upgrading them: their premises carry their values, which `/2` allows. Any
other shape is a DecisionFileError naming the path of what is wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from engine.errors import DecisionFileError, PathLike, Problem

DECISION_FORMAT = "referee.decision/2"
FORMAT_1 = "referee.decision/1"
REPEALED_OUTCOME = "version_repealed"
NOT_ENCODED_OUTCOME = "version_not_encoded"

ABSENT: Any = object()  # a value cited, not written (a premise), or not applicable (a finding's item)


@dataclass(slots=True)
class Premise:
    """What a rule read: a fact (from the dossier or a rule), a referential value, or a section's version."""

    kind: str  # fact | parameter | table | bands | criteria | version
    name: str
    trail: str | None = None  # the entry that concluded the fact, or the version selection of the section
    path: str | None = None  # a dossier fact's JSON path ($.facts.x); a referential value's place in its version (/sections/…)
    value: Any = ABSENT  # written for referential values that are scalars, and for /1 premises
    unit: str | None = None
    clause: str | None = None
    version: str | None = None
    section: str | None = None
    digest: str | None = None  # of the version a referential value is cited from

    @property
    def has_value(self) -> bool:
        return self.value is not ABSENT

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if self.trail is not None:
            out["trail"] = self.trail
        if self.path is not None:
            out["path"] = self.path
        if self.value is not ABSENT:
            out["value"] = self.value
        if self.unit is not None:
            out["unit"] = self.unit
        if self.clause is not None:
            out["clause"] = self.clause
        if self.version is not None:
            out["version"] = self.version
        if self.section is not None:
            out["section"] = self.section
        if self.digest is not None:
            out["digest"] = self.digest
        return out

    @classmethod
    def from_json(cls, data: Any, at: PathLike) -> Premise:
        data = _mapping(data, at)
        return cls(
            kind=_text(data, "kind", at),
            name=_text(data, "name", at),
            trail=_text(data, "trail", at, optional=True),
            path=_text(data, "path", at, optional=True),
            value=data.get("value", ABSENT),
            unit=_text(data, "unit", at, optional=True),
            clause=_text(data, "clause", at, optional=True),
            version=_text(data, "version", at, optional=True),
            section=_text(data, "section", at, optional=True),
            digest=_text(data, "digest", at, optional=True),
        )


@dataclass(slots=True)
class Finding:
    code: str
    severity: str  # info | warning | error
    message: str
    clause: str | None = None
    rule: str | None = None
    trail: str | None = None  # the trail entry that raised it (engine findings have none)
    item: Any = ABSENT  # the element of a `for_each` it is about

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "severity": self.severity, "message": self.message, "clause": self.clause, "rule": self.rule}
        if self.trail is not None:
            out["trail"] = self.trail
        if self.item is not ABSENT:
            out["item"] = self.item
        return out

    @classmethod
    def from_json(cls, data: Any, at: PathLike) -> Finding:
        data = _mapping(data, at)
        return cls(
            code=_text(data, "code", at),
            severity=_text(data, "severity", at),
            message=_text(data, "message", at),
            clause=_text(data, "clause", at, optional=True),
            rule=_text(data, "rule", at, optional=True),
            trail=_text(data, "trail", at, optional=True),
            item=data.get("item", ABSENT),
        )


@dataclass(slots=True)
class VersionStep:
    """The trail's first entries: which version governs a section, and why."""

    id: str
    section: str | None  # None when a repealed version refuses the whole cycle
    version: str
    mode: str  # pinned | event_date | retroactive | forced | repealed
    clause: str | None
    because: str
    referential: str | None = None  # written for a refusal, whose section is None

    kind = "version-selection"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "section": self.section}
        if self.referential is not None:
            out["referential"] = self.referential
        out.update(version=self.version, mode=self.mode, clause=self.clause, because=self.because)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], at: PathLike) -> VersionStep:
        return cls(
            id=_text(data, "id", at),
            section=_text(data, "section", at, optional=True),
            version=_text(data, "version", at),
            mode=_text(data, "mode", at),
            clause=_text(data, "clause", at, optional=True),
            because=_text(data, "because", at),
            referential=_text(data, "referential", at, optional=True),
        )


@dataclass(slots=True)
class RuleStep:
    """A conclusion: a fact (the outcome is the fact `outcome`) or a finding, with what the rule read."""

    id: str
    kind: str  # fact | finding
    name: str  # the fact's name, or the finding's code
    value: Any  # the fact's value; a finding's message
    rule: str
    title: str
    clause: str
    version: str
    section: str
    premises: list[Premise]
    because: str
    readings: list[str] = field(default_factory=list)  # the recorded readings the rule applies (the version's `decisions`)

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "value": self.value,
            "rule": self.rule,
            "title": self.title,
            "clause": self.clause,
            "version": self.version,
            "section": self.section,
        }
        if self.readings:
            out["readings"] = self.readings
        out.update(premises=[p.to_json() for p in self.premises], because=self.because)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], at: PathLike) -> RuleStep:
        premises = data.get("premises")
        if not isinstance(premises, list):
            raise _malformed((*at, "premises"), "a list of premises")
        return cls(
            id=_text(data, "id", at),
            kind=_text(data, "kind", at),
            name=_text(data, "name", at),
            value=data.get("value"),
            rule=_text(data, "rule", at),
            title=_text(data, "title", at),
            clause=_text(data, "clause", at),
            version=_text(data, "version", at),
            section=_text(data, "section", at),
            premises=[Premise.from_json(p, (*at, "premises", i)) for i, p in enumerate(premises)],
            because=_text(data, "because", at),
            readings=_texts(data, "readings", at),
        )


TrailEntry = VersionStep | RuleStep


@dataclass(slots=True)
class VersionUsed:
    section: str | None
    referential: str
    version: str
    digest: str
    mode: str
    reason: str
    clause: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section, "referential": self.referential, "version": self.version, "digest": self.digest,
            "mode": self.mode, "reason": self.reason, "clause": self.clause,
        }

    @classmethod
    def from_json(cls, data: Any, at: PathLike) -> VersionUsed:
        data = _mapping(data, at)
        return cls(
            section=_text(data, "section", at, optional=True),
            referential=_text(data, "referential", at),
            version=_text(data, "version", at),
            digest=_text(data, "digest", at),
            mode=_text(data, "mode", at),
            reason=_text(data, "reason", at),
            clause=_text(data, "clause", at, optional=True),
        )


@dataclass(slots=True)
class Digests:
    dossier: str
    rules: str | None
    referentials: dict[str, str]  # "<scheme> <version id>" -> digest of everything that version runs
    engine: str
    ledger: dict[str, Any] | None = None  # the FEC the dossier named, by its sha256
    locks: dict[str, dict[str, str]] = field(default_factory=dict)  # published versions used -> {digest of the lock, key that signed it}

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dossier": self.dossier, "rules": self.rules, "referentials": dict(self.referentials), "engine": self.engine}
        if self.ledger is not None:
            out["ledger"] = dict(self.ledger)
        if self.locks:  # absent when every version used is a draft, as in decisions written before locks were recorded
            out["locks"] = {label: dict(stamp) for label, stamp in self.locks.items()}
        return out

    @classmethod
    def from_json(cls, data: Any, at: PathLike) -> Digests:
        data = _mapping(data, at)
        referentials = _mapping(data.get("referentials"), (*at, "referentials"))
        ledger = data.get("ledger")
        return cls(
            dossier=_text(data, "dossier", at),
            rules=_text(data, "rules", at, optional=True),
            referentials={str(k): str(v) for k, v in referentials.items()},
            engine=_text(data, "engine", at),
            ledger=dict(_mapping(ledger, (*at, "ledger"))) if ledger is not None else None,
            locks={str(label): {str(k): str(v) for k, v in _mapping(stamp, (*at, "locks", label)).items()}
                   for label, stamp in _mapping(data.get("locks", {}), (*at, "locks")).items()},
        )


@dataclass(slots=True)
class Decision:
    scheme: str
    procedure: str
    dossier_id: str
    cycle: dict[str, Any]
    event_date: str
    outcome: str
    outcome_meaning: str
    values: dict[str, Any]
    findings: list[Finding]
    versions: list[VersionUsed]
    forced_version: str | None
    inputs: dict[str, Any]  # the dossier's facts that rules read, each once
    trail: list[TrailEntry]
    digests: Digests
    format: str = DECISION_FORMAT
    _index: dict[str, TrailEntry] | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The decision in its documented key order (docs/decision.md), its seal last."""
        body = {
            "format": self.format,
            "scheme": self.scheme,
            "procedure": self.procedure,
            "dossier_id": self.dossier_id,
            "cycle": self.cycle,
            "event_date": self.event_date,
            "outcome": self.outcome,
            "outcome_meaning": self.outcome_meaning,
            "values": self.values,
            "findings": [f.to_json() for f in self.findings],
            "versions": [v.to_json() for v in self.versions],
            "forced_version": self.forced_version,
            "inputs": self.inputs,
            "trail": [e.to_json() for e in self.trail],
            "digests": self.digests.to_json(),
        }
        return {**body, "seal": seal(body)}

    def to_bytes(self) -> bytes:
        """The decision as compact JSON (UTF-8), as a batch writes it, one per line."""
        return orjson.dumps(self.to_json())

    def entry(self, trail_id: str) -> TrailEntry | None:
        if self._index is None:
            self._index = {e.id: e for e in self.trail}
        return self._index.get(trail_id)

    def concluded(self) -> dict[str, RuleStep]:
        """Fact name -> the entry that concluded it."""
        return {e.name: e for e in self.trail if isinstance(e, RuleStep) and e.kind == "fact"}

    @classmethod
    def from_json(cls, data: Any, source: str) -> Decision:
        """Read a decision file's content; `source` names the file in errors."""
        if not isinstance(data, Mapping):
            kind = _JSON_KINDS.get(type(data), type(data).__name__)
            raise DecisionFileError(
                f"{source} is not a referee decision", [Problem(f"the document is {kind}: a decision is an object with format {DECISION_FORMAT!r}", (), source)]
            )
        if data.get("format") not in (DECISION_FORMAT, FORMAT_1):
            raise DecisionFileError(
                f"{source} is not a referee decision",
                [Problem(f"expected format {DECISION_FORMAT!r} (or {FORMAT_1!r}), got {data.get('format')!r}", ("format",), source)],
            )
        missing = [key for key in _REQUIRED if key not in data and not (key == "inputs" and data["format"] == FORMAT_1)]
        if missing:
            raise DecisionFileError(f"{source} is not a complete decision", [Problem("missing", (key,), source) for key in missing])
        try:
            decision = _read(data)
        except _Malformed as exc:
            raise DecisionFileError(f"{source} is not a well-formed referee decision", [Problem(exc.message, exc.path, source)]) from None
        if data["format"] == DECISION_FORMAT:
            _check_seal(data, source)
        return decision


def seal(body: Mapping[str, Any]) -> str:
    """The seal of a decision's body (every key but `seal`): the SHA-256 of its canonical JSON (docs/decision.md).

    Canonical: orjson's compact UTF-8 with keys sorted at every level, so that key order and whitespace
    do not count; numbers as orjson writes them (the shortest text that reads back the same float). orjson
    rather than `json`: sealing then costs about a tenth of the time, not a sixth of judging a dossier.
    """
    return "sha256:" + hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _check_seal(data: Mapping[str, Any], source: str) -> None:
    """The content as read, keys unknown to this version of referee included, is the content that was sealed."""
    written = data.get("seal")
    try:
        content = seal({key: value for key, value in data.items() if key != "seal"})
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError; read from YAML: a set or bytes, which JSON, and so no decision, holds
        raise DecisionFileError(f"{source} is not a referee decision", [Problem("not a JSON value", _not_json(data) or (), source)]) from None
    if written == content:
        return
    if written is None:
        problem = f"missing: a {DECISION_FORMAT} decision ends with the seal of its content"
    else:
        problem = "does not match the content: something was changed after the decision was written"
    raise DecisionFileError(f"{source}: decision altered", [Problem(problem, ("seal",), source)])


_JSON_KINDS = {list: "a list", str: "a text", int: "a number", float: "a number", bool: "a boolean", type(None): "null"}


def _not_json(value: Any, at: PathLike = ()) -> PathLike | None:
    """The path of the first value JSON cannot write (a date can: the canonical form writes it as an ISO text)."""
    if isinstance(value, Mapping):
        return next((found for key, item in value.items() if (found := _not_json(item, (*at, str(key)))) is not None), None)
    if isinstance(value, list):
        return next((found for i, item in enumerate(value) if (found := _not_json(item, (*at, i))) is not None), None)
    return None if type(value) in _JSON_KINDS or isinstance(value, dt.date) else at


_REQUIRED = (
    "scheme", "procedure", "dossier_id", "cycle", "event_date", "outcome", "outcome_meaning", "values", "findings",
    "versions", "forced_version", "inputs", "trail", "digests",
)


class _Malformed(Exception):
    def __init__(self, path: PathLike, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def _malformed(path: PathLike, expected: str) -> _Malformed:
    return _Malformed(path, f"expected {expected}")


def _mapping(data: Any, at: PathLike) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _malformed(at, "an object")
    return data


def _text(data: Mapping[str, Any], key: str, at: PathLike, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _malformed((*at, key), "a text" if not optional else "a text or null")
    return value


def _texts(data: Mapping[str, Any], key: str, at: PathLike) -> list[str]:
    values = data.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _malformed((*at, key), "a list of texts")
    return list(values)


T = TypeVar("T")


def _list(data: Mapping[str, Any], key: str, read: Callable[[Any, PathLike], T]) -> list[T]:
    items = data.get(key)
    if not isinstance(items, list):
        raise _malformed((key,), "a list")
    return [read(item, (key, i)) for i, item in enumerate(items)]


def _trail_entry(data: Any, at: PathLike) -> TrailEntry:
    data = _mapping(data, at)
    if data.get("kind") == VersionStep.kind:
        return VersionStep.from_json(data, at)
    if data.get("kind") in ("fact", "finding"):
        return RuleStep.from_json(data, at)
    raise _malformed((*at, "kind"), "version-selection, fact or finding")


def _read(data: Any) -> Decision:
    data = _mapping(data, ())
    if data.get("format") == FORMAT_1:
        data = _upgrade(data)
    cycle = _mapping(data.get("cycle"), ("cycle",))
    values = _mapping(data.get("values"), ("values",))
    inputs = _mapping(data.get("inputs"), ("inputs",))
    decision = Decision(
        scheme=_text(data, "scheme", ()),
        procedure=_text(data, "procedure", ()),
        dossier_id=_text(data, "dossier_id", ()),
        cycle=dict(cycle),
        event_date=_text(data, "event_date", ()),
        outcome=_text(data, "outcome", ()),
        outcome_meaning=_text(data, "outcome_meaning", ()),
        values=dict(values),
        findings=_list(data, "findings", Finding.from_json),
        versions=_list(data, "versions", VersionUsed.from_json),
        forced_version=_text(data, "forced_version", (), optional=True),
        inputs=dict(inputs),
        trail=_list(data, "trail", _trail_entry),
        digests=Digests.from_json(data.get("digests"), ("digests",)),
    )
    _check_references(decision)
    return decision


def _check_references(decision: Decision) -> None:
    """Every premise that cites an entry cites an earlier one: no premise points at itself or ahead."""
    seen: set[str] = set()
    for i, entry in enumerate(decision.trail):
        if entry.id in seen:
            raise _Malformed(("trail", i, "id"), f"trail id {entry.id!r} is used twice")
        if isinstance(entry, RuleStep):
            for j, premise in enumerate(entry.premises):
                if premise.trail is not None and premise.trail not in seen:
                    raise _Malformed(("trail", i, "premises", j, "trail"), f"cites {premise.trail!r}, which is not an earlier trail entry")
        seen.add(entry.id)


def _upgrade(data: Mapping[str, Any]) -> dict[str, Any]:
    """A `/1` decision in the shape of `/2`: fact names under `name`, values kept in the premises."""
    upgraded = dict(data)
    trail = []
    for entry in data.get("trail") or []:
        if isinstance(entry, Mapping) and entry.get("kind") in ("fact", "finding"):
            entry = dict(entry)
            finding = entry.get("finding")
            finding = finding if isinstance(finding, Mapping) else {}
            entry["name"] = entry.get("fact") if entry.get("kind") == "fact" else finding.get("code")
            if entry.get("kind") == "finding":
                entry["value"] = finding.get("message")
            premises = []
            for premise in entry.get("premises") or []:
                if isinstance(premise, Mapping) and premise.get("kind") == "version":
                    premise = {**premise, "trail": f"version:{premise.get('name')}"}
                premises.append(premise)
            entry["premises"] = premises
        trail.append(entry)
    upgraded.update(format=DECISION_FORMAT, trail=trail, inputs={})
    return upgraded
