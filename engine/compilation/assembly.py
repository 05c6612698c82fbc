"""The referential content one dossier is judged by.

Once each section has its version (`selection`), the assembly gathers the
procedure, the parameters, tables, bands, criteria and rules of those
sections, and remembers where each value came from so that the trail can cite
the version and the clause of every value a rule read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Sequence

from engine.model.canonical import to_plain
from engine.compilation.expressions import ALL
from engine.errors import DossierError, Problem, RefereeError, ReferentialError
from engine.model.referential import Procedure, ReferentialVersion
from engine.compilation.rules import RuleBook, build_rulebook
from engine.selection.versions import SectionChoice, Selection, in_force_on, select, version_by_id
from engine.library import Store

SMALL_TABLE_ROWS = 50  # tables up to this size are copied whole into the trail


@dataclass(frozen=True)
class Assembly:
    procedure: Procedure
    selection: Selection
    scope: dict[str, Any]  # what expressions read: params, tables, bands, criteria
    provenance: dict[tuple[str, str], dict[str, Any]]  # (namespace, name) -> trail premise
    rulebook: RuleBook
    rule_origin: dict[str, SectionChoice]  # rule file -> the section choice it came with


def find_procedure(version: ReferentialVersion, name: str) -> Procedure:
    procedure = version.procedure(name)
    if procedure is None:
        known = ", ".join(sorted(version.procedures())) or "none"
        raise DossierError(
            f"version {version.id} of {version.scheme} has no procedure {name!r}",
            [Problem(f"known procedures: {known}", ("procedure",))],
        )
    return procedure


def select_for(
    versions: Sequence[ReferentialVersion],
    procedure_name: str,
    anchor: dt.date,
    event: dt.date,
    forced: str | None,
) -> tuple[Selection, Procedure]:
    """Select the sections of a procedure; the procedure itself is read from its home section's version.

    A procedure the base version lacks may come from a later version that
    declares its section `event_date` (e.g. a control procedure introduced
    mid-cycle): it is looked up in the latest version in force on the event date.
    For a cycle older than every version, `select` decides whether a version reaches
    back (retroactive); its procedure is looked up in the version in force on the event
    date, or, before any is, in the latest version that has it (retroactive from an
    earlier date than its entry into force).
    """
    if forced:
        procedure = find_procedure(version_by_id(versions, forced), procedure_name)
    else:
        try:
            base = in_force_on(versions, anchor)
        except DossierError as none_at_anchor:
            having = [v for v in versions if v.procedure(procedure_name) is not None]
            if event < anchor or not having:
                raise none_at_anchor from None
            started = any(v.in_force_from <= event for v in versions)
            procedure = find_procedure(in_force_on(versions, event) if started else having[-1], procedure_name)
        else:
            if base.procedure(procedure_name) is not None or event < anchor:
                procedure = find_procedure(base, procedure_name)
            else:
                procedure = find_procedure(in_force_on(versions, event), procedure_name)
    selection = select(versions, procedure.sections, anchor, event, forced)
    if selection.refusal:
        return selection, procedure
    home = find_procedure(selection.version_of(procedure.section), procedure_name)
    if home.sections != procedure.sections:
        selection = select(versions, home.sections, anchor, event, forced)
    return selection, home


def with_companions(store: Store, selection: Selection, procedure: Procedure, dossier: Any) -> Selection:
    """Add the sections the procedure reads from companion referentials (e.g. a decree's method).

    Each companion is chosen by the dossier (`companions.<role>`), must declare itself a companion of
    this scheme in that role (`framework`), and has its sections selected by the rules of time of its
    own versions, from the same anchor and event date. A repealed companion refuses the cycle. The role
    only the procedure's ledger reads (an account mapping) is needed only when the dossier names a ledger.
    """
    named = dict(dossier.companions)
    unknown_roles = sorted(set(named) - set(procedure.companions))
    if unknown_roles:
        raise DossierError(
            f"procedure {procedure.name!r} takes no companion {', '.join(map(repr, unknown_roles))}",
            [Problem(f"known roles: {', '.join(procedure.companions) or 'none'}", ("companions", unknown_roles[0]))],
        )
    if not procedure.companions:
        return selection
    scheme = selection.version_of(procedure.section).scheme
    choices = dict(selection.choices)
    warnings = list(selection.warnings)
    ledger_role = procedure.ledger.companion if procedure.ledger else None
    for role, sections in procedure.companions.items():
        if role == ledger_role and role not in named and dossier.ledger is None:
            continue  # only the ledger reads it, and there is none
        candidates = companion_schemes(store, scheme, role)
        if role not in named:
            raise DossierError(
                f"procedure {procedure.name!r} reads a {role}{' to read the ledger' if role == ledger_role else ''}: name it under companions.{role}",
                [Problem(f"required: {{{role}: SCHEME}} with one of: {', '.join(candidates) or 'none'}", ("companions", role))],
            )
        companion_scheme, version_id = named[role]
        if companion_scheme not in candidates:
            raise DossierError(
                f"{companion_scheme!r} is not a companion of {scheme} in the role {role}",
                [Problem(f"known: {', '.join(candidates) or 'none'}", ("companions", role))],
            )
        try:
            chosen = select(
                store.versions(companion_scheme), sections, dossier.anchor, dossier.event_date, version_id,
                forced_by=f"the dossier (companions.{role}.version)",
            )
        except DossierError as exc:  # the version the dossier names is under companions.<role>, not $.version
            here = ("companions", role, "version")
            raise DossierError(exc.message, [replace(p, path=here) if p.path in ((), ("version",)) else p for p in exc.problems]) from None
        if chosen.refusal:
            return chosen
        clash = sorted(set(chosen.choices) & set(choices))
        if clash:
            raise ReferentialError(f"the {role} {companion_scheme} and {scheme} both define section(s) {', '.join(clash)}", [])
        choices.update(chosen.choices)
        warnings += [f"{role} {companion_scheme}: {w}" for w in chosen.warnings]
    return Selection(choices=choices, base=selection.base, forced=selection.forced, warnings=tuple(warnings))


def companion_schemes(store: Store, scheme: str, role: str) -> list[str]:
    """The schemes whose versions all declare themselves a `role` of `scheme`."""
    found = []
    for candidate in store.schemes():
        try:
            versions = store.versions(candidate)
        except RefereeError:  # a scheme that does not load is reported by its own validation
            continue
        if all(v.framework == {"scheme": scheme, "role": role} for v in versions):
            found.append(candidate)
    return found


def assemble(store: Store, selection: Selection, procedure: Procedure) -> Assembly:
    # criteria are a list in the grid's order: CEL does not specify the iteration order of maps
    scope: dict[str, Any] = {"params": {}, "tables": {}, "bands": {}, "criteria": [], "versions": {}}
    provenance: dict[tuple[str, str], dict[str, Any]] = {}
    owner: dict[tuple[str, str], str] = {}
    rule_origin: dict[str, SectionChoice] = {}
    rule_paths = []
    problems: list[Problem] = []

    def add(namespace: str, name: str, value: Any, premise: dict[str, Any], choice: SectionChoice) -> None:
        key = (namespace, name)
        if key in owner:
            problems.append(Problem(f"{namespace}.{name} is defined by section '{owner[key]}' and by section '{choice.section}'"))
            return
        owner[key] = choice.section
        scope[namespace][name] = value
        provenance[key] = {**premise, "version": choice.version.id, "section": choice.section}

    def add_rule_file(file: str, choice: SectionChoice) -> None:
        path = store.rule_file(choice.version.scheme, file)
        if str(path) in rule_origin:
            problems.append(Problem(f"rule file {file} is listed twice (sections or procedure)"))
        rule_origin[str(path)] = choice
        rule_paths.append(path)

    for file in procedure.rule_files:
        add_rule_file(file, selection.choices[procedure.section])
    for name in selection.choices:  # the procedure's sections, then its companions'
        choice = selection.choices[name]
        section = choice.version.sections[name]
        add("versions", name, choice.version.id, {"kind": "version", "name": name, "value": choice.version.id, "clause": choice.clause, "reason": choice.reason}, choice)
        for p in section.parameters.values():
            value = to_plain(p.value)
            add("params", p.name, value, {"kind": "parameter", "name": p.name, "value": value, "unit": p.unit, "clause": p.clause}, choice)
        for t in section.tables.values():
            rows = to_plain(dict(t.rows))
            premise = {"kind": "table", "name": t.name, "clause": t.clause, "unit": t.unit, "key": t.key}
            if len(rows) <= SMALL_TABLE_ROWS:
                premise["value"] = rows
            add("tables", t.name, rows, premise, choice)
        for b in section.bands.values():
            bands = [
                {"id": x.id, "lower": vars(x.lower), "upper": vars(x.upper), "clause": x.clause} for x in b.bands
            ]
            premise = {"kind": "bands", "name": b.name, "clause": b.clause, "unit": b.unit, "value": [x.describe() for x in b.bands]}
            add("bands", b.name, bands, premise, choice)
        if section.criteria:
            scope["criteria"] += [
                {"id": c.id, "title": c.title, "chapter": c.chapter, "mandatory": c.mandatory, "max_points": c.max_points}
                for c in section.criteria.values()
            ]
            clauses = sorted({c.clause for c in section.criteria.values()})
            premise = {"kind": "criteria", "name": "criteria", "value": scope["criteria"], "clause": ", ".join(clauses)}
            provenance[("criteria", ALL)] = {**premise, "version": choice.version.id, "section": name}
        for file in section.rule_files:
            add_rule_file(file, choice)
    if problems:
        raise ReferentialError("the sections of this procedure clash", problems)
    missing = [p for p in rule_paths if not p.is_file()]
    if missing:
        raise ReferentialError(
            "a section lists rule files that do not exist",
            [Problem(f"no such file {p}") for p in missing],
        )
    rulebook = build_rulebook(rule_paths, selection.version_of(procedure.section).scheme)
    return Assembly(procedure, selection, scope, provenance, rulebook, rule_origin)
