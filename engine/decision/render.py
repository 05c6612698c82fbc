"""The text view of a decision, for people; its JSON view is the data itself (`Decision.to_json`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.compilation.expressions import format_value
from engine.decision.model import Decision, RuleStep


def decision_text(decision: Decision) -> str:
    lines = [
        f"Dossier {decision.dossier_id} — {decision.scheme}, procedure {decision.procedure}",
        f"Cycle anchor {decision.cycle['anchor']}, event {decision.event_date}",
        "",
        f"OUTCOME: {decision.outcome}",
        f"  {decision.outcome_meaning}",
    ]
    if decision.forced_version:
        lines.append(f"  (version {decision.forced_version} forced by the evaluator)")
    if decision.values:
        lines += ["", "Values:"]
        width = max(len(k) for k in decision.values)
        for k, v in decision.values.items():
            if _records(v):  # e.g. an account's groups of invoices: one per line
                lines.append(f"  {k}")
                lines += [f"    - {format_value(record)}" for record in v]
            else:
                lines.append(f"  {k.ljust(width)}  {format_value(v)}")
    if decision.findings:
        lines += ["", "Findings:"]
        for f in decision.findings:
            clause = f" [{f.clause}]" if f.clause else ""
            lines.append(f"  {f.severity.upper():7} {f.code}{clause}: {f.message}")
    lines += ["", "Versions:"]
    for v in decision.versions:
        lines.append(f"  {v.section or '(all)'}: {v.referential} {v.version} ({v.mode}) — {v.reason}")
    derived = [e for e in decision.trail if isinstance(e, RuleStep) and e.kind == "fact"]
    if derived:
        lines += ["", "Trail:"]
        for e in derived:
            lines.append(f"  {e.id:>4} {e.name} = {format_value(e.value)}  [{e.rule} · {e.clause}]")
            lines.append(f"       {e.because}")
    return "\n".join(lines)


def _records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(x, Mapping) for x in value)
