"""The text view of a decision, for people; its JSON view is the data itself (`Decision.to_json`)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from typing import Any

from engine.compilation.expressions import format_value
from engine.decision.model import Decision, RuleStep

WIDTH = 100  # columns of the text views (evaluate, explain): a terminal's, and a page's when printed
MIN_TEXT = 40  # columns left for the words however deep a tree's indent goes


def wrapped(text: str, first: str, rest: str, width: int = WIDTH) -> Iterator[str]:
    """`text` in lines of at most `width` columns: the first starts with `first`, the others with `rest`.

    A line of the text (a provision's paragraph) starts a new line. Words break at spaces only, but for a
    word longer than a whole line (a pattern of a referential), which is cut.
    """
    wrapper = textwrap.TextWrapper(width=max(width, len(rest) + MIN_TEXT, len(first) + MIN_TEXT), break_on_hyphens=False)
    indent = first
    for paragraph in text.splitlines() or [""]:
        wrapper.initial_indent, wrapper.subsequent_indent = indent, rest
        yield from wrapper.wrap(paragraph) or [indent.rstrip()]
        indent = rest


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
                for record in v:
                    lines += wrapped(format_value(record), "    - ", "      ")
            else:
                lines += wrapped(f"{k.ljust(width)}  {format_value(v)}", "  ", " " * (width + 4))
    if decision.findings:
        lines += ["", "Findings:"]
        for f in decision.findings:
            clause = f" [{f.clause}]" if f.clause else ""
            lines += wrapped(f"{f.severity.upper():7} {f.code}{clause}: {f.message}", "  ", " " * 10)
    lines += ["", "Versions:"]
    for v in decision.versions:
        lines += wrapped(f"{v.section or '(all)'}: {v.referential} {v.version} ({v.mode}) — {v.reason}", "  ", "    ")
    derived = [e for e in decision.trail if isinstance(e, RuleStep) and e.kind == "fact"]
    if derived:
        lines += ["", "Trail:"]
        for e in derived:
            lines += wrapped(f"{e.name} = {format_value(e.value)}  [{e.rule} · {e.clause}]", f"  {e.id:>4} ", " " * 9)
            lines += wrapped(e.because, " " * 7, " " * 7)
    return "\n".join(lines)


def _records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(x, Mapping) for x in value)
