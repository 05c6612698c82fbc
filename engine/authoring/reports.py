"""Text and JSON views of what standards bodies read: validate's reports, and the versions of a scheme."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.authoring.checks import Report
from engine.authoring.publication import VersionCheck
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
                **_publication(v),
            }
        )
    return rows


def _publication(version: ReferentialVersion) -> dict[str, Any]:
    """Draft, published or signed; the day of the lock and the key that signed it."""
    lock = version.lock
    if lock is None:
        return {"publication": "draft", "locked_on": None, "key": None}
    return {"publication": "signed" if lock.signature else "published", "locked_on": lock.published, "key": lock.signature.key if lock.signature else None}


def _publication_text(row: Mapping[str, Any]) -> str:
    if row["publication"] == "draft":
        return "draft (no lock: not published)"
    signed = f", signed by {row['key'][:19]}…" if row["key"] else ", unsigned"
    return f"locked {row['locked_on']}{signed}"


def versions_text(scheme: str, rows: Iterable[Mapping[str, Any]], day: dt.date, framework: Mapping[str, str] | None = None) -> str:
    of = f" ({framework['role']} of {framework['scheme']})" if framework else ""
    lines = [f"Versions of {scheme}{of} as of {day}:"]
    for r in rows:
        until = f" until {r['in_force_until']}" if r["in_force_until"] else ""
        repeal = f", repealed on {r['repealed_on']}" if r["repealed_on"] else ""
        lines.append(f"  {r['id']:<14} {r['status']:<45} in force from {r['in_force_from']}{until}{repeal}")
        lines.append(f"  {'':<14} published {r['published_on']}; supersedes {r['supersedes'] or '—'}; {r['digest'][:19]}…")
        lines.append(f"  {'':<14} {_publication_text(r)}")
    return "\n".join(lines)


def report_json(report: Report) -> dict[str, Any]:
    """Problems and warnings as errors give them: {file, line, path, message}."""
    return {
        "file": report.file,
        "valid": report.valid,
        "problems": [p.to_json() for p in report.problems],
        "warnings": [p.to_json() for p in report.warnings],
        "coverage": report.coverage,
    }


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


def verification_text(checks: Sequence[VersionCheck], *, trusting: bool) -> str:
    """One line per version (and one per problem), then the count: what `referee verify` prints."""
    lines = []
    for c in checks:
        state = {"draft": "draft (no lock)", "published": "published, unsigned", "signed": f"signed by {c.key}" if c.key else "signed"}[c.status]
        if c.trusted is not None:
            state += " (trusted key)" if c.trusted else " (key NOT trusted)"
        lines.append(f"{'FAILED' if c.problems else 'ok':<6} {c.scheme} {c.version}: {state}")
        lines += [f"         - {p.render()}" for p in c.problems]
    counts = {status: sum(1 for c in checks if c.status == status) for status in ("signed", "published", "draft")}
    failed = sum(1 for c in checks if c.problems)
    summary = f"{len(checks)} version{'' if len(checks) == 1 else 's'}: {counts['signed']} signed, {counts['published']} published unsigned, {counts['draft']} draft"
    verdict = f"{failed} failed" if failed else "every lock matches what its version runs"
    trust = "" if trusting else " (no key trusted: --trust KEY.pub requires signatures)"
    return "\n".join([*lines, f"{summary}; {verdict}{trust}"])
