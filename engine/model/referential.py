"""Referential versions: one YAML file each, checked by the JSON Schema.

A version carries its identity and dates, its sources with their provisions
(the coverage map), its change log, its decisions on ambiguous passages, and
its content in named sections. Each section has a time policy that says which
version of it governs a dossier (see `selection`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.errors import Problem, ReferentialError
from engine.model.canonical import digest, to_plain
from engine.model.dates import parse_date
from engine.model.documents import load_document
from engine.model.limits import DEFAULT_LIMITS, Limits
from engine.model.locks import Lock
from engine.model.schemas import SchemaFile


@dataclass(frozen=True)
class Parameter:
    name: str
    value: Any
    unit: str
    clause: str
    title: str = ""
    note: str = ""
    illustrative: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    rows: Mapping[str, Any]
    clause: str
    unit: str = ""
    title: str = ""
    note: str = ""
    illustrative: bool = False


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    mandatory: bool
    max_points: float
    clause: str
    chapter: str = ""
    note: str = ""
    illustrative: bool = False


@dataclass(frozen=True)
class Bound:
    value: float
    inclusive: bool


@dataclass(frozen=True)
class Band:
    id: str
    lower: Bound
    upper: Bound
    clause: str = ""
    note: str = ""

    def describe(self) -> str:
        left = "[" if self.lower.inclusive else "]"
        right = "]" if self.upper.inclusive else "["
        return f"{self.id} {left}{self.lower.value:g}, {self.upper.value:g}{right}"


@dataclass(frozen=True)
class BandSet:
    name: str
    unit: str
    minimum: float
    maximum: float
    bands: tuple[Band, ...]
    clause: str
    note: str = ""


@dataclass(frozen=True)
class TimePolicy:
    mode: str = "pinned"
    clause: str = ""
    since: dt.date | None = None
    grace_months: int = 0
    note: str = ""


@dataclass(frozen=True)
class InputCheck:
    """A condition the inputs must meet together, beyond their types (e.g. dates in order), as written.

    Its expressions are compiled with the procedure that runs it (`Library.input_checks`), not when the
    version is read: a dossier needs those of one procedure of one version, not those of every version.
    """

    check: str
    input: str
    message: str
    clause: str


@dataclass(frozen=True)
class RuleFile:
    """A rule file a version runs: its own (`version` None), or another version's, shared by digest."""

    file: str
    version: str | None = None
    digest: str | None = None

    def folder(self, owner: str) -> str:
        """The version whose rule folder holds the file, `owner` being the version that lists it."""
        return self.version or owner


@dataclass(frozen=True)
class LedgerSpec:
    """What a procedure's `ledger:` block declares (docs/referentials.md): how to read the dossier's FEC."""

    fact: str
    accounts: str  # a table: account prefix -> {category: NAME or null}
    in_scope: str  # a parameter: account prefixes every account of which must be mapped
    skip_journals: str | None  # a parameter: journal codes whose lines are not movements of the year
    clause: str
    companion: str | None = None  # the companion role holding them, needed only when a ledger is named


@dataclass(frozen=True)
class Procedure:
    name: str
    title: str
    clause: str
    section: str
    input: Mapping[str, Any]
    outcomes: Mapping[str, str]
    uses: tuple[str, ...] = ()
    criteria_input: str | None = None
    values: tuple[str, ...] = ()
    rule_files: tuple[RuleFile, ...] = ()
    input_checks: tuple[InputCheck, ...] = ()
    companions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # role -> sections read from it
    ledger: LedgerSpec | None = None  # the FEC input, when the procedure computes from a company's books

    @property
    def sections(self) -> tuple[str, ...]:
        """The sections of its own referential; companion sections come from another (see `companions`)."""
        return (self.section, *self.uses)


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    policy: TimePolicy
    parameters: Mapping[str, Parameter]
    tables: Mapping[str, Table]
    criteria: Mapping[str, Criterion]
    bands: Mapping[str, BandSet]
    rule_files: tuple[RuleFile, ...]
    procedures: Mapping[str, Procedure]


@dataclass(frozen=True)
class Provision:
    id: str
    title: str
    status: str
    source: str
    reason: str = ""
    text: str = ""  # the provision's words, quoted from the source


@dataclass(frozen=True)
class ReferentialVersion:
    scheme: str
    id: str
    title: str
    publisher: str
    language: str
    published_on: dt.date
    in_force_from: dt.date
    in_force_until: dt.date | None
    repealed_on: dt.date | None
    supersedes: str | None
    framework: Mapping[str, str] | None  # {scheme, role} when this is a companion (e.g. a method of a decree)
    repeal_clause: str | None  # the provision by which, once repealed, it governs no new cycle
    unavailable: Mapping[str, str] | None  # {reason, clause} of a version known to exist but not encoded
    provisions: Mapping[str, Provision]
    sections: Mapping[str, Section]
    digest: str  # of the document alone, until the library extends it to everything the version runs
    path: Path
    document: Mapping[str, Any] = field(repr=False)
    contents: Mapping[str, str] = field(default_factory=dict, repr=False)  # file -> digest, of what it runs
    lock: Lock | None = None  # present once the version is published

    def frozen(self, *, digest: str, contents: Mapping[str, str], lock: Lock | None) -> ReferentialVersion:
        """The version with the digest of everything it runs, and its lock when published."""
        return replace(self, digest=digest, contents=contents, lock=lock)

    @property
    def label(self) -> str:
        return f"{self.scheme} {self.id}"

    def procedure(self, name: str) -> Procedure | None:
        for section in self.sections.values():
            if name in section.procedures:
                return section.procedures[name]
        return None

    def procedures(self) -> dict[str, Procedure]:
        return {name: p for s in self.sections.values() for name, p in s.procedures.items()}


def load_referential(path: Path, schema: SchemaFile, vouched: Collection[str] = (), limits: Limits = DEFAULT_LIMITS) -> ReferentialVersion:
    """Load, schema-check and build one version; every problem names the file and the path.

    A document whose digest is `vouched` for (by the lock of a published version, made when it was
    checked against this very schema) is not checked again. Its `digest` covers the document only
    here; the library extends it to the rules the version runs.
    """
    file = str(path)
    written = load_document(path, ReferentialError, limits)
    if not isinstance(written, dict):
        raise ReferentialError(f"{file} must be a mapping", [Problem("not a mapping", (), file)])
    document = _core_bands(written, file)
    document_digest = digest(document)  # of the core form: a band written as an interval means its bounds
    if document_digest not in vouched:
        problems = schema.problems(written, file)
        if problems:
            raise ReferentialError(f"{file} does not match {schema.path.name}", problems)
    expected = (path.parent.name, path.stem)
    if isinstance(document["id"], dt.date):  # the JSON Schema saw its ISO text: only the place can tell
        raise ReferentialError(
            f"{file}: the id is a date, not a text",
            [Problem(f'YAML reads an unquoted {document["id"]} as a date; an id is a text: quote it, id: "{document["id"]}"', ("id",), file)],
        )
    if (document["scheme"], document["id"]) != expected:
        raise ReferentialError(
            f"{file}: scheme and id must match the file's place",
            [Problem(f"declares {document['scheme']}/{document['id']}, stored as {expected[0]}/{expected[1]}", ("id",), file)],
        )
    return _build(to_plain(document), path, document, document_digest)


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_INTERVAL = re.compile(rf"^\s*([\[\]])\s*({_NUMBER})\s*,\s*({_NUMBER})\s*([\[\]])\s*$")
_INTERVAL_FORM = "[ or ] on each side of two numbers: '[50, 60[' holds 50, not 60; ']70, 100]' holds 100, not 70"


def parse_interval(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The core `lower` and `upper` of a band written as an interval (docs/referentials.md), or ValueError saying why not.

    A band set covers the range it declares, so every band has two finite ends: an open end (`+inf`) is refused.
    """
    match = _INTERVAL.match(text)
    if match is None:
        if "inf" in text.lower():
            raise ValueError(f"{text!r}: a band has two finite ends (its set covers the range it declares): write the range's end, e.g. '[70, 100]'")
        raise ValueError(f"{text!r} is not an interval: {_INTERVAL_FORM}")
    left, low, high, right = match.groups()
    return {"value": _number(low), "inclusive": left == "["}, {"value": _number(high), "inclusive": right == "]"}


def _number(text: str) -> int | float:
    """As YAML reads it: 50 an integer, 50.5 a float (so both ways of writing a band have one digest)."""
    return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)


def _core_bands(document: dict[str, Any], file: str) -> dict[str, Any]:
    """The document with each band written as an interval (`bounds: "[50, 60["`) in the core form (`lower`, `upper`).

    The rest of the document is left for the JSON Schema to judge; a malformed interval is a problem at its path.
    """
    sections = document.get("sections")
    if not isinstance(sections, dict):
        return document
    problems, core_sections = [], {}
    for name, section in sections.items():
        band_sets = section.get("bands") if isinstance(section, dict) else None
        if not isinstance(band_sets, dict):
            core_sections[name] = section
            continue
        core_sets = {}
        for set_name, band_set in band_sets.items():
            bands = band_set.get("bands") if isinstance(band_set, dict) else None
            if not isinstance(bands, list):
                core_sets[set_name] = band_set
                continue
            core = []
            for index, band in enumerate(bands):
                if isinstance(band, dict) and isinstance(band.get("bounds"), str):
                    try:
                        lower, upper = parse_interval(band["bounds"])
                    except ValueError as exc:
                        problems.append(Problem(str(exc), ("sections", name, "bands", set_name, "bands", index, "bounds"), file))
                        continue
                    band = {**{k: v for k, v in band.items() if k != "bounds"}, "lower": lower, "upper": upper}
                core.append(band)
            core_sets[set_name] = {**band_set, "bands": core}
        core_sections[name] = {**section, "bands": core_sets}
    if problems:
        raise ReferentialError(f"{file} has bands that are not intervals", problems)
    return {**document, "sections": core_sections}


def _date(value: Any) -> dt.date | None:
    return None if value is None else parse_date(value)


def _build(doc: Mapping[str, Any], path: Path, document: Mapping[str, Any], document_digest: str) -> ReferentialVersion:
    """The model, from the document with its YAML dates written as ISO texts (an unquoted id is a date in YAML)."""
    provisions = {
        p["id"]: Provision(p["id"], p["title"], p["status"], source["id"], p.get("reason", ""), p.get("text", ""))
        for source in doc["sources"]
        for p in source["provisions"]
    }
    sections = {name: _section(name, body) for name, body in doc["sections"].items()}
    return ReferentialVersion(
        scheme=doc["scheme"],
        id=doc["id"],
        title=doc["title"],
        publisher=doc["publisher"],
        language=doc["language"],
        published_on=parse_date(doc["published_on"]),
        in_force_from=parse_date(doc["in_force_from"]),
        in_force_until=_date(doc.get("in_force_until")),
        repealed_on=_date(doc.get("repealed_on")),
        supersedes=doc.get("supersedes"),
        framework=doc.get("framework"),
        repeal_clause=doc.get("repeal_clause"),
        unavailable=doc.get("unavailable"),
        provisions=provisions,
        sections=sections,
        digest=document_digest,
        path=path,
        document=document,
    )


def _section(name: str, body: Mapping[str, Any]) -> Section:
    policy_doc = body.get("time_policy") or {}
    policy = TimePolicy(
        mode=policy_doc.get("mode", "pinned"),
        clause=policy_doc.get("clause", ""),
        since=_date(policy_doc.get("from")),
        grace_months=policy_doc.get("grace_months", 0),
        note=policy_doc.get("note", ""),
    )
    return Section(
        name=name,
        title=body["title"],
        policy=policy,
        parameters={k: Parameter(name=k, **v) for k, v in (body.get("parameters") or {}).items()},
        tables={k: Table(name=k, **v) for k, v in (body.get("tables") or {}).items()},
        criteria={k: Criterion(id=k, **v) for k, v in (body.get("criteria") or {}).items()},
        bands={k: _band_set(k, v) for k, v in (body.get("bands") or {}).items()},
        rule_files=_rule_files(body),
        procedures={k: _procedure(k, name, v) for k, v in (body.get("procedures") or {}).items()},
    )


def _band_set(name: str, body: Mapping[str, Any]) -> BandSet:
    bands = tuple(
        Band(
            id=b["id"],
            lower=Bound(**b["lower"]),
            upper=Bound(**b["upper"]),
            clause=b.get("clause", body["clause"]),
            note=b.get("note", ""),
        )
        for b in body["bands"]
    )
    return BandSet(
        name=name,
        unit=body["unit"],
        minimum=body["range"]["min"],
        maximum=body["range"]["max"],
        bands=bands,
        clause=body["clause"],
        note=body.get("note", ""),
    )


def _procedure(name: str, section: str, body: Mapping[str, Any]) -> Procedure:
    return Procedure(
        name=name,
        title=body["title"],
        clause=body["clause"],
        section=section,
        input=body["input"],
        outcomes=body["outcomes"],
        uses=tuple(body.get("uses") or ()),
        criteria_input=body.get("criteria_input"),
        values=tuple(body.get("values") or ()),
        rule_files=_rule_files(body),
        input_checks=tuple(_input_check(c) for c in body.get("input_checks") or ()),
        companions={role: tuple(sections) for role, sections in (body.get("companions") or {}).items()},
        ledger=_ledger_spec(body.get("ledger")),
    )


def _rule_files(body: Mapping[str, Any]) -> tuple[RuleFile, ...]:
    return tuple(RuleFile(r) if isinstance(r, str) else RuleFile(r["file"], r["version"], r["digest"]) for r in body.get("rules") or ())


def _ledger_spec(body: Mapping[str, Any] | None) -> LedgerSpec | None:
    if not body:
        return None
    return LedgerSpec(body["fact"], body["accounts"], body["in_scope"], body.get("skip_journals"), body["clause"], body.get("companion"))


def _input_check(body: Mapping[str, Any]) -> InputCheck:
    return InputCheck(body["check"], body["input"], body["message"], body["clause"])
