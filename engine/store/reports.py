"""What `referee history`, `referee replay`, `referee store stats` and `referee store verify` print: JSON for programs, text for people."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from engine.store.replay import VERDICTS, Replay
from engine.store.repository import StoredDecision, Verification


def history_json(dossier: str, rows: Sequence[StoredDecision]) -> dict[str, Any]:
    return {
        "dossier": dossier,
        "decisions": [
            {
                "row": r.seq, "decided_at": r.decided_at, "evaluator": r.evaluator, "procedure": r.procedure, "event_date": r.event_date,
                "versions": r.versions, "outcome": r.outcome, "runtime": r.runtime, "engine": r.engine, "dossier_digest": r.dossier, "seal": r.seal,
                "source": r.source,
            }
            for r in rows
        ],
    }


def history_text(data: dict[str, Any]) -> str:
    rows = data["decisions"]
    lines = [f"{data['dossier']}: {len(rows)} decision{'' if len(rows) == 1 else 's'}"]
    header = ("row", "decided (UTC)", "by", "procedure", "event date", "versions", "outcome")
    cells = [(str(r["row"]), r["decided_at"].replace("+00:00", ""), r["evaluator"], r["procedure"], r["event_date"], r["versions"], r["outcome"]) for r in rows]
    lines += _aligned(header, cells)
    engines = Counter(f"{r['engine']} ({r['runtime']})" for r in rows)
    lines.append("judged by " + ", ".join(f"{name}: {count}" for name, count in engines.items()))
    return "\n".join(lines)


def stats_text(data: dict[str, Any]) -> str:
    lines = [
        f"store {data['store']}: {data['decisions']:,} decisions on {data['dossiers']:,} dossiers, by {data['evaluators']} evaluator(s), "
        f"from {data['first_decided_at'] or '—'} to {data['last_decided_at'] or '—'}",
        f"it holds {data['versions']:,} referential versions in {data['libraries']:,} libraries, and {data['blobs']:,} files",
    ]
    cells = [(o["scheme"], o["procedure"], o["outcome"], f"{o['decisions']:,}") for o in data["outcomes"]]
    if cells:
        lines += _aligned(("scheme", "procedure", "outcome", "decisions"), cells)
    return "\n".join(lines)


def verification_json(store: str, found: Verification) -> dict[str, Any]:
    return {
        "store": store, "intact": found.intact, "rows": found.rows, "head": found.head, "checked": dict(found.checked),
        "faults": [{"row": f.seq, "kind": f.kind, "message": f.message} for f in found.faults],
    }


def verification_text(data: dict[str, Any]) -> str:
    checked = ", ".join(f"{count:,} {what}" for what, count in data["checked"].items())
    walked = f"{data['rows']:,} decision rows, head {data['head']}; checked besides: {checked or 'nothing'}"
    if data["intact"]:
        return f"store {data['store']}: intact — {walked}"
    lines = [f"store {data['store']}: {len(data['faults'])} FAULT{'' if len(data['faults']) == 1 else 'S'} — {walked}"]
    lines += [f"  {f['kind']}: {f['message']}" for f in data["faults"]]
    return "\n".join(lines)


def replays_json(listed: Sequence[Replay], counts: Counter[str], seconds: float) -> dict[str, Any]:
    """The counts of a replay of many decisions, and the replays listed."""
    total = sum(counts.values())
    return {
        **{verdict: counts[verdict] for verdict in VERDICTS},
        "decisions": total,
        "seconds": round(seconds, 3),
        "per_second": round(total / seconds) if seconds > 0 else None,
        "replays": [r.to_json() for r in listed],
    }


def replays_text(listed: Sequence[Replay], data: dict[str, Any]) -> str:
    lines = [r.text() for r in listed]
    rate = f" ({data['per_second']:,} decisions/s)" if data["per_second"] else ""
    lines += _aligned(("reproduced", "differing", "unverifiable"), [tuple(f"{data[v]:,}" for v in VERDICTS)])
    lines.append(f"{data['decisions']:,} decisions judged again in {data['seconds']:.1f} s{rate}")
    return "\n".join(lines)


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in (header, *rows)]
