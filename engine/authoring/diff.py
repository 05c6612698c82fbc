"""What changed between two versions of a scheme, item by item, and whether a version's change log says so.

`diff_versions(library, old, new)` compares two versions as the library reads
them (the typed model, and the rule files each runs), not as text: key order,
quoting, comments and the file a rule sits in do not count. Each difference
is a `Change` of one named item:

- the version's own fields (`repealed_on`, `framework`, …; its identity and
  dates are the diff's header, not changes);
- `sources` and their provisions (status, title, text), a provision renamed
  when every item citing the old id cites the new one instead;
- `decisions` (the readings of ambiguous passages);
- per section: its title and time policy, or the section added or removed
  whole; its parameters (value, unit, clause), tables and their rows by key,
  criteria, band sets (each band's bounds and inclusivity) and procedures
  (outcomes, input schema fields, input checks, companions, ledger);
- rules, by id, wherever their files are: condition, conclusion, clause; as
  written (a `cases:` block or a `let:` is one rule), with their file's `defaults:`.

Parameters, tables, band sets, criteria and procedures are named across the
version, so an item moved between sections is one change ("section a → b").
A difference in a title, a note, a quoted text, a justification sentence or
the readings a rule applies is editorial: shown, not required in a change log.

`log_problems` checks a version's `changes:` log against the diff with the
version it supersedes (docs/diff-and-impact.md): every change that is not
editorial must be covered by an entry, and every entry must cover a change.
An entry covers a change when its `where` names the item (a parameter, a
table, `table.row`, a band set, a criterion, a procedure, a rule, a provision,
a decision, a section for its title or time policy or its addition), a
provision the item cites before or after, or `sources` or `decisions` for
every change of those lists; and its `section`, when given, is the item's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from engine.compilation.sugar import written_rules
from engine.errors import Problem, RefereeError
from engine.model.canonical import canonical_json, to_plain
from engine.model.referential import Band, ReferentialVersion, Section

if TYPE_CHECKING:
    from engine.library import Library

ABSENT: Any = object()  # one side of a difference where the field is not there

_IDENTITY = {"scheme", "id", "published_on", "in_force_from", "in_force_until", "supersedes", "sources", "changes", "decisions", "sections"}
_EDITORIAL = {"title", "note", "text", "reason", "question", "meta", "because", "readings", "reference", "publisher", "chapter", "message", "source"}
_CONDITION = ("when", "for_each", "cases", "let")  # what decides whether a rule concludes; "then" is its conclusion
_GROUPS = {"source": "sources", "provision": "sources", "decision": "decisions"}
_ONE_CHANGE = {"repeal_clause": "repealed_on"}  # a version field that changes with another, as one change


@dataclass(frozen=True, slots=True)
class Difference:
    """One field of an item, before and after; ABSENT on the side where the field (or the item) is not."""

    field: str
    old: Any = ABSENT
    new: Any = ABSENT

    @property
    def editorial(self) -> bool:
        return self.field.rsplit(".", 1)[-1] in _EDITORIAL or self.field.startswith("outcomes.") and ABSENT not in (self.old, self.new)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field}
        if self.old is not ABSENT:
            out["old"] = to_plain(self.old)
        if self.new is not ABSENT:
            out["new"] = to_plain(self.new)
        out["editorial"] = self.editorial
        return out

    def render(self) -> str:
        return _difference_text(self, TEXT, self.field)


@dataclass(frozen=True, slots=True)
class Change:
    """An item added, removed or changed: its kind, its name (a path of names), where it sits and what it cites."""

    kind: str  # version | source | provision | decision | section | parameter | table | row | criterion | band_set | procedure | rule
    path: tuple[str, ...]  # a row (table, key); a rule its id split at dots ("score", "band"); else (name,)
    action: str  # added | removed | changed | renamed
    sections: tuple[str, ...] = ()  # the section it is in, and the one it was in when it moved
    clauses: tuple[str, ...] = ()  # the provisions it cites, before and after
    differences: tuple[Difference, ...] = ()

    @property
    def name(self) -> str:
        return ".".join(self.path)

    @property
    def editorial(self) -> bool:
        return self.action == "changed" and all(d.editorial for d in self.differences)

    def names(self) -> set[str]:
        """What a log entry's `where` may say to cover it."""
        names = {".".join(self.path[: i + 1]) for i in range(len(self.path))} | set(self.clauses)
        return names | ({_GROUPS[self.kind]} if self.kind in _GROUPS else set())

    def covered_by(self, entry: Mapping[str, Any]) -> bool:
        section = entry.get("section")
        return entry["where"] in self.names() and (section is None or not self.sections or section in self.sections)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "name": self.name, "action": self.action, "sections": list(self.sections), "clauses": list(self.clauses),
            "editorial": self.editorial, "differences": [d.to_json() for d in self.differences],
        }

    def headline(self) -> str:
        where = f" (section {self.sections[0]})" if self.sections and self.kind not in ("section",) else ""
        return f"{self.kind.replace('_', ' ')} {self.name}{where} {self.action}"


@dataclass(frozen=True)
class VersionDiff:
    """Every change from version `old` to version `new` of one scheme, and the change log `new` declares."""

    scheme: str
    old: ReferentialVersion
    new: ReferentialVersion
    changes: tuple[Change, ...]
    log: tuple[Mapping[str, Any], ...] = field(default=())

    @property
    def checks_log(self) -> bool:
        """The log describes the changes against the version superseded: only then is it compared, and only
        if the version is encoded (one whose text is not, `unavailable`, differs in what nobody knows)."""
        return self.new.supersedes == self.old.id and self.new.unavailable is None

    def unlogged(self) -> list[Change]:
        return [c for c in self.changes if not c.editorial and not any(c.covered_by(e) for e in self.log)] if self.checks_log else []

    def false_entries(self) -> list[int]:
        """Indexes of the log entries that cover no change."""
        return [i for i, e in enumerate(self.log) if not any(c.covered_by(e) for c in self.changes)] if self.checks_log else []

    def to_json(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "old": _identity(self.old),
            "new": _identity(self.new),
            "changes": [c.to_json() for c in self.changes],
            "log": [dict(e) for e in self.log],
            "log_checked": self.checks_log,
            "unlogged": [c.name for c in self.unlogged()],
            "false_entries": self.false_entries(),
        }


def _identity(version: ReferentialVersion) -> dict[str, Any]:
    return {
        "id": version.id, "title": version.title, "published_on": version.published_on.isoformat(),
        "in_force_from": version.in_force_from.isoformat(), "supersedes": version.supersedes, "digest": version.digest,
    }


@dataclass(frozen=True)
class _Style:
    """How a view writes values: quoted JSON for a terminal, code spans for markdown."""

    code: Any  # text -> text
    width: int  # a longer value is cut, with "…"
    quote: bool  # texts as JSON strings

    def value(self, value: Any) -> str:
        plain = isinstance(value, str) and (not self.quote or _is_interval(value))
        text = value if plain else json.dumps(to_plain(value), ensure_ascii=False)
        return self.code(text if len(text) <= self.width else text[: self.width - 1] + "…")


TEXT = _Style(lambda text: text, 100, quote=True)


def _is_interval(text: str) -> bool:
    return text[:1] in "[]" and text[-1:] in "[]" and "," in text


def _same(a: Any, b: Any) -> bool:
    return canonical_json(a) == canonical_json(b)


# -- computing ----------------------------------------------------------------------------------


def diff_versions(library: Library, old: ReferentialVersion, new: ReferentialVersion) -> VersionDiff:
    """Every change from `old` to `new` (two versions of one scheme), in a stable order."""
    renames = _renames(old, new)
    changes = [*_version_fields(old, new), *_provisions(old, new, renames), *_sections(old, new)]
    changes += _keyed("source", _sources(old), _sources(new))
    changes += _keyed("decision", _decisions(old), _decisions(new))
    for kind, read in _ITEMS.items():
        changes += _keyed(kind, read(old), read(new))
    changes += _rows(old, new)
    changes += [replace(c, path=tuple(c.name.split("."))) for c in _keyed("rule", _rules_of(library, old), _rules_of(library, new))]
    whole = set(old.sections) ^ set(new.sections)  # a section added or removed is one change, listing what it holds
    kept = [_unrenamed(c, renames) for c in changes if c.action == "changed" or c.kind == "section" or not c.sections or not set(c.sections) <= whole]
    order = {kind: i for i, kind in enumerate(("version", "source", "provision", "decision", "section", *_ITEMS, "row", "rule"))}
    return VersionDiff(old.scheme, old, new, tuple(sorted((c for c in kept if c is not None), key=lambda c: order[c.kind])), tuple(new.document.get("changes") or ()))


def _leaves(old: Any, new: Any, prefix: str = "") -> Iterator[Difference]:
    """The differing leaves of two values, mappings walked key by key (lists and scalars compared whole)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in dict.fromkeys([*old, *new]):
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from _leaves(old.get(key, ABSENT), new.get(key, ABSENT), name)
    elif old is ABSENT or new is ABSENT or not _same(old, new):
        yield Difference(prefix or "value", old, new)


def _involved(differences: Iterable[Difference]) -> list[str]:
    """The provisions the differing `clause` fields name, before and after."""
    return [v for d in differences if d.field.rsplit(".", 1)[-1] == "clause" for v in (d.old, d.new) if isinstance(v, str)]


def _version_fields(old: ReferentialVersion, new: ReferentialVersion) -> list[Change]:
    """The version's own fields; a repeal is one change, its day and the clause it cites."""
    before = {k: v for k, v in old.document.items() if k not in _IDENTITY}
    after = {k: v for k, v in new.document.items() if k not in _IDENTITY}
    grouped: dict[str, list[Difference]] = {}
    for d in _leaves(before, after):
        grouped.setdefault(_ONE_CHANGE.get(d.field.split(".")[0], d.field.split(".")[0]), []).append(d)
    changes = []
    for name, differences in grouped.items():
        first = differences[0]
        action = "added" if first.old is ABSENT else "removed" if first.new is ABSENT else "changed"
        clauses = [v for d in differences if d.field.endswith("clause") for v in (d.old, d.new) if isinstance(v, str)]
        changes.append(Change("version", (name,), action, (), tuple(dict.fromkeys(clauses)), tuple(differences)))
    return changes


def _keyed(kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Items by key, each a mapping of fields (`section` among them): added, removed or changed.

    A change involves the provisions of its differing `clause` fields (all of them, for an item added or removed).
    """
    changes = []
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key, ABSENT), new.get(key, ABSENT)
        if a is not ABSENT and b is not ABSENT and _same(a, b):
            continue
        action = "added" if a is ABSENT else "removed" if b is ABSENT else "changed"
        differences = tuple(d for d in _leaves({} if a is ABSENT else a, {} if b is ABSENT else b) if d.field != "section" or action == "changed")
        sections = tuple(dict.fromkeys(item["section"] for item in (b, a) if item is not ABSENT and "section" in item))
        changes.append(Change(kind, (key,), action, sections, tuple(dict.fromkeys(_involved(differences))), differences))
    return changes


def _unrenamed(change: Change, renames: Mapping[str, str]) -> Change | None:
    """The change without the clauses that only follow a provision renamed (None if nothing else changed)."""
    if change.action != "changed" or change.kind == "provision":
        return change
    differences = tuple(d for d in change.differences if not (d.field.rsplit(".", 1)[-1] == "clause" and renames.get(d.old) == d.new))
    if not differences:
        return None
    return replace(change, differences=differences, clauses=tuple(dict.fromkeys(_involved(differences))))


def _sources(version: ReferentialVersion) -> dict[str, Any]:
    return {s["id"]: {k: v for k, v in s.items() if k not in ("id", "provisions")} for s in version.document["sources"]}


def _provision(version: ReferentialVersion, pid: str) -> dict[str, Any]:
    p = version.provisions[pid]
    return {"status": p.status, "source": p.source, "title": p.title, "reason": p.reason, "text": p.text}


def _renames(old: ReferentialVersion, new: ReferentialVersion) -> dict[str, str]:
    """Old id -> new id of each provision removed whose successor, added, the same items cite."""
    removed = {pid: _citing(old, pid) for pid in old.provisions if pid not in new.provisions}
    added = {pid: _citing(new, pid) for pid in new.provisions if pid not in old.provisions}
    return {r: a for a, citing in added.items() for r, cited in removed.items() if citing and citing == cited}


def _citing(version: ReferentialVersion, clause: str) -> frozenset[str]:
    from engine.authoring.checks import _cited  # the one list of what a version cites

    return frozenset(what for c, _, what in _cited(version) if c == clause)


def _provisions(old: ReferentialVersion, new: ReferentialVersion, renames: Mapping[str, str]) -> list[Change]:
    renamed = set(renames) | set(renames.values())
    before = {pid: _provision(old, pid) for pid in old.provisions if pid not in renamed}
    after = {pid: _provision(new, pid) for pid in new.provisions if pid not in renamed}
    changes = [replace(c, clauses=c.path) for c in _keyed("provision", before, after)]
    for old_id, new_id in renames.items():
        differences = (Difference("id", old_id, new_id), *_leaves(_provision(old, old_id), _provision(new, new_id)))
        changes.append(Change("provision", (new_id,), "renamed", (), (old_id, new_id), differences))
    return changes


def _decisions(version: ReferentialVersion) -> dict[str, Any]:
    return {d["id"]: {k: v for k, v in d.items() if k != "id"} for d in version.document.get("decisions") or ()}


def _sections(old: ReferentialVersion, new: ReferentialVersion) -> list[Change]:
    """A section's own changes (title, time policy), or the section added or removed with what it holds."""
    changes = []
    for name in dict.fromkeys([*old.sections, *new.sections]):
        a, b = old.sections.get(name), new.sections.get(name)
        if a is None or b is None:
            section = b or a
            assert section is not None
            differences = tuple(Difference(k, ABSENT, v) if a is None else Difference(k, v, ABSENT) for k, v in _contents(section).items() if v)
            changes.append(Change("section", (name,), "added" if a is None else "removed", (name,), _section_clauses(section), differences))
            continue
        differences = tuple(_leaves(_own(a), _own(b)))
        if differences:
            changes.append(Change("section", (name,), "changed", (name,), tuple(dict.fromkeys(_involved(differences))), differences))
    return changes


def _own(section: Section) -> dict[str, Any]:
    p = section.policy
    policy = {"mode": p.mode, "from": p.since, "grace_months": p.grace_months, "clause": p.clause, "note": p.note}
    return {"title": section.title, "time_policy": policy}


def _contents(section: Section) -> dict[str, Any]:
    return {
        "time_policy": section.policy.mode,
        "parameters": sorted(section.parameters), "tables": sorted(section.tables), "criteria": sorted(section.criteria),
        "bands": sorted(section.bands), "procedures": sorted(section.procedures),
    }


def _section_clauses(section: Section) -> tuple[str, ...]:
    clauses = [section.policy.clause, *(p.clause for p in section.parameters.values()), *(t.clause for t in section.tables.values())]
    clauses += [c.clause for c in section.criteria.values()] + [b.clause for b in section.bands.values()]
    clauses += [p.clause for p in section.procedures.values()]
    return tuple(dict.fromkeys(c for c in clauses if c))


# Each kind of named item: the version -> {name: fields, with the section it is in}.


def _parameters(version: ReferentialVersion) -> dict[str, Any]:
    return {
        name: {"section": s.name, "value": p.value, "unit": p.unit, "clause": p.clause, "illustrative": p.illustrative, "title": p.title, "note": p.note}
        for s in version.sections.values() for name, p in s.parameters.items()
    }


def _tables(version: ReferentialVersion) -> dict[str, Any]:
    """A table's own fields; its rows are changes of their own (`_rows`)."""
    return {
        name: {"section": s.name, "key": t.key, "unit": t.unit, "clause": t.clause, "illustrative": t.illustrative, "title": t.title, "note": t.note}
        for s in version.sections.values() for name, t in s.tables.items()
    }


def _criteria(version: ReferentialVersion) -> dict[str, Any]:
    return {
        cid: {"section": s.name, "mandatory": c.mandatory, "max_points": c.max_points, "clause": c.clause, "illustrative": c.illustrative,
              "title": c.title, "chapter": c.chapter, "note": c.note}
        for s in version.sections.values() for cid, c in s.criteria.items()
    }


def interval(band: Band) -> str:
    """A band's bounds as an interval: `[70, 100]`, `]60, 70[`."""
    left, right = "[" if band.lower.inclusive else "]", "]" if band.upper.inclusive else "["
    return f"{left}{band.lower.value:g}, {band.upper.value:g}{right}"


def _band_sets(version: ReferentialVersion) -> dict[str, Any]:
    return {
        name: {
            "section": s.name, "unit": b.unit, "range": {"min": b.minimum, "max": b.maximum}, "clause": b.clause, "note": b.note,
            "bands": {band.id: {"bounds": interval(band), "clause": band.clause, "note": band.note} for band in b.bands},
        }
        for s in version.sections.values() for name, b in s.bands.items()
    }


def _procedures(version: ReferentialVersion) -> dict[str, Any]:
    return {
        name: {
            "section": s.name, "title": p.title, "clause": p.clause, "uses": list(p.uses), "criteria_input": p.criteria_input,
            "outcomes": dict(p.outcomes), "values": list(p.values), "input": dict(p.input),
            "input_checks": {c.check: {"input": c.input, "clause": c.clause, "message": c.message} for c in p.input_checks},
            "companions": {role: list(sections) for role, sections in p.companions.items()},
            "ledger": None if p.ledger is None else {k: getattr(p.ledger, k) for k in ("fact", "accounts", "in_scope", "skip_journals", "clause", "companion")},
        }
        for s in version.sections.values() for name, p in s.procedures.items()
    }


_ITEMS = {"parameter": _parameters, "table": _tables, "criterion": _criteria, "band_set": _band_sets, "procedure": _procedures}


def _rows(old: ReferentialVersion, new: ReferentialVersion) -> list[Change]:
    """Rows of the tables both versions have, by key; a field of a record row is a field of the change.

    A row added (removed) involves its table's clause in the new (old) version besides its own.
    """
    changes = []
    before = {name: (s.name, t) for s in old.sections.values() for name, t in s.tables.items()}
    for section in new.sections.values():
        for name, table in section.tables.items():
            if name not in before:
                continue
            old_section, old_table = before[name]
            rows = {k: _record(r, section.name) for k, r in table.rows.items()}
            old_rows = {k: _record(r, old_section) for k, r in old_table.rows.items()}
            for change in _keyed("row", old_rows, rows):
                cites = {"added": (table.clause,), "removed": (old_table.clause,)}.get(change.action, ())
                changes.append(replace(change, path=(name, *change.path), clauses=tuple(dict.fromkeys([*change.clauses, *cites]))))
    return changes


def _record(row: Any, section: str) -> dict[str, Any]:
    """A row as fields: a record's own, or `value` for a single value."""
    return {"section": section, **(dict(row) if isinstance(row, Mapping) else {"value": row})}


def _rules_of(library: Library, version: ReferentialVersion) -> dict[str, dict[str, Any]]:
    """Rule id -> its fields and the section listing its file (the first that does), whichever file holds it."""
    listed: dict[str, str] = {}
    for section in version.sections.values():
        refs = [*section.rule_files, *(r for p in section.procedures.values() for r in p.rule_files)]
        for ref in refs:
            listed.setdefault(str(library.rule_path(version, ref)), section.name)
    rules: dict[str, dict[str, Any]] = {}
    for source in library.rule_sources(version):
        for body in written_rules(source.document):  # as written, with the file's defaults
            key = body["id"] if body["id"] not in rules else f"{body['id']} ({source.path.name})"
            rules[key] = {"section": listed[source.file], **{k: v for k, v in body.items() if k != "id"}}
    return rules


def rule_part(difference: Difference) -> str:
    """What a rule's field is to a reader: its condition, its conclusion, or another field."""
    head = difference.field.split(".")[0]
    return "condition" if head in _CONDITION else "conclusion" if head == "then" else head


# -- the change log -----------------------------------------------------------------------------


def log_problems(diff: VersionDiff) -> list[Problem]:
    """A version's change log against the diff with the version it supersedes: what it misses, and what it says falsely."""
    file = str(diff.new.path)
    problems = []
    for change in diff.unlogged():
        said = "; ".join(d.render() for d in change.differences if not d.editorial)
        problems.append(Problem(
            f"the change log does not mention {change.headline()} against {diff.old.id}{': ' + said[:300] if said else ''} "
            f"(add an entry whose `where` is {_how_to_log(change)})",
            ("changes",), file))
    for index in diff.false_entries():
        entry = diff.log[index]
        section = f" in section {entry['section']!r}" if entry.get("section") else ""
        problems.append(Problem(
            f"the change log says {entry['where']!r}{section} changed, but nothing it names differs from {diff.old.id} "
            "(`where` names an item that changed, a provision such an item cites, `sources` or `decisions`)",
            ("changes", index, "where"), file))
    return problems


def _how_to_log(change: Change) -> str:
    ways = [repr(change.name)] + ([f"`{_GROUPS[change.kind]}`"] if change.kind in _GROUPS else [])
    ways += [f"a provision it cites ({', '.join(repr(c) for c in change.clauses[:3])})"] if change.clauses and change.kind != "provision" else []
    return " or ".join(ways)


def change_log_problems(library: Library, version: ReferentialVersion) -> list[Problem]:
    """`log_problems` of a version against the one it supersedes, when that one loads (else its own validation says why)."""
    if version.supersedes is None:
        return []
    try:
        previous = library.load_version(version.path.with_name(f"{version.supersedes}.yaml"))
    except (RefereeError, OSError):
        return []
    return log_problems(diff_versions(library, previous, version))


# -- views ---------------------------------------------------------------------------------------


def _groups(changes: Sequence[Change]) -> list[tuple[str, list[Change]]]:
    """The changes under headings: the version itself, its sources and readings, then each section."""
    groups: dict[str, list[Change]] = {}
    for change in changes:
        if change.kind == "version":
            heading = "The version"
        elif change.kind in _GROUPS:
            heading = "Sources and readings"
        else:
            heading = f"Section {change.sections[0]}"
        groups.setdefault(heading, []).append(change)
    return list(groups.items())


def _sentence(change: Change, style: _Style = TEXT) -> str:
    """What changed in an item, each field once: `field old → new`, or the item's content when added or removed."""
    noun = change.kind.replace("_", " ")
    moved = [d for d in change.differences if d.field == "section"]
    if change.action == "changed":
        said = [d for d in change.differences if d.field != "section" and (not d.editorial or change.editorial)]
    else:  # what the item holds: its substantive fields that say something
        said = [d for d in change.differences if not d.editorial and (d.new if d.old is ABSENT else d.old) not in ("", None, [], {})]
    what = "; ".join(_difference_text(d, style, _label(d, change), content=change.action in ("added", "removed")) for d in said)
    where = f" (moved from section {moved[0].old} to {moved[0].new})" if moved else ""
    return f"{noun} {style.code(change.name)} {change.action}{where}" + (f": {what}" if what else "")


def _label(d: Difference, change: Change) -> str:
    if change.kind == "rule" and rule_part(d) != d.field:
        return f"{rule_part(d)} ({d.field})"
    return "" if change.kind == "version" and d.field == change.name else d.field


def _difference_text(d: Difference, style: _Style, label: str, *, content: bool = False) -> str:
    """`label old → new`; a long text that only changed its words, `label reworded`; the value alone for an item's `content`."""
    head = f"{label} " if label else ""
    if content:
        return head + style.value(d.new if d.old is ABSENT else d.old)
    if d.old is ABSENT:
        return f"{head}{style.value(d.new)} added"
    if d.new is ABSENT:
        return f"{head}{style.value(d.old)} removed"
    if d.editorial and isinstance(d.old, str) and isinstance(d.new, str) and max(len(d.old), len(d.new)) > 60:
        return f"{head}reworded"
    return f"{head}{style.value(d.old)} → {style.value(d.new)}"


def _log_summary(diff: VersionDiff) -> list[str]:
    if diff.new.unavailable is not None:
        return [f"{diff.new.id} is not encoded: its change log is not compared with this diff."]
    if not diff.checks_log:
        return [f"{diff.new.id} does not supersede {diff.old.id}: its change log is not compared with this diff."]
    unlogged, false = diff.unlogged(), diff.false_entries()
    lines = [f"Change log of {diff.new.id}: {len(diff.log)} entries; {len(unlogged)} changes it does not mention; {len(false)} entries naming nothing that changed."]
    lines += [f"not in the log: {c.headline()}" for c in unlogged]
    lines += [f"entry {i} names nothing that changed: where {diff.log[i]['where']!r}" for i in false]
    return lines


def diff_text(diff: VersionDiff) -> str:
    """For a person at a terminal: the header, the changes by heading, then the state of the change log."""
    editorial = sum(c.editorial for c in diff.changes)
    lines = [f"{diff.scheme}: {diff.old.id} → {diff.new.id}"]
    lines += [f"  {v.id}  in force from {v.in_force_from}  {v.title}" for v in (diff.old, diff.new)]
    lines.append(f"{len(diff.changes)} changes, {editorial} of them editorial (titles, notes, texts)")
    for heading, changes in _groups(diff.changes):
        lines += ["", heading]
        lines += [f"  {_sentence(c)}{' (editorial)' if c.editorial else ''}" for c in changes]
    return "\n".join([*lines, "", *_log_summary(diff)])


MARKDOWN = _Style(lambda text: "`" + text.replace("`", "'") + "`", 400, quote=False)


def diff_markdown(diff: VersionDiff) -> str:
    """A change log a standards body can publish: the version's own log, then every change in detail, editorial ones last."""
    new, old = diff.new, diff.old
    lines = [
        f"# {diff.scheme} {new.id}: what changed since {old.id}", "",
        f"**{new.title}**", "",
        f"Published on {new.published_on}, in force from {new.in_force_from}; version {old.id} was in force from {old.in_force_from}.", "",
    ]
    if diff.log:
        lines += ["## The change log of the version", ""]
        lines += [f"- **{e['where']}**" + (f" (section {MARKDOWN.code(e['section'])})" if e.get("section") else "") + f": {e['change']}" for e in diff.log]
        lines.append("")
    lines += ["## Every change, item by item", ""]
    substantive = [c for c in diff.changes if not c.editorial]
    for heading, changes in _groups(substantive):
        lines += [f"### {heading}", "", *[f"- {_sentence(c, MARKDOWN)}" for c in changes], ""]
    editorial = [c for c in diff.changes if c.editorial]
    if editorial:
        lines += ["### Editorial changes (titles, notes, quoted texts)", "", *[f"- {_sentence(c, MARKDOWN)}" for c in editorial], ""]
    if not diff.changes:
        lines += ["Nothing that referee reads differs.", ""]
    return "\n".join([*lines, *(f"> {line}" for line in _log_summary(diff))]) + "\n"
