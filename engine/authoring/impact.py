"""What a new version does to a portfolio of dossiers, before it is published: `referee impact`.

The portfolio is dossier files (`engine.running.batch.collect`) or the
dossiers a decision store holds (`stored_portfolio`). Each dossier of the
scheme (or naming it as a companion, e.g. a method of a decree) is judged three times through the compiled batch path
(`engine.running.batch.judge_all`):

- before: the tree as if OLD were the scheme's latest version (its successors
  set aside, OLD in force with no end);
- after: the tree as if NEW were the latest: the rules of time choose, section
  by section, so a cycle that started before NEW came into force keeps OLD in
  its pinned sections;
- forced: NEW forced on every section, as an evaluator may.

Three groups of outcome transitions follow: the running cycles (anchored before
NEW's `in_force_from`, before → after: pinning should leave them unchanged, and
every change is flagged), the new cycles (before → after), and the whole
portfolio were NEW forced (before → forced). A dossier changes when its
outcome, a reported value or the findings (code and severity) differ, or when
it is refused as input on one side only; each is listed with the first
conclusion of the trail that differs. A dossier refused as input is reported
with its file and path, and the impact goes on. `Impact` is typed
data with one serialiser; its views are text, JSON, CSV and one self-contained
HTML page.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import zip_longest
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from engine.errors import Problem, RefereeError, UsageError
from engine.library import Library
from engine.model.canonical import to_plain
from engine.model.dossier import read_dossier
from engine.model.limits import Limits
from engine.model.referential import ReferentialVersion
from engine.running.batch import DossierResult, Entry, judge_all, one_line
from engine.running.evaluation import FORCED_FINDING

if TYPE_CHECKING:
    from engine.store.repository import Store

INVALID = "(invalid)"  # the outcome column of a dossier refused as input
INTERNAL = "(internal error)"  # the outcome column of a dossier referee failed on: a bug
GROUPS = {
    "running": "Running cycles (anchored before {new} came into force): pinning keeps them where they started",
    "new": "New cycles (anchored from {since})",
    "forced": "The whole portfolio, were {new} forced",
}
CSV_COLUMNS = ("group", "source", "dossier_id", "procedure", "anchor", "before", "after", "changed", "first_difference")


@dataclass(frozen=True, slots=True)
class Transition:
    """One dossier in one group: its outcome before and after, and, if it changed, where its trail first differs."""

    group: str  # running | new | forced
    source: str
    dossier_id: str
    procedure: str
    anchor: str
    before: str
    after: str
    difference: str | None = None  # None: the decision did not change

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group, "source": self.source, "dossier_id": self.dossier_id, "procedure": self.procedure, "anchor": self.anchor,
            "before": self.before, "after": self.after, "first_difference": self.difference,
        }

    def csv_row(self) -> list[str]:
        return [self.group, self.source, self.dossier_id, self.procedure, self.anchor, self.before, self.after, "yes" if self.difference else "no", self.difference or ""]


@dataclass(frozen=True, slots=True)
class Refusal:
    """A dossier of the portfolio refused as input, as OLD judges it: the message names its file and the path of each problem."""

    source: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "message": self.message}


@dataclass
class Matrix:
    """The outcome transitions of one group: (before, after) -> dossiers."""

    group: str
    title: str
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    changed: int = 0  # dossiers whose decision changed (the outcome, or a value or a finding with it)

    @property
    def dossiers(self) -> int:
        return sum(self.counts.values())

    @property
    def outcomes(self) -> tuple[list[str], list[str]]:
        """The outcomes before (rows) and after (columns), in order of first appearance by count."""
        rows = sorted({b for b, _ in self.counts}, key=lambda o: (-sum(n for (b, _), n in self.counts.items() if b == o), o))
        columns = sorted({a for _, a in self.counts}, key=lambda o: (-sum(n for (_, a), n in self.counts.items() if a == o), o))
        return rows, columns

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group, "title": self.title, "dossiers": self.dossiers, "changed": self.changed,
            "transitions": [{"from": b, "to": a, "dossiers": n} for (b, a), n in sorted(self.counts.items())],
        }


@dataclass
class Impact:
    """The three groups of a portfolio judged before and after a new version, and the dossiers that change."""

    scheme: str
    old: str
    new: str
    since: dt.date  # NEW's in_force_from: a cycle anchored on or after it is a new cycle
    groups: dict[str, Matrix]
    transitions: list[Transition] = field(default_factory=list)  # every dossier of each group
    other_schemes: int = 0  # dossiers of the portfolio that neither belong to the scheme nor name it as a companion
    refused: list[Refusal] = field(default_factory=list)  # refused as input; those whose envelope cannot be read are in no group

    @property
    def changes(self) -> list[Transition]:
        """The dossiers whose decision changes, in each group."""
        return [t for t in self.transitions if t.difference is not None]

    @property
    def flagged(self) -> list[Transition]:
        """Running cycles whose decision changed: what pinning should have prevented, unless a section follows the event date."""
        return [t for t in self.changes if t.group == "running"]

    def to_json(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme, "old": self.old, "new": self.new, "new_in_force_from": self.since.isoformat(),
            "groups": [m.to_json() for m in self.groups.values()],
            "flagged": len(self.flagged),
            "changes": [t.to_json() for t in self.changes],
            "other_schemes": self.other_schemes,
            "refused": [r.to_json() for r in self.refused],
        }


# -- the worlds before and after ----------------------------------------------------------------


def lineage(versions: Sequence[ReferentialVersion], last: ReferentialVersion) -> list[ReferentialVersion]:
    """`last` and the versions it supersedes, one after the other: the scheme as it stood when `last` was its newest."""
    by_id = {v.id: v for v in versions}
    chain = [replace(last, in_force_until=None)]  # nothing succeeds it in that world
    previous = last.supersedes
    while previous is not None and previous in by_id and len(chain) <= len(by_id):
        chain.append(by_id[previous])
        previous = by_id[previous].supersedes
    return chain


def _versions(library: Library, scheme: str, old_id: str | None, new_id: str) -> tuple[ReferentialVersion, ReferentialVersion]:
    versions = library.versions(scheme)
    by_id = {v.id: v for v in versions}
    known = [Problem(f"known versions of {scheme}: {', '.join(by_id)}")]
    if new_id not in by_id:
        raise UsageError(f"--to {new_id}: {scheme} has no such version", known)
    new = by_id[new_id]
    old_id = old_id or new.supersedes
    if old_id is None:
        raise UsageError(f"{scheme} {new_id} supersedes no version: name the one to compare it with (--from)", known)
    ancestors = [v.id for v in lineage(versions, new)[1:]]
    if old_id not in ancestors:
        raise UsageError(f"--from {old_id}: {new_id} does not descend from it", [Problem(f"{new_id} supersedes, in turn: {', '.join(ancestors) or 'none'}")])
    return by_id[old_id], new


# -- the portfolio ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Dossier:
    """A dossier of the portfolio that concerns the scheme: its entry, the entry forcing NEW, its group."""

    entry: Entry
    forced: Entry
    group: str
    procedure: str
    anchor: str


def _portfolio(library: Library, entries: Sequence[Entry], scheme: str, new: ReferentialVersion, impact: Impact) -> list[_Dossier]:
    """The dossiers of `scheme`, or naming it as a companion, each with its twin forcing NEW (its `version`, or the companion's)."""
    kept = []
    for entry in entries:
        try:
            _, document = entry.read(library.limits)
            dossier = read_dossier(document, entry.source)
        except RefereeError as exc:
            impact.refused.append(Refusal(entry.source, one_line(exc, entry.source)))
            continue
        roles = [role for role, (companion, _) in dossier.companions.items() if companion == scheme]
        if dossier.scheme != scheme and not roles:
            impact.other_schemes += 1
            continue
        forcing = to_plain(dict(document))
        if roles:
            forcing["companions"] = {**forcing["companions"], **{role: {"scheme": scheme, "version": new.id} for role in roles}}
        else:
            forcing["version"] = new.id
        forced = Entry(entry.source, entry.path, entry.line, orjson.dumps(forcing))
        group = "running" if dossier.anchor < new.in_force_from else "new"
        kept.append(_Dossier(entry, forced, group, dossier.procedure, dossier.anchor.isoformat()))
    return kept


def stored_portfolio(store: Store, limits: Limits) -> list[Entry]:
    """The dossiers a decision store holds, once each, in the order they were first decided, as they were received.

    Each is named by where it was first received and its digest (`referee history` takes it). A YAML
    dossier is handed on as JSON: the batch path reads an entry's text as JSON, and the dossier's
    digest is over its values, not its bytes. A `ledger:` it names relatively is looked for beside
    the file it was received from.
    """
    from engine.store.database import StoreError

    entries, seen = [], set()
    for row in store.decisions(body=False):
        if row.dossier in seen:
            continue
        seen.add(row.dossier)
        stored = store.dossier(row.dossier)
        if stored is None:
            raise StoreError(f"the store {store.name} lacks the dossier {row.dossier} its decision {row.seq} cites", [Problem("run referee store verify")])
        text = stored.content if stored.format == "json" else orjson.dumps(to_plain(stored.document(limits)))
        received = Path(_JSON_LINE.sub("", stored.source))  # FILE:LINE for a line of JSON Lines
        entries.append(Entry(f"{stored.source} ({stored.digest})", received, None, text))
    if not entries:
        raise UsageError(f"the store {store.name} holds no dossier", [Problem("referee batch --store records the dossiers it judges")])
    return entries


_JSON_LINE = re.compile(r":\d+$")


# -- judging and comparing ----------------------------------------------------------------------


def impact_of(library: Library, scheme: str, new_id: str, entries: Sequence[Entry], *, old_id: str | None = None, jobs: int = 1) -> Impact:
    """The portfolio `entries` judged under OLD (default: the version NEW supersedes) and under NEW."""
    old, new = _versions(library, scheme, old_id, new_id)
    versions = library.versions(scheme)
    before, after = library.with_versions(scheme, lineage(versions, old)), library.with_versions(scheme, lineage(versions, new))
    names = {"old": old.id, "new": new.id, "since": new.in_force_from.isoformat()}
    impact = Impact(scheme, old.id, new.id, new.in_force_from, {g: Matrix(g, title.format(**names)) for g, title in GROUPS.items()})
    dossiers = _portfolio(library, entries, scheme, new, impact)
    plain = [d.entry for d in dossiers]
    judged = zip(
        judge_all(before, plain, jobs=jobs), judge_all(after, plain, jobs=jobs), judge_all(after, [d.forced for d in dossiers], jobs=jobs),
        strict=True,
    )
    for dossier, (was, now, forced) in zip(dossiers, judged, strict=True):
        before_verdict = _Verdict.of(was)
        if before_verdict.error is not None:
            impact.refused.append(Refusal(dossier.entry.source, before_verdict.error))
        _count(impact, dossier, dossier.group, before_verdict, _Verdict.of(now))
        _count(impact, dossier, "forced", before_verdict, _Verdict.of(forced))
    position = {entry.source: i for i, entry in enumerate(entries)}
    impact.refused.sort(key=lambda refusal: position[refusal.source])  # in the portfolio's order, unreadable envelopes among the rest
    return impact


@dataclass(frozen=True, slots=True)
class _Verdict:
    """A judgement as impact compares it: outcome, values and findings; the decision kept to find where it differs."""

    outcome: str
    substance: bytes  # canonical JSON of the outcome, the values and the findings' codes and severities
    dossier_id: str
    decision: Mapping[str, Any] | None
    error: str | None

    @classmethod
    def of(cls, result: DossierResult) -> _Verdict:
        if result.decision is None:  # refused either way is no change: the refusal's words name the version that refused
            outcome = INVALID if result.invalid else INTERNAL
            return cls(outcome, outcome.encode(), result.dossier_id, None, result.invalid or f"internal error: {result.internal}")
        decision = orjson.loads(result.decision)
        findings = sorted((f["code"], f["severity"]) for f in decision["findings"] if f["code"] != FORCED_FINDING)  # forcing is the question asked
        substance = _canonical({"outcome": decision["outcome"], "values": decision["values"], "findings": findings})
        return cls(decision["outcome"], substance, str(decision["dossier_id"]), decision, None)


def _count(impact: Impact, dossier: _Dossier, group: str, before: _Verdict, after: _Verdict) -> None:
    matrix = impact.groups[group]
    matrix.counts[before.outcome, after.outcome] += 1
    changed = before.substance != after.substance
    matrix.changed += changed
    impact.transitions.append(Transition(
        group, dossier.entry.source, before.dossier_id or after.dossier_id, dossier.procedure, dossier.anchor,
        before.outcome, after.outcome, first_difference(before, after, moves=group == "running") if changed else None,
    ))


def first_difference(before: _Verdict, after: _Verdict, *, moves: bool = False) -> str:
    """Where two judgements first part: the first conclusion of the trail (version selections aside) that differs.

    With `moves` (a running cycle), first the sections the rules of time gave to another version.
    """
    if before.error or after.error:
        return f"before: {before.error or 'decided ' + before.outcome}; after: {after.error or 'decided ' + after.outcome}"
    assert before.decision is not None and after.decision is not None
    moved = _sections_moved(before.decision, after.decision) if moves else ""
    for was, now in zip_longest(_steps(before.decision), _steps(after.decision)):
        if was is None or now is None or (was["rule"], was["name"], _canonical(was["value"])) != (now["rule"], now["name"], _canonical(now["value"])):
            return moved + _step_difference(was, now)
    return moved + "the same conclusions, in another order"


def _canonical(value: Any) -> bytes:
    """Decisions read back from JSON hold JSON values only: orjson with sorted keys is their canonical form, and fast."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _steps(decision: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    return (e for e in decision["trail"] if e["kind"] in ("fact", "finding"))


def _sections_moved(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """The sections whose version changed by the rules of time (for a running cycle, a section that follows the event date)."""
    was = {(v["section"], v["referential"]): v["version"] for v in before["versions"]}
    moved = [
        f"{v['section']} {was[v['section'], v['referential']]} → {v['version']} ({v['mode']})"
        for v in after["versions"]
        if v["mode"] != "forced" and was.get((v["section"], v["referential"]), v["version"]) != v["version"]
    ]
    return f"sections moved: {'; '.join(moved)}; " if moved else ""


def _value(value: Any, width: int = 120) -> str:
    text = orjson.dumps(value).decode("utf-8")
    return text if len(text) <= width else text[: width - 1] + "…"


def _step_difference(was: Mapping[str, Any] | None, now: Mapping[str, Any] | None) -> str:
    if was is None:
        assert now is not None
        return f"{now['kind']} {now['name']} = {_value(now['value'])} concluded only after (rule {now['rule']}, {now['clause']})"
    if now is None:
        return f"{was['kind']} {was['name']} = {_value(was['value'])} concluded only before (rule {was['rule']}, {was['clause']})"
    if (was["rule"], was["name"]) != (now["rule"], now["name"]):
        return f"before, rule {was['rule']} concluded {was['name']} = {_value(was['value'])}; after, rule {now['rule']} concluded {now['name']} = {_value(now['value'])}"
    return f"{was['kind']} {was['name']}: {_value(was['value'])} → {_value(now['value'])} (rule {now['rule']}, {now['clause']})"


# -- views ----------------------------------------------------------------------------------------


def impact_text(impact: Impact, limit: int = 20) -> str:
    """The three matrices, then the dossiers that change (the first `limit` of each group: all are in the CSV)."""
    lines = [f"{impact.scheme}: impact of {impact.new} against {impact.old} (in force from {impact.since})"]
    for matrix in impact.groups.values():
        lines += ["", f"{matrix.title}: {matrix.dossiers} dossiers, {matrix.changed} change"]
        lines += [f"  {before:<28} → {after:<28} {count:>7}{'' if before == after else '  *'}" for (before, after), count in _ordered(matrix)]
    if impact.flagged:
        lines += ["", f"FLAGGED: {len(impact.flagged)} running cycles change; pinning keeps their pinned sections on the versions they started under: "
                  "see the sections moved (a section that follows the event date or applies retroactively) or the first difference"]
    for group, matrix in impact.groups.items():
        changed = [t for t in impact.changes if t.group == group]
        if changed:
            lines += ["", f"Dossiers that change — {matrix.title.lower()}:"]
            lines += [f"  {t.source} ({t.dossier_id}, {t.procedure}): {t.before} → {t.after}: {t.difference}" for t in changed[:limit]]
            if len(changed) > limit:
                lines.append(f"  … and {len(changed) - limit} more")
    if impact.refused:
        lines += ["", f"Refused as input under {impact.old} ({len(impact.refused)}; one whose scheme, procedure or dates cannot be read is in no group):"]
        lines += [f"  {r.message}" for r in impact.refused[:limit]]
        if len(impact.refused) > limit:
            lines.append(f"  … and {len(impact.refused) - limit} more (all are in the JSON)")
    if impact.other_schemes:
        lines += ["", f"Not judged: {impact.other_schemes} dossiers of other schemes"]
    return "\n".join(lines)


def _ordered(matrix: Matrix) -> list[tuple[tuple[str, str], int]]:
    return sorted(matrix.counts.items(), key=lambda item: (item[0][0] != item[0][1], -item[1], item[0]))


def write_csv(impact: Impact, file: IO[str]) -> None:
    """One row per dossier and group, changed or not: a spreadsheet pivots it into the matrices, or filters the changes."""
    writer = csv.writer(file)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(t.csv_row() for t in impact.transitions)


def impact_html(impact: Impact) -> str:
    """One self-contained page (no request: style inline), every text escaped by the template engine."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(loader=PackageLoader("engine.authoring", "templates"), autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)
    template = environment.get_template("impact.html.j2")
    groups = [(m, *m.outcomes, [t for t in impact.changes if t.group == m.group]) for m in impact.groups.values()]
    return template.render(impact=impact, groups=groups)
