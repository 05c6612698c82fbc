"""Which version governs each section of a dossier, and why.

The rules of time (DESIGN.md "Time"):

1. The base version is the one in force on the cycle anchor: the latest whose
   `in_force_from` is on or before it. A section is pinned to it by default, so
   no version published after a cycle started alters that cycle.
2. A later version, already in force on the event date, takes a section over
   from the base when it declares that section `event_date` (e.g. verification
   rules follow the date of the verification), or `retroactive` from a date,
   after an optional grace period for running cycles.
3. A base version repealed on or before the anchor refuses the new cycle; a
   cycle anchored before the repeal keeps its version.
4. An evaluator may force a version: every section is taken from it, and the
   selection warns when that is not what the rules of time would have chosen.
5. A cycle anchored when no version was in force can only be governed by a
   version whose requested sections are all `retroactive`, each section once
   the event date is on or after its `from` + grace.

A pinned section's reason also names the later versions that do not govern it
yet ("applies from the next cycle"), but only those published on or before the
event date: a version published after it was not known when the event was
decided, and must not change the text of a decision taken then (docs/store.md,
"Replay and later versions").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import DossierError, Problem, ReferentialError
from engine.model.dates import add_months
from engine.model.referential import ReferentialVersion


@dataclass(frozen=True)
class SectionChoice:
    section: str
    version: ReferentialVersion
    mode: str  # pinned | event_date | retroactive | forced
    reason: str
    clause: str = ""


@dataclass(frozen=True)
class Selection:
    choices: dict[str, SectionChoice]
    base: ReferentialVersion | None
    forced: str | None = None
    warnings: tuple[str, ...] = ()
    refusal: str | None = None  # the base version was repealed before the cycle started, or is not encoded
    refusal_mode: str = "repealed"  # repealed | not_encoded
    refusal_clause: str | None = None  # the provision the refusal cites

    def version_of(self, section: str) -> ReferentialVersion:
        return self.choices[section].version


def in_force_on(versions: Sequence[ReferentialVersion], day: dt.date) -> ReferentialVersion:
    """The version governing cycles anchored on `day` (it may be repealed: see `select`)."""
    started = [v for v in versions if v.in_force_from <= day and (v.in_force_until is None or day < v.in_force_until)]
    if not started:
        known = ", ".join(f"{v.id} (from {v.in_force_from})" for v in versions)
        raise DossierError(
            f"no version of {versions[0].scheme} was in force on {day}",
            [Problem(f"known versions: {known}", ("cycle", "anchor"))],
        )
    return max(started, key=lambda v: v.in_force_from)


def version_by_id(versions: Sequence[ReferentialVersion], version_id: str) -> ReferentialVersion:
    chosen = next((v for v in versions if v.id == version_id), None)
    if chosen is None:
        raise DossierError(
            f"unknown version {version_id!r} of {versions[0].scheme}",
            [Problem(f"known versions: {', '.join(v.id for v in versions)}", ("version",))],
        )
    return chosen


def select(
    versions: Sequence[ReferentialVersion],
    sections: Sequence[str],
    anchor: dt.date,
    event: dt.date,
    forced: str | None = None,
    forced_by: str = "the evaluator (--version)",
) -> Selection:
    versions = sorted(versions, key=lambda v: v.in_force_from)
    if event < anchor:
        raise DossierError(
            "the event date precedes the cycle anchor",
            [Problem(f"event_date {event} is before cycle.anchor {anchor}", ("event_date",))],
        )
    if forced is not None:
        return _forced(versions, sections, anchor, event, forced, forced_by)
    try:
        base = in_force_on(versions, anchor)
    except DossierError:
        # a cycle older than every version: only a version that reaches back (retroactive) can govern it
        if not any(_reaches_back(v, sections) for v in versions):
            raise
        return Selection(choices={name: _choose(name, None, versions, anchor, event) for name in sections}, base=None)
    if base.unavailable is not None:
        return not_encoded(base, f"it was in force on the cycle anchor {anchor}")
    if base.repealed_on is not None and anchor >= base.repealed_on:
        return Selection(
            choices={},
            base=base,
            refusal=(
                f"version {base.id} of {base.scheme} was repealed on {base.repealed_on} and no version "
                f"replaces it: it governs no cycle anchored on {anchor}; cycles anchored before the "
                f"repeal keep it"
            ),
            refusal_clause=base.repeal_clause,
        )
    later = [v for v in versions if v.in_force_from > base.in_force_from]
    unknown = _unencoded_on_event(base, later, sections, event)
    if unknown is not None:
        return unknown
    choices = {name: _choose(name, base, later, anchor, event) for name in sections}
    return Selection(choices=choices, base=base)


def _unencoded_on_event(base: ReferentialVersion, later: Sequence[ReferentialVersion], sections: Sequence[str], event: dt.date) -> Selection | None:
    """The refusal of a section that follows the event date when a version not encoded is in force on it.

    That version may have changed the section: what it says is not known, so judging by an earlier one
    would apply a text no longer in force.
    """
    unencoded = [v for v in later if v.unavailable is not None and v.in_force_from <= event]
    if not unencoded:
        return None
    newest = max(unencoded, key=lambda v: v.in_force_from)
    for name in sections:
        encoded = [v for v in (base, *later) if name in v.sections and v.in_force_from <= event and v.in_force_from < newest.in_force_from]
        if encoded and encoded[-1].sections[name].policy.mode == "event_date":
            return not_encoded(newest, f"as it was in force on the event date {event} and section '{name}' follows the event date")
    return None


def not_encoded(version: ReferentialVersion, why: str) -> Selection:
    """The refusal of a cycle a version would govern whose text is recorded but not encoded."""
    assert version.unavailable is not None
    return Selection(
        choices={},
        base=version,
        refusal=(
            f"version {version.id} of {version.scheme} (in force from {version.in_force_from}) would govern this cycle, {why}, "
            f"but it is not encoded: {version.unavailable['reason']}; no decision can be taken under it here"
        ),
        refusal_mode="not_encoded",
        refusal_clause=version.unavailable["clause"],
    )


def _reaches_back(version: ReferentialVersion, sections: Sequence[str]) -> bool:
    return all(s in version.sections and version.sections[s].policy.mode == "retroactive" for s in sections)


def _choose(
    section: str,
    base: ReferentialVersion | None,
    later: Sequence[ReferentialVersion],
    anchor: dt.date,
    event: dt.date,
) -> SectionChoice:
    takeover: SectionChoice | None = None
    deferred: list[tuple[ReferentialVersion, str]] = []  # later versions that do not govern the section, and what they say
    for version in later:
        if section not in version.sections:
            continue
        policy = version.sections[section].policy
        if policy.mode == "event_date" and version.in_force_from <= event:
            takeover = SectionChoice(
                section,
                version,
                "event_date",
                f"version {version.id} (in force from {version.in_force_from}) declares that section "
                f"'{section}' follows the event date; it is in force on the event date {event}",
                policy.clause,
            )
        elif policy.mode == "retroactive" and policy.since is not None:
            effective = add_months(policy.since, policy.grace_months)
            if event >= effective:
                grace = f" after a grace of {policy.grace_months} months" if policy.grace_months else ""
                takeover = SectionChoice(
                    section,
                    version,
                    "retroactive",
                    f"version {version.id} applies section '{section}' to running cycles from "
                    f"{policy.since}{grace}; the event date {event} is on or after {effective}",
                    policy.clause,
                )
            else:
                grace = f" with {policy.grace_months} months' grace" if policy.grace_months else ""
                deferred.append((
                    version,
                    f"version {version.id} applies to running cycles only from {effective} "
                    f"(retroactive from {policy.since}{grace})",
                ))
        elif version.in_force_from <= event:
            said = f" (its {policy.clause})" if policy.mode == "pinned" and policy.clause else ""
            deferred.append((version, f"version {version.id} (in force from {version.in_force_from}) applies from the next cycle{said}"))
    if takeover is not None:
        return takeover
    if base is None:
        raise DossierError(
            f"no version of {later[0].scheme} governs section '{section}' of a cycle anchored on {anchor} on {event}",
            [Problem("; ".join(said for _, said in deferred) or "no version was in force on the cycle anchor", ("event_date",))],
        )
    if section not in base.sections:
        raise DossierError(
            f"section '{section}' is not defined by version {base.id}, which governs the cycle anchored on {anchor}",
            [Problem(
                "no later version in force on the event date takes this section over (event_date or retroactive)",
                ("cycle", "anchor"),
            )],
        )
    known = [said for version, said in deferred if version.published_on <= event]  # what was published when the event was decided
    policy = base.sections[section].policy
    if policy.mode == "event_date" and not known:
        reason = (
            f"section '{section}' follows the event date; version {base.id} (in force from {base.in_force_from}) "
            f"is the latest version defining it in force on the event date {event}"
        )
        return SectionChoice(section, base, "event_date", reason, policy.clause)
    reason = (
        f"version {base.id} was in force on the cycle anchor {anchor} (from {base.in_force_from}); "
        f"section '{section}' is pinned to the cycle"
    )
    if known:
        reason += "; " + "; ".join(known)
    return SectionChoice(section, base, "pinned", reason, policy.clause)


def _forced(
    versions: Sequence[ReferentialVersion],
    sections: Sequence[str],
    anchor: dt.date,
    event: dt.date,
    forced: str,
    forced_by: str,
) -> Selection:
    chosen = version_by_id(versions, forced)
    if chosen.unavailable is not None:
        return not_encoded(chosen, f"forced by {forced_by}")
    missing = [s for s in sections if s not in chosen.sections]
    if missing:
        raise DossierError(
            f"version {forced} cannot serve this procedure",
            [Problem(f"it has no section '{s}'") for s in missing],
        )
    warnings: list[str] = []
    try:
        natural = select(versions, sections, anchor, event)
    except (DossierError, ReferentialError) as exc:
        warnings.append(f"version {forced} was forced; without it no version would apply: {exc.message}")
    else:
        if natural.refusal:
            warnings.append(f"version {forced} was forced; without it: {natural.refusal}")
        for name in sections:
            if natural.refusal is None and natural.choices[name].version.id != forced:
                warnings.append(
                    f"version {forced} was forced for section '{name}', which the rules of time give "
                    f"to version {natural.choices[name].version.id}: {natural.choices[name].reason}"
                )
    choices = {  # cites the section's rule of time, which the forcing sets aside
        name: SectionChoice(name, chosen, "forced", f"version {forced} was forced by {forced_by}", chosen.sections[name].policy.clause)
        for name in sections
    }
    return Selection(choices=choices, base=chosen, forced=forced, warnings=tuple(warnings))
