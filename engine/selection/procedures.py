"""Which procedure a dossier asks for, and the versions of its sections and companions.

`select_for` picks the procedure from the version that governs its home
section and selects every section it reads by the rules of time
(`engine.selection.versions`); `with_companions` adds the sections read from
companion referentials (e.g. a decree's method) that the dossier names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from engine.errors import DossierError, Problem, ReferentialError
from engine.model.referential import Procedure, ReferentialVersion
from engine.selection.versions import Selection, in_force_on, select, version_by_id

if TYPE_CHECKING:
    from engine.library import Library


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
) -> tuple[Selection, Procedure | None]:
    """Select the sections of a procedure; the procedure itself is read from its home section's version.

    A version that would govern the cycle but is not encoded refuses it at once: it has no procedure
    to read (None then).

    A procedure the base version lacks may come from a later version that
    declares its section `event_date` (e.g. a control procedure introduced
    mid-cycle): it is looked up in the latest version in force on the event date.
    For a cycle older than every version, `select` decides whether a version reaches
    back (retroactive); its procedure is looked up in the version in force on the event
    date, or, before any is, in the latest version that has it (retroactive from an
    earlier date than its entry into force).
    """
    if forced:
        chosen = version_by_id(versions, forced)
        if chosen.unavailable is not None:
            return select(versions, (), anchor, event, forced), None
        procedure = find_procedure(chosen, procedure_name)
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
            if base.unavailable is not None and event >= anchor:
                return select(versions, (), anchor, event), None
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


def with_companions(library: Library, selection: Selection, procedure: Procedure, dossier: Any) -> Selection:
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
        if role not in named:
            raise DossierError(
                f"procedure {procedure.name!r} reads a {role}{' to read the ledger' if role == ledger_role else ''}: name it under companions.{role}",
                [Problem(f"required: {{{role}: SCHEME}} with one of: {_candidates(library, scheme, role)}", ("companions", role))],
            )
        companion_scheme, version_id = named[role]
        if companion_scheme not in library.schemes() or not library.is_companion(companion_scheme, scheme, role):
            raise DossierError(
                f"{companion_scheme!r} is not a companion of {scheme} in the role {role}",
                [Problem(f"known: {_candidates(library, scheme, role)}", ("companions", role))],
            )
        try:
            chosen = select(
                library.checked(companion_scheme), sections, dossier.anchor, dossier.event_date, version_id,
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


def _candidates(library: Library, scheme: str, role: str) -> str:
    """For a message only: listing the candidates reads every scheme of the tree."""
    return ", ".join(library.companion_schemes(scheme, role)) or "none"
