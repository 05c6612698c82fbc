"""Text and JSON views of what standards bodies read: validate's reports, and the versions of a scheme."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.authoring.checks import Report
from engine.model.referential import ReferentialVersion


def _status(version: ReferentialVersion, until: dt.date | None, day: dt.date) -> str:
    if day < version.in_force_from:
        return "not yet in force"
    if version.repealed_on is not None and day >= version.repealed_on:
        return "repealed (serves cycles anchored before the repeal)"
    if until is not None and day >= until:
        return "superseded (serves the cycles it governs)"
    return "in force"


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def versions_table(versions: Sequence[ReferentialVersion], day: dt.date) -> list[dict[str, Any]]:
    """One row per version; a version without in_force_until runs until its successor starts."""
    rows = []
    for i, v in enumerate(versions):
        successor = versions[i + 1] if i + 1 < len(versions) else None
        until = v.in_force_until or (successor.in_force_from if successor else None)
        rows.append(
            {
                "id": v.id,
                "title": v.title,
                "published_on": v.published_on.isoformat(),
                "in_force_from": v.in_force_from.isoformat(),
                "in_force_until": _iso(until),
                "repealed_on": _iso(v.repealed_on),
                "supersedes": v.supersedes,
                "status": _status(v, until, day),
                "digest": v.digest,
            }
        )
    return rows


def versions_text(scheme: str, rows: Iterable[Mapping[str, Any]], day: dt.date, framework: Mapping[str, str] | None = None) -> str:
    of = f" ({framework['role']} of {framework['scheme']})" if framework else ""
    lines = [f"Versions of {scheme}{of} as of {day}:"]
    for r in rows:
        until = f" until {r['in_force_until']}" if r["in_force_until"] else ""
        repeal = f", repealed on {r['repealed_on']}" if r["repealed_on"] else ""
        lines.append(f"  {r['id']:<14} {r['status']:<45} in force from {r['in_force_from']}{until}{repeal}")
        lines.append(f"  {'':<14} published {r['published_on']}; supersedes {r['supersedes'] or '—'}; {r['digest'][:19]}…")
    return "\n".join(lines)


def report_json(report: Report) -> dict[str, Any]:
    def problems(items: Iterable[Any]) -> list[str]:
        return [p.render() for p in items]

    return {"file": report.file, "valid": report.valid, "problems": problems(report.problems), "warnings": problems(report.warnings), "coverage": report.coverage}


def report_text(report: Report) -> str:
    lines = [f"{report.file}: {'valid' if report.valid else 'INVALID'}"]
    c = report.coverage
    if c:
        lines.append(
            f"  coverage: {c['provisions']} provisions — {c['encoded']} encoded, {c['out_of_scope']} out of scope, "
            f"{c['not_recoverable']} not recoverable; "
            f"{c['rules']} rules; {c['citations']} citations; "
            f"{c['readings']} readings, {c['readings_applied_by_rules']} cited by the rules that apply them"
        )
    lines += [f"  error: {p.render()}" for p in report.problems]
    lines += [f"  warning: {p.render()}" for p in report.warnings]
    return "\n".join(lines)
